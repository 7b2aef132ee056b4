//! What an authorization request asks of the person before a code is
//! issued (OpenID Connect Core 3.1.2.1): `prompt=login` and `max_age` (a
//! fresh sign-in), `acr_values` (a second factor), `prompt=select_account`
//! (a chance to switch accounts).
//!
//! The endpoint sends the browser to a sign-in step and back to the same
//! request. So that the request, seen again, does not send it off once
//! more, the way back carries a login marker: the time it was sent off,
//! MAC'd with the site's consent key. A fresh sign-in is one at or after
//! that time; an account choice was offered if the marker is there at all.
//! A marker is good for ten minutes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::OAuth;
use super::authorization_parameters::Prompt;
use super::error::{OAuthError, OAuthResult};
use super::scopes::{Scope, ScopeSet};
use crate::crypto::constant_time_eq;
use crate::sessions::{Acr, Methods};
use crate::sites::Site;
use crate::store::SessionAuthentication;

/// The query parameter that carries the login marker.
pub const LOGIN_MARKER_PARAM: &str = "tessera_login";
/// How long after being sent off the browser may come back with it.
const MARKER_TTL_SECS: i64 = 600;

/// The sign-in step an authorization request needs before it can go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStep {
    /// Nobody is signed in.
    SignIn,
    /// Sign in again (`prompt=login`, or `max_age` has passed).
    Reauthenticate,
    /// Add a second factor to the session (`acr_values`).
    SecondFactor,
    /// Show who is signed in and offer another account (`prompt=select_account`).
    ChooseAccount,
}

/// What the request asks for.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Demand {
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub acr: Option<Acr>,
}

/// The signed-in session as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Signed {
    pub auth_time: i64,
    pub methods: Methods,
    /// What the user has to step up with.
    pub means: Means,
}

/// The second factors a user has set up.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Means {
    pub totp: bool,
    pub passkey: bool,
}

impl Means {
    /// Whether stepping up with these can reach `wanted`.
    fn reach(self, wanted: Acr) -> bool {
        match wanted {
            Acr::Password => false,
            Acr::SecondFactor => self.totp || self.passkey,
            Acr::Passkey => self.passkey,
        }
    }
}

impl Signed {
    pub fn of(authentication: &SessionAuthentication, means: Means) -> Self {
        Signed {
            auth_time: authentication.auth_time,
            methods: Methods::parse(&authentication.amr),
            means,
        }
    }
}

/// The step needed before the request may go on, if any. `returned_at`
/// is the time of a valid login marker the request came back with.
pub(super) fn needed_step(
    demand: Demand,
    session: Signed,
    returned_at: Option<i64>,
    now: i64,
) -> Option<LoginStep> {
    let fresh_since = |since: i64| session.auth_time >= since;
    let came_back_fresh = returned_at.is_some_and(fresh_since);
    if demand.prompt.login && !came_back_fresh {
        return Some(LoginStep::Reauthenticate);
    }
    if let Some(max_age) = demand.max_age
        && !fresh_since(now.saturating_sub(max_age))
        && !came_back_fresh
    {
        return Some(LoginStep::Reauthenticate);
    }
    // acr_values is a wish: a user without the means to reach it is
    // signed in with what they have, and the ID token's `acr` says so. A
    // session begun without a password (a server token, an older session)
    // cannot be stepped up with a second factor alone: the user signs in,
    // with both.
    if let Some(wanted) = demand.acr
        && session.methods.acr() < Some(wanted)
        && session.means.reach(wanted)
    {
        return Some(if session.methods.password {
            LoginStep::SecondFactor
        } else {
            LoginStep::Reauthenticate
        });
    }
    if demand.prompt.select_account && returned_at.is_none() {
        return Some(LoginStep::ChooseAccount);
    }
    None
}

/// Why a request cannot go on yet.
pub(super) enum Stop {
    /// Send the browser to this sign-in step.
    Step(LoginStep),
    /// `prompt=none`: tell the client instead.
    Refuse(OAuthError),
}

/// What an ID token says about the authentication behind it.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthenticationClaims {
    pub auth_time: Option<i64>,
    pub amr: Option<String>,
    pub acr: Option<String>,
}

impl OAuth {
    /// Whether the signed-in session meets what the request asks of it
    /// (see the module); returns its authentication when it does.
    pub(super) async fn check_sign_in(
        &self,
        site: &Site,
        user_id: i64,
        session_id: Option<i64>,
        demand: Demand,
        returned_at: Option<i64>,
    ) -> OAuthResult<Result<SessionAuthentication, Stop>> {
        let none = demand.prompt.none;
        let authentication = match session_id {
            Some(id) => self.users.session_authentication(site.id, id).await?,
            None => None,
        };
        let Some(authentication) = authentication else {
            // A session the cache still knows but the store no longer has.
            return Ok(Err(if none {
                Stop::Refuse(OAuthError::LoginRequired)
            } else {
                Stop::Step(LoginStep::Reauthenticate)
            }));
        };
        let means = match demand.acr {
            Some(Acr::SecondFactor | Acr::Passkey) => Means {
                totp: self
                    .store
                    .find_totp(site.id, user_id)
                    .await?
                    .is_some_and(|t| t.confirmed_at.is_some()),
                passkey: crate::passkeys::has_any(&self.store, site.id, user_id).await?,
            },
            _ => Means::default(),
        };
        let signed = Signed::of(&authentication, means);
        Ok(
            match needed_step(demand, signed, returned_at, self.clock.now()) {
                None => Ok(authentication),
                Some(LoginStep::SecondFactor) if none => {
                    Err(Stop::Refuse(OAuthError::InteractionRequired(
                        "the request asks for a second factor, which needs the user",
                    )))
                }
                Some(_) if none => Err(Stop::Refuse(OAuthError::LoginRequired)),
                Some(step) => Err(Stop::Step(step)),
            },
        )
    }

    /// What the ID token will say about the session's authentication;
    /// looked up only when `openid` is asked for.
    pub(crate) async fn authentication_of(
        &self,
        site: &Site,
        scopes: ScopeSet,
        session_id: Option<i64>,
    ) -> OAuthResult<AuthenticationClaims> {
        let authentication = match session_id {
            Some(id) if scopes.contains(Scope::Openid) => {
                self.users.session_authentication(site.id, id).await?
            }
            _ => None,
        };
        Ok(authentication_claims(scopes, authentication.as_ref()))
    }
}

/// The ID token's `auth_time`, `amr` and `acr` for a session's
/// authentication (only when `openid` is granted).
pub(super) fn authentication_claims(
    scopes: ScopeSet,
    authentication: Option<&SessionAuthentication>,
) -> AuthenticationClaims {
    match authentication {
        Some(a) if scopes.contains(Scope::Openid) => {
            let methods = Methods::parse(&a.amr);
            AuthenticationClaims {
                auth_time: Some(a.auth_time),
                amr: Some(methods.to_stored()).filter(|amr| !amr.is_empty()),
                acr: methods.acr().map(|acr| acr.as_str().to_string()),
            }
        }
        _ => AuthenticationClaims::default(),
    }
}

/// A marker for a browser sent off to a sign-in step at `now`.
pub fn login_marker(site: &Site, now: i64) -> String {
    let mac = site
        .oauth
        .consent_key
        .mac(marker_message(site, now).as_bytes());
    format!("{now}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// The time a marker was made, if it is this site's, genuine and recent.
pub fn open_login_marker(site: &Site, marker: &str, now: i64) -> Option<i64> {
    let (time, mac) = marker.split_once('.')?;
    let time: i64 = time.parse().ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    let expected = site
        .oauth
        .consent_key
        .mac(marker_message(site, time).as_bytes());
    (constant_time_eq(&mac, &expected) && time <= now && now - time <= MARKER_TTL_SECS)
        .then_some(time)
}

fn marker_message(site: &Site, time: i64) -> String {
    format!("tessera/login-marker/v1/{}/{time}", site.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session; `totp`: whether its user has a TOTP to step up with.
    fn signed(auth_time: i64, methods: Methods, totp: bool) -> Signed {
        Signed {
            auth_time,
            methods,
            means: Means {
                totp,
                passkey: false,
            },
        }
    }

    #[test]
    fn a_passkey_is_asked_for_only_of_users_who_have_one() {
        let demand = Demand {
            acr: Some(Acr::Passkey),
            ..Demand::default()
        };
        let with_passkey = Means {
            totp: false,
            passkey: true,
        };
        let session = |methods| Signed {
            auth_time: 100,
            methods,
            means: with_passkey,
        };
        assert_eq!(
            needed_step(demand, session(Methods::PASSWORD.with_otp()), None, 200),
            Some(LoginStep::SecondFactor)
        );
        assert_eq!(
            needed_step(demand, session(Methods::PASSKEY), None, 200),
            None
        );
        assert_eq!(
            needed_step(demand, signed(100, Methods::PASSWORD, true), None, 200),
            None,
            "a code cannot reach the passkey class"
        );
        let mfa = Demand {
            acr: Some(Acr::SecondFactor),
            ..Demand::default()
        };
        assert_eq!(
            needed_step(mfa, session(Methods::PASSWORD), None, 200),
            Some(LoginStep::SecondFactor),
            "a passkey is a second factor too"
        );
        assert_eq!(needed_step(mfa, session(Methods::PASSKEY), None, 200), None);
    }

    #[test]
    fn prompt_login_wants_a_sign_in_after_the_request_sent_the_user_off() {
        let demand = Demand {
            prompt: Prompt {
                login: true,
                ..Prompt::default()
            },
            ..Demand::default()
        };
        let session = signed(100, Methods::PASSWORD, false);
        assert_eq!(
            needed_step(demand, session, None, 200),
            Some(LoginStep::Reauthenticate)
        );
        assert_eq!(
            needed_step(demand, session, Some(150), 200),
            Some(LoginStep::Reauthenticate),
            "came back without signing in"
        );
        let fresh = signed(160, Methods::PASSWORD, false);
        assert_eq!(needed_step(demand, fresh, Some(150), 200), None);
    }

    #[test]
    fn max_age_counts_from_the_last_authentication() {
        let demand = Demand {
            max_age: Some(60),
            ..Demand::default()
        };
        assert_eq!(
            needed_step(demand, signed(150, Methods::PASSWORD, false), None, 200),
            None
        );
        assert_eq!(
            needed_step(demand, signed(100, Methods::PASSWORD, false), None, 200),
            Some(LoginStep::Reauthenticate)
        );
        let zero = Demand {
            max_age: Some(0),
            ..Demand::default()
        };
        assert_eq!(
            needed_step(zero, signed(199, Methods::PASSWORD, false), None, 200),
            Some(LoginStep::Reauthenticate)
        );
        assert_eq!(
            needed_step(zero, signed(199, Methods::PASSWORD, false), Some(190), 200),
            None,
            "signed in again after being sent off"
        );
    }

    #[test]
    fn a_second_factor_is_asked_for_only_of_users_who_have_one() {
        let demand = Demand {
            acr: Some(Acr::SecondFactor),
            ..Demand::default()
        };
        assert_eq!(
            needed_step(demand, signed(100, Methods::PASSWORD, true), None, 200),
            Some(LoginStep::SecondFactor)
        );
        assert_eq!(
            needed_step(
                demand,
                signed(100, Methods::PASSWORD.with_otp(), true),
                None,
                200
            ),
            None
        );
        assert_eq!(
            needed_step(demand, signed(100, Methods::PASSWORD, false), None, 200),
            None
        );
        assert_eq!(
            needed_step(demand, signed(100, Methods::NONE, true), None, 200),
            Some(LoginStep::Reauthenticate),
            "no password to add a code to"
        );
        let password = Demand {
            acr: Some(Acr::Password),
            ..Demand::default()
        };
        assert_eq!(
            needed_step(password, signed(100, Methods::PASSWORD, true), None, 200),
            None
        );
    }

    #[test]
    fn select_account_is_offered_once() {
        let demand = Demand {
            prompt: Prompt {
                select_account: true,
                ..Prompt::default()
            },
            ..Demand::default()
        };
        let session = signed(100, Methods::PASSWORD, false);
        assert_eq!(
            needed_step(demand, session, None, 200),
            Some(LoginStep::ChooseAccount)
        );
        assert_eq!(needed_step(demand, session, Some(150), 200), None);
    }
}
