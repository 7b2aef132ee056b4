//! `tessera client …`: OAuth clients of a site, for operators.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output};
use crate::admin::types::{ClientChangeRequest, ClientView, NewClientRequest};
use crate::admin::{Admin, Paging};
use crate::oauth::ClientError;
use crate::users::Permissions;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and, for confidential clients, its secret (once).
    Create {
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        /// A redirect URI (repeatable).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (native or browser app): no secret.
        #[arg(long)]
        public: bool,
        /// Space-separated scopes (default: profile content:read content:write).
        #[arg(long)]
        scopes: Option<String>,
        /// Comma-separated grant types (default: authorization_code,refresh_token).
        #[arg(long, value_delimiter = ',')]
        grant_types: Option<Vec<String>>,
        /// The app's homepage, shown on the consent screen.
        #[arg(long)]
        homepage: Option<String>,
        /// Issue RFC 9068 JWT access tokens (longer than 255 characters)
        /// instead of opaque ones.
        #[arg(long)]
        jwt_access_tokens: bool,
        /// Every token request must carry a DPoP proof (RFC 9449), so every
        /// token is bound to the client's key.
        #[arg(long)]
        dpop_required: bool,
        /// Without an owner, a client's client_credentials tokens act with
        /// only the permissions granted here (e.g. "content:read"), within
        /// their scopes; none by default.
        #[arg(long, value_parser = super::client_powers::permissions_arg)]
        permissions: Option<Permissions>,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        logout: LogoutArgs,
    },
    /// Set where the browser may go after RP-initiated logout and where
    /// back-channel logout tokens are sent (OpenID Connect logout).
    SetLogout {
        #[arg(long)]
        site: String,
        client_id: String,
        #[command(flatten)]
        logout: LogoutArgs,
    },
    /// Replace the public keys (or the signing algorithm) of a
    /// private_key_jwt client; the old keys stop working at once.
    SetKeys {
        #[arg(long)]
        site: String,
        client_id: String,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// List the clients of a site.
    List {
        #[arg(long)]
        site: String,
    },
    /// Delete a client and revoke every token issued to it.
    Delete {
        #[arg(long)]
        site: String,
        client_id: String,
    },
    /// Issue a new secret; the old one stops working at once.
    RotateSecret {
        #[arg(long)]
        site: String,
        client_id: String,
    },
    /// Mint an initial access token for dynamic registration (RFC 7591),
    /// printed once; with --user, that user owns the clients it registers.
    RegistrationToken {
        #[arg(long)]
        site: String,
        #[arg(long)]
        user: Option<String>,
    },
    /// Whether this client must push its authorization requests (RFC 9126).
    SetParRequired {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
    /// The permissions the client_credentials tokens of a client without
    /// owner act with, within their scopes (replaces earlier grants; "" for none).
    GrantPermissions {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(long, value_parser = super::client_powers::permissions_arg)]
        permissions: Permissions,
    },
    /// Whether this client is a resource server that may introspect every
    /// token of the site (RFC 7662), not only its own.
    SetIntrospect {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        allowed: bool,
    },
    /// Whether this client's authorization requests must be request objects
    /// signed with its registered key (RFC 9101).
    SetSignedRequestRequired {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
    /// Whether this client's token requests must carry a DPoP proof (RFC 9449).
    SetDpopRequired {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
}

/// How a confidential client authenticates, and its keys.
#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    /// `client_secret_basic` (the default), `client_secret_jwt` (an HMAC
    /// assertion over the secret) or `private_key_jwt` (an assertion signed
    /// with the client's own key).
    #[arg(long)]
    auth_method: Option<String>,
    /// private_key_jwt: a file with the client's public key: a JWK, a JWK
    /// Set or a PEM public key.
    #[arg(long, conflicts_with = "jwks_uri")]
    public_key_file: Option<PathBuf>,
    /// private_key_jwt: the https URL of the client's JWK Set.
    #[arg(long)]
    jwks_uri: Option<String>,
    /// The one algorithm the client's assertions use (ES256, RS256, PS256,
    /// EdDSA; HS256 for client_secret_jwt). Default: any of them.
    #[arg(long)]
    signing_alg: Option<String>,
}

/// A client's OpenID Connect logout settings.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// A post-logout redirect URI, matched exactly (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// The https URL back-channel logout tokens are POSTed to ("" for none).
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens.
    #[arg(long)]
    backchannel_logout_session_required: bool,
}

impl KeyArgs {
    async fn public_key(&self) -> Result<Option<String>, CliError> {
        match &self.public_key_file {
            None => Ok(None),
            Some(path) => tokio::fs::read_to_string(path)
                .await
                .map(Some)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Input(_) | ClientError::PublicClient | ClientError::KeyClient => {
                CliError::Usage(e.to_string())
            }
            ClientError::NotFound(_) | ClientError::Internal(_) => CliError::Failure(e.into()),
        }
    }
}

/// The list's POWERS column: granted permissions and `introspect`.
fn powers_of(client: &ClientView) -> String {
    let mut powers = client.granted_permissions.clone();
    if client.introspect {
        powers.push("introspect");
    }
    if powers.is_empty() {
        "-".into()
    } else {
        powers.join(",")
    }
}

/// Applies one change to a client and prints what it now is.
async fn change(
    admin: &Admin,
    slug: &str,
    client_id: &str,
    change: ClientChangeRequest,
    human: String,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let client = admin.change_client(&site, client_id, change).await?;
    out.done(&human, json!(client));
    Ok(())
}

fn must(required: bool) -> &'static str {
    if required {
        "must now"
    } else {
        "no longer has to"
    }
}

pub async fn run(command: ClientCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        ClientCommand::Create {
            site,
            name,
            redirect_uris,
            public,
            scopes,
            grant_types,
            homepage,
            jwt_access_tokens,
            dpop_required,
            permissions,
            keys,
            logout,
        } => {
            let site = admin.site(&site).await?;
            let request = NewClientRequest {
                post_logout_redirect_uris: logout.post_logout_redirect_uris,
                backchannel_logout_uri: logout.backchannel_logout_uri,
                backchannel_logout_session_required: logout.backchannel_logout_session_required,
                token_endpoint_auth_method: keys.auth_method.clone(),
                public_key: keys.public_key().await?,
                jwks_uri: keys.jwks_uri.clone(),
                token_endpoint_auth_signing_alg: keys.signing_alg.clone(),
                name,
                redirect_uris,
                public,
                scopes,
                grant_types,
                homepage_url: homepage,
                jwt_access_tokens,
                dpop_required,
                permissions: permissions.map(|p| p.names().join(" ")),
            };
            let created = admin.create_client(&site, request).await?;
            let client = &created.client;
            let mut human = format!(
                "created client `{}`\nclient_id: {}",
                client.name, client.client_id
            );
            if let Some(secret) = &created.client_secret {
                human.push_str(&format!(
                    "\nclient_secret: {secret}\n(the secret is shown only this once)"
                ));
            }
            human.push_str(&format!(
                "\nauthenticates with: {}",
                client.token_endpoint_auth_method
            ));
            if jwt_access_tokens {
                human.push_str("\naccess tokens: JWT (RFC 9068)");
            }
            if dpop_required {
                human.push_str("\ntoken requests: DPoP proof required (RFC 9449)");
            }
            let shown = admin.show_client(&site, &client.client_id).await?;
            human.push_str(&format!(
                "\nclient_credentials tokens act with: {}",
                match shown.ownerless_permissions(shown.scopes).names() {
                    names if names.is_empty() => {
                        "no permission (see `tessera client grant-permissions`)".to_string()
                    }
                    names => names.join(" "),
                }
            ));
            let mut value = json!(created);
            value["jwt_access_tokens"] = json!(jwt_access_tokens);
            out.done(&human, value);
            Ok(())
        }
        ClientCommand::RegistrationToken { site, user } => {
            super::registration::mint_initial_access_token(admin, &site, user.as_deref(), out).await
        }
        ClientCommand::SetParRequired {
            site,
            client_id,
            required,
        } => {
            let human = format!(
                "client `{client_id}` {} push its authorization requests",
                must(required)
            );
            let request = ClientChangeRequest {
                require_pushed_authorization_requests: Some(required),
                ..ClientChangeRequest::default()
            };
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::SetSignedRequestRequired {
            site,
            client_id,
            required,
        } => {
            let human = format!(
                "client `{client_id}` {} sign its authorization requests (request objects)",
                must(required)
            );
            let request = ClientChangeRequest {
                require_signed_request_object: Some(required),
                ..ClientChangeRequest::default()
            };
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::SetDpopRequired {
            site,
            client_id,
            required,
        } => {
            let human = format!(
                "client `{client_id}` {} send a DPoP proof with every token request",
                must(required)
            );
            let request = ClientChangeRequest {
                dpop_required: Some(required),
                ..ClientChangeRequest::default()
            };
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::GrantPermissions {
            site,
            client_id,
            permissions,
        } => {
            let site = admin.site(&site).await?;
            let request = ClientChangeRequest {
                permissions: Some(permissions.names().join(" ")),
                ..ClientChangeRequest::default()
            };
            admin.change_client(&site, &client_id, request).await?;
            let client = admin.show_client(&site, &client_id).await?;
            let names = client.granted_permissions.names();
            let within = client.ownerless_permissions(client.scopes).names();
            let none = |list: &[&str], empty: &str| {
                if list.is_empty() {
                    empty.to_string()
                } else {
                    list.join(" ")
                }
            };
            out.done(
                &format!(
                    "client `{client_id}` now acts with: {} (within its scopes: {})",
                    none(&names, "no permission"),
                    none(&within, "none"),
                ),
                json!({"client_id": client_id, "granted_permissions": names, "effective_permissions": within}),
            );
            Ok(())
        }
        ClientCommand::SetKeys {
            site,
            client_id,
            keys,
        } => {
            if keys.auth_method.is_some() {
                return Err(CliError::Usage(
                    "a client's authentication method cannot change; register a new client".into(),
                ));
            }
            let request = ClientChangeRequest {
                public_key: keys.public_key().await?,
                jwks_uri: keys.jwks_uri.clone(),
                token_endpoint_auth_signing_alg: keys.signing_alg.clone(),
                ..ClientChangeRequest::default()
            };
            if request.public_key.is_none()
                && request.jwks_uri.is_none()
                && request.token_endpoint_auth_signing_alg.is_none()
            {
                return Err(CliError::Usage(
                    "give --public-key-file, --jwks-uri or --signing-alg".into(),
                ));
            }
            let human = format!("client `{client_id}` has new keys; the old ones no longer work");
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::SetLogout {
            site,
            client_id,
            logout,
        } => {
            let request = ClientChangeRequest {
                post_logout_redirect_uris: Some(logout.post_logout_redirect_uris),
                backchannel_logout_uri: Some(logout.backchannel_logout_uri.unwrap_or_default()),
                backchannel_logout_session_required: Some(
                    logout.backchannel_logout_session_required,
                ),
                ..ClientChangeRequest::default()
            };
            let human = format!("client `{client_id}` has new logout settings");
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::SetIntrospect {
            site,
            client_id,
            allowed,
        } => {
            let human = format!(
                "client `{client_id}` {}",
                if allowed {
                    "may now introspect every token of the site (a resource server)"
                } else {
                    "may now introspect only its own tokens"
                }
            );
            let request = ClientChangeRequest {
                introspect: Some(allowed),
                ..ClientChangeRequest::default()
            };
            change(admin, &site, &client_id, request, human, out).await
        }
        ClientCommand::List { site } => {
            let site = admin.site(&site).await?;
            let list = admin.list_clients(&site, Paging::ALL).await?.items;
            let rows = list
                .iter()
                .map(|c| {
                    vec![
                        c.client_id.clone(),
                        c.name.clone(),
                        c.kind.to_string(),
                        c.scopes.clone(),
                        c.grant_types.join(","),
                        c.redirect_uris.join(" "),
                        powers_of(c),
                    ]
                })
                .collect();
            let values = list.iter().map(|c| json!(c)).collect();
            out.table(
                &[
                    "CLIENT ID",
                    "NAME",
                    "TYPE",
                    "SCOPES",
                    "GRANT TYPES",
                    "REDIRECT URIS",
                    "POWERS",
                ],
                rows,
                values,
            );
            Ok(())
        }
        ClientCommand::Delete { site, client_id } => {
            let site = admin.site(&site).await?;
            admin.delete_client(&site, &client_id).await?;
            out.done(
                &format!("deleted client {client_id} and revoked its tokens"),
                json!({"client_id": client_id, "deleted": true}),
            );
            Ok(())
        }
        ClientCommand::RotateSecret { site, client_id } => {
            let site = admin.site(&site).await?;
            let rotated = admin.rotate_client_secret(&site, &client_id).await?;
            out.done(
                &format!(
                    "client_id: {client_id}\nclient_secret: {}\n(the old secret no longer works; this one is shown only once)",
                    rotated.client_secret
                ),
                json!(rotated),
            );
            Ok(())
        }
    }
}
