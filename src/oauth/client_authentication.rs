//! Client authentication at the token, PAR, revocation, introspection and
//! device authorization endpoints: the one code path all of them take.
//!
//! What the request carries decides the method it uses — HTTP Basic
//! (`client_secret_basic`), a form secret (`client_secret_post`), a
//! `client_assertion` (`client_secret_jwt` or `private_key_jwt`), or only
//! a `client_id` (`none`) — and it must be the method the client
//! registered (`client_auth::ClientAuthMethod`): a key client cannot use a
//! secret, nor a secret client an assertion signed with another key.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::DecodingKey;

use super::client_assertion::{
    self, ASSERTION_TYPE, AssertionError, AssertionHeader, CheckedAssertion,
};
use super::client_auth::ClientAuthMethod;
use super::clients::{Client, ClientKeyError, Clients, MAX_CLIENT_ID_LEN};
use super::error::{OAuthError, OAuthResult};
use super::tokens;
use crate::crypto::aead;
use crate::ratelimit::{Admission, Endpoint, Subject};
use crate::sites::Site;
use crate::store::{Committed, PendingWrite, ProofUse};
use crate::throttle::{Attempt, ThrottleKey};
use sha2::{Digest, Sha256};

/// The client credentials a request carried (no `Debug`: it holds a secret).
#[derive(Default)]
pub struct PresentedClient<'a> {
    /// The raw `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub client_assertion_type: Option<&'a str>,
    pub client_assertion: Option<&'a str>,
}

/// What the request proves with: a secret (`client_secret_basic` or
/// `client_secret_post`), an assertion, or nothing (`none`).
enum Proof {
    Secret(String),
    Assertion(String),
    None,
}

struct Credentials {
    client_id: String,
    proof: Proof,
}

fn form_decode(raw: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

impl PresentedClient<'_> {
    /// Whether the request carries a credential (a secret or an
    /// assertion), so it counts against its client's rate limit.
    pub fn carries_credentials(&self) -> bool {
        self.authorization.is_some()
            || self.client_secret.is_some()
            || self.client_assertion.is_some()
    }

    /// The client id and secret, read as the token endpoint reads them.
    /// Only for the fuzz targets in `fuzz/`.
    #[doc(hidden)]
    pub fn fuzz_credentials(&self) -> OAuthResult<(String, Option<String>)> {
        self.credentials().map(|c| {
            let secret = match c.proof {
                Proof::Secret(secret) => Some(secret),
                Proof::Assertion(_) | Proof::None => None,
            };
            (c.client_id, secret)
        })
    }

    fn credentials(&self) -> OAuthResult<Credentials> {
        if self.client_assertion.is_some() || self.client_assertion_type.is_some() {
            return self.assertion_credentials();
        }
        if let Some(header) = self.authorization {
            return self.basic_credentials(header);
        }
        let client_id =
            self.client_id
                .filter(|id| !id.is_empty())
                .ok_or(OAuthError::InvalidClient(
                    "client authentication is required",
                ))?;
        Ok(Credentials {
            client_id: client_id.to_string(),
            proof: self
                .client_secret
                .map_or(Proof::None, |s| Proof::Secret(s.to_string())),
        })
    }

    fn basic_credentials(&self, header: &str) -> OAuthResult<Credentials> {
        let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(OAuthError::InvalidClient("use HTTP Basic authentication"));
        }
        if self.client_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        let decoded = STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(OAuthError::InvalidClient("malformed Basic credentials"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or(OAuthError::InvalidClient("malformed Basic credentials"))?;
        // RFC 6749 2.3.1: both parts are form-urlencoded first.
        let (id, secret) = form_decode(id)
            .zip(form_decode(secret))
            .ok_or(OAuthError::InvalidClient("malformed Basic credentials"))?;
        if self.client_id.is_some_and(|form_id| form_id != id) {
            return Err(OAuthError::InvalidClient(
                "the client ids in header and body differ",
            ));
        }
        Ok(Credentials {
            client_id: id,
            proof: Proof::Secret(secret),
        })
    }

    /// RFC 7521 4.2: the client id is the assertion's `sub`; a `client_id`
    /// sent as well must be the same.
    fn assertion_credentials(&self) -> OAuthResult<Credentials> {
        if self.authorization.is_some() || self.client_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        if self.client_assertion_type != Some(ASSERTION_TYPE) {
            return Err(OAuthError::InvalidClient(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let assertion = self
            .client_assertion
            .filter(|a| !a.is_empty())
            .ok_or(OAuthError::InvalidClient("client_assertion is missing"))?;
        let client_id = client_assertion::peek_client_id(assertion).ok_or(
            OAuthError::InvalidClient("the client assertion is not a JWT with a sub claim"),
        )?;
        if self.client_id.is_some_and(|form_id| form_id != client_id) {
            return Err(OAuthError::InvalidClient(
                "client_id differs from the client assertion's sub",
            ));
        }
        Ok(Credentials {
            client_id,
            proof: Proof::Assertion(assertion.to_string()),
        })
    }
}

/// Why authentication failed, before it is counted.
enum Refusal {
    /// Unknown client, wrong secret: one message, so neither is told apart.
    Credentials,
    /// The request used another method than the client registered.
    WrongMethod(&'static str),
    Assertion(AssertionError),
}

impl Refusal {
    fn error(&self) -> OAuthError {
        OAuthError::InvalidClient(match self {
            Refusal::Credentials => "unknown client or wrong secret",
            Refusal::WrongMethod(message) => message,
            Refusal::Assertion(e) => e.description(),
        })
    }
}

/// A client assertion's `jti`, checked and not yet recorded as used. It is
/// kept with the DPoP proofs' (`dpop_proofs`): a single-use JWT id per
/// site and holder, here `client:<client_id>`, which no key thumbprint
/// can equal (thumbprints are base64url, without `:`).
#[derive(Debug, Clone)]
pub struct UnspentJti(ProofUse);

impl UnspentJti {
    fn of(site: &Site, client: &Client, checked: &CheckedAssertion) -> Self {
        Self(ProofUse {
            site_id: site.id,
            jkt: format!("client:{}", client.client_id),
            jti_hash: Sha256::digest(checked.jti.as_bytes()).to_vec(),
            expires_at: checked.expires_at,
        })
    }

    /// The answer to an assertion used before.
    pub fn replayed() -> OAuthError {
        Refusal::Assertion(AssertionError::Replayed).error()
    }
}

impl Clients {
    /// Authenticates the client of a request to `endpoint` (see the
    /// module), then counts the request against the client's rate limit
    /// there: over it, `temporarily_unavailable` (429). Every failure is
    /// `invalid_client`, until a client id has failed too often: then
    /// `temporarily_unavailable` (429) for a while.
    ///
    /// Only failures are counted, so a good authentication costs no write
    /// on this hot path (but the `jti` of an assertion), and an attacker
    /// failing on purpose cannot lock the real client out (its secrets and
    /// keys are not guessable in any number of tries; the count bounds the
    /// noise and the work).
    pub async fn authenticate_at(
        &self,
        site: &Site,
        presented: &PresentedClient<'_>,
        endpoint: Endpoint,
    ) -> OAuthResult<Arc<Client>> {
        let (client, jti) = self.authenticate_unspent(site, presented, endpoint).await?;
        if let Some(jti) = jti {
            self.spend_jti(&jti).await?;
        }
        Ok(client)
    }

    /// [`Self::authenticate_at`], but the `jti` of a client assertion is
    /// not recorded yet.
    async fn authenticate_unspent(
        &self,
        site: &Site,
        presented: &PresentedClient<'_>,
        endpoint: Endpoint,
    ) -> OAuthResult<(Arc<Client>, Option<UnspentJti>)> {
        let credentials = presented.credentials()?;
        let verified = match self.find(site, &credentials.client_id).await? {
            None => Err(Refusal::Credentials),
            Some(client) => self
                .verify(site, &client, &credentials, endpoint)
                .await
                .map(|jti| (client, jti)),
        };
        let (client, jti) = match verified {
            Ok(verified) => verified,
            Err(Refusal::Assertion(AssertionError::KeysUnavailable)) => {
                // Not a guess at the client's keys: not counted.
                return Err(Refusal::Assertion(AssertionError::KeysUnavailable).error());
            }
            Err(refusal) => {
                return Err(self
                    .failed_authentication(site, &credentials.client_id, refusal)
                    .await);
            }
        };
        if let Some(limits) = &self.rate_limits
            && let Admission::Refused { retry_after } = limits
                .admit(site, endpoint, Subject::Client(&client.client_id))
                .await
        {
            return Err(OAuthError::RateLimited(retry_after));
        }
        Ok((client, jti))
    }

    /// Whether the credentials prove `client`, by the method it registered.
    async fn verify(
        &self,
        site: &Site,
        client: &Client,
        credentials: &Credentials,
        endpoint: Endpoint,
    ) -> Result<Option<UnspentJti>, Refusal> {
        if site.oauth.profile.is_fapi2() && client.auth_method != ClientAuthMethod::PrivateKeyJwt {
            return Err(Refusal::WrongMethod(
                "this site follows the FAPI 2.0 Security Profile: clients authenticate with private_key_jwt only",
            ));
        }
        match (client.auth_method, &credentials.proof) {
            (ClientAuthMethod::ClientSecret, Proof::Secret(secret)) => {
                let matches = client.secret_hash().is_some_and(|stored| {
                    tokens::client_secret_matches(site, &client.client_id, secret, stored)
                });
                matches.then_some(None).ok_or(Refusal::Credentials)
            }
            (ClientAuthMethod::None, Proof::None) => Ok(None),
            (
                ClientAuthMethod::ClientSecretJwt | ClientAuthMethod::PrivateKeyJwt,
                Proof::Assertion(assertion),
            ) => {
                let checked = self
                    .check_assertion(site, client, assertion, endpoint)
                    .await
                    .map_err(Refusal::Assertion)?;
                Ok(Some(UnspentJti::of(site, client, &checked)))
            }
            (ClientAuthMethod::None, _) => Err(Refusal::WrongMethod(
                "this public client authenticates with its client_id alone (none)",
            )),
            (ClientAuthMethod::ClientSecret, _) => Err(Refusal::WrongMethod(
                "this client authenticates with its client secret (client_secret_basic or client_secret_post)",
            )),
            (ClientAuthMethod::ClientSecretJwt, _) => Err(Refusal::WrongMethod(
                "this client authenticates with a client assertion (client_secret_jwt)",
            )),
            (ClientAuthMethod::PrivateKeyJwt, _) => Err(Refusal::WrongMethod(
                "this client authenticates with a client assertion (private_key_jwt)",
            )),
        }
    }

    /// The header, then the key (the client's secret or its registered
    /// public key, parsed once and cached), then signature and claims.
    async fn check_assertion(
        &self,
        site: &Site,
        client: &Client,
        assertion: &str,
        endpoint: Endpoint,
    ) -> Result<CheckedAssertion, AssertionError> {
        let AssertionHeader { alg, kid } = client_assertion::read_assertion_header(
            assertion,
            client.auth_method,
            client.auth_signing_alg,
        )?;
        if !site.oauth.profile.allows(alg) {
            return Err(AssertionError::AlgorithmNotInProfile);
        }
        let audiences = client_assertion::audiences(site, endpoint);
        let now = self.clock.now();
        let check = |key: &DecodingKey| {
            client_assertion::check_assertion(
                assertion,
                alg,
                key,
                &client.client_id,
                &audiences,
                now,
            )
        };
        if client.auth_method == ClientAuthMethod::ClientSecretJwt {
            let secret = client
                .sealed_secret()
                .and_then(|sealed| aead::open(&self.master, site.id, sealed).ok())
                .ok_or(AssertionError::NoKeys)?;
            return check(&DecodingKey::from_secret(&secret));
        }
        let key = self
            .public_key_for(site, client, kid.as_deref(), alg)
            .await
            .map_err(|e| match e {
                ClientKeyError::NoKeys => AssertionError::NoKeys,
                ClientKeyError::Unknown => AssertionError::UnknownKey,
                ClientKeyError::Ambiguous => AssertionError::AmbiguousKey,
                ClientKeyError::Unavailable => AssertionError::KeysUnavailable,
            })?;
        check(key.decoding_key())
    }

    /// Records an assertion's `jti` as used, in the shared store until the
    /// assertion expires: its second use, in any process, is refused
    /// (`invalid_client`). Goes out with the group commit where requests
    /// are served.
    pub async fn spend_jti(&self, jti: &UnspentJti) -> OAuthResult<()> {
        let first_use = match &self.jti_writer {
            Some(writer) => {
                writer.write(PendingWrite::Proof(jti.0.clone())).await? != Committed::ProofReplayed
            }
            None => self
                .store
                .record_proof_uses(std::slice::from_ref(&jti.0))
                .await?
                .first()
                .copied()
                .unwrap_or(false),
        };
        if first_use {
            Ok(())
        } else {
            Err(UnspentJti::replayed())
        }
    }

    async fn failed_authentication(
        &self,
        site: &Site,
        client_id: &str,
        refusal: Refusal,
    ) -> OAuthError {
        let refused = refusal.error();
        // Ids no client can have are not worth a row.
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
            return refused;
        }
        let key = ThrottleKey::client(site.id, client_id);
        match self.throttle.attempt(&[key], self.clock.now()).await {
            Ok(Attempt::Allowed) => refused,
            Ok(Attempt::Refused { retry_after }) => {
                tracing::warn!(site = %site.slug, client_id, "client authentication throttled");
                OAuthError::TemporarilyUnavailable(retry_after)
            }
            Err(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("tc_a:tcs_%2Bx"));
        let presented = PresentedClient {
            authorization: Some(&header),
            ..PresentedClient::default()
        };
        let credentials = presented.fuzz_credentials().ok();
        assert_eq!(credentials.as_ref().map(|c| c.0.as_str()), Some("tc_a"));
        assert_eq!(credentials.and_then(|c| c.1).as_deref(), Some("tcs_+x"));
    }

    #[test]
    fn an_assertion_cannot_come_with_a_secret_or_the_wrong_type() {
        let two = PresentedClient {
            client_secret: Some("tcs_x"),
            client_assertion_type: Some(ASSERTION_TYPE),
            client_assertion: Some("a.b.c"),
            ..PresentedClient::default()
        };
        assert!(matches!(
            two.credentials(),
            Err(OAuthError::InvalidRequest(_))
        ));
        let wrong_type = PresentedClient {
            client_assertion_type: Some("urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
            client_assertion: Some("a.b.c"),
            ..PresentedClient::default()
        };
        assert!(matches!(
            wrong_type.credentials(),
            Err(OAuthError::InvalidClient(_))
        ));
    }
}
