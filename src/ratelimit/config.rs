//! Which rate applies where: built-in defaults, overridden by the
//! deployment's `TESSERA_RATE_LIMITS`, overridden by a site's own setting.
//!
//! All three speak one small language: entries `endpoint.scope=rate`, where
//! `scope` is `per_client` or `per_ip` and `rate` is `N/s`, `N/min`, `N/h`
//! or `off` (for example `token.per_client=100/s,register.per_ip=off`).

use std::collections::BTreeMap;
use std::fmt;

/// The endpoints that are rate limited, each counted on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Token,
    Par,
    Revoke,
    Introspect,
    Device,
    Register,
    Exchange,
    /// The JSON steps of the passkey ceremonies (`/passkeys/...`).
    Passkey,
}

impl Endpoint {
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Token,
        Endpoint::Par,
        Endpoint::Revoke,
        Endpoint::Introspect,
        Endpoint::Device,
        Endpoint::Register,
        Endpoint::Exchange,
        Endpoint::Passkey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Par => "par",
            Endpoint::Revoke => "revoke",
            Endpoint::Introspect => "introspect",
            Endpoint::Device => "device",
            Endpoint::Register => "register",
            Endpoint::Exchange => "exchange",
            Endpoint::Passkey => "passkey",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// What a limit counts requests under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One authenticated client.
    PerClient,
    /// One address (IPv6 by its /64) sending requests without a client secret.
    PerIp,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PerClient => "per_client",
            Scope::PerIp => "per_ip",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "per_client" | "per-client" | "client" => Some(Scope::PerClient),
            "per_ip" | "per-ip" | "ip" => Some(Scope::PerIp),
            _ => None,
        }
    }
}

/// So many requests per fixed window of `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window_secs: u32,
}

/// The largest count a rate may give: far above any sane limit, and small
/// enough that counters and chunks never overflow.
const MAX_COUNT: u32 = 1_000_000;

impl Rate {
    pub const fn new(count: u32, window_secs: u32) -> Self {
        Self { count, window_secs }
    }

    /// `100/s`, `30/min`, `1000/h` (also `sec`, `second`, `m`, `minute`, `hour`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("expected a rate such as 100/s, 30/min or 1000/h, got `{raw}`");
        let (count, per) = raw.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let window_secs = match per.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        if count == 0 || count > MAX_COUNT {
            return Err(format!(
                "a rate counts from 1 to {MAX_COUNT} requests (use `off` for none), got `{raw}`"
            ));
        }
        Ok(Self::new(count, window_secs))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = match self.window_secs {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{per}", self.count)
    }
}

/// One entry's value: a rate, or explicitly none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Off,
    Limit(Rate),
}

impl Setting {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "off" | "none" => Ok(Setting::Off),
            rate => Rate::parse(rate).map(Setting::Limit),
        }
    }

    pub fn rate(self) -> Option<Rate> {
        match self {
            Setting::Off => None,
            Setting::Limit(rate) => Some(rate),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Off => f.write_str("off"),
            Setting::Limit(rate) => rate.fmt(f),
        }
    }
}

/// The limits on by default: per address at the endpoints anyone may call
/// without a client secret, generous enough for a NAT full of devices. No
/// per-client limit: service clients legitimately ask thousands of times a
/// second, so a site sets one where it wants one.
pub fn builtin(endpoint: Endpoint, scope: Scope) -> Setting {
    match (endpoint, scope) {
        (Endpoint::Register, Scope::PerIp) => Setting::Limit(Rate::new(60, 60)),
        (Endpoint::Device, Scope::PerIp) => Setting::Limit(Rate::new(120, 60)),
        (Endpoint::Exchange, Scope::PerIp) => Setting::Limit(Rate::new(300, 60)),
        (Endpoint::Par, Scope::PerIp) => Setting::Limit(Rate::new(300, 60)),
        (Endpoint::Passkey, Scope::PerIp) => Setting::Limit(Rate::new(60, 60)),
        _ => Setting::Off,
    }
}

/// A set of overrides (the deployment's or a site's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitTable {
    entries: BTreeMap<(Endpoint, Scope), Setting>,
}

impl LimitTable {
    /// `endpoint.scope=rate` entries separated by commas or spaces.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut table = Self::default();
        for entry in raw.split([',', ' ', '\n']).filter(|e| !e.trim().is_empty()) {
            let (name, value) = entry
                .split_once('=')
                .ok_or_else(|| format!("expected endpoint.scope=rate, got `{entry}`"))?;
            let (endpoint, scope) = parse_name(name.trim())?;
            table.set(endpoint, scope, Some(Setting::parse(value)?));
        }
        Ok(table)
    }

    pub fn get(&self, endpoint: Endpoint, scope: Scope) -> Option<Setting> {
        self.entries.get(&(endpoint, scope)).copied()
    }

    /// Sets an entry, or removes it (`None`: inherit again).
    pub fn set(&mut self, endpoint: Endpoint, scope: Scope, setting: Option<Setting>) {
        match setting {
            Some(setting) => self.entries.insert((endpoint, scope), setting),
            None => self.entries.remove(&(endpoint, scope)),
        };
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The form stored in `sites.rate_limits` and read back by `parse`.
    pub fn to_spec(&self) -> String {
        self.entries
            .iter()
            .map(|((endpoint, scope), setting)| {
                format!("{}.{}={setting}", endpoint.as_str(), scope.as_str())
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn parse_name(name: &str) -> Result<(Endpoint, Scope), String> {
    let bad = || {
        format!(
            "expected endpoint.per_client or endpoint.per_ip with endpoint one of \
             token, par, revoke, introspect, device, register, exchange; got `{name}`"
        )
    };
    let (endpoint, scope) = name.split_once('.').ok_or_else(bad)?;
    Ok((
        Endpoint::parse(endpoint).ok_or_else(bad)?,
        Scope::parse(scope).ok_or_else(bad)?,
    ))
}

/// The rate in force: the site's entry, else the deployment's, else the
/// built-in default.
pub fn effective(
    site: &LimitTable,
    deployment: &LimitTable,
    endpoint: Endpoint,
    scope: Scope,
) -> Option<Rate> {
    site.get(endpoint, scope)
        .or_else(|| deployment.get(endpoint, scope))
        .unwrap_or_else(|| builtin(endpoint, scope))
        .rate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_per_second_minute_and_hour() {
        assert_eq!(Rate::parse("100/s"), Ok(Rate::new(100, 1)));
        assert_eq!(Rate::parse(" 30/min "), Ok(Rate::new(30, 60)));
        assert_eq!(Rate::parse("1000/h"), Ok(Rate::new(1000, 3600)));
        for bad in ["0/s", "10", "ten/s", "10/day", "-1/s", "2000000/s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Rate::new(30, 60).to_string(), "30/min");
    }

    #[test]
    fn a_table_round_trips_through_its_spec() {
        let table = LimitTable::parse("token.per_client=100/s, register.per_ip=off").unwrap();
        assert_eq!(
            table.get(Endpoint::Token, Scope::PerClient),
            Some(Setting::Limit(Rate::new(100, 1)))
        );
        assert_eq!(
            table.get(Endpoint::Register, Scope::PerIp),
            Some(Setting::Off)
        );
        assert_eq!(LimitTable::parse(&table.to_spec()).unwrap(), table);
        assert!(LimitTable::parse("").unwrap().is_empty());
        assert!(LimitTable::parse("authorize.per_ip=1/s").is_err());
        assert!(LimitTable::parse("token.per_user=1/s").is_err());
        assert!(LimitTable::parse("token.per_client").is_err());
    }

    #[test]
    fn the_site_wins_over_the_deployment_which_wins_over_the_default() {
        let deployment = LimitTable::parse("register.per_ip=10/min,token.per_client=50/s").unwrap();
        let site = LimitTable::parse("token.per_client=off").unwrap();
        let none = LimitTable::default();
        let rate =
            |site: &LimitTable, deployment: &LimitTable, e, s| effective(site, deployment, e, s);
        assert_eq!(
            rate(&none, &none, Endpoint::Register, Scope::PerIp),
            Some(Rate::new(60, 60))
        );
        assert_eq!(rate(&none, &none, Endpoint::Token, Scope::PerClient), None);
        assert_eq!(
            rate(&none, &deployment, Endpoint::Register, Scope::PerIp),
            Some(Rate::new(10, 60))
        );
        assert_eq!(
            rate(&none, &deployment, Endpoint::Token, Scope::PerClient),
            Some(Rate::new(50, 1))
        );
        assert_eq!(
            rate(&site, &deployment, Endpoint::Token, Scope::PerClient),
            None
        );
    }
}
