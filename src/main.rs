//! The server binary: parses the command line and runs the command (`serve` by default).

// Server rendering allocates many small strings per page; mimalloc serves them faster than
// glibc's allocator (the server bench, docs/benchmarks.md).
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
fn main() -> std::process::ExitCode {
    use clap::Parser;
    use leadistry::cli::{Cli, Command};
    use std::process::ExitCode;

    let command = Cli::parse().command.unwrap_or_default();
    // Commands that read the whole log (sealing writes one row a day) give way to a site
    // serving on the same machine; set before the runtime starts, so its threads inherit it.
    if matches!(
        command,
        Command::Export { .. }
            | Command::Stats { .. }
            | Command::Verify { .. }
            | Command::Seal { .. }
    ) {
        leadistry::receipts::give_way();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("leadistry: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command)) {
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
        cli::{self, audit, Command},
        config::Config,
        receipts::{ConsentLog, Store},
        server,
    };

    async fn open_log(config: &Config) -> Result<Store, Failure> {
        Store::connect(config.site.database_url.as_str())
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
    let grace = config.site.seal_grace.as_secs() as i64;
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
            grace,
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
        Command::Seal { head } => audit::seal(&open_log(&config).await?, grace, head)
            .await
            .map_err(Failure::other),
        Command::Verify { since, until, head } => {
            audit::verify(&open_log(&config).await?, (since, until), head.as_deref())
                .await
                .map_err(Failure::other)
        }
        Command::Proof {
            check: Some(file),
            head: Some(head),
            ..
        } => audit::check_proof(&file, &head).map_err(Failure::other),
        Command::Proof { consent_id, .. } => {
            let consent_id = consent_id.unwrap_or_default();
            audit::proof(&open_log(&config).await?, &consent_id)
                .await
                .map_err(Failure::other)
        }
        Command::Policy {
            fingerprint,
            list,
            format,
            exact,
        } => {
            // The texts in force need no log.
            let store = match list || fingerprint.is_some() {
                true => Some(open_log(&config).await?),
                false => None,
            };
            audit::policy(store.as_ref(), fingerprint.as_deref(), list, format, exact)
                .await
                .map_err(Failure::other)
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser entry point is `hydrate()` in lib.rs.
}
