//! `tessera site set-rate-limit` and `tessera site rate-limits`: a site's
//! own rate limits over the deployment's (`crate::ratelimit`).

use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::clock::{Clock, SystemClock};
use crate::ratelimit::{Endpoint, LimitTable, Scope, Setting, effective};
use crate::store::SharedStore;

/// A value of `--per-client` / `--per-ip`: a rate, `off`, or `default`
/// (drop the site's own entry: the deployment's limit applies again).
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Set(Setting),
    Inherit,
}

pub fn change_arg(raw: &str) -> Result<Change, String> {
    match raw.trim() {
        "default" | "inherit" => Ok(Change::Inherit),
        other => Setting::parse(other).map(Change::Set),
    }
}

pub fn endpoint_arg(raw: &str) -> Result<Endpoint, String> {
    Endpoint::parse(raw).ok_or_else(|| {
        format!("expected one of token, par, revoke, introspect, device, register, exchange; got `{raw}`")
    })
}

pub async fn set_rate_limit(
    store: &SharedStore,
    slug: &str,
    endpoint: Endpoint,
    per_client: Option<Change>,
    per_ip: Option<Change>,
    out: &Output,
) -> CliResult {
    if per_client.is_none() && per_ip.is_none() {
        return Err(CliError::Usage(
            "give --per-client and/or --per-ip (a rate such as 100/s, off, or default)".into(),
        ));
    }
    let site = find_site(store, slug).await?;
    let mut table = LimitTable::parse(&site.rate_limits).unwrap_or_default();
    for (scope, change) in [(Scope::PerClient, per_client), (Scope::PerIp, per_ip)] {
        match change {
            Some(Change::Set(setting)) => table.set(endpoint, scope, Some(setting)),
            Some(Change::Inherit) => table.set(endpoint, scope, None),
            None => {}
        }
    }
    let spec = table.to_spec();
    store
        .set_site_rate_limits(site.id, &spec, SystemClock.now())
        .await?;
    out.done(
        &format!(
            "rate limits of `{slug}`: {}",
            if spec.is_empty() {
                "the deployment's"
            } else {
                &spec
            }
        ),
        json!({"site": slug, "rate_limits": spec}),
    );
    Ok(())
}

/// Every endpoint's limits in force on the site, and where each comes from.
pub async fn show(
    store: &SharedStore,
    slug: &str,
    deployment: &LimitTable,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    let own = LimitTable::parse(&site.rate_limits).unwrap_or_default();
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for endpoint in Endpoint::ALL {
        for scope in [Scope::PerClient, Scope::PerIp] {
            let source = if own.get(endpoint, scope).is_some() {
                "site"
            } else if deployment.get(endpoint, scope).is_some() {
                "deployment"
            } else {
                "default"
            };
            let rate = effective(&own, deployment, endpoint, scope)
                .map_or_else(|| "off".to_string(), |r| r.to_string());
            rows.push(vec![
                endpoint.as_str().to_string(),
                scope.as_str().to_string(),
                rate.clone(),
                source.to_string(),
            ]);
            values.push(json!({
                "endpoint": endpoint.as_str(),
                "scope": scope.as_str(),
                "rate": rate,
                "source": source,
            }));
        }
    }
    out.table(&["ENDPOINT", "SCOPE", "RATE", "FROM"], rows, values);
    Ok(())
}
