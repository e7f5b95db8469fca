// Server rendering allocates many small strings per page; mimalloc serves them faster than
// glibc's allocator (see the server bench in the README).
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Why the binary stopped: its message, and the exit code that tells the operator what kind
/// of problem it was (2: the configuration; 1: anything else). Usage errors never get here:
/// clap prints them, with the usage, and exits with 2.
#[cfg(feature = "ssr")]
struct Failure {
    code: u8,
    message: String,
}

#[cfg(feature = "ssr")]
impl Failure {
    fn config(error: impl std::fmt::Display) -> Self {
        Self {
            code: 2,
            message: error.to_string(),
        }
    }

    fn other(error: impl std::fmt::Display) -> Self {
        Self {
            code: 1,
            message: error.to_string(),
        }
    }
}

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    use leadistry::cli::Cli;
    use std::process::ExitCode;

    let command = Cli::parse().command.unwrap_or_default();
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("leadistry: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(feature = "ssr")]
async fn run(command: leadistry::cli::Command) -> Result<(), Failure> {
    use leadistry::{
        cli::{self, Command},
        config::Config,
        receipts::{ConsentLog, Store},
        server,
    };

    async fn open_log(config: &Config) -> Result<Store, Failure> {
        Store::connect(&config.site.database_url)
            .await
            .map_err(Failure::other)
    }

    server::init_tracing();
    // A write past the file-size limit (RLIMIT_FSIZE) fails with EFBIG, which the consent log
    // refuses like any failed write, instead of SIGXFSZ killing the server (PostgreSQL does
    // the same).
    // SAFETY: only sets the disposition of one signal, which nothing in this process handles.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let mut config = Config::load().map_err(Failure::config)?;
    match command {
        Command::Serve => {
            let store = open_log(&config).await?;
            let keys = config.take_consent_keys().map_err(Failure::config)?;
            let log = ConsentLog::new(store, config.site.receipt_queue);
            server::serve(config, keys, log)
                .await
                .map_err(Failure::other)
        }
        Command::Export {
            since,
            until,
            format,
        } => cli::export(&open_log(&config).await?, since, until, format)
            .await
            .map_err(Failure::other),
        Command::Prune => cli::prune(
            &open_log(&config).await?,
            config.site.receipt_retention_days,
        )
        .await
        .map_err(Failure::other),
        Command::Stats {
            since,
            until,
            by,
            format,
            svg,
        } => cli::stats(
            &open_log(&config).await?,
            (since, until),
            by,
            format,
            svg.as_deref(),
        )
        .await
        .map_err(Failure::other),
        Command::Config => {
            print!("{}", config.describe());
            Ok(())
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser entry point is `hydrate()` in lib.rs.
}
