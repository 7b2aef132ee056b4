//! How a client proves who it is (RFC 7591 `token_endpoint_auth_method`),
//! and the keys it registers for it: a secret (`client_secret_basic` or
//! `client_secret_post`), an HMAC assertion over that secret
//! (`client_secret_jwt`), an assertion signed with its own private key
//! (`private_key_jwt`, RFC 7523 2.2 and OpenID Connect Core 9), or nothing
//! for public clients. A client authenticates with exactly the method it
//! registered; `client_assertion.rs` checks the assertions.
//!
//! The public keys of a private_key_jwt client are a JWK Set given at
//! registration or the URL of one, fetched only through the SSRF-guarded
//! `Outbound` client and cached with the identity providers' key cache
//! (`identity::jwks`: refetched on an unknown `kid` at most once a minute).

use std::str::FromStr;
use std::sync::Arc;

use dashmap::DashMap;
use jsonwebtoken::Algorithm;
use url::Url;

use super::clients::{Client, ClientInputError};
use crate::identity::http::{HttpJwks, MAX_JWKS_BYTES};
use crate::identity::jwks::{InlineJwks, JwksCache, JwksFetcher, RefetchPolicy, parse_jwks};
use crate::outbound::{Outbound, OutboundPolicy, target::parse_url};
use crate::store::ClientKeyColumns;

/// The algorithms of private_key_jwt assertions.
pub const KEY_ALGORITHMS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::EdDSA,
];
/// The algorithm of client_secret_jwt assertions: an HMAC over the secret.
pub const SECRET_ALGORITHMS: [Algorithm; 1] = [Algorithm::HS256];

/// The JOSE names of [`KEY_ALGORITHMS`] and [`SECRET_ALGORITHMS`], for
/// the server metadata (a test keeps them in step).
pub const ASSERTION_ALG_NAMES: [&str; 5] = ["ES256", "RS256", "PS256", "EdDSA", "HS256"];

/// JWK members that only a private or symmetric key has.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// The registered method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `client_secret_basic` or `client_secret_post`: the same secret, in
    /// the `Authorization` header or the form.
    ClientSecret,
    ClientSecretJwt,
    PrivateKeyJwt,
    /// A public client.
    None,
}

impl ClientAuthMethod {
    /// As stored in `oauth_clients.auth_method`.
    pub fn as_stored(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecret => "client_secret",
            ClientAuthMethod::ClientSecretJwt => "client_secret_jwt",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
            ClientAuthMethod::None => "none",
        }
    }

    /// A stored method; a row from before migration 0016 (empty) by
    /// whether the client is confidential.
    pub fn from_stored(raw: &str, confidential: bool) -> Self {
        match raw {
            "client_secret_jwt" => ClientAuthMethod::ClientSecretJwt,
            "private_key_jwt" => ClientAuthMethod::PrivateKeyJwt,
            "none" => ClientAuthMethod::None,
            "client_secret" => ClientAuthMethod::ClientSecret,
            _ if confidential => ClientAuthMethod::ClientSecret,
            _ => ClientAuthMethod::None,
        }
    }

    /// An RFC 7591 `token_endpoint_auth_method`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "client_secret_basic" | "client_secret_post" => Some(ClientAuthMethod::ClientSecret),
            "client_secret_jwt" => Some(ClientAuthMethod::ClientSecretJwt),
            "private_key_jwt" => Some(ClientAuthMethod::PrivateKeyJwt),
            "none" => Some(ClientAuthMethod::None),
            _ => None,
        }
    }

    /// The RFC 7591 name to show (`client_secret_basic` for a secret).
    pub fn registered_name(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecret => "client_secret_basic",
            other => other.as_stored(),
        }
    }

    pub fn is_confidential(self) -> bool {
        self != ClientAuthMethod::None
    }

    /// Whether the client is issued a secret.
    pub fn has_secret(self) -> bool {
        matches!(
            self,
            ClientAuthMethod::ClientSecret | ClientAuthMethod::ClientSecretJwt
        )
    }

    /// The algorithms its assertions may use (none without assertions).
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            ClientAuthMethod::ClientSecretJwt => &SECRET_ALGORITHMS,
            ClientAuthMethod::PrivateKeyJwt => &KEY_ALGORITHMS,
            ClientAuthMethod::ClientSecret | ClientAuthMethod::None => &[],
        }
    }
}

/// Where a private_key_jwt client's public keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKeySource {
    /// A JWK Set document (`jwks`).
    Jwks(String),
    /// The URL of one (`jwks_uri`).
    JwksUri(String),
}

/// What a developer registers about authentication.
#[derive(Debug, Clone)]
pub struct ClientAuthSettings {
    pub method: ClientAuthMethod,
    /// private_key_jwt only, and required there.
    pub keys: Option<ClientKeySource>,
    /// `token_endpoint_auth_signing_alg`: the one algorithm allowed.
    pub signing_alg: Option<String>,
}

impl ClientAuthSettings {
    /// A secret (confidential) or nothing (public), as before keys.
    pub fn secret_or_none(confidential: bool) -> Self {
        ClientAuthSettings {
            method: if confidential {
                ClientAuthMethod::ClientSecret
            } else {
                ClientAuthMethod::None
            },
            keys: None,
            signing_alg: None,
        }
    }
}

/// Checks what a developer registers: the algorithm fits the method, a
/// key client gives usable public keys (inline, or a URL `policy` lets
/// Tessera fetch), and no other client gives keys. Returns the columns to
/// store (without the sealed secret).
pub fn check_auth(
    settings: &ClientAuthSettings,
    policy: OutboundPolicy,
) -> Result<ClientKeyColumns, ClientInputError> {
    let method = settings.method;
    let signing_alg = match settings
        .signing_alg
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => None,
        Some(name) => Some(parse_signing_alg(method, name)?),
    };
    let (jwks, jwks_uri) = match (method, &settings.keys) {
        (ClientAuthMethod::PrivateKeyJwt, Some(ClientKeySource::Jwks(json))) => {
            (Some(check_jwks(json, signing_alg)?), None)
        }
        (ClientAuthMethod::PrivateKeyJwt, Some(ClientKeySource::JwksUri(raw))) => {
            let url = parse_url(raw, policy)
                .map_err(|e| ClientInputError::Keys(format!("the jwks_uri is refused: {e}")))?;
            (None, Some(url.to_string()))
        }
        (ClientAuthMethod::PrivateKeyJwt, None) => {
            return Err(ClientInputError::Keys(
                "private_key_jwt needs the client's public keys: jwks or jwks_uri".into(),
            ));
        }
        (_, Some(_)) => {
            return Err(ClientInputError::Keys(
                "only private_key_jwt clients register keys (jwks, jwks_uri)".into(),
            ));
        }
        (_, None) => (None, None),
    };
    Ok(ClientKeyColumns {
        auth_method: method.as_stored().to_owned(),
        jwks,
        jwks_uri,
        auth_signing_alg: signing_alg.map(|a| format!("{a:?}")),
        sealed_secret: None,
    })
}

fn parse_signing_alg(method: ClientAuthMethod, name: &str) -> Result<Algorithm, ClientInputError> {
    let allowed = method.algorithms();
    let names: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
    if allowed.is_empty() {
        return Err(ClientInputError::AuthMethod(
            "token_endpoint_auth_signing_alg is only for client_secret_jwt and private_key_jwt"
                .into(),
        ));
    }
    Algorithm::from_str(name)
        .ok()
        .filter(|alg| allowed.contains(alg))
        .ok_or_else(|| {
            ClientInputError::AuthMethod(format!(
                "token_endpoint_auth_signing_alg `{name}` is refused for {}: use {}",
                method.as_stored(),
                names.join(", ")
            ))
        })
}

/// A JWK Set of public signing keys: no private members, at least one key
/// Tessera can use (and, with a registered algorithm, one that fits it).
/// Returned re-serialised, compact.
pub fn check_jwks(json: &str, alg: Option<Algorithm>) -> Result<String, ClientInputError> {
    let bad = |why: &str| ClientInputError::Keys(format!("the JWK Set is unusable: {why}"));
    if json.len() > MAX_JWKS_BYTES {
        return Err(bad("it is too large"));
    }
    let document: serde_json::Value =
        serde_json::from_str(json.trim()).map_err(|_| bad("it is not JSON"))?;
    let keys = document
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("it has no `keys` array"))?;
    let private = keys.iter().any(|key| {
        PRIVATE_MEMBERS
            .iter()
            .any(|member| key.get(member).is_some())
    });
    if private {
        return Err(bad(
            "it holds private or symmetric key material; register public keys only",
        ));
    }
    let compact = document.to_string();
    let usable = parse_jwks(&compact).map_err(|e| bad(&e.0))?;
    let algorithms = match &alg {
        Some(alg) => std::slice::from_ref(alg),
        None => &KEY_ALGORITHMS[..],
    };
    if !usable
        .iter()
        .any(|key| algorithms.iter().any(|a| key.accepts(*a)))
    {
        return Err(bad(
            "it holds no public key for ES256, RS256, PS256 or EdDSA",
        ));
    }
    Ok(compact)
}

/// A client's key cache and the registration it was built from.
struct LoadedKeys {
    jwks: Option<String>,
    jwks_uri: Option<String>,
    cache: Arc<JwksCache>,
}

/// The parsed public keys of private_key_jwt clients, by client row id,
/// so an assertion costs one signature check and no parsing. Part of
/// `OAuthCache`: dropped when the client changes (in any process, through
/// the change feed), and rebuilt when the cached registration is not the
/// client's current one.
#[derive(Default)]
pub struct ClientKeyCache {
    by_client: DashMap<i64, Arc<LoadedKeys>>,
}

/// At most this many clients' keys are kept; past it the cache restarts.
const MAX_CLIENTS: usize = 50_000;

impl ClientKeyCache {
    /// The key cache of `client`, built on first use. `None` when the
    /// client has no usable keys registered.
    pub fn keys_of(&self, client: &Client, outbound: &Outbound) -> Option<Arc<JwksCache>> {
        if let Some(loaded) = self.by_client.get(&client.pk)
            && loaded.jwks == client.jwks
            && loaded.jwks_uri == client.jwks_uri
        {
            return Some(loaded.cache.clone());
        }
        let fetcher: Arc<dyn JwksFetcher> = match (&client.jwks, &client.jwks_uri) {
            (Some(json), _) => Arc::new(InlineJwks::new(json.as_str()).ok()?),
            (None, Some(uri)) => {
                // Checked again by the outbound client before every fetch.
                let uri = Url::parse(uri).ok()?;
                Arc::new(HttpJwks::new(outbound.clone(), uri))
            }
            (None, None) => return None,
        };
        let cache = Arc::new(JwksCache::new(fetcher, RefetchPolicy::default()));
        if self.by_client.len() >= MAX_CLIENTS {
            self.by_client.clear();
        }
        self.by_client.insert(
            client.pk,
            Arc::new(LoadedKeys {
                jwks: client.jwks.clone(),
                jwks_uri: client.jwks_uri.clone(),
                cache: cache.clone(),
            }),
        );
        Some(cache)
    }

    pub fn evict(&self, client_pk: i64) {
        self.by_client.remove(&client_pk);
    }

    pub fn clear(&self) {
        self.by_client.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC_KEY: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    fn settings(method: ClientAuthMethod, keys: Option<ClientKeySource>) -> ClientAuthSettings {
        ClientAuthSettings {
            method,
            keys,
            signing_alg: None,
        }
    }

    #[test]
    fn the_advertised_algorithms_are_the_enforced_ones() {
        let names: Vec<String> = KEY_ALGORITHMS
            .iter()
            .chain(SECRET_ALGORITHMS.iter())
            .map(|alg| format!("{alg:?}"))
            .collect();
        assert_eq!(names, ASSERTION_ALG_NAMES);
    }

    #[test]
    fn key_clients_must_register_public_keys() {
        let policy = OutboundPolicy::default();
        let missing = check_auth(&settings(ClientAuthMethod::PrivateKeyJwt, None), policy);
        assert!(matches!(missing, Err(ClientInputError::Keys(_))));
        let inline = ClientKeySource::Jwks(EC_KEY.into());
        let ok = check_auth(
            &settings(ClientAuthMethod::PrivateKeyJwt, Some(inline)),
            policy,
        );
        assert!(ok.is_ok_and(|c| c.jwks.is_some() && c.auth_method == "private_key_jwt"));
        let private = EC_KEY.replace(r#""kid":"k1","#, r#""kid":"k1","d":"AAAA","#);
        assert!(matches!(
            check_jwks(&private, None),
            Err(ClientInputError::Keys(_))
        ));
    }

    #[test]
    fn jwks_uris_follow_the_outbound_policy() {
        let uri = |raw: &str| {
            settings(
                ClientAuthMethod::PrivateKeyJwt,
                Some(ClientKeySource::JwksUri(raw.into())),
            )
        };
        let strict = OutboundPolicy::default();
        let dev = OutboundPolicy {
            allow_private: true,
        };
        assert!(check_auth(&uri("http://127.0.0.1:9/jwks"), strict).is_err());
        assert!(check_auth(&uri("https://10.0.0.1/jwks"), strict).is_err());
        assert!(check_auth(&uri("https://keys.example.com/jwks"), strict).is_ok());
        assert!(check_auth(&uri("http://127.0.0.1:9/jwks"), dev).is_ok());
    }

    #[test]
    fn signing_algorithms_must_fit_the_method() {
        let policy = OutboundPolicy::default();
        let with_alg = |method, alg: &str| ClientAuthSettings {
            method,
            keys: (method == ClientAuthMethod::PrivateKeyJwt)
                .then(|| ClientKeySource::Jwks(EC_KEY.into())),
            signing_alg: Some(alg.into()),
        };
        assert!(
            check_auth(
                &with_alg(ClientAuthMethod::ClientSecretJwt, "HS256"),
                policy
            )
            .is_ok()
        );
        assert!(
            check_auth(
                &with_alg(ClientAuthMethod::ClientSecretJwt, "RS256"),
                policy
            )
            .is_err()
        );
        assert!(check_auth(&with_alg(ClientAuthMethod::PrivateKeyJwt, "ES256"), policy).is_ok());
        for refused in ["HS256", "none", "RS512"] {
            assert!(
                check_auth(&with_alg(ClientAuthMethod::PrivateKeyJwt, refused), policy).is_err(),
                "{refused}"
            );
        }
        // An RSA algorithm with only an EC key registered cannot work.
        assert!(check_auth(&with_alg(ClientAuthMethod::PrivateKeyJwt, "RS256"), policy).is_err());
        assert!(check_auth(&with_alg(ClientAuthMethod::ClientSecret, "HS256"), policy).is_err());
    }

    #[test]
    fn secret_clients_register_no_keys() {
        let keys = Some(ClientKeySource::Jwks(EC_KEY.into()));
        let refused = check_auth(
            &settings(ClientAuthMethod::ClientSecretJwt, keys),
            OutboundPolicy::default(),
        );
        assert!(matches!(refused, Err(ClientInputError::Keys(_))));
    }
}
