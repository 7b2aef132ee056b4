//! The DNS resolver of the outbound client: it looks a name up and drops
//! every address the policy forbids before the connector sees it, so a name
//! that resolves (or is rebound) to a private address is never connected
//! to, whatever it resolved to when the URL was registered.
//!
//! reqwest does not call a resolver for IP-literal hosts; those are checked
//! by [`super::target::check_url`] before the request is sent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::OutboundPolicy;
use super::address::{forbidden_address, forbidden_name};

/// Looks a host name up; the system resolver in production, a fixed table
/// in tests.
#[async_trait]
pub trait Lookup: Send + Sync {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// `getaddrinfo` through tokio's blocking pool.
pub struct SystemLookup;

#[async_trait]
impl Lookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let found = tokio::net::lookup_host((host, 0)).await?;
        Ok(found.map(|addr| addr.ip()).collect())
    }
}

/// The name resolved only to addresses Tessera may not reach.
#[derive(Debug, thiserror::Error)]
#[error("`{host}` resolves only to {why}, which Tessera does not fetch from")]
pub struct RefusedHost {
    pub host: String,
    pub why: &'static str,
}

pub struct GuardedResolver {
    lookup: Arc<dyn Lookup>,
    policy: OutboundPolicy,
}

impl GuardedResolver {
    pub fn new(lookup: Arc<dyn Lookup>, policy: OutboundPolicy) -> GuardedResolver {
        GuardedResolver { lookup, policy }
    }
}

/// The addresses of `host` that the policy allows; an error when none is.
pub async fn allowed_addresses(
    lookup: &dyn Lookup,
    host: &str,
    policy: OutboundPolicy,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if !policy.allow_private
        && let Some(why) = forbidden_name(host)
    {
        return Err(Box::new(RefusedHost {
            host: host.to_owned(),
            why,
        }));
    }
    let found = lookup.lookup(host).await?;
    let mut refused = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|ip| match forbidden_address(*ip) {
            Some(why) if !policy.allow_private => {
                refused = Some(why);
                false
            }
            _ => true,
        })
        .map(|ip| SocketAddr::new(ip, 0))
        .collect();
    if allowed.is_empty() {
        return Err(Box::new(RefusedHost {
            host: host.to_owned(),
            why: refused.unwrap_or("no address at all"),
        }));
    }
    if let Some(why) = refused {
        tracing::warn!(%host, dropped = why, "some addresses of an outbound host were dropped");
    }
    Ok(allowed)
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup.clone();
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = allowed_addresses(lookup.as_ref(), &host, policy).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A DNS that answers from a table: `rebound.example` is an attacker's
    /// name pointing at the metadata service.
    struct FakeDns(HashMap<&'static str, Vec<IpAddr>>);

    #[async_trait]
    impl Lookup for FakeDns {
        async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
            self.0
                .get(host)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"))
        }
    }

    fn dns() -> FakeDns {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        FakeDns(HashMap::from([
            ("public.example", vec![ip("93.184.216.34")]),
            ("rebound.example", vec![ip("169.254.169.254")]),
            ("loop.example", vec![ip("127.0.0.1"), ip("::1")]),
            ("mixed.example", vec![ip("10.0.0.7"), ip("93.184.216.34")]),
            ("mapped.example", vec![ip("::ffff:127.0.0.1")]),
        ]))
    }

    const STRICT: OutboundPolicy = OutboundPolicy {
        allow_private: false,
    };

    #[tokio::test]
    async fn names_resolving_only_to_forbidden_addresses_are_refused() {
        for host in ["rebound.example", "loop.example", "mapped.example"] {
            let refused = allowed_addresses(&dns(), host, STRICT).await.unwrap_err();
            assert!(refused.downcast_ref::<RefusedHost>().is_some(), "{host}");
        }
    }

    #[tokio::test]
    async fn forbidden_addresses_are_dropped_and_public_ones_kept() {
        let addrs = allowed_addresses(&dns(), "mixed.example", STRICT)
            .await
            .unwrap();
        assert_eq!(addrs, vec!["93.184.216.34:0".parse().unwrap()]);
        let addrs = allowed_addresses(&dns(), "public.example", STRICT)
            .await
            .unwrap();
        assert_eq!(addrs.len(), 1);
    }

    #[tokio::test]
    async fn local_names_are_refused_without_a_lookup() {
        // FakeDns does not know `localhost`: the refusal must come first.
        let refused = allowed_addresses(&dns(), "localhost", STRICT)
            .await
            .unwrap_err();
        assert!(refused.downcast_ref::<RefusedHost>().is_some());
    }

    #[tokio::test]
    async fn the_development_setting_keeps_every_address() {
        let policy = OutboundPolicy {
            allow_private: true,
        };
        let addrs = allowed_addresses(&dns(), "loop.example", policy)
            .await
            .unwrap();
        assert_eq!(addrs.len(), 2);
    }
}
