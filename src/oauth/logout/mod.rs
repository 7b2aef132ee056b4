//! OpenID Connect logout: RP-Initiated Logout 1.0 (`end_session.rs`) and
//! Back-Channel Logout 1.0 (`backchannel.rs`), and the logout settings of
//! clients.
//!
//! A sign-in session is named to clients by its `sid`: an HMAC of the
//! session's row id under the site's authtoken key, so it is stable for
//! the session, opaque, and has nothing to do with the session's secret.

pub mod backchannel;
pub mod end_session;

use crate::audit::Actor;
use std::sync::Arc;

use super::clients::{
    Client, ClientError, ClientInputError, Clients, MAX_REDIRECT_URIS, RedirectUri,
};
use crate::outbound::{OutboundPolicy, target};
use crate::sites::Site;
use crate::store::ClientLogoutColumns;

/// The `sid` of a sign-in session (OpenID Connect Front-/Back-Channel
/// Logout): 128 bits of the session id's MAC, hex.
pub fn sid(site: &Site, session_id: i64) -> String {
    let mac = site
        .authtoken_key
        .mac(format!("sid:{}:{session_id}", site.id).as_bytes());
    hex::encode(&mac[..16])
}

/// The logout metadata a client registers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLogoutSettings {
    /// Where the browser may be sent after RP-initiated logout.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are POSTed (https; public addresses only).
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client needs `sid` in its logout tokens.
    pub backchannel_logout_session_required: bool,
}

/// Checks logout settings: post-logout URIs follow the rules of redirect
/// URIs; the back-channel URI those of every URL Tessera sends to.
pub fn check_logout(
    settings: &ClientLogoutSettings,
    policy: OutboundPolicy,
) -> Result<ClientLogoutColumns, ClientInputError> {
    let mut uris: Vec<RedirectUri> = Vec::new();
    for raw in settings
        .post_logout_redirect_uris
        .iter()
        .filter(|u| !u.trim().is_empty())
    {
        let uri = RedirectUri::parse(raw)
            .map_err(|_| ClientInputError::PostLogoutRedirectUri(raw.clone()))?;
        if !uris.contains(&uri) {
            uris.push(uri);
        }
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(ClientInputError::PostLogoutRedirectUri(
            "(too many)".to_string(),
        ));
    }
    let backchannel_logout_uri = match settings
        .backchannel_logout_uri
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(raw) => Some(
            target::parse_url(raw, policy)
                .map_err(|e| ClientInputError::BackchannelLogoutUri(e.to_string()))?
                .to_string(),
        ),
    };
    Ok(ClientLogoutColumns {
        post_logout_redirect_uris: uris
            .iter()
            .map(RedirectUri::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        backchannel_logout_uri,
        backchannel_logout_session_required: settings.backchannel_logout_session_required,
    })
}

impl Client {
    /// Whether `presented` is one of the post-logout redirect URIs, exactly
    /// (no loopback port leniency: nothing here is a native app's listener).
    pub fn allows_post_logout_redirect(&self, presented: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|u| u.as_str() == presented)
    }

    /// The client's logout settings, as registered.
    pub fn logout_settings(&self) -> ClientLogoutSettings {
        ClientLogoutSettings {
            post_logout_redirect_uris: self
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_string())
                .collect(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
        }
    }
}

impl Clients {
    /// Replaces the client's logout settings (checked as at registration).
    pub async fn set_logout(
        &self,
        site: &Site,
        client_id: &str,
        settings: &ClientLogoutSettings,
        actor: &Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        let columns = check_logout(settings, self.outbound_policy)?;
        let unchanged = columns.post_logout_redirect_uris
            == client
                .logout_settings()
                .post_logout_redirect_uris
                .join("\n")
            && columns.backchannel_logout_uri == client.backchannel_logout_uri
            && columns.backchannel_logout_session_required
                == client.backchannel_logout_session_required;
        if unchanged {
            return Ok(client);
        }
        let changed = self
            .store
            .set_client_logout(site.id, client.pk, &columns, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        let shown = columns.backchannel_logout_uri.clone().unwrap_or_default();
        self.record_change(site, client_id, actor, "logout", shown.into())
            .await;
        self.existing(site, client_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logout_settings_refuse_unsafe_uris() {
        let policy = OutboundPolicy::default();
        let with = |post: &str, back: Option<&str>| ClientLogoutSettings {
            post_logout_redirect_uris: vec![post.to_string()],
            backchannel_logout_uri: back.map(str::to_string),
            backchannel_logout_session_required: false,
        };
        assert!(check_logout(&with("https://app.example/bye", None), policy).is_ok());
        assert!(check_logout(&with("http://app.example/bye", None), policy).is_err());
        assert!(check_logout(&with("https://app.example/bye#x", None), policy).is_err());
        let private = with("https://app.example/bye", Some("https://127.0.0.1/logout"));
        assert!(matches!(
            check_logout(&private, policy),
            Err(ClientInputError::BackchannelLogoutUri(_))
        ));
        let plain = with("https://app.example/bye", Some("http://app.example/logout"));
        assert!(check_logout(&plain, policy).is_err());
        let good = with(
            "https://app.example/bye",
            Some("https://app.example/logout"),
        );
        assert_eq!(
            check_logout(&good, policy).map(|c| c.backchannel_logout_uri),
            Ok(Some("https://app.example/logout".to_string()))
        );
    }
}
