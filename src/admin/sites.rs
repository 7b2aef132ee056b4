//! Sites: list, create, show and change their settings (registration
//! policy, registrable scopes, anonymous client_credentials, PAR, DPoP
//! nonces, the security profile, Client ID Metadata Documents, sign-up
//! policy, the sender of the site's email and the second-factor policy).

use super::types::{NewSiteRequest, Page, SiteSettingsRequest, SiteSettingsView, SiteView};
use super::{Admin, AdminError, AdminResult, Paging};
use crate::accounts::{AccountSettings, SignupPolicy};
use crate::audit::AuditKind;
use crate::bootstrap::DEFAULT_SESSION_TTL_SECS;
use crate::i18n::Locale;
use crate::oauth::ScopeSet;
use crate::oauth::client_powers::parse_registrable_scopes;
use crate::oauth::fapi::SecurityProfile;
use crate::oauth::registration::RegistrationPolicy;
use crate::second_factor::SecondFactorPolicy;
use crate::sites::{Site, host_of, look, parse_base_url, parse_host_alias, validate_slug};
use crate::store::{NewSite, SiteLookChange, StoreError};

fn site_view(site: &Site) -> SiteView {
    SiteView {
        id: site.id,
        slug: site.slug.clone(),
        name: site.name.clone(),
        base_url: site.issuer.clone(),
        hosts: site.hosts.clone(),
    }
}

impl Admin {
    pub async fn list_sites(&self, paging: Paging) -> AdminResult<Page<SiteView>> {
        let hosts = self.store.list_site_hosts().await?;
        let sites = self
            .store
            .list_sites()
            .await?
            .into_iter()
            .map(|s| SiteView {
                hosts: hosts
                    .iter()
                    .filter(|h| h.site_id == s.id)
                    .map(|h| h.host.clone())
                    .collect(),
                id: s.id,
                slug: s.slug,
                name: s.name,
                base_url: s.base_url,
            })
            .collect();
        Ok(paging.page(sites))
    }

    /// Creates a site answering for its base URL's host and the aliases.
    pub async fn create_site(&self, request: NewSiteRequest) -> AdminResult<SiteView> {
        let input = |e: &dyn std::fmt::Display| AdminError::Input(e.to_string());
        validate_slug(&request.slug).map_err(|e| input(&e))?;
        let base_url = parse_base_url(&request.base_url).map_err(|e| input(&e))?;
        let mut hosts = vec![host_of(&base_url)];
        for alias in &request.aliases {
            let alias = parse_host_alias(alias).map_err(|e| input(&e))?;
            if !hosts.contains(&alias) {
                hosts.push(alias);
            }
        }
        let new = NewSite {
            name: request
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| request.slug.clone()),
            slug: request.slug.clone(),
            base_url: base_url.as_str().trim_end_matches('/').to_string(),
            session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
            created_at: self.now(),
        };
        let site = match self.store.create_site(&new, &hosts).await {
            Ok(site) => site,
            Err(StoreError::Conflict) => {
                return Err(AdminError::Conflict(format!(
                    "a site named `{}`, or one answering for {}, already exists",
                    request.slug,
                    hosts.join(" or ")
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let event = self
            .event(AuditKind::SiteCreated)
            .detail("slug", site.slug.as_str())
            .detail("base_url", site.base_url.as_str());
        self.record(site.id, event).await;
        Ok(SiteView {
            id: site.id,
            slug: site.slug,
            name: site.name,
            base_url: site.base_url,
            hosts,
        })
    }

    pub async fn site_settings(&self, site: &Site) -> AdminResult<SiteSettingsView> {
        let limits = self.store.anonymous_client_limits(site.id).await?;
        // From the store, not `site`: it may predate a change just made.
        let record = self
            .store
            .find_site_by_slug(&site.slug)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no site `{}`", site.slug)))?;
        let accounts = AccountSettings::from_record(&record);
        Ok(SiteSettingsView {
            site: site_view(site),
            registration_policy: self.store.registration_policy(site.id).await?,
            registrable_scopes: ScopeSet::from_stored(&limits.registrable_scopes).names(),
            anonymous_client_credentials: limits.anonymous_client_credentials,
            require_pushed_authorization_requests: self.store.site_par_required(site.id).await?,
            dpop_nonce_required: record.dpop_nonce_required,
            security_profile: if record.security_profile.is_empty() {
                SecurityProfile::Default.as_str().to_string()
            } else {
                record.security_profile
            },
            client_id_metadata_documents: record.client_id_metadata_documents,
            signup_policy: accounts.signup.as_str().to_string(),
            email_from: accounts.email_from,
            email_enabled: self.outbox.as_ref().is_some_and(|o| o.enabled()),
            second_factor_policy: SecondFactorPolicy::parse(&record.second_factor_policy)
                .unwrap_or_default()
                .as_str()
                .to_string(),
            default_locale: Locale::parse(&record.default_locale)
                .unwrap_or_default()
                .as_str()
                .to_string(),
            display_name: record.display_name,
            logo_url: record.logo_url,
            accent_colour: record.accent_colour,
        })
    }

    /// Applies the settings given (all checked before any is saved), each
    /// audited.
    pub async fn change_site(&self, site: &Site, change: SiteSettingsRequest) -> AdminResult<()> {
        let policy = match change.registration_policy.as_deref() {
            Some(raw) => Some(RegistrationPolicy::parse(raw).ok_or_else(|| {
                AdminError::Input("registration_policy: expected closed, open or token".into())
            })?),
            None => None,
        };
        let scopes = change
            .registrable_scopes
            .as_deref()
            .map(parse_registrable_scopes)
            .transpose()
            .map_err(|e| AdminError::Input(e.to_string()))?;
        let profile = change
            .security_profile
            .as_deref()
            .map(|raw| {
                SecurityProfile::parse(raw).ok_or_else(|| {
                    AdminError::Input("security_profile: expected default or fapi2".into())
                })
            })
            .transpose()?;
        let signup = change
            .signup_policy
            .as_deref()
            .map(|raw| {
                SignupPolicy::parse(raw).ok_or_else(|| {
                    AdminError::Input("signup_policy: expected closed, open or invite".into())
                })
            })
            .transpose()?;
        let email_from = change
            .email_from
            .as_deref()
            .map(|raw| match raw.trim() {
                "" => Ok(None),
                from => from
                    .parse::<lettre::message::Mailbox>()
                    .map(|_| Some(from.to_string()))
                    .map_err(|_| {
                        AdminError::Input(format!(
                            "email_from: `{from}` is not an address such as `Docs <no-reply@docs.example.com>`"
                        ))
                    }),
            })
            .transpose()?;
        let second_factor_policy = change
            .second_factor_policy
            .as_deref()
            .map(|raw| {
                SecondFactorPolicy::parse(raw).ok_or_else(|| {
                    AdminError::Input(format!(
                        "second_factor_policy: expected {}",
                        SecondFactorPolicy::NAMES
                    ))
                })
            })
            .transpose()?;
        let default_locale = change
            .default_locale
            .as_deref()
            .map(|raw| {
                Locale::parse(raw).ok_or_else(|| {
                    AdminError::Input(format!("default_locale: expected {}", Locale::NAMES))
                })
            })
            .transpose()?;
        let look = LookInput::check(&change)?;
        let mut changed: Vec<(&str, serde_json::Value)> = Vec::new();
        if let Some(policy) = policy {
            self.store
                .set_registration_policy(site.id, policy.as_str())
                .await?;
            changed.push(("registration_policy", policy.as_str().into()));
        }
        if let Some(scopes) = scopes {
            self.store
                .set_registrable_scopes(site.id, &scopes.to_string())
                .await?;
            changed.push(("registrable_scopes", scopes.to_string().into()));
        }
        if let Some(allowed) = change.anonymous_client_credentials {
            self.store
                .set_anonymous_client_credentials(site.id, allowed)
                .await?;
            changed.push(("anonymous_client_credentials", allowed.into()));
        }
        if let Some(required) = change.require_pushed_authorization_requests {
            self.store
                .set_site_par_required(site.id, required, self.now())
                .await?;
            changed.push(("require_pushed_authorization_requests", required.into()));
        }
        if let Some(required) = change.dpop_nonce_required {
            self.store
                .set_site_dpop_nonce_required(site.id, required, self.now())
                .await?;
            changed.push(("dpop_nonce_required", required.into()));
        }
        if let Some(profile) = profile {
            self.store
                .set_site_security_profile(site.id, profile.as_str(), self.now())
                .await?;
            changed.push(("security_profile", profile.as_str().into()));
        }
        if let Some(enabled) = change.client_id_metadata_documents {
            self.store
                .set_site_client_id_metadata_documents(site.id, enabled, self.now())
                .await?;
            changed.push(("client_id_metadata_documents", enabled.into()));
        }
        if let Some(policy) = signup {
            self.store
                .set_site_signup_policy(site.id, policy.as_str(), self.now())
                .await?;
            changed.push(("signup_policy", policy.as_str().into()));
        }
        if let Some(from) = email_from {
            self.store
                .set_site_email_from(site.id, from.as_deref(), self.now())
                .await?;
            changed.push(("email_from", from.into()));
        }
        if let Some(policy) = second_factor_policy {
            self.store
                .set_site_second_factor_policy(site.id, policy.as_str(), self.now())
                .await?;
            changed.push(("second_factor_policy", policy.as_str().into()));
        }
        if let Some(locale) = default_locale {
            self.store
                .set_site_default_locale(site.id, locale.as_str(), self.now())
                .await?;
            changed.push(("default_locale", locale.as_str().into()));
        }
        if look.any() {
            let store_change = SiteLookChange {
                display_name: look.display_name.as_ref().map(Option::as_deref),
                logo_url: look.logo_url.as_ref().map(Option::as_deref),
                accent_colour: look.accent_colour.as_ref().map(Option::as_deref),
            };
            self.store
                .set_site_look(site.id, store_change, self.now())
                .await?;
            for (setting, value) in [
                ("display_name", &look.display_name),
                ("logo_url", &look.logo_url),
                ("accent_colour", &look.accent_colour),
            ] {
                if let Some(value) = value {
                    changed.push((setting, value.clone().into()));
                }
            }
        }
        for (setting, value) in changed {
            let event = self
                .event(AuditKind::SiteChanged)
                .detail("setting", setting)
                .detail("value", value);
            self.record(site.id, event).await;
        }
        Ok(())
    }
}

/// A site's look as asked for, checked: each `Some` is a change, and
/// `Some(None)` clears the value (an empty string was sent).
struct LookInput {
    display_name: Option<Option<String>>,
    logo_url: Option<Option<String>>,
    accent_colour: Option<Option<String>>,
}

impl LookInput {
    fn check(change: &SiteSettingsRequest) -> AdminResult<Self> {
        fn field(
            raw: Option<&str>,
            parse: impl Fn(&str) -> Result<String, look::LookError>,
        ) -> AdminResult<Option<Option<String>>> {
            match raw.map(str::trim) {
                None => Ok(None),
                Some("") => Ok(Some(None)),
                Some(value) => parse(value)
                    .map(|v| Some(Some(v)))
                    .map_err(|e| AdminError::Input(e.to_string())),
            }
        }
        Ok(LookInput {
            display_name: field(change.display_name.as_deref(), look::parse_display_name)?,
            logo_url: field(change.logo_url.as_deref(), look::parse_logo_url)?,
            accent_colour: field(change.accent_colour.as_deref(), |raw| {
                look::Accent::parse(raw).map(|a| a.colour)
            })?,
        })
    }

    fn any(&self) -> bool {
        self.display_name.is_some() || self.logo_url.is_some() || self.accent_colour.is_some()
    }
}
