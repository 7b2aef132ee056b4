use clap::Subcommand;
use serde_json::json;

use super::{CliResult, Output};
use crate::admin::types::NewSiteRequest;
use crate::admin::{Admin, Paging};
use crate::ratelimit::LimitTable;
use crate::sites::{parse_base_url, parse_host_alias, validate_slug};

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
    /// A site's hosts and client-registration settings.
    Show {
        #[arg(long)]
        site: String,
    },
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
    /// The site's security profile: `fapi2` enforces the FAPI 2.0 Security
    /// Profile (PAR, private_key_jwt, DPoP, PS256/ES256/EdDSA); `default`
    /// accepts everything Tessera supports.
    SetProfile {
        #[arg(long)]
        site: String,
        #[arg(value_parser = profile_arg)]
        profile: crate::oauth::fapi::SecurityProfile,
    },
    /// Whether a client_id that is an https URL is resolved by fetching its
    /// Client ID Metadata Document (default: false).
    SetClientIdMetadataDocuments {
        #[arg(long)]
        site: String,
        #[arg(action = clap::ArgAction::Set)]
        enabled: bool,
    },
    /// Who may create an account: closed (default), open, or invite (only
    /// people holding an invitation: `tessera user invite`).
    SetSignup {
        #[arg(long)]
        site: String,
        #[arg(value_parser = super::accounts::signup_policy_arg)]
        policy: crate::accounts::SignupPolicy,
    },
    /// The sender of the site's email, such as "Docs <no-reply@docs.example.com>";
    /// "" for the deployment's (TESSERA_SMTP_FROM).
    SetEmailFrom {
        #[arg(long)]
        site: String,
        from: String,
    },
    /// Who must sign in with a second factor (TOTP): optional (the
    /// default), admins, or everyone.
    SetSecondFactorPolicy {
        #[arg(long)]
        site: String,
        #[arg(value_parser = ["optional", "admins", "everyone"])]
        policy: String,
    },
    /// The language of visitors whose browser asks for none Tessera
    /// speaks, and of emails to people who chose none: en or de.
    SetDefaultLocale {
        #[arg(long)]
        site: String,
        #[arg(value_parser = ["en", "de"])]
        locale: String,
    },
    /// The site's look on every page; each option given is set, "" clears
    /// it. The logo is an https URL the browser loads (never the server).
    SetLook {
        #[arg(long)]
        site: String,
        /// Shown instead of the site's name.
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        logo_url: Option<String>,
        /// #rrggbb; text on it is black or white, whichever reads better.
        #[arg(long)]
        accent_colour: Option<String>,
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

fn profile_arg(raw: &str) -> Result<crate::oauth::fapi::SecurityProfile, String> {
    crate::oauth::fapi::SecurityProfile::parse(raw)
        .ok_or_else(|| "expected default or fapi2".to_string())
}

fn base_url_arg(raw: &str) -> Result<url::Url, String> {
    parse_base_url(raw).map_err(|e| e.to_string())
}

fn alias_arg(raw: &str) -> Result<String, String> {
    parse_host_alias(raw).map_err(|e| e.to_string())
}

pub async fn run(
    command: SiteCommand,
    admin: &Admin,
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
            let request = NewSiteRequest {
                slug,
                base_url: base_url.to_string(),
                name,
                aliases,
            };
            let site = admin.create_site(request).await?;
            out.done(
                &format!(
                    "created site `{}` at {} (hosts: {})",
                    site.slug,
                    site.base_url,
                    site.hosts.join(", ")
                ),
                json!(site),
            );
            Ok(())
        }
        SiteCommand::List => {
            let sites = admin.list_sites(Paging::ALL).await?.items;
            let rows = sites
                .iter()
                .map(|s| {
                    vec![
                        s.slug.clone(),
                        s.name.clone(),
                        s.base_url.clone(),
                        s.hosts.join(","),
                    ]
                })
                .collect();
            let values = sites.iter().map(|s| json!(s)).collect();
            out.table(&["SLUG", "NAME", "BASE URL", "HOSTS"], rows, values);
            Ok(())
        }
        SiteCommand::Show { site } => {
            let site = admin.site(&site).await?;
            let settings = admin.site_settings(&site).await?;
            out.done(
                &format!(
                    "site `{}` at {}\nhosts: {}\nregistration: {}\nregistrable scopes: {}\nanonymous client_credentials: {}\npushed authorization requests required: {}\nDPoP nonce required: {}\nsecurity profile: {}\nclient ID metadata documents: {}\nsign-up: {}\nemail from: {}{}\nsecond factor: {}\ndefault language: {}\ndisplay name: {}\nlogo: {}\naccent colour: {}",
                    settings.site.slug,
                    settings.site.base_url,
                    settings.site.hosts.join(", "),
                    settings.registration_policy,
                    settings.registrable_scopes.join(" "),
                    settings.anonymous_client_credentials,
                    settings.require_pushed_authorization_requests,
                    settings.dpop_nonce_required,
                    settings.security_profile,
                    settings.client_id_metadata_documents,
                    settings.signup_policy,
                    settings.email_from.as_deref().unwrap_or("(the deployment's)"),
                    if settings.email_enabled { "" } else { " (email is off)" },
                    settings.second_factor_policy,
                    settings.default_locale,
                    settings.display_name.as_deref().unwrap_or("(the site's name)"),
                    settings.logo_url.as_deref().unwrap_or("(none)"),
                    settings.accent_colour.as_deref().unwrap_or("(the default)"),
                ),
                json!(settings),
            );
            Ok(())
        }
        SiteCommand::SetRegistration { site, policy } => {
            super::registration::set_registration(admin, &site, &policy, out).await
        }
        SiteCommand::SetRegistrableScopes { site, scopes } => {
            super::client_powers::set_registrable_scopes(admin, &site, scopes, out).await
        }
        SiteCommand::SetAnonymousClientCredentials { site, allowed } => {
            super::client_powers::set_anonymous_client_credentials(admin, &site, allowed, out).await
        }
        SiteCommand::SetParRequired { site, required } => {
            super::registration::set_par_required(admin, &site, required, out).await
        }
        SiteCommand::SetDpopNonceRequired { site, required } => {
            super::dpop::set_nonce_required(admin, &site, required, out).await
        }
        SiteCommand::SetProfile { site, profile } => {
            let record = admin.site(&site).await?;
            let change = crate::admin::types::SiteSettingsRequest {
                security_profile: Some(profile.as_str().to_string()),
                ..Default::default()
            };
            admin.change_site(&record, change).await?;
            out.done(
                &format!("site `{site}` now follows the {} profile", profile.as_str()),
                json!({"site": site, "security_profile": profile.as_str()}),
            );
            Ok(())
        }
        SiteCommand::SetClientIdMetadataDocuments { site, enabled } => {
            super::metadata_documents::set_enabled(admin, &site, enabled, out).await
        }
        SiteCommand::SetSignup { site, policy } => {
            super::accounts::set_signup(admin, &site, policy, out).await
        }
        SiteCommand::SetEmailFrom { site, from } => {
            super::accounts::set_email_from(admin, &site, &from, out).await
        }
        SiteCommand::SetDefaultLocale { site, locale } => {
            super::look::set_default_locale(admin, &site, &locale, out).await
        }
        SiteCommand::SetLook {
            site,
            display_name,
            logo_url,
            accent_colour,
        } => {
            let look = super::look::LookArgs {
                display_name,
                logo_url,
                accent_colour,
            };
            super::look::set_look(admin, &site, look, out).await
        }
        SiteCommand::SetSecondFactorPolicy { site, policy } => {
            let record = admin.site(&site).await?;
            let change = crate::admin::types::SiteSettingsRequest {
                second_factor_policy: Some(policy.clone()),
                ..Default::default()
            };
            admin.change_site(&record, change).await?;
            out.done(
                &format!(
                    "site `{site}`: second factor {}",
                    match policy.as_str() {
                        "admins" => "required of administrators",
                        "everyone" => "required of everyone",
                        _ => "optional",
                    }
                ),
                json!({"site": site, "second_factor_policy": policy}),
            );
            Ok(())
        }
        SiteCommand::SetRateLimit {
            site,
            endpoint,
            per_client,
            per_ip,
        } => {
            super::rate_limits::set_rate_limit(
                &admin.store,
                &site,
                endpoint,
                per_client,
                per_ip,
                out,
            )
            .await
        }
        SiteCommand::RateLimits { site } => {
            super::rate_limits::show(&admin.store, &site, deployment, out).await
        }
    }
}
