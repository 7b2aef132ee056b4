//! `tessera client …`: OAuth clients of a site, for operators.

use crate::audit::Actor;
use std::sync::Arc;

use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::clock::{Clock, SystemClock};
use crate::crypto::MasterKey;
use crate::oauth::cache::OAuthCache;
use crate::oauth::{Client, ClientError, ClientSettings, Clients};
use crate::sites::Site;
use crate::store::SharedStore;
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
    /// Whether this client's token requests must carry a DPoP proof (RFC 9449).
    SetDpopRequired {
        #[arg(long)]
        site: String,
        client_id: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Input(_) | ClientError::PublicClient => CliError::Usage(e.to_string()),
            ClientError::NotFound(_) | ClientError::Internal(_) => CliError::Failure(e.into()),
        }
    }
}

fn describe(client: &Client) -> serde_json::Value {
    json!({
        "client_id": client.client_id,
        "name": client.name,
        "homepage_url": client.homepage_url,
        "type": if client.confidential { "confidential" } else { "public" },
        "redirect_uris": client.redirect_uris.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        "scopes": client.scopes.to_string(),
        "grant_types": client.grant_type_names(),
        "owner_user_id": client.owner_user_id,
        "registered_anonymously": client.registered_anonymously,
        "granted_permissions": client.granted_permissions.names(),
        "introspect": client.introspect,
        "created_at": client.created_at,
    })
}

/// The list's POWERS column: granted permissions and `introspect`.
fn powers_of(client: &Client) -> String {
    let mut powers = client.granted_permissions.names();
    if client.introspect {
        powers.push("introspect");
    }
    if powers.is_empty() {
        "-".into()
    } else {
        powers.join(",")
    }
}

pub(super) async fn open_site(
    store: &SharedStore,
    master: &MasterKey,
    slug: &str,
) -> Result<Site, CliError> {
    let record = find_site(store, slug).await?;
    Site::from_record(record, Vec::new(), master)
        .ok_or_else(|| CliError::Failure(anyhow::anyhow!("site `{slug}` has an invalid base URL")))
}

pub async fn run(
    command: ClientCommand,
    store: &SharedStore,
    master: &MasterKey,
    out: &Output,
) -> CliResult {
    let clients = Clients::new(
        store.clone(),
        Arc::new(OAuthCache::default()),
        Arc::new(SystemClock),
    );
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
        } => {
            let site = open_site(store, master, &site).await?;
            let settings = ClientSettings {
                name,
                homepage_url: homepage,
                redirect_uris,
                scopes,
                grant_types,
            };
            let registered = clients
                .register(&site, settings, !public, None, &Actor::Cli)
                .await?;
            let mut client = registered.client.clone();
            let secret = registered.secret.as_ref().map(|s| s.expose().to_string());
            let mut human = format!(
                "created client `{}`\nclient_id: {}",
                client.name, client.client_id
            );
            if let Some(secret) = &secret {
                human.push_str(&format!(
                    "\nclient_secret: {secret}\n(the secret is shown only this once)"
                ));
            }
            if jwt_access_tokens {
                store
                    .set_client_jwt_access_tokens(site.id, client.pk, true, SystemClock.now())
                    .await?;
                human.push_str("\naccess tokens: JWT (RFC 9068)");
            }
            if dpop_required {
                clients
                    .set_dpop_required(&site, &client.client_id, true, &Actor::Cli)
                    .await?;
                human.push_str("\ntoken requests: DPoP proof required (RFC 9449)");
            }
            if let Some(permissions) = permissions {
                client = clients
                    .grant_permissions(&site, &client.client_id, permissions, &Actor::Cli)
                    .await?;
            }
            human.push_str(&format!(
                "\nclient_credentials tokens act with: {}",
                match client.ownerless_permissions(client.scopes).names() {
                    names if names.is_empty() => {
                        "no permission (see `tessera client grant-permissions`)".to_string()
                    }
                    names => names.join(" "),
                }
            ));
            let mut value = describe(&client);
            value["client_secret"] = json!(secret);
            value["jwt_access_tokens"] = json!(jwt_access_tokens);
            value["dpop_bound_access_tokens"] = json!(dpop_required);
            out.done(&human, value);
            Ok(())
        }
        ClientCommand::RegistrationToken { site, user } => {
            super::registration::mint_initial_access_token(store, &site, user.as_deref(), out).await
        }
        ClientCommand::SetParRequired {
            site,
            client_id,
            required,
        } => {
            super::registration::set_client_par_required(store, &site, &client_id, required, out)
                .await
        }
        ClientCommand::SetDpopRequired {
            site,
            client_id,
            required,
        } => super::dpop::set_client_dpop_required(store, &site, &client_id, required, out).await,
        ClientCommand::GrantPermissions {
            site,
            client_id,
            permissions,
        } => {
            super::client_powers::grant_permissions(
                store,
                master,
                &site,
                &client_id,
                permissions,
                out,
            )
            .await
        }
        ClientCommand::SetIntrospect {
            site,
            client_id,
            allowed,
        } => {
            super::client_powers::set_introspect(store, master, &site, &client_id, allowed, out)
                .await
        }
        ClientCommand::List { site } => {
            let site = open_site(store, master, &site).await?;
            let list = clients.list(&site, None).await?;
            let rows = list
                .iter()
                .map(|c| {
                    vec![
                        c.client_id.clone(),
                        c.name.clone(),
                        if c.confidential {
                            "confidential"
                        } else {
                            "public"
                        }
                        .to_string(),
                        c.scopes.to_string(),
                        c.grant_type_names().join(","),
                        c.redirect_uris
                            .iter()
                            .map(|u| u.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        powers_of(c),
                    ]
                })
                .collect();
            let values = list.iter().map(describe).collect();
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
            let site = open_site(store, master, &site).await?;
            clients.delete(&site, &client_id, &Actor::Cli).await?;
            out.done(
                &format!("deleted client {client_id} and revoked its tokens"),
                json!({"client_id": client_id, "deleted": true}),
            );
            Ok(())
        }
        ClientCommand::RotateSecret { site, client_id } => {
            let site = open_site(store, master, &site).await?;
            let secret = clients
                .rotate_secret(&site, &client_id, &Actor::Cli)
                .await?;
            out.done(
                &format!(
                    "client_id: {client_id}\nclient_secret: {}\n(the old secret no longer works; this one is shown only once)",
                    secret.expose()
                ),
                json!({"client_id": client_id, "client_secret": secret.expose()}),
            );
            Ok(())
        }
    }
}
