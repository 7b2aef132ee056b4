//! Sign-in figures of issue 13, over HTTP against a server started in this
//! process on loopback (SQLite file in a temporary folder, or Postgres with
//! `TESSERA_BENCH_DATABASE_URL`):
//!
//! - password sign-ins per second, by a few browsers at once, each a fresh
//!   `GET /login` and `POST /login` (argon2id with the `argon2` crate's
//!   defaults: m = 19 MiB, t = 2, p = 1, OWASP's recommended minimum), with
//!   the `POST`'s p50/p99 latency, and the rate per core the process may
//!   use;
//! - passkey sign-in latency: the two JSON steps (begin, finish) of a
//!   discoverable sign-in answered by a software authenticator (ES256), p50
//!   and p99 of the pair.
//!
//! Run: `cargo bench --bench sign_in` (release build). For the per-core
//! rate pin the process, server and client together, to one core:
//! `taskset -c 0 cargo bench --bench sign_in`.

// The tests' software authenticator, which panics on what it cannot
// answer (a broken bench run, not a figure).
#[allow(dead_code, clippy::expect_used, clippy::unwrap_used)]
#[path = "../tests/api/passkeys/soft.rs"]
mod soft;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use soft::SoftAuthenticator;
use tessera::clock::SystemClock;
use tessera::crypto::MasterKey;
use tessera::settings::Settings;
use tessera::startup::Application;
use tessera::users::{NewAccount, Role};

const PASSWORD: &str = "bench-password-1";
const PASSWORD_SIGN_INS: usize = 400;
const BROWSERS: usize = 4;
const PASSKEY_SIGN_INS: usize = 1000;

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{label:<34} p50 {:>8.2} ms   p99 {:>8.2} ms   ({} samples)",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn browser(port: u16) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()?)
}

/// The value of the hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .ok_or_else(|| anyhow::anyhow!("no {name} field"))?
        + marker.len();
    let len = page[start..]
        .find('"')
        .ok_or_else(|| anyhow::anyhow!("an unterminated {name} field"))?;
    Ok(page[start..start + len].to_string())
}

async fn login_csrf(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    hidden(&page, "csrf_token")
}

/// A fresh browser through the sign-in form: the time of the `POST`.
async fn password_sign_in(port: u16, base: &str) -> anyhow::Result<Duration> {
    let client = browser(port)?;
    let csrf = login_csrf(&client, base).await?;
    let start = Instant::now();
    let response = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await?;
    let took = start.elapsed();
    anyhow::ensure!(
        response.status() == 303,
        "a sign-in answered {}",
        response.status()
    );
    Ok(took)
}

async fn step(client: &reqwest::Client, url: String, body: Value) -> anyhow::Result<Value> {
    let response = client.post(url).json(&body).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status == 200, "a passkey step answered {status}: {body}");
    Ok(body)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("TESSERA_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let base = format!("http://localhost:{port}");
    let vars: HashMap<String, String> = [
        ("TESSERA_DATABASE_URL", url),
        ("TESSERA_LISTEN", format!("127.0.0.1:{port}")),
        ("TESSERA_BASE_URL", base.clone()),
        ("TESSERA_MASTER_KEY", MasterKey::generate().to_base64()),
        // One address sends every request here: no per-address limit.
        ("TESSERA_RATE_LIMITS", "passkey.per_ip=off".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::from_vars(&vars, None)?;
    let app = Application::build_with(settings, listener, Arc::new(SystemClock)).await?;
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let site = state
        .sites
        .by_host(&format!("localhost:{port}"))
        .or_else(|| state.sites.by_host("localhost"))
        .map(|s| s.id)
        .ok_or_else(|| anyhow::anyhow!("the default site"))?;
    state
        .users
        .create(
            site,
            NewAccount {
                username: "alice".into(),
                display_name: None,
                email: None,
                role: Role::Pro,
                password: PASSWORD.into(),
            },
        )
        .await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Password sign-ins, BROWSERS at a time.
    password_sign_in(port, &base).await?;
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..BROWSERS {
        let base = base.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for _ in 0..PASSWORD_SIGN_INS / BROWSERS {
                samples.push(password_sign_in(port, &base).await?);
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await??);
    }
    let per_sec = samples.len() as f64 / start.elapsed().as_secs_f64();
    println!(
        "password sign-ins ({BROWSERS} browsers)       {per_sec:>8.1} /s on {cores} core(s) = {:.1} /s per core",
        per_sec / cores as f64
    );
    percentiles("password sign-in POST /login", samples);

    // A passkey for alice, then discoverable sign-ins with it.
    let signed_in = browser(port)?;
    let csrf = login_csrf(&signed_in, &base).await?;
    let response = signed_in
        .post(format!("{base}/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await?;
    anyhow::ensure!(response.status() == 303, "the sign-in before the passkey");
    let page = signed_in
        .get(format!("{base}/account"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = hidden(&page, "csrf_token")?;
    let mut key = SoftAuthenticator::new();
    let began = step(
        &signed_in,
        format!("{base}/passkeys/register/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await?;
    let credential = key.create(&began["options"], &base, "localhost");
    step(
        &signed_in,
        format!("{base}/passkeys/register/finish"),
        json!({ "csrf_token": csrf, "ceremony": began["ceremony"], "name": "bench", "credential": credential }),
    )
    .await?;

    let mut samples = Vec::with_capacity(PASSKEY_SIGN_INS);
    for _ in 0..PASSKEY_SIGN_INS {
        let client = browser(port)?;
        let csrf = login_csrf(&client, &base).await?;
        let start = Instant::now();
        let began = step(
            &client,
            format!("{base}/passkeys/sign-in/begin"),
            json!({ "csrf_token": csrf }),
        )
        .await?;
        let credential = key.get(&began["options"], &base, "localhost");
        step(
            &client,
            format!("{base}/passkeys/sign-in/finish"),
            json!({ "csrf_token": csrf, "ceremony": began["ceremony"], "credential": credential }),
        )
        .await?;
        samples.push(start.elapsed());
    }
    percentiles("passkey sign-in (begin + finish)", samples);
    Ok(())
}
