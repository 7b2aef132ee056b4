//! Builds the application: store, state, background tasks and HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};

use crate::bootstrap::{BootstrapReport, ensure_default_site};
use crate::clock::{SharedClock, SystemClock};
use crate::invalidation::ChangeWatcher;
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::{self, SharedStore};
use crate::{janitor, routes, telemetry};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    bootstrap: Option<BootstrapReport>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen).map_err(|e| {
            anyhow::anyhow!("TESSERA_LISTEN: cannot listen on {}: {e}", settings.listen)
        })?;
        Self::build_with(settings, listener, Arc::new(SystemClock)).await
    }

    /// Builds on a listener the caller bound (port 0 in tests) and a clock.
    pub async fn build_with(
        settings: Settings,
        listener: TcpListener,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let store = store::connect(&settings.database_url).await?;
        store.migrate().await?;
        let settings = Arc::new(settings);
        let state = AppState::build(settings.clone(), store.clone(), clock.clone()).await?;
        let bootstrap =
            ensure_default_site(&store, &state.users, &settings, clock.as_ref(), port).await?;
        if bootstrap.is_some() {
            state.sites.reload().await?;
        }
        // Warm the dummy hash so the first unknown-user sign-in costs the same.
        tokio::task::spawn_blocking(crate::crypto::password::dummy_hash);

        let state = web::Data::new(state);
        spawn_background_tasks(&state, &store, &settings);
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
            bootstrap,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// What the first start created, to be printed once.
    pub fn take_bootstrap_report(&mut self) -> Option<BootstrapReport> {
        self.bootstrap.take()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn spawn_background_tasks(state: &web::Data<AppState>, store: &SharedStore, settings: &Settings) {
    let watcher = ChangeWatcher::new(
        store.clone(),
        state.cache.clone(),
        state.sites.clone(),
        state.clock.clone(),
    );
    tokio::spawn(watcher.run(Duration::from_millis(settings.change_poll_millis)));
    tokio::spawn(janitor::run(store.clone(), state.clock.clone()));
    // Drops rate-limit leases and idle GCRA state of keys no longer in use.
    tokio::spawn(
        state
            .rate_limits
            .clone()
            .run_sweeper(Duration::from_secs(60)),
    );
    // Legacy-key uses are counted in memory and written every few seconds.
    tokio::spawn(
        state
            .token_kinds
            .clone()
            .run_usage_flusher(Duration::from_secs(5)),
    );
    // Rotates signing keys that reached their site's rotation period.
    tokio::spawn(
        state
            .signing
            .clone()
            .run_schedule(state.sites.clone(), Duration::from_secs(600)),
    );
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(routes::dpop_nonce::fresh_nonce))
            .wrap(from_fn(routes::cors::cors))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Content-Security-Policy", "frame-ancestors 'none'"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .wrap(from_fn(telemetry::request_span))
            .configure(routes::configure)
    })
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
