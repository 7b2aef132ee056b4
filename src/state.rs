//! Everything a request handler needs, built once at start-up and shared
//! through `web::Data`.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::audit::Audit;
use crate::cache::AuthCache;
use crate::clock::SharedClock;
use crate::email::Outbox;
use crate::identity::registry::IdentityProviders;
use crate::invalidation::FeedProgress;
use crate::metrics::Metrics;
use crate::oauth::dpop::{Dpop, ProofWindow};
use crate::oauth::grants::token_exchange::TokenExchange;
use crate::oauth::logout::backchannel::BackchannelLogout;
use crate::oauth::{Clients, OAuth};
use crate::outbound::{Outbound, OutboundPolicy};
use crate::ratelimit::{RateLimits, SharedCounter};
use crate::readiness::ReadinessProbe;
use crate::second_factor::SecondFactors;
use crate::sessions::Sessions;
use crate::settings::Settings;
use crate::signing::SigningKeys;
use crate::sites::SiteRegistry;
use crate::store::SharedStore;
use crate::throttle::Throttle;
use crate::tokens::server::Window;
use crate::tokens::stored::TokenKinds;
use crate::users::Users;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: SharedStore,
    pub clock: SharedClock,
    pub cache: Arc<AuthCache>,
    pub sites: Arc<SiteRegistry>,
    pub users: Users,
    pub sessions: Sessions,
    pub oauth: OAuth,
    /// Sign-in throttling, counted in the shared store.
    pub throttle: Throttle,
    /// RFC 8693: identity tokens of trusted providers for sessions.
    pub token_exchange: TokenExchange,
    /// Browser tokens, server tokens and legacy keys.
    pub token_kinds: TokenKinds,
    /// Per-site signing keys (ID tokens, JWT access tokens).
    pub signing: SigningKeys,
    /// DPoP proof checks; replays are refused through the store.
    pub dpop: Arc<Dpop>,
    /// Requests per client and per address, shared across nodes.
    pub rate_limits: RateLimits,
    /// The one HTTP client for requests to other servers (SSRF-guarded).
    pub outbound: Outbound,
    /// Prometheus series; no-ops unless `TESSERA_METRICS_LISTEN` is set.
    pub metrics: Arc<Metrics>,
    /// When the change feed was last read (`invalidation.rs`).
    pub change_feed: Arc<FeedProgress>,
    /// `/readyz`: whether the store answers, probed at most once a second.
    pub readiness: ReadinessProbe,
    /// Security-relevant events, appended to the store.
    pub audit: Audit,
    /// Delivers queued back-channel logout tokens.
    pub backchannel: BackchannelLogout,
    /// Password reset, email verification, sign-up and invitations.
    pub accounts: Accounts,
    /// TOTP and recovery codes, and sign-ins waiting for them.
    pub second_factors: SecondFactors,
}

impl AppState {
    pub async fn build(
        settings: Arc<Settings>,
        store: SharedStore,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new(settings.metrics_listen.is_some())?);
        let cache = Arc::new(AuthCache::default());
        let sites = Arc::new(SiteRegistry::load(store.clone(), settings.master_key.clone()).await?);
        // Access tokens are checked without the store: what revoked one
        // must be known before the first request (`oauth::revocations`).
        let revocations = &cache.oauth.revocations;
        revocations.set_poll_interval(std::time::Duration::from_millis(
            settings.change_poll_millis,
        ));
        revocations.load(
            store
                .revoked_access(clock.now() - crate::oauth::revocations::KEEP_SECS)
                .await?,
        );
        let counter = SharedCounter::connect(
            store.clone(),
            settings.redis_url.as_deref(),
            &settings.redis_key_prefix,
        )
        .await?;
        let rate_limits = RateLimits::new(settings.rate_limits.clone(), counter, clock.clone());
        let users = Users::new(store.clone(), cache.clone(), clock.clone());
        let sessions = Sessions::new(store.clone(), cache.clone(), users.clone(), clock.clone());
        let signing = SigningKeys::new(
            store.clone(),
            cache.signing.clone(),
            settings.master_key.clone(),
            clock.clone(),
        );
        let outbound = Outbound::new(OutboundPolicy::from_settings(&settings))?;
        let clients = Clients::new(
            store.clone(),
            cache.oauth.clone(),
            clock.clone(),
            settings.master_key.clone(),
            outbound.policy(),
        )
        .limited_by(rate_limits.clone())
        .fetching_keys_with(outbound.clone());
        let oauth = OAuth::new(
            store.clone(),
            cache.oauth.clone(),
            users.clone(),
            clock.clone(),
            signing.clone(),
            &metrics,
            clients,
        );
        let token_kinds = TokenKinds::new(
            store.clone(),
            cache.token_kinds.clone(),
            clock.clone(),
            settings.master_key.clone(),
            Window::symmetric(settings.server_token_window_secs),
        );
        let token_exchange = TokenExchange::new(
            oauth.clients.clone(),
            IdentityProviders::new(store.clone(), cache.identity.clone(), outbound.clone()),
            sessions.clone(),
            store.clone(),
            cache.clone(),
            clock.clone(),
        );
        let dpop = Arc::new(Dpop::new(
            ProofWindow {
                max_age_secs: settings.dpop_proof_max_age_secs,
                future_skew_secs: settings.dpop_clock_skew_secs,
            },
            clock.clone(),
            oauth.writer(),
        ));
        let backchannel = BackchannelLogout::new(
            store.clone(),
            sites.clone(),
            signing.clone(),
            outbound.clone(),
            clock.clone(),
        );
        let audit = Audit::new(store.clone(), clock.clone());
        let outbox = Outbox::new(
            store.clone(),
            settings.master_key.clone(),
            clock.clone(),
            settings.smtp.is_some(),
        );
        let accounts = Accounts::new(
            store.clone(),
            cache.clone(),
            outbox,
            audit.clone(),
            clock.clone(),
        );
        let throttle = Throttle::new(store.clone());
        let second_factors = SecondFactors::new(
            store.clone(),
            clock.clone(),
            settings.master_key.clone(),
            throttle.clone(),
            audit.clone(),
            settings.login_failures_before_throttle,
        );
        Ok(Self {
            accounts,
            second_factors,
            backchannel,
            metrics,
            change_feed: cache.oauth.revocations.feed.clone(),
            readiness: ReadinessProbe::new(store.clone()),
            audit,
            rate_limits,
            dpop,
            outbound,
            token_exchange,
            token_kinds,
            signing,
            oauth,
            throttle,
            settings,
            store,
            clock,
            cache,
            sites,
            users,
            sessions,
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Writes still queued in the group-commit batchers (tokens, codes,
    /// redemptions, DPoP proof uses).
    pub fn pending_writes(&self) -> usize {
        self.oauth.pending_writes()
    }

    /// At shutdown, once no request is left: waits (at most `within`) until
    /// every queued write is stored, then writes the usage counts kept in
    /// memory. Nothing a client was told is stored may be lost.
    pub async fn finish_writes(&self, within: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.pending_writes() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let left = self.pending_writes();
        if left > 0 {
            tracing::error!(
                writes = left,
                "shutdown: writes still queued after the wait"
            );
        }
        if let Err(e) = self.token_kinds.flush_usage().await {
            tracing::warn!(error = %e, "shutdown: cannot write legacy usage counts");
        }
    }
}
