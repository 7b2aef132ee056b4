//! Builds the application: store, state, background tasks and HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;

use crate::bootstrap::{BootstrapReport, ensure_default_site};
use crate::clock::{SharedClock, SystemClock};
use crate::invalidation::ChangeWatcher;
use crate::routes::api_doc::ApiDescription;
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::{self, SharedStore};
use crate::{janitor, metrics, routes, telemetry};

pub struct Application {
    port: u16,
    /// The metrics listener's port, when `TESSERA_METRICS_LISTEN` is set.
    metrics_port: Option<u16>,
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
        // Bound before anything else starts, so a bad address fails fast.
        let metrics_listener = settings
            .metrics_listen
            .map(|addr| {
                TcpListener::bind(addr).map_err(|e| {
                    anyhow::anyhow!("TESSERA_METRICS_LISTEN: cannot listen on {addr}: {e}")
                })
            })
            .transpose()?;
        let store = store::connect(&settings.database_url, settings.database_timeout()).await?;
        store.migrate().await?;
        let settings = Arc::new(settings);
        let state = AppState::build(settings.clone(), store.clone(), clock.clone()).await?;
        let bootstrap =
            ensure_default_site(&store, &state.users, &settings, clock.as_ref(), port).await?;
        if bootstrap.is_some() {
            state.sites.reload().await?;
        }
        // Warm the dummy hash so the first unknown-user sign-in costs the
        // same, then hand argon2's memory back at once.
        tokio::task::spawn_blocking(|| {
            crate::crypto::password::dummy_hash();
            crate::memory::collect_now();
        });

        // Email queued by the account flows, sent through the SMTP relay.
        let email_delivery = match &settings.smtp {
            Some(smtp) => Some(
                crate::email::delivery::EmailDelivery::new(
                    store.clone(),
                    state.sites.clone(),
                    state.accounts.outbox().clone(),
                    smtp,
                    clock.clone(),
                )
                .map_err(|e| {
                    anyhow::anyhow!("TESSERA_SMTP_URL: cannot set up the SMTP client: {e}")
                })?,
            ),
            None => None,
        };
        let state = web::Data::new(state);
        spawn_background_tasks(&state, &store, &settings);
        if let Some(delivery) = email_delivery {
            tokio::spawn(delivery.run());
        }
        let description = web::Data::new(ApiDescription::new(settings.api_docs));
        let server = run(listener, state.clone(), description)?;
        let metrics_port = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                tokio::spawn(routes::metrics::serve(listener, state.clone())?);
                tokio::spawn(state.metrics.clone().run_upkeep(Duration::from_secs(5)));
                Some(port)
            }
            None => None,
        };
        Ok(Self {
            port,
            metrics_port,
            server,
            state,
            bootstrap,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server: `stop(true)` drains requests in flight first.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// What the first start created, to be printed once.
    pub fn take_bootstrap_report(&mut self) -> Option<BootstrapReport> {
        self.bootstrap.take()
    }

    /// Serves until stopped through [`Self::handle`] (or, for `tessera
    /// serve`, by SIGTERM or SIGINT: see [`stop_on_signals`]); then stores
    /// every write still queued before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.state.finish_writes(SHUTDOWN_TIMEOUT).await;
        tracing::info!("stopped");
        served
    }
}

/// How long a graceful stop waits for requests in flight, and then for the
/// queued writes.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for SIGTERM or SIGINT (Ctrl-C) and starts a graceful stop: the
/// listener closes, requests in flight finish (up to [`SHUTDOWN_TIMEOUT`]).
/// actix's own handlers are off: it stops at once on SIGINT.
pub async fn stop_on_signals(server: ServerHandle) {
    let interrupted = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => tracing::info!("SIGTERM: stopping gracefully"),
                    _ = interrupted => tracing::info!("SIGINT: stopping gracefully"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                let _ = interrupted.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupted.await;
    }
    server.stop(true).await;
}

fn spawn_background_tasks(state: &web::Data<AppState>, store: &SharedStore, settings: &Settings) {
    let watcher = ChangeWatcher::new(
        store.clone(),
        state.cache.clone(),
        state.sites.clone(),
        state.clock.clone(),
        state.change_feed.clone(),
    );
    tokio::spawn(watcher.run(Duration::from_millis(settings.change_poll_millis)));
    tokio::spawn(janitor::run(
        store.clone(),
        state.clock.clone(),
        settings.audit_retention_days,
    ));
    if let Some(target) = settings.audit_webhook.clone() {
        let delivery = crate::audit::webhook::WebhookDelivery::new(
            store.clone(),
            state.outbound.clone(),
            state.clock.clone(),
            target,
        );
        tokio::spawn(delivery.run());
    }
    // Logout tokens queued when sessions end, retried with back-off.
    tokio::spawn(state.backchannel.clone().run());
    tokio::spawn(crate::memory::run_collector());
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

fn run(
    listener: TcpListener,
    state: web::Data<AppState>,
    description: web::Data<ApiDescription>,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(description.clone())
            .wrap(from_fn(routes::dpop_nonce::fresh_nonce))
            .wrap(from_fn(routes::resource_challenge::site_challenges))
            .wrap(from_fn(routes::cors::cors))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Content-Security-Policy", "frame-ancestors 'none'"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .wrap(from_fn(metrics::http::count_requests))
            .wrap(from_fn(telemetry::request_span))
            // The same registrations `ApiDescription` was generated from;
            // the document they collect here is not needed again.
            .into_utoipa_app()
            .configure(routes::configure)
            .into_app()
    })
    .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
