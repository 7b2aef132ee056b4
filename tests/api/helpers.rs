//! `spawn_app()`: a fresh store (SQLite in a temporary directory, or a new
//! Postgres database when `TESSERA_TEST_DATABASE_URL` is set, dropped when
//! the test ends), the real application on port 0, and a client that keeps
//! cookies and does not follow redirects.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Once};

use actix_web::web;
use reqwest::header::{HeaderMap, SET_COOKIE};
use sqlx::Connection;
use tessera::clock::ManualClock;
use tessera::crypto::MasterKey;
use tessera::settings::Settings;
use tessera::startup::Application;
use tessera::state::AppState;
use tessera::store::NewSite;
use tessera::users::{NewAccount, Role};

/// Extra host names every test client resolves to the app, for multi-site tests.
pub const EXTRA_HOSTS: &[&str] = &[
    "site-b.localhost",
    "secure.localhost",
    "unknown.localhost",
    "app.localhost",
];

static TRACING: Once = Once::new();

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener's port, when `TESSERA_METRICS_LISTEN` was set.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub clock: ManualClock,
    pub database_url: String,
    pub master_key: String,
    pub admin_username: String,
    pub admin_password: String,
    /// `TESSERA_*` settings this app was started with beyond the usual
    /// ones; `cli()` passes them on too.
    pub extra_settings: Vec<(String, String)>,
    /// Stops the server (`stop(true)`: gracefully).
    pub server: actix_web::dev::ServerHandle,
    /// The server task: done once it stopped and stored its queued writes.
    pub serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    /// The Postgres database this app's test created, dropped with it.
    own_database: Option<TestDatabase>,
}

/// A test's own Postgres database, dropped when the test is over, passed or
/// failed. `WITH (FORCE)`: the app's pool still holds connections.
struct TestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot wait on a
        // future here: a thread with its own runtime does the work.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// `spawn_app()` with extra `TESSERA_*` settings, such as
/// `TESSERA_OUTBOUND_ALLOW_PRIVATE=true` for a test IdP on loopback.
pub async fn spawn_app_with(extra_settings: &[(&str, &str)]) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            tessera::telemetry::init(tessera::settings::LogFormat::Pretty, "debug,sqlx=warn");
        }
    });
    let dir = tempfile::tempdir().expect("temporary directory");
    let (database_url, database) = match std::env::var("TESSERA_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let database = fresh_postgres_database(&base).await;
            (database_url_of(&base, &database.name), Some(database))
        }
        _ => (
            format!("sqlite://{}", dir.path().join("tessera.db").display()),
            None,
        ),
    };
    let extra_settings = extra_settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let master_key = MasterKey::generate().to_base64();
    let mut app = start_app(database_url, master_key, dir, extra_settings).await;
    app.own_database = database;
    app
}

/// Starts an app on an existing store (for a second process on one database).
pub async fn spawn_app_on(
    database_url: String,
    master_key: String,
    dir: tempfile::TempDir,
) -> TestApp {
    start_app(database_url, master_key, dir, Vec::new()).await
}

/// `spawn_app_on()` with extra `TESSERA_*` settings.
pub async fn spawn_app_on_with(
    database_url: String,
    master_key: String,
    dir: tempfile::TempDir,
    extra_settings: &[(&str, &str)],
) -> TestApp {
    let extra_settings = extra_settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    start_app(database_url, master_key, dir, extra_settings).await
}

async fn start_app(
    database_url: String,
    master_key: String,
    dir: tempfile::TempDir,
    extra_settings: Vec<(String, String)>,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = listener.local_addr().expect("local address").port();
    let mut vars: HashMap<String, String> = [
        ("TESSERA_DATABASE_URL", database_url.clone()),
        ("TESSERA_LISTEN", format!("127.0.0.1:{port}")),
        ("TESSERA_BASE_URL", format!("http://localhost:{port}")),
        ("TESSERA_MASTER_KEY", master_key.clone()),
        ("TESSERA_CHANGE_POLL_MILLIS", "50".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    vars.extend(extra_settings.iter().cloned());
    let settings = Settings::from_vars(&vars, None).expect("test settings");
    let clock = ManualClock::default();
    let mut app = Application::build_with(settings, listener, Arc::new(clock.clone()))
        .await
        .expect("the application builds");
    let report = app.take_bootstrap_report();
    let state = app.state();
    let metrics_port = app.metrics_port();
    let server = app.handle();
    let serving = tokio::spawn(app.run_until_stopped());

    let (admin_username, admin_password) = match report {
        Some(report) => (report.username, report.password),
        None => ("admin".to_string(), String::new()),
    };
    TestApp {
        address: format!("http://localhost:{port}"),
        port,
        metrics_port,
        client: new_client(port),
        state,
        clock,
        database_url,
        master_key,
        admin_username,
        admin_password,
        extra_settings,
        server,
        serving: Some(serving),
        _dir: dir,
        own_database: None,
    }
}

async fn fresh_postgres_database(base: &str) -> TestDatabase {
    let name = format!("tessera_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("TESSERA_TEST_DATABASE_URL must reach Postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    TestDatabase {
        admin_url: base.to_string(),
        name,
    }
}

/// `base` with its database name replaced by `name`.
fn database_url_of(base: &str, name: &str) -> String {
    let (prefix, _) = base.rsplit_once('/').expect("a database URL with a path");
    format!("{prefix}/{name}")
}

/// A browser-like client: keeps cookies, never follows redirects, and
/// resolves the test host names to the app.
pub fn new_client(port: u16) -> reqwest::Client {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", addr);
    for host in EXTRA_HOSTS {
        builder = builder.resolve(host, addr);
    }
    builder.build().expect("a client")
}

/// The value of the hidden `name` input in a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

/// Every `Set-Cookie` for `name`.
pub fn set_cookies(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
        .collect()
}

/// The value of the first `Set-Cookie` for `name`.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(headers, name).first().and_then(|c| {
        let first = c.split(';').next()?;
        first.split_once('=').map(|(_, v)| v.to_string())
    })
}

impl TestApp {
    /// Stops the server the way SIGTERM does and waits until it is done:
    /// requests in flight answered, queued writes stored.
    pub async fn stop_gracefully(&mut self) {
        self.server.stop(true).await;
        if let Some(serving) = self.serving.take() {
            serving
                .await
                .expect("the server task")
                .expect("the server stops cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The URL of `path` on another host name served by the same process.
    pub fn url_on(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{}", self.port, path)
    }

    pub fn default_site_id(&self) -> i64 {
        self.state
            .sites
            .by_host(&format!("localhost:{}", self.port))
            .expect("default site")
            .id
    }

    /// How many codes, grants and tokens the OAuth tables hold, read from
    /// the database itself (SQLite or Postgres, as the app runs on).
    pub async fn oauth_rows(&self) -> (i64, i64, i64) {
        const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM oauth_codes), \
             (SELECT COUNT(*) FROM oauth_grants), (SELECT COUNT(*) FROM oauth_tokens)";
        if self.database_url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_as(COUNTS).fetch_one(&mut conn).await.unwrap()
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_as(COUNTS).fetch_one(&mut conn).await.unwrap()
        }
    }

    /// Creates a user on the default site.
    pub async fn create_user(&self, username: &str, password: &str, role: Role) -> i64 {
        self.create_user_on(self.default_site_id(), username, password, role)
            .await
    }

    pub async fn create_user_on(
        &self,
        site_id: i64,
        username: &str,
        password: &str,
        role: Role,
    ) -> i64 {
        self.state
            .users
            .create(
                site_id,
                NewAccount {
                    username: username.to_string(),
                    display_name: None,
                    email: None,
                    role,
                    password: password.to_string(),
                },
            )
            .await
            .expect("create a user")
            .id
    }

    /// Creates a site answering for `host:port` and returns its id.
    pub async fn create_site(&self, slug: &str, base_url: &str, host: &str) -> i64 {
        let mut hosts = vec![format!("{host}:{}", self.port)];
        let base_host = tessera::sites::host_of(&url::Url::parse(base_url).expect("base url"));
        if !hosts.contains(&base_host) {
            hosts.push(base_host);
        }
        let site = self
            .state
            .store
            .create_site(
                &NewSite {
                    slug: slug.to_string(),
                    name: slug.to_string(),
                    base_url: base_url.to_string(),
                    session_ttl_secs: 7 * 24 * 3600,
                    created_at: tessera::clock::Clock::now(&self.clock),
                },
                &hosts,
            )
            .await
            .expect("create a site");
        self.state.sites.reload().await.expect("reload sites");
        site.id
    }

    /// The CSRF token of the sign-in page (and the cookie it sets).
    pub async fn login_csrf(&self, client: &reqwest::Client, base: &str) -> String {
        let page = client
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("page body");
        hidden_input(&page, "csrf_token").expect("a csrf_token field")
    }

    /// Posts the sign-in form as a browser would.
    pub async fn post_login_on(
        &self,
        client: &reqwest::Client,
        base: &str,
        username: &str,
        password: &str,
        next: Option<&str>,
    ) -> reqwest::Response {
        let csrf = self.login_csrf(client, base).await;
        let mut form = vec![
            ("username", username),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ];
        if let Some(next) = next {
            form.push(("next", next));
        }
        client
            .post(format!("{base}/login"))
            .form(&form)
            .send()
            .await
            .expect("POST /login")
    }

    pub async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_login_on(&self.client, &self.address, username, password, None)
            .await
    }

    /// Signs in with a fresh client and returns it with the authtoken value.
    pub async fn signed_in_client(
        &self,
        username: &str,
        password: &str,
    ) -> (reqwest::Client, String) {
        let client = new_client(self.port);
        let response = self
            .post_login_on(&client, &self.address, username, password, None)
            .await;
        assert_eq!(response.status().as_u16(), 303, "sign-in should redirect");
        let token = cookie_value(response.headers(), "authtoken").expect("an authtoken cookie");
        (client, token)
    }

    pub async fn current_user_with(&self, client: &reqwest::Client) -> serde_json::Value {
        client
            .get(self.url("/api/users/current"))
            .send()
            .await
            .expect("GET /api/users/current")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn current_user_bearer(&self, token: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(self.url("/api/users/current"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /api/users/current")
            .json()
            .await
            .expect("JSON")
    }

    /// The CSRF token shown on the account page.
    pub async fn account_csrf(&self, client: &reqwest::Client) -> String {
        let page = client
            .get(self.url("/account"))
            .send()
            .await
            .expect("GET /account")
            .text()
            .await
            .expect("page body");
        hidden_input(&page, "csrf_token").expect("a csrf_token field")
    }

    /// Signs `client`'s browser session out as the account page does (its
    /// CSRF token, then `POST /logout`).
    pub async fn sign_out(&self, client: &reqwest::Client) -> reqwest::Response {
        let csrf = self.account_csrf(client).await;
        client
            .post(self.url("/logout"))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("POST /logout")
    }

    /// Runs the `tessera` binary against this app's store.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_DATABASE_URL", &self.database_url)
            .env("TESSERA_MASTER_KEY", &self.master_key)
            .env("TESSERA_BASE_URL", &self.address)
            .env_remove("TESSERA_CONFIG")
            .env_remove("TESSERA_OUTBOUND_ALLOW_PRIVATE")
            .envs(self.extra_settings.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tessera");
        if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("tessera output")
    }
}
