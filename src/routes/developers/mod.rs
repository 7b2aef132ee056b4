//! The developer portal, `/developers`: signed-in users register and manage
//! their OAuth apps; site admins see every app of the site.

mod edit;
mod list;
mod register;

use std::sync::Arc;

use actix_web::web;

use super::pages::Elsewhere;
use crate::cache::CachedUser;
use crate::i18n::Locale;
use crate::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use crate::oauth::logout::ClientLogoutSettings;
use crate::oauth::public_key;
use crate::oauth::{Client, ClientInputError, ClientSettings, Scope};
use crate::routes::browser_session::BrowserSession;
use crate::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    list::configure(cfg);
    register::configure(cfg);
    edit::configure(cfg);
}

/// The signed-in user, or the response that sends them to sign in.
fn developer(browser: &BrowserSession, back_to: &str) -> Result<Arc<CachedUser>, Elsewhere> {
    browser
        .user
        .clone()
        .ok_or_else(|| Elsewhere(format!("/login?next={back_to}")))
}

/// Owners manage their apps; admins manage every app of the site.
fn may_manage(user: &CachedUser, client: &Client) -> bool {
    user.role == Role::Admin || client.owner_user_id == Some(user.id)
}

/// The registration form as submitted. Parsed by hand because checkboxes
/// repeat their name.
#[derive(Debug, Default)]
struct ClientForm {
    csrf_token: String,
    name: String,
    homepage_url: String,
    redirect_uris: String,
    confidential: bool,
    scopes: Vec<String>,
    grant_types: Vec<String>,
    /// RFC 9449 `dpop_bound_access_tokens`: token requests need a proof.
    dpop_required: bool,
    /// A confidential app that authenticates with its key (private_key_jwt).
    key_client: bool,
    /// Its public key as pasted (a JWK, a JWK Set or PEM), or the https URL
    /// of its JWK Set.
    public_key: String,
    /// OpenID Connect logout: post-logout redirect URIs (one per line),
    /// the back-channel logout URI, and whether it needs `sid`.
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    backchannel_logout_session_required: bool,
}

impl ClientForm {
    fn parse(body: &[u8]) -> Self {
        let mut form = ClientForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf_token" => form.csrf_token = value,
                "name" => form.name = value,
                "homepage_url" => form.homepage_url = value,
                "redirect_uris" => form.redirect_uris = value,
                "client_type" => {
                    form.confidential = value != "public";
                    form.key_client = value == "key";
                }
                "public_key" => form.public_key = value,
                "scope" => form.scopes.push(value),
                "grant_type" => form.grant_types.push(value),
                "dpop_required" => form.dpop_required = true,
                "post_logout_redirect_uris" => form.post_logout_redirect_uris = value,
                "backchannel_logout_uri" => form.backchannel_logout_uri = value,
                "backchannel_logout_session_required" => {
                    form.backchannel_logout_session_required = true;
                }
                _ => {}
            }
        }
        form
    }

    fn settings(&self) -> ClientSettings {
        ClientSettings {
            name: self.name.clone(),
            homepage_url: Some(self.homepage_url.clone()),
            redirect_uris: self
                .redirect_uris
                .lines()
                .map(|l| l.trim().to_string())
                .collect(),
            scopes: Some(self.scopes.join(" ")),
            grant_types: Some(self.grant_types.clone()),
        }
    }

    fn logout(&self) -> ClientLogoutSettings {
        ClientLogoutSettings {
            post_logout_redirect_uris: self
                .post_logout_redirect_uris
                .lines()
                .map(|l| l.trim().to_string())
                .collect(),
            backchannel_logout_uri: Some(self.backchannel_logout_uri.clone()),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
        }
    }

    fn from_client(client: &Client) -> Self {
        let logout = client.logout_settings();
        ClientForm {
            post_logout_redirect_uris: logout.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: logout.backchannel_logout_uri.unwrap_or_default(),
            backchannel_logout_session_required: logout.backchannel_logout_session_required,
            csrf_token: String::new(),
            name: client.name.clone(),
            homepage_url: client.homepage_url.clone().unwrap_or_default(),
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            confidential: client.confidential,
            scopes: client
                .scopes
                .names()
                .into_iter()
                .map(str::to_string)
                .collect(),
            grant_types: client
                .grant_type_names()
                .into_iter()
                .map(str::to_string)
                .collect(),
            dpop_required: client.dpop_required,
            key_client: client.auth_method == ClientAuthMethod::PrivateKeyJwt,
            public_key: shown_keys(client),
        }
    }

    /// How the app authenticates: its key, a secret, or nothing.
    fn auth(&self) -> Result<ClientAuthSettings, ClientInputError> {
        if !self.key_client {
            return Ok(ClientAuthSettings::secret_or_none(self.confidential));
        }
        Ok(ClientAuthSettings {
            method: ClientAuthMethod::PrivateKeyJwt,
            keys: Some(self.key_source()?),
            signing_alg: None,
        })
    }

    /// The pasted key as a JWK Set, or the URL of one.
    fn key_source(&self) -> Result<ClientKeySource, ClientInputError> {
        let raw = self.public_key.trim();
        if raw.starts_with("https://") || raw.starts_with("http://") {
            Ok(ClientKeySource::JwksUri(raw.to_string()))
        } else {
            public_key::to_jwk_set(raw).map(ClientKeySource::Jwks)
        }
    }

    fn new_app() -> Self {
        ClientForm {
            confidential: true,
            scopes: vec!["profile".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            ..ClientForm::default()
        }
    }
}

/// A key app's registered keys as the form shows them: the URL, or the
/// JWK Set.
fn shown_keys(client: &Client) -> String {
    match client.key_source() {
        Some(ClientKeySource::JwksUri(uri)) => uri,
        Some(ClientKeySource::Jwks(json)) => json,
        None => String::new(),
    }
}

/// One checkbox of the form.
struct Choice {
    value: &'static str,
    /// The message key of the label.
    label: &'static str,
    checked: bool,
}

/// The form's fields, values and per-field errors, for `developers/form.html`.
struct FormView {
    name: String,
    homepage_url: String,
    redirect_uris: String,
    confidential: bool,
    scopes: Vec<Choice>,
    grant_types: Vec<Choice>,
    dpop_required: bool,
    key_client: bool,
    public_key: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    backchannel_logout_session_required: bool,
    error_field: &'static str,
    error: String,
}

/// Grant types and the message keys of their labels.
const GRANT_CHOICES: [(&str, &str); 3] = [
    ("authorization_code", "grant-authorization-code"),
    ("refresh_token", "grant-refresh-token"),
    ("client_credentials", "grant-client-credentials"),
];

impl FormView {
    fn new(
        form: &ClientForm,
        user: &CachedUser,
        error: Option<&ClientInputError>,
        lang: Locale,
    ) -> Self {
        let scopes = Scope::ALL
            .into_iter()
            // Only admins may hand out the admin scope.
            .filter(|s| *s != Scope::Admin || user.role == Role::Admin)
            .map(|s| Choice {
                value: s.as_str(),
                label: s.description_key(),
                checked: form.scopes.iter().any(|c| c == s.as_str()),
            })
            .collect();
        let grant_types = GRANT_CHOICES
            .into_iter()
            .map(|(value, label)| Choice {
                value,
                label,
                checked: form.grant_types.iter().any(|g| g == value),
            })
            .collect();
        FormView {
            name: form.name.clone(),
            homepage_url: form.homepage_url.clone(),
            redirect_uris: form.redirect_uris.clone(),
            confidential: form.confidential,
            scopes,
            grant_types,
            dpop_required: form.dpop_required,
            key_client: form.key_client,
            public_key: form.public_key.clone(),
            post_logout_redirect_uris: form.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: form.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: form.backchannel_logout_session_required,
            error_field: error.map_or("", ClientInputError::field),
            error: error.map(|e| e.message(lang)).unwrap_or_default(),
        }
    }
}

/// Refuses the `admin` scope for developers who are not site admins.
fn check_scope_rights(form: &ClientForm, user: &CachedUser) -> Result<(), ClientInputError> {
    if user.role != Role::Admin && form.scopes.iter().any(|s| s == Scope::Admin.as_str()) {
        return Err(ClientInputError::Scopes(
            "only site administrators may register apps that ask for the admin scope".into(),
        ));
    }
    Ok(())
}
