//! The `tessera` command line: `serve` (the default), `migrate`, and admin
//! commands. Exit codes: 0 success, 2 usage error, 1 failure (one line on
//! stderr).

mod accounts;
mod audit;
mod browser_token;
mod client;
mod client_powers;
mod dpop;
mod idp;
mod keys;
mod legacy;
mod look;
mod master_key;
mod metadata_documents;
mod output;
mod rate_limits;
mod registration;
mod resource;
mod serve;
mod server_token;
mod site;
mod upstream;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::cache::AuthCache;
use crate::clock::SystemClock;
use crate::settings::Settings;
use crate::store::SharedStore;

pub use output::Output;

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "A multi-site OAuth 2.0 authorization server"
)]
pub struct Cli {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    /// A TOML settings file (the environment still wins).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck,
    /// Manage sites.
    #[command(subcommand)]
    Site(site::SiteCommand),
    /// Manage users of a site.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage OAuth clients of a site.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage the trusted identity providers of a site (token exchange).
    #[command(subcommand)]
    Idp(idp::IdpCommand),
    /// Manage the other OpenID providers people may sign in to a site with.
    #[command(subcommand)]
    Upstream(upstream::UpstreamCommand),
    /// Manage the resources (RFC 8707) a site issues access tokens for.
    #[command(subcommand)]
    Resource(resource::ResourceCommand),
    /// Manage the browser API tokens of a site.
    #[command(subcommand)]
    BrowserToken(browser_token::BrowserTokenCommand),
    /// Manage the signed server API tokens of a site.
    #[command(subcommand)]
    ServerToken(server_token::ServerTokenCommand),
    /// Enable, disable, rotate and report on a site's legacy credentials.
    #[command(subcommand)]
    Legacy(legacy::LegacyCommand),
    /// Manage a site's signing keys (OpenID Connect, JWT access tokens).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// A site's audit events, newest first.
    Audit(audit::AuditArgs),
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0:#}")]
    Failure(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::Failure(e.into())
    }
}

impl From<crate::settings::SettingsError> for CliError {
    fn from(e: crate::settings::SettingsError) -> Self {
        CliError::Failure(anyhow::anyhow!("bad setting {e}"))
    }
}

impl From<crate::admin::AdminError> for CliError {
    fn from(e: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError;
        match e {
            AdminError::Input(message) => CliError::Usage(message),
            AdminError::Internal(e) => CliError::Failure(e),
            other => CliError::Failure(anyhow::anyhow!(other.to_string())),
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// The admin service as the command line uses it: acting as `cli`, with
/// fresh caches (running servers learn of changes through the change feed).
fn cli_admin(store: &SharedStore, settings: &Settings) -> crate::admin::Admin {
    crate::admin::Admin::new(
        store.clone(),
        Arc::new(AuthCache::default()),
        Arc::new(SystemClock),
        settings.master_key.clone(),
        crate::outbound::OutboundPolicy::from_settings(settings),
        crate::audit::Actor::Cli,
        None,
    )
    .with_outbox(crate::email::Outbox::new(
        store.clone(),
        settings.master_key.clone(),
        Arc::new(SystemClock),
        settings.smtp.is_some(),
    ))
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(CliError::Failure(e)) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

async fn dispatch(cli: Cli) -> CliResult {
    let out = Output::new(cli.json);
    match cli.command {
        None | Some(Command::Serve) => serve::serve(cli.config.as_deref()).await,
        Some(Command::Healthcheck) => serve::healthcheck().await,
        Some(Command::Migrate) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            out.done(
                "migrations applied",
                serde_json::json!({"migrated": true, "store": store.backend()}),
            );
            Ok(())
        }
        Some(Command::Site(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            site::run(
                command,
                &cli_admin(&store, &settings),
                &settings.rate_limits,
                &out,
            )
            .await
        }
        Some(Command::User(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            user::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::Client(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            client::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::Idp(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            idp::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::Upstream(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            upstream::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::Resource(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            resource::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::BrowserToken(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            browser_token::run(command, &store, &settings.master_key, &out).await
        }
        Some(Command::ServerToken(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            server_token::run(command, &store, &settings.master_key, &out).await
        }
        Some(Command::Legacy(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            legacy::run(command, &cli_admin(&store, &settings), &out).await
        }
        Some(Command::Audit(args)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            audit::run(args, &open_store(&settings).await?, &out).await
        }
        Some(Command::Keys(command)) => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = open_store(&settings).await?;
            let admin = cli_admin(&store, &settings);
            keys::run(command, &admin, &settings.master_key, &out).await
        }
    }
}

/// Opens and migrates the store, so admin commands work on a fresh database.
async fn open_store(settings: &Settings) -> Result<SharedStore, CliError> {
    let store = crate::store::connect(&settings.database_url, settings.database_timeout()).await?;
    store.migrate().await?;
    Ok(store)
}

async fn find_site(store: &SharedStore, slug: &str) -> Result<crate::store::SiteRecord, CliError> {
    store.find_site_by_slug(slug).await?.ok_or_else(|| {
        CliError::Failure(anyhow::anyhow!(
            "no site `{slug}` (see `tessera site list`)"
        ))
    })
}

/// Reads a secret from standard input: the first line, without its newline.
async fn read_stdin_secret() -> Result<String, CliError> {
    use tokio::io::AsyncReadExt;
    let mut raw = String::new();
    tokio::io::stdin()
        .read_to_string(&mut raw)
        .await
        .map_err(|e| CliError::Failure(anyhow::anyhow!("cannot read standard input: {e}")))?;
    Ok(raw.lines().next().unwrap_or_default().to_string())
}
