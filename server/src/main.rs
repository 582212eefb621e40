//! `private-chat-server`: the room server, standalone.

use std::time::Duration;

use clap::Parser;
use private_chat_server::Config;
use tracing_subscriber::EnvFilter;

/// mimalloc: thousands of sockets allocate and free small buffers on two
/// threads; measured with the load generator, it spends less CPU per message
/// and keeps less memory per socket than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (`mi_option_purge_delay` in mimalloc.h,
/// which the Rust bindings do not name).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Give freed memory back at once: by default mimalloc keeps it for a
    // while, and a burst of history pages (megabytes each, built on other
    // threads) then stays resident well past the documented bound.
    // SAFETY: sets a plain option; any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let config = Config::parse();
    let config_grace = config.drain_grace_secs;
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
    // SIGTERM (an orchestrator stopping the instance) drains: not ready for
    // a grace period, then stop. Ctrl-C (a person) stops at once.
    let grace = Duration::from_secs(config_grace);
    let stopped = tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            server.shutdown().await
        }
        _ = terminated() => server.drain(grace).await,
    };
    match stopped {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM (never elsewhere than Unix).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}
