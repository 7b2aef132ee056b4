//! `tessera client grant-permissions`, `tessera client set-introspect`,
//! `tessera site set-registrable-scopes` and `tessera site
//! set-anonymous-client-credentials`: what a client may do on its own.

use crate::audit::Actor;
use std::sync::Arc;

use serde_json::json;

use super::client::open_site;
use super::{CliResult, Output, find_site};
use crate::clock::SystemClock;
use crate::crypto::MasterKey;
use crate::oauth::cache::OAuthCache;
use crate::oauth::client_powers::parse_registrable_scopes;
use crate::oauth::{Clients, ScopeSet};
use crate::store::SharedStore;
use crate::users::{Permission, Permissions};

/// Parses `content:read content:write` (spaces or commas); empty means none.
pub fn permissions_arg(raw: &str) -> Result<Permissions, String> {
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

pub fn registrable_scopes_arg(raw: &str) -> Result<ScopeSet, String> {
    parse_registrable_scopes(raw).map_err(|e| e.to_string())
}

fn clients(store: &SharedStore) -> Clients {
    Clients::new(
        store.clone(),
        Arc::new(OAuthCache::default()),
        Arc::new(SystemClock),
    )
}

pub async fn grant_permissions(
    store: &SharedStore,
    master: &MasterKey,
    slug: &str,
    client_id: &str,
    permissions: Permissions,
    out: &Output,
) -> CliResult {
    let site = open_site(store, master, slug).await?;
    let client = clients(store)
        .grant_permissions(&site, client_id, permissions, &Actor::Cli)
        .await?;
    let names = client.granted_permissions.names();
    let within = client.ownerless_permissions(client.scopes).names();
    out.done(
        &format!(
            "client `{client_id}` now acts with: {} (within its scopes: {})",
            if names.is_empty() { "no permission".to_string() } else { names.join(" ") },
            if within.is_empty() { "none".to_string() } else { within.join(" ") },
        ),
        json!({"client_id": client_id, "granted_permissions": names, "effective_permissions": within}),
    );
    Ok(())
}

pub async fn set_introspect(
    store: &SharedStore,
    master: &MasterKey,
    slug: &str,
    client_id: &str,
    allowed: bool,
    out: &Output,
) -> CliResult {
    let site = open_site(store, master, slug).await?;
    clients(store)
        .set_introspect(&site, client_id, allowed, &Actor::Cli)
        .await?;
    out.done(
        &format!(
            "client `{client_id}` {}",
            if allowed {
                "may now introspect every token of the site (a resource server)"
            } else {
                "may now introspect only its own tokens"
            }
        ),
        json!({"client_id": client_id, "introspect": allowed}),
    );
    Ok(())
}

pub async fn set_registrable_scopes(
    store: &SharedStore,
    slug: &str,
    scopes: ScopeSet,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    store
        .set_registrable_scopes(site.id, &scopes.to_string())
        .await?;
    out.done(
        &format!(
            "clients registered without an initial access token on `{slug}` may hold: {}",
            if scopes.is_empty() {
                "no scope".to_string()
            } else {
                scopes.to_string()
            }
        ),
        json!({"site": slug, "registrable_scopes": scopes.names()}),
    );
    Ok(())
}

pub async fn set_anonymous_client_credentials(
    store: &SharedStore,
    slug: &str,
    allowed: bool,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    store
        .set_anonymous_client_credentials(site.id, allowed)
        .await?;
    out.done(
        &format!(
            "clients registered without an initial access token on `{slug}` {} use client_credentials",
            if allowed { "may" } else { "may not" }
        ),
        json!({"site": slug, "anonymous_client_credentials": allowed}),
    );
    Ok(())
}
