//! `private-chat-server`: the room server, standalone.

use clap::Parser;
use private_chat_server::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if config.log_json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let server = match private_chat_server::start(config).await {
        Ok(server) => server,
        Err(e) => {
            tracing::error!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "private-chat-server listening on {} ({} store)",
        server.url(),
        server.backend()
    );
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
    match server.shutdown().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
