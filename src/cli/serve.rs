//! `tessera serve` and `tessera healthcheck`.

use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CliError, CliResult};
use crate::settings::{MasterKeySource, Settings};
use crate::startup::{Application, stop_on_signals};
use crate::telemetry;

pub async fn serve(config: Option<&Path>) -> CliResult {
    let settings = Settings::load(config)?;
    // Held while serving: dropping it sends the last spans.
    let _traces = telemetry::init_with_traces(
        settings.log_format,
        "info,sqlx=warn",
        settings.otlp_endpoint.as_ref(),
    )?;
    match &settings.master_key_source {
        MasterKeySource::Generated(path) => tracing::warn!(
            path = %path.display(),
            "no TESSERA_MASTER_KEY set: generated a development master key; set TESSERA_MASTER_KEY in production"
        ),
        MasterKeySource::File(path) => {
            tracing::info!(path = %path.display(), "using the master key file")
        }
        MasterKeySource::Environment | MasterKeySource::Given => {}
    }
    if let Some(endpoint) = &settings.otlp_endpoint {
        tracing::info!(%endpoint, "sending request traces over OTLP");
    }
    if settings.outbound_allow_private {
        tracing::warn!(
            "TESSERA_OUTBOUND_ALLOW_PRIVATE=true: outbound fetches (identity providers' keys) may use plain http and reach loopback, private and link-local addresses"
        );
    }
    match &settings.smtp {
        Some(smtp) => tracing::info!(relay = %smtp.describe(), "sending email through SMTP"),
        None => tracing::warn!(
            "email is off (no TESSERA_SMTP_URL or TESSERA_SMTP_HOST): password reset, email verification, invitations and notices are not offered"
        ),
    }
    let base = settings.base_url.as_str().trim_end_matches('/').to_string();
    let listen = settings.listen;
    let settings_metrics = settings.metrics_listen;
    let mut app = Application::build(settings).await?;
    tracing::info!(%listen, "listening");
    if let Some(metrics) = settings_metrics {
        tracing::info!(%metrics, "serving /metrics");
    }
    println!("Tessera is listening on http://{listen} (default site: {base}/)");
    match app.take_bootstrap_report() {
        Some(report) => {
            println!();
            println!("First start: created the default site and its administrator.");
            println!("  Sign in at: {}", report.sign_in_url);
            println!("  Username:   {}", report.username);
            println!("  Password:   {}", report.password);
            println!("This password is shown only once. Change it on the account page.");
            println!();
        }
        None => println!("Sign in at {base}/login"),
    }
    tokio::spawn(stop_on_signals(app.handle()));
    app.run_until_stopped()
        .await
        .map_err(|e| CliError::Failure(anyhow::anyhow!("server stopped: {e}")))
}

/// Asks the local server for /healthz over plain HTTP (the container image has no curl).
pub async fn healthcheck() -> CliResult {
    let listen = std::env::var("TESSERA_LISTEN")
        .unwrap_or_else(|_| crate::settings::DEFAULT_LISTEN.to_string());
    let addr: std::net::SocketAddr = listen
        .parse()
        .map_err(|_| CliError::Usage(format!("TESSERA_LISTEN: `{listen}` is not an address")))?;
    let target = if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(target).await?;
        stream
            .write_all(
                format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), check)
        .await
        .map_err(|_| {
            CliError::Failure(anyhow::anyhow!("no answer from {target} within 5 seconds"))
        })?
        .map_err(|e| CliError::Failure(anyhow::anyhow!("cannot reach {target}: {e}")))?;
    if response.starts_with(b"HTTP/1.1 200") {
        println!("ok");
        Ok(())
    } else {
        Err(CliError::Failure(anyhow::anyhow!(
            "{target} answered, but not with 200"
        )))
    }
}
