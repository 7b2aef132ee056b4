//! OAuth clients of a site: list, show, create, change (settings, DPoP,
//! introspection, granted permissions, keys, pushed authorization
//! requests, logout), delete, rotate the secret.

use std::collections::HashSet;
use std::sync::Arc;

use super::types::{
    ClientChangeRequest, ClientSecretView, ClientView, CreatedClient, NewClientRequest, Page,
};
use super::{Admin, AdminError, AdminResult, Paging};
use crate::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use crate::oauth::logout::{ClientLogoutSettings, check_logout};
use crate::oauth::public_key;
use crate::oauth::{Client, ClientError, ClientSettings};
use crate::sites::Site;
use crate::users::{Permission, Permissions};

impl From<ClientError> for AdminError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Input(_) | ClientError::PublicClient | ClientError::KeyClient => {
                AdminError::Input(e.to_string())
            }
            ClientError::NotFound(_) => AdminError::NotFound(e.to_string()),
            ClientError::Internal(e) => AdminError::Internal(e),
        }
    }
}

/// Parses `content:read content:write` (spaces or commas); empty means none.
pub fn parse_permissions(raw: &str) -> Result<Permissions, String> {
    let mut list = Vec::new();
    for name in raw.split([' ', ',']).filter(|n| !n.is_empty()) {
        let permission = Permission::parse(name).ok_or_else(|| {
            format!(
                "unknown permission `{name}` (known: {})",
                Permissions::all().names().join(" ")
            )
        })?;
        list.push(permission);
    }
    Ok(Permissions::of(&list))
}

fn permissions(raw: &str) -> AdminResult<Permissions> {
    parse_permissions(raw).map_err(AdminError::Input)
}

/// The keys given as a public key (converted to a JWK Set) or a URL.
fn key_source(
    public_key: Option<&str>,
    jwks_uri: Option<String>,
) -> AdminResult<Option<ClientKeySource>> {
    match (public_key, jwks_uri) {
        (Some(_), Some(_)) => Err(AdminError::Input(
            "give a public key or a JWK Set URL, not both".into(),
        )),
        (Some(key), None) => Ok(Some(ClientKeySource::Jwks(
            public_key::to_jwk_set(key).map_err(|e| AdminError::Input(e.to_string()))?,
        ))),
        (None, Some(uri)) => Ok(Some(ClientKeySource::JwksUri(uri))),
        (None, None) => Ok(None),
    }
}

/// How a new client authenticates: a secret unless it asks for another method.
fn auth_settings(request: &NewClientRequest) -> AdminResult<ClientAuthSettings> {
    let method = match (
        request.public,
        request.token_endpoint_auth_method.as_deref(),
    ) {
        (true, None | Some("none")) => ClientAuthMethod::None,
        (true, Some(_)) => {
            return Err(AdminError::Input(
                "a public client authenticates with no credential (none)".into(),
            ));
        }
        (false, None) => ClientAuthMethod::ClientSecret,
        (false, Some(name)) => ClientAuthMethod::parse(name)
            .filter(|m| m.is_confidential())
            .ok_or_else(|| {
                AdminError::Input(format!(
                    "`{name}` is not a confidential client's method: use client_secret_basic, \
                     client_secret_jwt or private_key_jwt"
                ))
            })?,
    };
    Ok(ClientAuthSettings {
        method,
        keys: key_source(request.public_key.as_deref(), request.jwks_uri.clone())?,
        signing_alg: request.token_endpoint_auth_signing_alg.clone(),
    })
}

/// The client as the CLI and the API show it; `par_required` is kept apart
/// from the client (read only where authorization requests are checked).
fn view(client: &Client, par_required: bool) -> ClientView {
    ClientView {
        client_id: client.client_id.clone(),
        name: client.name.clone(),
        homepage_url: client.homepage_url.clone(),
        kind: if client.confidential {
            "confidential"
        } else {
            "public"
        },
        redirect_uris: client
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_string())
            .collect(),
        scopes: client.scopes.to_string(),
        grant_types: client.grant_type_names(),
        owner_user_id: client.owner_user_id,
        registered_anonymously: client.registered_anonymously,
        granted_permissions: client.granted_permissions.names(),
        introspect: client.introspect,
        dpop_bound_access_tokens: client.dpop_required,
        require_pushed_authorization_requests: par_required,
        require_signed_request_object: client.require_signed_request_object,
        token_endpoint_auth_method: client.auth_method.registered_name(),
        jwks_uri: client.jwks_uri.clone(),
        post_logout_redirect_uris: client.logout_settings().post_logout_redirect_uris,
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: client.backchannel_logout_session_required,
        created_at: client.created_at,
    }
}

impl Admin {
    pub async fn list_clients(&self, site: &Site, paging: Paging) -> AdminResult<Page<ClientView>> {
        let clients = self.clients().list(site, None).await?;
        let pushing: HashSet<i64> = self
            .store
            .par_required_clients(site.id)
            .await?
            .into_iter()
            .collect();
        let views = clients
            .iter()
            .map(|c| view(c, pushing.contains(&c.pk)))
            .collect();
        Ok(paging.page(views))
    }

    /// The client with this id, as the CLI and the API show it.
    pub async fn client_view(&self, site: &Site, client_id: &str) -> AdminResult<ClientView> {
        let client = self.show_client(site, client_id).await?;
        let (_, par_required) = self.store.par_required(site.id, client.pk).await?;
        Ok(view(&client, par_required))
    }

    pub async fn show_client(&self, site: &Site, client_id: &str) -> AdminResult<Arc<Client>> {
        self.clients()
            .find(site, client_id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no client `{client_id}` on this site")))
    }

    /// Registers a client; its secret (confidential clients) is returned once.
    pub async fn create_client(
        &self,
        site: &Site,
        request: NewClientRequest,
    ) -> AdminResult<CreatedClient> {
        let granted = request
            .permissions
            .as_deref()
            .map(permissions)
            .transpose()?;
        let clients = self.clients();
        let auth = auth_settings(&request)?;
        let logout = ClientLogoutSettings {
            post_logout_redirect_uris: request.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: request.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: request.backchannel_logout_session_required,
        };
        // Checked before the client exists, so a refusal leaves nothing behind.
        check_logout(&logout, clients.outbound_policy).map_err(ClientError::from)?;
        let settings = ClientSettings {
            name: request.name,
            homepage_url: request.homepage_url,
            redirect_uris: request.redirect_uris,
            scopes: request.scopes,
            grant_types: request.grant_types,
        };
        let registered = clients
            .register_with(site, settings, &auth, None, &self.actor)
            .await?;
        let client_id = registered.client.client_id.clone();
        if request.jwt_access_tokens {
            self.store
                .set_client_jwt_access_tokens(site.id, registered.client.pk, true, self.now())
                .await?;
            self.cache.oauth.evict_client(registered.client.pk);
            clients
                .record_change(
                    site,
                    &client_id,
                    &self.actor,
                    "jwt_access_tokens",
                    true.into(),
                )
                .await;
        }
        if request.dpop_required {
            clients
                .set_dpop_required(site, &client_id, true, &self.actor)
                .await?;
        }
        if logout != ClientLogoutSettings::default() {
            clients
                .set_logout(site, &client_id, &logout, &self.actor)
                .await?;
        }
        if let Some(granted) = granted {
            clients
                .grant_permissions(site, &client_id, granted, &self.actor)
                .await?;
        }
        Ok(CreatedClient {
            client: self.client_view(site, &client_id).await?,
            client_secret: registered.secret.map(|s| s.expose().to_string()),
        })
    }

    /// Applies the changes given; settings not named stay as they are.
    pub async fn change_client(
        &self,
        site: &Site,
        client_id: &str,
        change: ClientChangeRequest,
    ) -> AdminResult<ClientView> {
        let clients = self.clients();
        let client = self.show_client(site, client_id).await?;
        let granted = change.permissions.as_deref().map(permissions).transpose()?;
        let keys = key_source(change.public_key.as_deref(), change.jwks_uri.clone())?;
        if keys.is_some() || change.token_endpoint_auth_signing_alg.is_some() {
            clients
                .set_keys(
                    site,
                    client_id,
                    keys.or_else(|| client.key_source()),
                    change
                        .token_endpoint_auth_signing_alg
                        .clone()
                        .or_else(|| client.auth_signing_alg.map(|a| format!("{a:?}"))),
                    &self.actor,
                )
                .await?;
        }
        let settings_changed = change.name.is_some()
            || change.homepage_url.is_some()
            || change.redirect_uris.is_some()
            || change.scopes.is_some()
            || change.grant_types.is_some();
        if settings_changed {
            let settings = ClientSettings {
                name: change.name.unwrap_or_else(|| client.name.clone()),
                homepage_url: change.homepage_url.or_else(|| client.homepage_url.clone()),
                redirect_uris: change.redirect_uris.unwrap_or_else(|| {
                    client
                        .redirect_uris
                        .iter()
                        .map(|u| u.as_str().to_string())
                        .collect()
                }),
                scopes: Some(change.scopes.unwrap_or_else(|| client.scopes.to_string())),
                grant_types: Some(change.grant_types.unwrap_or_else(|| {
                    client
                        .grant_type_names()
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                })),
            };
            clients
                .update(site, client_id, settings, &self.actor)
                .await?;
        }
        if let Some(required) = change.dpop_required {
            clients
                .set_dpop_required(site, client_id, required, &self.actor)
                .await?;
        }
        if change.post_logout_redirect_uris.is_some()
            || change.backchannel_logout_uri.is_some()
            || change.backchannel_logout_session_required.is_some()
        {
            let current = client.logout_settings();
            let logout = ClientLogoutSettings {
                post_logout_redirect_uris: change
                    .post_logout_redirect_uris
                    .clone()
                    .unwrap_or(current.post_logout_redirect_uris),
                backchannel_logout_uri: change
                    .backchannel_logout_uri
                    .clone()
                    .or(current.backchannel_logout_uri),
                backchannel_logout_session_required: change
                    .backchannel_logout_session_required
                    .unwrap_or(current.backchannel_logout_session_required),
            };
            clients
                .set_logout(site, client_id, &logout, &self.actor)
                .await?;
        }
        if let Some(required) = change.require_signed_request_object {
            clients
                .set_signed_request_required(site, client_id, required, &self.actor)
                .await?;
        }
        if let Some(allowed) = change.introspect {
            clients
                .set_introspect(site, client_id, allowed, &self.actor)
                .await?;
        }
        if let Some(granted) = granted {
            clients
                .grant_permissions(site, client_id, granted, &self.actor)
                .await?;
        }
        if let Some(required) = change.require_pushed_authorization_requests {
            // Cached with the client: dropped here at once, and in other
            // processes through the change feed.
            let changed = self
                .store
                .set_client_par_required(site.id, client.pk, required, self.now())
                .await?;
            self.cache.oauth.evict_client(client.pk);
            if !changed {
                return Err(AdminError::NotFound(format!(
                    "no client `{client_id}` on this site"
                )));
            }
            clients
                .record_change(
                    site,
                    client_id,
                    &self.actor,
                    "require_pushed_authorization_requests",
                    required.into(),
                )
                .await;
        }
        self.client_view(site, client_id).await
    }

    /// Deletes the client and revokes every token issued to it.
    pub async fn delete_client(&self, site: &Site, client_id: &str) -> AdminResult<()> {
        Ok(self.clients().delete(site, client_id, &self.actor).await?)
    }

    /// A new secret, returned once; the old one stops working at once.
    pub async fn rotate_client_secret(
        &self,
        site: &Site,
        client_id: &str,
    ) -> AdminResult<ClientSecretView> {
        let secret = self
            .clients()
            .rotate_secret(site, client_id, &self.actor)
            .await?;
        Ok(ClientSecretView {
            client_id: client_id.to_string(),
            client_secret: secret.expose().to_string(),
        })
    }
}
