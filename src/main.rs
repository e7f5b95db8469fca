// Server rendering allocates many small strings per page; mimalloc serves them faster than
// glibc's allocator (see the server bench in the README).
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use leadistry::{
        config::Config,
        receipts::{cli, ConsentLog, Store},
        server,
    };
    use std::process::ExitCode;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("leadistry: {message}");
            }
            eprintln!("{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    server::init_tracing();
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("leadistry: {error}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::connect(&config.site.database_url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("leadistry: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        cli::Command::Serve => {
            let keys = match config.consent_keys() {
                Ok(keys) => keys,
                Err(error) => {
                    eprintln!("leadistry: {error}");
                    return ExitCode::from(2);
                }
            };
            let log = ConsentLog::new(store, config.site.receipt_queue);
            server::serve(config, keys, log)
                .await
                .map_err(|e| e.to_string())
        }
        command => cli::run(command, &store, config.site.receipt_retention_days).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("leadistry: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser entry point is `hydrate()` in lib.rs.
}
