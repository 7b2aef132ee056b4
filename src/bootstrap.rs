//! First start on an empty store: the default site and its admin.

use crate::clock::Clock;
use crate::crypto::random;
use crate::settings::{Environment, Settings};
use crate::sites::host_of;
use crate::store::{NewSite, SharedStore};
use crate::users::{NewAccount, Role, Users};

pub const DEFAULT_SITE_SLUG: &str = "default";
pub const DEFAULT_SESSION_TTL_SECS: i64 = 7 * 24 * 60 * 60;

/// What the operator is told, once.
pub struct BootstrapReport {
    pub sign_in_url: String,
    pub username: String,
    pub password: String,
}

/// Hosts the default site answers for: its base URL's host and, in
/// development, the loopback addresses on the listen port, so a newcomer who
/// opens any of them is not turned away.
pub fn default_site_hosts(settings: &Settings, listen_port: u16) -> Vec<String> {
    let mut hosts = vec![host_of(&settings.base_url)];
    if settings.environment == Environment::Development {
        for loopback in ["127.0.0.1", "[::1]", "localhost"] {
            let host = format!("{loopback}:{listen_port}");
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

/// Creates the default site and an `admin` user with a random password when
/// the store has no site at all. `None` when there was nothing to do.
pub async fn ensure_default_site(
    store: &SharedStore,
    users: &Users,
    settings: &Settings,
    clock: &dyn Clock,
    listen_port: u16,
) -> anyhow::Result<Option<BootstrapReport>> {
    if store.count_sites().await? > 0 {
        return Ok(None);
    }
    let password = random::password();
    let site = NewSite {
        slug: DEFAULT_SITE_SLUG.to_string(),
        name: "Tessera".to_string(),
        base_url: settings.base_url.as_str().trim_end_matches('/').to_string(),
        session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
        created_at: clock.now(),
    };
    let admin = users
        .prepare(
            0,
            NewAccount {
                username: "admin".to_string(),
                display_name: Some("Administrator".to_string()),
                email: None,
                role: Role::Admin,
                password: password.clone(),
            },
        )
        .await?;
    let hosts = default_site_hosts(settings, listen_port);
    let Some((site, user)) = store.bootstrap(&site, &hosts, &admin).await? else {
        return Ok(None);
    };
    Ok(Some(BootstrapReport {
        sign_in_url: format!("{}/login", site.base_url.trim_end_matches('/')),
        username: user.username,
        password,
    }))
}
