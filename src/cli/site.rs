use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output};
use crate::bootstrap::DEFAULT_SESSION_TTL_SECS;
use crate::clock::{Clock, SystemClock};
use crate::ratelimit::LimitTable;
use crate::sites::{host_of, parse_base_url, parse_host_alias, validate_slug};
use crate::store::{NewSite, SharedStore, StoreError};

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site.
    Create {
        /// Short name: lower-case letters, digits and dashes.
        #[arg(value_parser = slug_arg)]
        slug: String,
        /// The site's base URL, which is also its OAuth issuer.
        #[arg(long, value_parser = base_url_arg)]
        base_url: url::Url,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Another host[:port] the site answers for (repeatable).
        #[arg(long = "alias", value_parser = alias_arg)]
        aliases: Vec<String>,
    },
    /// List sites.
    List,
    /// Who may register OAuth clients (RFC 7591): closed, open or token.
    SetRegistration {
        #[arg(long)]
        site: String,
        #[arg(value_parser = super::registration::policy_arg)]
        policy: String,
    },
    /// The scopes a client registered without an initial access token may
    /// hold (default: "openid profile email"; never admin).
    SetRegistrableScopes {
        #[arg(long)]
        site: String,
        #[arg(value_parser = super::client_powers::registrable_scopes_arg)]
        scopes: crate::oauth::ScopeSet,
    },
    /// Whether clients registered without an initial access token may use
    /// client_credentials (default: false).
    SetAnonymousClientCredentials {
        #[arg(long)]
        site: String,
        #[arg(action = clap::ArgAction::Set)]
        allowed: bool,
    },
    /// Whether every authorization request must be pushed first (RFC 9126).
    SetParRequired {
        #[arg(long)]
        site: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
    /// Whether DPoP proofs must carry a server nonce (RFC 9449 section 8).
    SetDpopNonceRequired {
        #[arg(long)]
        site: String,
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
    /// A site's own rate limit at one endpoint, over the deployment's
    /// (TESSERA_RATE_LIMITS): per authenticated client and/or per address.
    SetRateLimit {
        #[arg(long)]
        site: String,
        /// token, par, revoke, introspect, device, register or exchange.
        #[arg(long, value_parser = super::rate_limits::endpoint_arg)]
        endpoint: crate::ratelimit::Endpoint,
        /// A rate such as 100/s, 30/min or 1000/h; `off`; or `default`.
        #[arg(long, value_parser = super::rate_limits::change_arg)]
        per_client: Option<super::rate_limits::Change>,
        /// A rate such as 30/min; `off`; or `default`.
        #[arg(long, value_parser = super::rate_limits::change_arg)]
        per_ip: Option<super::rate_limits::Change>,
    },
    /// The rate limits in force on a site, and where each comes from.
    RateLimits {
        #[arg(long)]
        site: String,
    },
}

fn slug_arg(raw: &str) -> Result<String, String> {
    validate_slug(raw)
        .map(|()| raw.to_string())
        .map_err(|e| e.to_string())
}

fn base_url_arg(raw: &str) -> Result<url::Url, String> {
    parse_base_url(raw).map_err(|e| e.to_string())
}

fn alias_arg(raw: &str) -> Result<String, String> {
    parse_host_alias(raw).map_err(|e| e.to_string())
}

pub async fn run(
    command: SiteCommand,
    store: &SharedStore,
    deployment: &LimitTable,
    out: &Output,
) -> CliResult {
    match command {
        SiteCommand::Create {
            slug,
            base_url,
            name,
            aliases,
        } => {
            let mut hosts = vec![host_of(&base_url)];
            for alias in aliases {
                if !hosts.contains(&alias) {
                    hosts.push(alias);
                }
            }
            let new = NewSite {
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| slug.clone()),
                slug: slug.clone(),
                base_url: base_url.as_str().trim_end_matches('/').to_string(),
                session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
                created_at: SystemClock.now(),
            };
            let site = match store.create_site(&new, &hosts).await {
                Ok(site) => site,
                Err(StoreError::Conflict) => {
                    return Err(CliError::Failure(anyhow::anyhow!(
                        "a site named `{slug}`, or one answering for {}, already exists",
                        hosts.join(" or ")
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            out.done(
                &format!("created site `{}` at {} (hosts: {})", site.slug, site.base_url, hosts.join(", ")),
                json!({"id": site.id, "slug": site.slug, "name": site.name, "base_url": site.base_url, "hosts": hosts}),
            );
            Ok(())
        }
        SiteCommand::List => {
            let sites = store.list_sites().await?;
            let hosts = store.list_site_hosts().await?;
            let hosts_of = |id: i64| -> Vec<String> {
                hosts
                    .iter()
                    .filter(|h| h.site_id == id)
                    .map(|h| h.host.clone())
                    .collect()
            };
            let rows = sites
                .iter()
                .map(|s| {
                    vec![
                        s.slug.clone(),
                        s.name.clone(),
                        s.base_url.clone(),
                        hosts_of(s.id).join(","),
                    ]
                })
                .collect();
            let values = sites
                .iter()
                .map(|s| json!({"id": s.id, "slug": s.slug, "name": s.name, "base_url": s.base_url, "hosts": hosts_of(s.id)}))
                .collect();
            out.table(&["SLUG", "NAME", "BASE URL", "HOSTS"], rows, values);
            Ok(())
        }
        SiteCommand::SetRegistration { site, policy } => {
            super::registration::set_registration(store, &site, &policy, out).await
        }
        SiteCommand::SetRegistrableScopes { site, scopes } => {
            super::client_powers::set_registrable_scopes(store, &site, scopes, out).await
        }
        SiteCommand::SetAnonymousClientCredentials { site, allowed } => {
            super::client_powers::set_anonymous_client_credentials(store, &site, allowed, out).await
        }
        SiteCommand::SetParRequired { site, required } => {
            super::registration::set_par_required(store, &site, required, out).await
        }
        SiteCommand::SetDpopNonceRequired { site, required } => {
            super::dpop::set_nonce_required(store, &site, required, out).await
        }
        SiteCommand::SetRateLimit {
            site,
            endpoint,
            per_client,
            per_ip,
        } => {
            super::rate_limits::set_rate_limit(store, &site, endpoint, per_client, per_ip, out)
                .await
        }
        SiteCommand::RateLimits { site } => {
            super::rate_limits::show(store, &site, deployment, out).await
        }
    }
}
