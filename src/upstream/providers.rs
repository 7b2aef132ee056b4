//! A site's upstream providers as admins manage them (`tessera upstream`,
//! the admin API): checked settings in, the client secret sealed at rest.

use super::UpstreamError;
use crate::crypto::{MasterKey, aead};
use crate::outbound::{OutboundPolicy, target};
use crate::store::{NewUpstreamProvider, SharedStore, StoreError, UpstreamProviderRecord};

/// Longer names, display names, client ids and secrets are refused.
const MAX_NAME_CHARS: usize = 32;
const MAX_DISPLAY_NAME_CHARS: usize = 64;
const MAX_CLIENT_FIELD_BYTES: usize = 512;

/// A provider as an admin describes it.
#[derive(Clone)]
pub struct NewProvider {
    /// Short name in URLs: lower-case letters, digits and `-`.
    pub name: String,
    /// What the sign-in button says (default: the name).
    pub display_name: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub link_by_email: bool,
    pub create_accounts: bool,
}

impl std::fmt::Debug for NewProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A provider as listings show it: never its secret.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub name: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Where the provider must send browsers back (register it there).
    pub redirect_uri: String,
    pub link_by_email: bool,
    pub create_accounts: bool,
    pub created_at: i64,
}

impl ProviderView {
    pub fn of(record: &UpstreamProviderRecord, site_issuer: &str) -> Self {
        ProviderView {
            name: record.name.clone(),
            display_name: record.display_name.clone(),
            issuer: record.issuer.clone(),
            client_id: record.client_id.clone(),
            redirect_uri: format!("{site_issuer}/login/upstream/{}/callback", record.name),
            link_by_email: record.link_by_email,
            create_accounts: record.create_accounts,
            created_at: record.created_at,
        }
    }
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        // `/login/upstream/link` is the linking form.
        && name != "link"
}

fn valid_client_field(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_CLIENT_FIELD_BYTES
        && !value.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Checks and stores a provider. The issuer must be a URL outbound fetches
/// may reach (https on a public address, unless private targets are
/// allowed); it is discovered on each sign-in.
pub async fn add_provider(
    store: &SharedStore,
    master: &MasterKey,
    policy: OutboundPolicy,
    site_id: i64,
    new: NewProvider,
    now: i64,
) -> Result<UpstreamProviderRecord, UpstreamError> {
    if !valid_name(&new.name) {
        return Err(UpstreamError::Invalid(format!(
            "the provider name must be 1 to {MAX_NAME_CHARS} lower-case letters, digits or `-`"
        )));
    }
    let display_name = new
        .display_name
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| new.name.clone());
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS
        || display_name.chars().any(char::is_control)
    {
        return Err(UpstreamError::Invalid(format!(
            "the display name must be at most {MAX_DISPLAY_NAME_CHARS} characters"
        )));
    }
    let issuer = new.issuer.trim().trim_end_matches('/').to_string();
    let parsed = target::parse_url(&issuer, policy)
        .map_err(|e| UpstreamError::Invalid(format!("issuer: {e}")))?;
    if parsed.query().is_some() {
        return Err(UpstreamError::Invalid(
            "issuer: an issuer URL has no query".into(),
        ));
    }
    if !valid_client_field(&new.client_id) || !valid_client_field(&new.client_secret) {
        return Err(UpstreamError::Invalid(format!(
            "the client id and secret must be 1 to {MAX_CLIENT_FIELD_BYTES} bytes without spaces"
        )));
    }
    let sealed = aead::seal(master, site_id, new.client_secret.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot seal the client secret: {e}"))?;
    let record = NewUpstreamProvider {
        site_id,
        name: new.name.clone(),
        display_name,
        issuer,
        client_id: new.client_id,
        sealed_client_secret: sealed,
        link_by_email: new.link_by_email,
        create_accounts: new.create_accounts,
        created_at: now,
    };
    match store.create_upstream_provider(&record).await {
        Ok(created) => Ok(created),
        Err(StoreError::Conflict) => Err(UpstreamError::NameTaken(new.name)),
        Err(e) => Err(e.into()),
    }
}

pub async fn list_providers(
    store: &SharedStore,
    site_id: i64,
) -> Result<Vec<UpstreamProviderRecord>, UpstreamError> {
    Ok(store.list_upstream_providers(site_id).await?)
}

/// Removes a provider and unlinks its identities; false when there was none.
pub async fn remove_provider(
    store: &SharedStore,
    site_id: i64,
    name: &str,
) -> Result<bool, UpstreamError> {
    Ok(store.delete_upstream_provider(site_id, name).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_are_short_url_words() {
        assert!(valid_name("google"));
        assert!(valid_name("corp-sso-2"));
        assert!(!valid_name(""));
        assert!(!valid_name("Google"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("-x"));
        assert!(!valid_name("link"));
        assert!(!valid_name(&"a".repeat(33)));
    }

    #[test]
    fn client_fields_have_no_spaces_or_control_characters() {
        assert!(valid_client_field("abc-123"));
        assert!(!valid_client_field(""));
        assert!(!valid_client_field("a b"));
        assert!(!valid_client_field("a\nb"));
    }
}
