//! Serves one file's bytes from memory at `/`: the baseline `bench/server.sh` compares the
//! server-rendered page against. Usage: static_html FILE ADDR
#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use axum::{body::Bytes, http::header, routing::get, Router};

    let mut args = std::env::args().skip(1);
    let (Some(file), Some(addr)) = (args.next(), args.next()) else {
        eprintln!("usage: static_html FILE ADDR");
        std::process::exit(2);
    };
    let html = Bytes::from(std::fs::read(&file).expect("readable file"));
    let app = Router::new().route(
        "/",
        get(move || {
            let html = html.clone();
            async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

#[cfg(not(feature = "ssr"))]
fn main() {}
