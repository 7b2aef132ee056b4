//! The keys attempts are counted under, each with its policy. Keys name the
//! site, so one site's attackers cannot lock another site's users out.

use std::net::IpAddr;

use super::Policy;

/// Wrong user codes one signed-in user may type on `/device`.
const DEVICE_USER_LIMIT: i64 = 5;
/// Wrong user codes from one address (several users may share it).
const DEVICE_IP_LIMIT: i64 = 20;
/// Registrations (RFC 7591) from one address.
const REGISTRATION_IP_LIMIT: i64 = 10;
/// Failed authentications of one client id at the token, revocation,
/// introspection, PAR and device endpoints.
const CLIENT_LIMIT: i64 = 10;
/// Password-reset mails to one address (whether or not an account has it).
const RESET_ACCOUNT_LIMIT: i64 = 3;
/// Password-reset and sign-up requests from one client address.
const ACCOUNT_IP_LIMIT: i64 = 20;
/// An address may fail this many times the per-account limit, so an office
/// behind one NAT is not locked out by one user's typos.
const IP_FACTOR: i64 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey {
    key: String,
    policy: Policy,
}

/// The address an attempt is counted under: IPv4 as is, IPv6 by its /64
/// (one subscriber usually holds a whole /64).
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_string(),
    }
}

impl ThrottleKey {
    fn new(key: String, limit: i64) -> Self {
        Self {
            key,
            policy: Policy::new(limit.max(1)),
        }
    }

    /// Sign-ins to one account (username without case), whatever the address.
    pub fn signin_account(site_id: i64, username: &str, limit: u32) -> Self {
        let username = username.to_lowercase();
        Self::new(
            format!("signin:acct:{site_id}:{username}"),
            i64::from(limit),
        )
    }

    /// Sign-ins from one address, whatever the account.
    pub fn signin_address(site_id: i64, ip: &str, limit: u32) -> Self {
        Self::new(
            format!("signin:ip:{site_id}:{}", address_key(ip)),
            i64::from(limit) * IP_FACTOR,
        )
    }

    /// Password-reset requests for one email address (without case).
    pub fn reset_account(site_id: i64, email: &str) -> Self {
        let email = email.trim().to_lowercase();
        Self::new(format!("reset:acct:{site_id}:{email}"), RESET_ACCOUNT_LIMIT)
    }

    /// Password-reset requests and sign-ups from one client address.
    pub fn account_address(site_id: i64, ip: &str) -> Self {
        Self::new(
            format!("account:ip:{site_id}:{}", address_key(ip)),
            ACCOUNT_IP_LIMIT,
        )
    }

    /// Second-factor codes (TOTP or recovery) typed for one account, with
    /// the same allowance as its passwords.
    pub fn second_factor(site_id: i64, user_id: i64, limit: u32) -> Self {
        Self::new(format!("2fa:user:{site_id}:{user_id}"), i64::from(limit))
    }

    pub fn device_user(site_id: i64, user_id: i64) -> Self {
        Self::new(
            format!("device:user:{site_id}:{user_id}"),
            DEVICE_USER_LIMIT,
        )
    }

    pub fn device_address(site_id: i64, ip: &str) -> Self {
        Self::new(
            format!("device:ip:{site_id}:{}", address_key(ip)),
            DEVICE_IP_LIMIT,
        )
    }

    pub fn registration_address(site_id: i64, ip: &str) -> Self {
        Self::new(
            format!("register:ip:{site_id}:{}", address_key(ip)),
            REGISTRATION_IP_LIMIT,
        )
    }

    /// Failed authentications of one client id (known or not; callers bound
    /// its length).
    pub fn client(site_id: i64, client_id: &str) -> Self {
        Self::new(format!("client:{site_id}:{client_id}"), CLIENT_LIMIT)
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key(""), "unknown");
    }

    #[test]
    fn usernames_count_without_case_and_addresses_get_a_higher_limit() {
        assert_eq!(
            ThrottleKey::signin_account(1, "Alice", 5),
            ThrottleKey::signin_account(1, "alice", 5)
        );
        assert_ne!(
            ThrottleKey::signin_account(1, "alice", 5),
            ThrottleKey::signin_account(2, "alice", 5)
        );
        assert_eq!(ThrottleKey::signin_address(1, "::1", 5).policy().limit, 20);
    }
}
