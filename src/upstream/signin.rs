//! The sign-in through a provider: sending the browser there, checking its
//! answer, and choosing the account the identity signs in to (the order is
//! in the module above).

use super::client::{self, UpstreamClaims};
use super::flow::{self, FlowId};
use super::link::{self, PendingLinkView};
use super::{UpstreamError, find_provider, open_secret, redirect_uri};
use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::crypto::constant_time_eq;
use crate::next_path::NextPath;
use crate::sessions::{ClientInfo, Methods, SignInMethod};
use crate::signin::{CurrentSession, SignInOutcome, end_previous_session, second_step};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{NewUpstreamIdentity, UpstreamProviderRecord, UserRecord};

/// What a sign-in in progress keeps while the browser is at the provider.
#[derive(serde::Serialize, serde::Deserialize)]
struct SignInFlow {
    provider_id: i64,
    provider_name: String,
    secrets: client::RequestSecrets,
    next: String,
    /// The session signed in in this browser when the sign-in began: the
    /// identity is linked to its user.
    session: Option<(i64, i64)>,
}

/// Sends the browser to the provider: its authorization URL, and the flow
/// id for the browser's cookie.
pub async fn begin_sign_in(
    state: &AppState,
    site: &Site,
    provider_name: &str,
    next: &NextPath,
    current: Option<CurrentSession>,
) -> Result<(url::Url, FlowId), UpstreamError> {
    let provider = find_provider(state, site, provider_name).await?;
    let metadata = client::discover(&state.outbound, &provider.issuer).await?;
    let secret = open_secret(state, &provider)?;
    let redirect = redirect_uri(site, &provider.name);
    let registration = client::Registration {
        client_id: &provider.client_id,
        client_secret: secret,
        redirect_uri: &redirect,
    };
    let (url, secrets) = client::authorization_request(metadata, &registration)?;
    let saved = SignInFlow {
        provider_id: provider.id,
        provider_name: provider.name.clone(),
        secrets,
        next: next.as_str().to_string(),
        session: current.map(|c| (c.session_id, c.user_id)),
    };
    let id = flow::save(state, site, flow::Purpose::SignIn, &saved).await?;
    tracing::info!(site = %site.slug, provider = %provider.name, "sent to an upstream provider");
    Ok((url, id))
}

/// The provider's answer, as the callback's query carries it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ProviderAnswer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// RFC 9207: the issuer of the answer, when the provider names it.
    pub iss: Option<String>,
}

/// How a provider's answer ended.
pub enum Finished {
    /// Signed in (or a second step next), as after a password.
    SignIn(SignInOutcome),
    /// The identity was linked to the account signed in in this browser.
    Linked,
    /// No account is linked: the user proves an account's password to link
    /// the identity to it (the flow id goes in the cookie).
    NeedsPassword { flow: FlowId, view: PendingLinkView },
}

/// Finishes a sign-in when the browser comes back from the provider:
/// where to go next, and how it ended.
pub async fn finish_sign_in(
    state: &AppState,
    site: &Site,
    provider_name: &str,
    flow_id: &str,
    answer: &ProviderAnswer,
    current: Option<CurrentSession>,
    client: ClientInfo,
) -> Result<(String, Finished), UpstreamError> {
    const MISMATCH: &str = "upstream-error-mismatch";
    let flow: SignInFlow = flow::take(state, site, flow_id, flow::Purpose::SignIn).await?;
    let ip = client.ip.clone();
    let refused = |reason, text| refuse(state, site, ip.clone(), reason, text);
    if flow.provider_name != provider_name {
        return Err(refused("wrong_provider", MISMATCH).await);
    }
    let Some(returned_state) = answer.state.as_deref() else {
        return Err(refused("no_state", MISMATCH).await);
    };
    if !constant_time_eq(returned_state.as_bytes(), flow.secrets.state.as_bytes()) {
        return Err(refused("state_mismatch", MISMATCH).await);
    }
    let provider = find_provider(state, site, provider_name).await?;
    if provider.id != flow.provider_id {
        return Err(refused("wrong_provider", MISMATCH).await);
    }
    // A provider naming itself must be the one this sign-in went to
    // (RFC 9207: an answer from another provider is a mix-up attack).
    if let Some(iss) = answer.iss.as_deref()
        && iss.trim_end_matches('/') != provider.issuer
    {
        return Err(refused("issuer_mismatch", MISMATCH).await);
    }
    if answer.error.is_some() {
        return Err(refused("provider_error", "upstream-error-not-signed-in").await);
    }
    let Some(code) = answer.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(refused("no_code", MISMATCH).await);
    };
    let metadata = client::discover(&state.outbound, &provider.issuer).await?;
    let redirect = redirect_uri(site, &provider.name);
    let registration = client::Registration {
        client_id: &provider.client_id,
        client_secret: open_secret(state, &provider)?,
        redirect_uri: &redirect,
    };
    let claims = match client::redeem(
        &state.outbound,
        metadata,
        &registration,
        code,
        &flow.secrets,
        state.now(),
    )
    .await
    {
        Ok(claims) => claims,
        Err(UpstreamError::Refused(text)) => {
            return Err(refused("id_token_refused", text).await);
        }
        Err(e) => return Err(e),
    };
    // The browser still in the session that began the sign-in: link to it.
    let signed_in = flow
        .session
        .filter(|(session_id, user_id)| {
            current.is_some_and(|c| c.session_id == *session_id && c.user_id == *user_id)
        })
        .map(|(_, user_id)| user_id);
    let arrival = Arrival {
        state,
        site,
        provider: &provider,
        current,
        client,
    };
    let finished = decide(arrival, claims, signed_in, &flow.next).await?;
    Ok((flow.next, finished))
}

/// A checked identity back from its provider, in a browser.
struct Arrival<'a> {
    state: &'a AppState,
    site: &'a Site,
    provider: &'a UpstreamProviderRecord,
    /// Who is signed in in this browser now.
    current: Option<CurrentSession>,
    client: ClientInfo,
}

/// Chooses the account the identity signs in to, linking it first when
/// it is new (see the module above for the order), or asks for a password.
async fn decide(
    arrival: Arrival<'_>,
    claims: UpstreamClaims,
    signed_in: Option<i64>,
    next: &str,
) -> Result<Finished, UpstreamError> {
    let Arrival {
        state,
        site,
        provider,
        current,
        client,
    } = arrival;
    let linked = state
        .store
        .find_upstream_identity(site.id, provider.id, &claims.subject)
        .await?;
    if let Some(linked) = linked {
        if signed_in.is_some_and(|user_id| user_id != linked.user_id) {
            return Err(UpstreamError::Refused("upstream-error-linked-elsewhere"));
        }
        let now = state.now();
        state
            .store
            .record_upstream_use(site.id, linked.id, claims.email.as_deref(), now)
            .await?;
        let user = state.store.find_user(site.id, linked.user_id).await?;
        let mut user = user.ok_or(UpstreamError::Refused(DISABLED))?;
        // An account made from this identity follows its profile, as the
        // identity-token exchange's accounts do.
        if user.external_issuer.as_deref() == Some(provider.issuer.as_str())
            && user.external_subject.as_deref() == Some(claims.subject.as_str())
            && let Some(refreshed) =
                link::provision_account(state, site, &claims.as_identity(&provider.issuer)).await?
        {
            user = refreshed;
        }
        return Ok(Finished::SignIn(
            sign_in(state, site, &user, provider, current, client).await?,
        ));
    }
    if let Some(user_id) = signed_in {
        link(state, site, provider, &claims, user_id, "signed_in").await?;
        return Ok(Finished::Linked);
    }
    let same_email = match claims.email.as_deref() {
        Some(email) => state.store.find_local_user_by_email(site.id, email).await?,
        None => None,
    };
    if let Some(user) = &same_email
        && claims.email_verified
        && provider.link_by_email
    {
        link(state, site, provider, &claims, user.id, "verified_email").await?;
        return Ok(Finished::SignIn(
            sign_in(state, site, user, provider, current, client).await?,
        ));
    }
    if same_email.is_none() && provider.create_accounts {
        let identity = claims.as_identity(&provider.issuer);
        if let Some(user) = link::provision_account(state, site, &identity).await? {
            link(state, site, provider, &claims, user.id, "created").await?;
            return Ok(Finished::SignIn(
                sign_in(state, site, &user, provider, current, client).await?,
            ));
        }
    }
    tracing::info!(site = %site.slug, provider = %provider.name, "upstream identity waits for a password to link");
    let pending = link::PendingLink {
        provider_id: provider.id,
        provider_name: provider.name.clone(),
        provider_display_name: provider.display_name.clone(),
        claims,
        next: next.to_string(),
    };
    let view = pending.view();
    let flow = flow::save(state, site, flow::Purpose::Link, &pending).await?;
    Ok(Finished::NeedsPassword { flow, view })
}

const DISABLED: &str = "upstream-error-disabled";

/// Links an identity to an account, with an audit event saying how.
pub(super) async fn link(
    state: &AppState,
    site: &Site,
    provider: &UpstreamProviderRecord,
    claims: &UpstreamClaims,
    user_id: i64,
    how: &'static str,
) -> Result<(), UpstreamError> {
    let identity = NewUpstreamIdentity {
        site_id: site.id,
        provider_id: provider.id,
        user_id,
        subject: claims.subject.clone(),
        email: claims.email.clone(),
        created_at: state.now(),
    };
    if state
        .store
        .link_upstream_identity(&identity)
        .await?
        .is_none()
    {
        // Another request linked it first.
        return Err(UpstreamError::Refused("upstream-error-linked-already"));
    }
    tracing::info!(site = %site.slug, provider = %provider.name, user_id, how, "upstream identity linked");
    let event = AuditEvent::new(AuditKind::UpstreamIdentityLinked, Actor::User(user_id))
        .user(user_id)
        .detail("provider", provider.name.as_str())
        .detail("how", how);
    state.audit.record(site.id, event).await;
    Ok(())
}

/// Signs the user in as a password sign-in would: the second-factor
/// policy, a new session (the one of another user in this browser ends),
/// and the audit event.
async fn sign_in(
    state: &AppState,
    site: &Site,
    user: &UserRecord,
    provider: &UpstreamProviderRecord,
    current: Option<CurrentSession>,
    client: ClientInfo,
) -> Result<SignInOutcome, UpstreamError> {
    if user.disabled {
        return Err(refuse(state, site, client.ip.clone(), "disabled", DISABLED).await);
    }
    if let Some(purpose) = second_step(state, site, user).await? {
        let same_user = current.filter(|c| c.user_id == user.id);
        let token = state
            .second_factors
            .begin_pending(
                site,
                user.id,
                purpose,
                Methods::NONE,
                same_user.map(|c| c.session_id),
                client,
            )
            .await?;
        tracing::info!(site = %site.slug, user_id = user.id, "upstream sign-in, second step next");
        return Ok(SignInOutcome::SecondStep { token, purpose });
    }
    let ip = client.ip.clone();
    let session = state
        .sessions
        .start(site, user, SignInMethod::Upstream, client)
        .await?;
    end_previous_session(state, site, current, user.id).await?;
    tracing::info!(site = %site.slug, user_id = user.id, provider = %provider.name, "signed in with an upstream provider");
    let event = AuditEvent::new(AuditKind::SignInSucceeded, Actor::User(user.id))
        .user(user.id)
        .ip(ip.as_deref())
        .detail("method", "upstream")
        .detail("provider", provider.name.as_str());
    state.audit.record(site.id, event).await;
    Ok(SignInOutcome::SignedIn(session))
}

/// Records a refused sign-in; gives back the error to return.
async fn refuse(
    state: &AppState,
    site: &Site,
    ip: Option<String>,
    reason: &'static str,
    text: &'static str,
) -> UpstreamError {
    tracing::info!(site = %site.slug, reason, "upstream sign-in refused");
    let event = AuditEvent::new(AuditKind::SignInFailed, Actor::Anonymous)
        .ip(ip.as_deref())
        .detail("method", "upstream")
        .detail("reason", reason);
    state.audit.record(site.id, event).await;
    UpstreamError::Refused(text)
}
