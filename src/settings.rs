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
    /// Rate limits of every site that does not set its own
    /// (`endpoint.scope=rate` entries over the built-in defaults).
    pub rate_limits: crate::ratelimit::LimitTable,
    /// The rate limits' shared counter in Redis instead of the store.
    pub redis_url: Option<String>,
    /// Put before every Redis key, so deployments can share one Redis.
    pub redis_key_prefix: String,
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
    login_failures_before_throttle: Option<u32>,
    server_token_window_secs: Option<u64>,
    dpop_proof_max_age_secs: Option<u64>,
    dpop_clock_skew_secs: Option<u64>,
    outbound_allow_private: Option<bool>,
    rate_limits: Option<String>,
    redis_url: Option<String>,
    redis_key_prefix: Option<String>,
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
            login_failures_before_throttle,
            server_token_window_secs,
            dpop_proof_max_age_secs,
            dpop_clock_skew_secs,
            outbound_allow_private,
            rate_limits,
            redis_url,
            redis_key_prefix,
        })
    }
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
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn production_without_master_key_is_refused() {
        let err = Settings::from_vars(&vars(&[("TESSERA_ENV", "production")]), None)
            .err()
            .map(|e| e.variable);
        assert_eq!(err, Some("TESSERA_MASTER_KEY"));
    }

    #[test]
    fn bad_listen_address_names_the_variable() {
        let key = MasterKey::generate().to_base64();
        let err = Settings::from_vars(
            &vars(&[
                ("TESSERA_LISTEN", "localhost"),
                ("TESSERA_MASTER_KEY", &key),
            ]),
            None,
        )
        .err()
        .map(|e| e.variable);
        assert_eq!(err, Some("TESSERA_LISTEN"));
    }

    #[test]
    fn short_master_key_is_refused() {
        let err = Settings::from_vars(&vars(&[("TESSERA_MASTER_KEY", "c2hvcnQ=")]), None)
            .err()
            .map(|e| e.variable);
        assert_eq!(err, Some("TESSERA_MASTER_KEY"));
    }

    #[test]
    fn a_development_key_is_generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let path_str = path.display().to_string();
        let env = vars(&[("TESSERA_MASTER_KEY_FILE", &path_str)]);

        let first = Settings::from_vars(&env, None).unwrap();
        assert!(matches!(
            first.master_key_source,
            MasterKeySource::Generated(_)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = Settings::from_vars(&env, None).unwrap();
        assert!(matches!(second.master_key_source, MasterKeySource::File(_)));
        assert_eq!(first.master_key.to_base64(), second.master_key.to_base64());
    }

    #[test]
    fn a_toml_file_is_read_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tessera.toml");
        let key = MasterKey::generate().to_base64();
        std::fs::write(
            &file,
            format!("listen = \"127.0.0.1:9999\"\nbase_url = \"https://file.example.com\"\nmaster_key = \"{key}\"\n"),
        )
        .unwrap();
        let settings =
            Settings::from_vars(&vars(&[("TESSERA_LISTEN", "127.0.0.1:7777")]), Some(&file))
                .unwrap();
        assert_eq!(settings.listen.port(), 7777);
        assert_eq!(settings.base_url.as_str(), "https://file.example.com/");
        assert!(!settings.outbound_allow_private, "off by default");
    }

    #[test]
    fn rate_limits_and_redis_are_read_and_checked() {
        let key = MasterKey::generate().to_base64();
        let load = |pairs: &[(&str, &str)]| {
            let mut all = vec![("TESSERA_MASTER_KEY", key.as_str())];
            all.extend_from_slice(pairs);
            Settings::from_vars(&vars(&all), None)
        };
        let settings = load(&[
            ("TESSERA_RATE_LIMITS", "token.per_client=100/s"),
            ("TESSERA_REDIS_URL", "redis://127.0.0.1:6379"),
        ])
        .unwrap();
        assert_eq!(settings.rate_limits.to_spec(), "token.per_client=100/s");
        assert_eq!(settings.redis_key_prefix, DEFAULT_REDIS_KEY_PREFIX);
        let variable = |pairs: &[(&str, &str)]| load(pairs).err().map(|e| e.variable);
        assert_eq!(
            variable(&[("TESSERA_RATE_LIMITS", "token.per_client=fast")]),
            Some("TESSERA_RATE_LIMITS")
        );
        assert_eq!(
            variable(&[("TESSERA_REDIS_URL", "http://127.0.0.1:6379")]),
            Some("TESSERA_REDIS_URL")
        );
    }

    #[test]
    fn private_outbound_targets_are_an_explicit_choice() {
        let key = MasterKey::generate().to_base64();
        let allowed = |value: &str| {
            Settings::from_vars(
                &vars(&[
                    ("TESSERA_MASTER_KEY", &key),
                    ("TESSERA_OUTBOUND_ALLOW_PRIVATE", value),
                ]),
                None,
            )
            .map(|s| s.outbound_allow_private)
            .map_err(|e| e.variable)
        };
        assert_eq!(allowed("true"), Ok(true));
        assert_eq!(allowed("false"), Ok(false));
        assert_eq!(allowed("maybe"), Err("TESSERA_OUTBOUND_ALLOW_PRIVATE"));
    }
}
