#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use leadistry::{config::Config, server};
    use std::process::ExitCode;

    server::init_tracing();
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("leadistry: {error}");
            return ExitCode::from(2);
        }
    };
    match server::serve(config).await {
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
