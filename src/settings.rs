//! Settings from `TESSERA_*` environment variables and an optional TOML file.
//!
//! The environment wins over the file. Every problem names the variable it
//! came from, so a bad deployment stops with a message an operator can act on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::crypto::MasterKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the master key came from; decides what start-up says about it.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
    Given,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub database_url: String,
    pub listen: SocketAddr,
    pub base_url: Url,
    pub master_key: MasterKey,
    pub master_key_source: MasterKeySource,
    pub log_format: LogFormat,
    /// How often each process re-reads the change feed to invalidate caches.
    pub change_poll_millis: u64,
    /// How long a request waits for a database connection before it is
    /// answered `503` (the pool's acquire timeout).
    pub database_timeout_millis: u64,
    /// Sign-in attempts per site and account before lock-out (per client
    /// address: four times as many), counted in the shared store.
    pub login_failures_before_throttle: u32,
    /// How far a server token's signature time may sit from the clock,
    /// either way (spec 3.3: 300 seconds).
    pub server_token_window_secs: i64,
    /// How old a DPoP proof's `iat` may be (RFC 9449 section 11.1), and
    /// how far ahead of the clock.
    pub dpop_proof_max_age_secs: i64,
    pub dpop_clock_skew_secs: i64,
    /// Outbound fetches (identity providers' JWKS…) may use plain http and
    /// reach loopback, private and link-local addresses. Off by default:
    /// for development, tests and providers on a private network.
    pub outbound_allow_private: bool,
    /// Where `GET /metrics` is served, apart from the main listener so it
    /// is never public by accident; `None` (the default): no metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// An OTLP/HTTP collector to send request traces to; `None`: no traces.
    pub otlp_endpoint: Option<Url>,
    /// Serve the `/docs/api` page that renders `/openapi.json` (the
    /// document itself is always served). On in development, off in
    /// production unless asked for.
    pub api_docs: bool,
    /// Audit events older than this are deleted by the janitor.
    pub audit_retention_days: u32,
    /// Where audit events are delivered, if anywhere.
    pub audit_webhook: Option<crate::audit::webhook::WebhookTarget>,
    /// Rate limits of every site that does not set its own
    /// (`endpoint.scope=rate` entries over the built-in defaults).
    pub rate_limits: crate::ratelimit::LimitTable,
    /// The rate limits' shared counter in Redis instead of the store.
    pub redis_url: Option<String>,
    /// Put before every Redis key, so deployments can share one Redis.
    pub redis_key_prefix: String,
    /// The SMTP relay for password reset, verification, invitations and
    /// notices; `None`: email features are off.
    pub smtp: Option<crate::email::config::SmtpSettings>,
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub problem: String,
}

impl SettingsError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// The optional TOML file: the same names as the variables, without the
/// `TESSERA_` prefix and in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    env: Option<String>,
    database_url: Option<String>,
    listen: Option<String>,
    base_url: Option<String>,
    master_key: Option<String>,
    master_key_file: Option<String>,
    log_format: Option<String>,
    change_poll_millis: Option<u64>,
    database_timeout_millis: Option<u64>,
    login_failures_before_throttle: Option<u32>,
    server_token_window_secs: Option<u64>,
    dpop_proof_max_age_secs: Option<u64>,
    dpop_clock_skew_secs: Option<u64>,
    outbound_allow_private: Option<bool>,
    metrics_listen: Option<String>,
    otlp_endpoint: Option<String>,
    api_docs: Option<bool>,
    audit_retention_days: Option<u32>,
    audit_webhook_url: Option<String>,
    audit_webhook_secret: Option<String>,
    rate_limits: Option<String>,
    redis_url: Option<String>,
    redis_key_prefix: Option<String>,
    smtp_url: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    smtp_from: Option<String>,
}

/// A source of raw values: the process environment, or a map in tests.
pub trait Vars {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Vars for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tessera.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_BASE_URL: &str = "http://localhost:8080";
pub const DEFAULT_REDIS_KEY_PREFIX: &str = "tessera:rate:";

impl Settings {
    /// The pool's acquire timeout (`TESSERA_DATABASE_TIMEOUT_MILLIS`).
    pub fn database_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.database_timeout_millis)
    }

    /// Reads the process environment and, when `TESSERA_CONFIG` or
    /// `config_file` names one, the TOML file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::from_vars(&ProcessEnv, config_file)
    }

    pub fn from_vars(vars: &dyn Vars, config_file: Option<&Path>) -> Result<Self, SettingsError> {
        let file_path = config_file
            .map(Path::to_path_buf)
            .or_else(|| vars.get("TESSERA_CONFIG").map(PathBuf::from));
        let file = match file_path {
            Some(path) => read_file(&path)?,
            None => FileSettings::default(),
        };
        let pick = |name: &'static str, from_file: &Option<String>| {
            vars.get(name).or_else(|| from_file.clone())
        };

        let environment = match pick("TESSERA_ENV", &file.env).as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(SettingsError::new(
                    "TESSERA_ENV",
                    format!("expected `development` or `production`, got `{other}`"),
                ));
            }
        };

        let database_url = pick("TESSERA_DATABASE_URL", &file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || database_url.starts_with("sqlite:"))
        {
            return Err(SettingsError::new(
                "TESSERA_DATABASE_URL",
                "expected a postgres://… or sqlite://… URL",
            ));
        }

        let listen_raw =
            pick("TESSERA_LISTEN", &file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            SettingsError::new(
                "TESSERA_LISTEN",
                format!("expected an address such as 127.0.0.1:8080, got `{listen_raw}`"),
            )
        })?;

        let base_raw = pick("TESSERA_BASE_URL", &file.base_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = crate::sites::parse_base_url(&base_raw)
            .map_err(|e| SettingsError::new("TESSERA_BASE_URL", e.to_string()))?;

        let log_format = match pick("TESSERA_LOG_FORMAT", &file.log_format).as_deref() {
            None | Some("pretty") | Some("text") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(SettingsError::new(
                    "TESSERA_LOG_FORMAT",
                    format!("expected `json` or `pretty`, got `{other}`"),
                ));
            }
        };

        let change_poll_millis = match vars.get("TESSERA_CHANGE_POLL_MILLIS") {
            Some(raw) => parse_number("TESSERA_CHANGE_POLL_MILLIS", &raw, 10, 60_000)?,
            None => file.change_poll_millis.unwrap_or(250),
        };
        let database_timeout_millis = match vars.get("TESSERA_DATABASE_TIMEOUT_MILLIS") {
            Some(raw) => parse_number("TESSERA_DATABASE_TIMEOUT_MILLIS", &raw, 100, 60_000)?,
            None => file.database_timeout_millis.unwrap_or(3000),
        };
        let login_failures_before_throttle =
            match vars.get("TESSERA_LOGIN_FAILURES_BEFORE_THROTTLE") {
                Some(raw) => {
                    parse_number("TESSERA_LOGIN_FAILURES_BEFORE_THROTTLE", &raw, 1, 1000)? as u32
                }
                None => file.login_failures_before_throttle.unwrap_or(5),
            };

        let server_token_window_secs = match vars.get("TESSERA_SERVER_TOKEN_WINDOW_SECS") {
            Some(raw) => parse_number("TESSERA_SERVER_TOKEN_WINDOW_SECS", &raw, 1, 86_400)? as i64,
            None => file.server_token_window_secs.unwrap_or(300) as i64,
        };

        let dpop_proof_max_age_secs = match vars.get("TESSERA_DPOP_PROOF_MAX_AGE_SECS") {
            Some(raw) => parse_number("TESSERA_DPOP_PROOF_MAX_AGE_SECS", &raw, 1, 3600)? as i64,
            None => file.dpop_proof_max_age_secs.unwrap_or(60) as i64,
        };
        let dpop_clock_skew_secs = match vars.get("TESSERA_DPOP_CLOCK_SKEW_SECS") {
            Some(raw) => parse_number("TESSERA_DPOP_CLOCK_SKEW_SECS", &raw, 0, 300)? as i64,
            None => file.dpop_clock_skew_secs.unwrap_or(5) as i64,
        };

        let outbound_allow_private = match vars.get("TESSERA_OUTBOUND_ALLOW_PRIVATE") {
            Some(raw) => parse_bool("TESSERA_OUTBOUND_ALLOW_PRIVATE", &raw)?,
            None => file.outbound_allow_private.unwrap_or(false),
        };

        let metrics_listen = match pick("TESSERA_METRICS_LISTEN", &file.metrics_listen) {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                SettingsError::new(
                    "TESSERA_METRICS_LISTEN",
                    format!("expected an address such as 127.0.0.1:9464, got `{raw}`"),
                )
            })?),
        };
        if metrics_listen.is_some_and(|m| m.port() != 0 && m == listen) {
            return Err(SettingsError::new(
                "TESSERA_METRICS_LISTEN",
                "must differ from TESSERA_LISTEN: metrics are not served on the main listener",
            ));
        }
        let otlp_endpoint = match pick("TESSERA_OTLP_ENDPOINT", &file.otlp_endpoint) {
            None => None,
            Some(raw) => Some(
                Url::parse(&raw)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        SettingsError::new(
                            "TESSERA_OTLP_ENDPOINT",
                            format!(
                                "expected an http(s) URL such as http://127.0.0.1:4318, got `{raw}`"
                            ),
                        )
                    })?,
            ),
        };
        let api_docs = match vars.get("TESSERA_API_DOCS") {
            Some(raw) => parse_bool("TESSERA_API_DOCS", &raw)?,
            None => file
                .api_docs
                .unwrap_or(environment == Environment::Development),
        };
        let audit_retention_days = match vars.get("TESSERA_AUDIT_RETENTION_DAYS") {
            Some(raw) => parse_number("TESSERA_AUDIT_RETENTION_DAYS", &raw, 1, 36_500)? as u32,
            None => file.audit_retention_days.unwrap_or(90),
        };
        let audit_webhook = audit_webhook(
            pick("TESSERA_AUDIT_WEBHOOK_URL", &file.audit_webhook_url),
            pick("TESSERA_AUDIT_WEBHOOK_SECRET", &file.audit_webhook_secret),
            outbound_allow_private,
        )?;
        let rate_limits = match pick("TESSERA_RATE_LIMITS", &file.rate_limits) {
            Some(raw) => crate::ratelimit::LimitTable::parse(&raw)
                .map_err(|e| SettingsError::new("TESSERA_RATE_LIMITS", e))?,
            None => crate::ratelimit::LimitTable::default(),
        };
        let redis_url = pick("TESSERA_REDIS_URL", &file.redis_url);
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("redis+unix://"))
        {
            return Err(SettingsError::new(
                "TESSERA_REDIS_URL",
                "expected a redis://host:port URL",
            ));
        }
        let redis_key_prefix = pick("TESSERA_REDIS_KEY_PREFIX", &file.redis_key_prefix)
            .unwrap_or_else(|| DEFAULT_REDIS_KEY_PREFIX.to_string());

        let smtp = crate::email::config::parse(
            crate::email::config::SmtpInput {
                url: pick("TESSERA_SMTP_URL", &file.smtp_url),
                host: pick("TESSERA_SMTP_HOST", &file.smtp_host),
                port: vars
                    .get("TESSERA_SMTP_PORT")
                    .or_else(|| file.smtp_port.map(|p| p.to_string())),
                tls: pick("TESSERA_SMTP_TLS", &file.smtp_tls),
                username: pick("TESSERA_SMTP_USERNAME", &file.smtp_username),
                password: pick("TESSERA_SMTP_PASSWORD", &file.smtp_password),
                from: pick("TESSERA_SMTP_FROM", &file.smtp_from),
            },
            environment == Environment::Production,
        )
        .map_err(|(variable, problem)| SettingsError::new(variable, problem))?;

        let (master_key, master_key_source) =
            resolve_master_key(vars, &file, environment, &database_url)?;

        Ok(Settings {
            environment,
            database_url,
            listen,
            base_url,
            master_key,
            master_key_source,
            log_format,
            change_poll_millis,
            database_timeout_millis,
            login_failures_before_throttle,
            server_token_window_secs,
            dpop_proof_max_age_secs,
            dpop_clock_skew_secs,
            outbound_allow_private,
            metrics_listen,
            otlp_endpoint,
            api_docs,
            audit_retention_days,
            audit_webhook,
            rate_limits,
            redis_url,
            redis_key_prefix,
            smtp,
        })
    }
}

/// The webhook needs both its URL (checked like every outbound URL) and a
/// secret of at least 16 characters to sign with.
fn audit_webhook(
    url: Option<String>,
    secret: Option<String>,
    allow_private: bool,
) -> Result<Option<crate::audit::webhook::WebhookTarget>, SettingsError> {
    use crate::audit::webhook::{WebhookSecret, WebhookTarget};
    let (url, secret) = match (url, secret) {
        (None, None) => return Ok(None),
        (Some(url), Some(secret)) => (url, secret),
        (Some(_), None) => {
            return Err(SettingsError::new(
                "TESSERA_AUDIT_WEBHOOK_SECRET",
                "required with TESSERA_AUDIT_WEBHOOK_URL: deliveries are signed",
            ));
        }
        (None, Some(_)) => {
            return Err(SettingsError::new(
                "TESSERA_AUDIT_WEBHOOK_URL",
                "required with TESSERA_AUDIT_WEBHOOK_SECRET",
            ));
        }
    };
    if secret.trim().len() < 16 {
        return Err(SettingsError::new(
            "TESSERA_AUDIT_WEBHOOK_SECRET",
            "must be at least 16 characters",
        ));
    }
    let policy = crate::outbound::OutboundPolicy { allow_private };
    let url = crate::outbound::target::parse_url(&url, policy)
        .map_err(|e| SettingsError::new("TESSERA_AUDIT_WEBHOOK_URL", e.to_string()))?;
    Ok(Some(WebhookTarget {
        url,
        secret: WebhookSecret::new(secret.trim().to_string()),
    }))
}

fn read_file(path: &Path) -> Result<FileSettings, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        SettingsError::new(
            "TESSERA_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        SettingsError::new(
            "TESSERA_CONFIG",
            format!("{} is not valid: {e}", path.display()),
        )
    })
}

fn parse_number(
    variable: &'static str,
    raw: &str,
    min: u64,
    max: u64,
) -> Result<u64, SettingsError> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(SettingsError::new(
            variable,
            format!("expected a whole number from {min} to {max}, got `{raw}`"),
        )),
    }
}

fn parse_bool(variable: &'static str, raw: &str) -> Result<bool, SettingsError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(SettingsError::new(
            variable,
            format!("expected `true` or `false`, got `{raw}`"),
        )),
    }
}

fn resolve_master_key(
    vars: &dyn Vars,
    file: &FileSettings,
    environment: Environment,
    database_url: &str,
) -> Result<(MasterKey, MasterKeySource), SettingsError> {
    if let Some(raw) = vars
        .get("TESSERA_MASTER_KEY")
        .or_else(|| file.master_key.clone())
    {
        let key = MasterKey::from_base64(&raw)
            .map_err(|e| SettingsError::new("TESSERA_MASTER_KEY", e.to_string()))?;
        return Ok((key, MasterKeySource::Environment));
    }
    let explicit_file = vars
        .get("TESSERA_MASTER_KEY_FILE")
        .or_else(|| file.master_key_file.clone())
        .map(PathBuf::from);
    // Production reads a key file only when one is named explicitly.
    let readable = explicit_file.is_some() || environment == Environment::Development;
    let path = explicit_file.unwrap_or_else(|| default_key_file(database_url));
    if readable && path.exists() {
        let key = read_key_file(&path)?;
        return Ok((key, MasterKeySource::File(path)));
    }
    if environment == Environment::Production {
        return Err(SettingsError::new(
            "TESSERA_MASTER_KEY",
            "required when TESSERA_ENV=production (32 random bytes, base64: `openssl rand -base64 32`)",
        ));
    }
    let key = MasterKey::generate();
    write_key_file(&path, &key).map_err(|e| {
        SettingsError::new(
            "TESSERA_MASTER_KEY_FILE",
            format!("cannot create {}: {e}", path.display()),
        )
    })?;
    Ok((key, MasterKeySource::Generated(path)))
}

fn read_key_file(path: &Path) -> Result<MasterKey, SettingsError> {
    let problem = |detail: String| SettingsError::new("TESSERA_MASTER_KEY_FILE", detail);
    let raw = std::fs::read_to_string(path)
        .map_err(|e| problem(format!("cannot read {}: {e}", path.display())))?;
    MasterKey::from_base64(raw.trim()).map_err(|e| problem(format!("{}: {e}", path.display())))
}

/// Beside the SQLite database (`tessera.db` → `tessera.db.key`), or in the
/// working directory for a Postgres store.
fn default_key_file(database_url: &str) -> PathBuf {
    match crate::store::sqlite_file_path(database_url) {
        Some(db) => {
            let mut name = db.into_os_string();
            name.push(".key");
            PathBuf::from(name)
        }
        None => PathBuf::from("tessera-master.key"),
    }
}

fn write_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.to_base64())
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
