//! TOTP verification latency: the whole check a sign-in's second step
//! gets (`SecondFactors::check_code`: the throttle counted in the store,
//! the sealed secret read and opened, the code matched over three steps,
//! the step recorded so the code is not accepted twice, the throttle
//! cleared), against a store of its own; then the code match alone.
//! Prints p50 and p99 over a few thousand codes, each of a new time step.
//!
//! Run: `cargo bench --bench second_factor` (release build). With
//! `TESSERA_BENCH_DATABASE_URL=postgres://…` (an empty database) the
//! store is that Postgres; by default a SQLite file in a temporary folder.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera::audit::Audit;
use tessera::cache::CachedUser;
use tessera::clock::{Clock, ManualClock, SharedClock};
use tessera::crypto::MasterKey;
use tessera::second_factor::{CodeCheck, SecondFactors, totp};
use tessera::sites::Site;
use tessera::store::{NewSite, NewUser};
use tessera::throttle::Throttle;
use totp_rs::{Builder, Secret};

const CODES: usize = 3000;

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{label:<40} p50 {:>8.1} µs   p99 {:>8.1} µs   ({} samples)",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples.len()
    );
}

/// The code an authenticator app shows at `unix` seconds.
fn code_at(secret: &[u8], unix: i64) -> anyhow::Result<String> {
    Ok(Builder::new()
        .with_secret(secret.to_vec())
        .build()?
        .generate(u64::try_from(unix)?)
        .to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("TESSERA_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = tessera::store::connect(&url, Duration::from_secs(5)).await?;
    store.migrate().await?;
    let clock = ManualClock::default();
    let shared: SharedClock = Arc::new(clock.clone());
    let master = MasterKey::generate();
    let record = store
        .create_site(
            &NewSite {
                slug: "bench".into(),
                name: "Bench".into(),
                base_url: "http://bench.localhost".into(),
                session_ttl_secs: 3600,
                created_at: clock.now(),
            },
            &["bench.localhost".to_string()],
        )
        .await?;
    let site = Site::from_record(record, vec!["bench.localhost".into()], &master)
        .ok_or_else(|| anyhow::anyhow!("the site record"))?;
    let user = store
        .create_user(&NewUser {
            site_id: site.id,
            username: "alice".into(),
            display_name: "Alice".into(),
            email: None,
            password_hash: None,
            role: "pro".into(),
            external_issuer: None,
            external_subject: None,
            created_at: clock.now(),
        })
        .await?;
    let user = CachedUser::from_record(&user).ok_or_else(|| anyhow::anyhow!("the user"))?;
    let factors = SecondFactors::new(
        store.clone(),
        shared.clone(),
        master,
        Throttle::new(store.clone()),
        Audit::new(store.clone(), shared),
        5,
    );
    let provisioning = factors
        .start_enrolment(&site, &user)
        .await?
        .ok_or_else(|| anyhow::anyhow!("enrolment"))?;
    let secret = Secret::try_from_base32(provisioning.secret_base32.replace(' ', ""))?
        .as_bytes()
        .to_vec();
    let confirmed = factors
        .confirm_enrolment(&site, &user, &code_at(&secret, clock.now())?)
        .await?;
    if confirmed.is_err() {
        anyhow::bail!("the first code was refused");
    }

    let mut whole = Vec::with_capacity(CODES);
    for _ in 0..CODES {
        clock.advance(totp::STEP_SECS);
        let code = code_at(&secret, clock.now())?;
        let start = Instant::now();
        let check = factors.check_code(&site, user.id, &code).await?;
        whole.push(start.elapsed());
        if !matches!(check, CodeCheck::Accepted(_)) {
            anyhow::bail!("a right code was refused: {check:?}");
        }
    }
    percentiles(&format!("check_code ({})", store.backend()), whole);

    let mut matching = Vec::with_capacity(CODES);
    for i in 0..CODES {
        let now = clock.now() + i64::try_from(i)? * totp::STEP_SECS;
        let code = code_at(&secret, now)?;
        let start = Instant::now();
        let step = totp::matching_step(&secret, &code, now);
        matching.push(start.elapsed());
        if step.is_none() {
            anyhow::bail!("the code did not match");
        }
    }
    percentiles("matching_step (code match alone)", matching);
    Ok(())
}
