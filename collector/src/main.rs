//! `wasmtrack-collector`: parses flags, starts logging, binds the listener, and serves until
//! Ctrl-C or SIGTERM. Everything else is in the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;
use wasmtrack_collector::config::Command;
use wasmtrack_collector::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();
    let mut cli = Cli::parse();
    match cli.command.take() {
        Some(Command::Import(args)) => {
            return wasmtrack_collector::import::cli::run(
                args,
                &cli.data_dir,
                cli.database.as_deref(),
            )
            .await
        }
        Some(Command::Migrate(args)) => {
            return wasmtrack_collector::migrate::cli::run(args, &cli.data_dir).await
        }
        None => {}
    }
    let listen = cli.listen;
    let config = cli.into_config()?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    wasmtrack_collector::serve(config, listener, shutdown_signal()).await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
