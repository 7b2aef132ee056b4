//! The deployment's SMTP relay: `TESSERA_SMTP_URL`, or the same pieces as
//! separate settings (`TESSERA_SMTP_HOST`, `_PORT`, `_TLS`, `_USERNAME`,
//! `_PASSWORD`). Parsed here so every problem names its variable.

use std::fmt;

use url::Url;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// TLS from the first byte (`smtps://`, usually port 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS, which must succeed (587).
    StartTls,
    /// No TLS at all: for a relay on this machine or in development.
    None,
}

impl SmtpTls {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "tls" | "implicit" | "smtps" | "wrapper" => Some(SmtpTls::Implicit),
            "starttls" | "required" => Some(SmtpTls::StartTls),
            "none" | "off" | "plain" => Some(SmtpTls::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::Implicit => "tls",
            SmtpTls::StartTls => "starttls",
            SmtpTls::None => "none",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            SmtpTls::Implicit => 465,
            SmtpTls::StartTls => 587,
            SmtpTls::None => 25,
        }
    }
}

/// The relay password; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, SmtpPassword)>,
    /// The sender of sites that do not name their own.
    pub default_from: Option<String>,
}

impl SmtpSettings {
    /// Where messages go, for the start-up line (no credentials).
    pub fn describe(&self) -> String {
        format!("{}:{} (tls: {})", self.host, self.port, self.tls.as_str())
    }
}

/// The raw settings, as read from the environment or the file.
#[derive(Debug, Default)]
pub struct SmtpInput {
    pub url: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Option<String>,
}

/// A problem with one variable: (variable, what is wrong).
pub type SmtpProblem = (&'static str, String);

/// `None` when no relay is configured: email features are off.
pub fn parse(input: SmtpInput, production: bool) -> Result<Option<SmtpSettings>, SmtpProblem> {
    let (host, port, tls, url_credentials) = match (&input.url, &input.host) {
        (None, None) => {
            if input.from.is_some() || input.username.is_some() {
                return Err((
                    "TESSERA_SMTP_URL",
                    "required with the other TESSERA_SMTP_* settings (or TESSERA_SMTP_HOST)".into(),
                ));
            }
            return Ok(None);
        }
        (Some(_), Some(_)) => {
            return Err((
                "TESSERA_SMTP_HOST",
                "give either TESSERA_SMTP_URL or TESSERA_SMTP_HOST, not both".into(),
            ));
        }
        (Some(raw), None) => from_url(raw)?,
        (None, Some(host)) => {
            let tls = match &input.tls {
                Some(raw) => SmtpTls::parse(raw).ok_or((
                    "TESSERA_SMTP_TLS",
                    format!("expected starttls, tls or none, got `{raw}`"),
                ))?,
                None => SmtpTls::StartTls,
            };
            let port = match &input.port {
                Some(raw) => raw.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or((
                    "TESSERA_SMTP_PORT",
                    format!("expected a port number, got `{raw}`"),
                ))?,
                None => tls.default_port(),
            };
            (host.trim().to_string(), port, tls, None)
        }
    };
    if host.is_empty() {
        return Err(("TESSERA_SMTP_HOST", "names no host".into()));
    }
    let credentials = match (input.username, input.password) {
        (Some(user), Some(password)) => Some((user, SmtpPassword(password))),
        (Some(_), None) => {
            return Err((
                "TESSERA_SMTP_PASSWORD",
                "required with TESSERA_SMTP_USERNAME".into(),
            ));
        }
        (None, Some(_)) => {
            return Err((
                "TESSERA_SMTP_USERNAME",
                "required with TESSERA_SMTP_PASSWORD".into(),
            ));
        }
        (None, None) => url_credentials,
    };
    if production && tls == SmtpTls::None && !is_loopback(&host) {
        return Err((
            "TESSERA_SMTP_URL",
            "a relay on another machine needs TLS in production (smtps:// or STARTTLS)".into(),
        ));
    }
    if let Some(from) = &input.from
        && from.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err((
            "TESSERA_SMTP_FROM",
            format!("`{from}` is not an address such as `Docs <no-reply@docs.example.com>`"),
        ));
    }
    Ok(Some(SmtpSettings {
        host,
        port,
        tls,
        credentials,
        default_from: input.from,
    }))
}

type UrlParts = (String, u16, SmtpTls, Option<(String, SmtpPassword)>);

fn from_url(raw: &str) -> Result<UrlParts, SmtpProblem> {
    let bad = |why: &str| ("TESSERA_SMTP_URL", why.to_string());
    let url = Url::parse(raw.trim()).map_err(|_| {
        bad("expected smtp://host:587 (STARTTLS), smtps://host:465 or smtp://host:25?tls=none")
    })?;
    let mut tls = match url.scheme() {
        "smtps" => SmtpTls::Implicit,
        "smtp" => SmtpTls::StartTls,
        _ => return Err(bad("the scheme must be smtp or smtps")),
    };
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "tls" if url.scheme() == "smtp" => {
                tls = SmtpTls::parse(&value)
                    .ok_or_else(|| bad("tls= takes starttls, tls or none"))?;
            }
            _ => return Err(bad("the only query parameter is tls= (for smtp://)")),
        }
    }
    let host = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("names no host"))?;
    let port = url.port().unwrap_or(tls.default_port());
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad("the user name or password is not UTF-8"))
    };
    let credentials = if url.username().is_empty() {
        None
    } else {
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or_default())?;
        Some((user, SmtpPassword(password)))
    };
    Ok((host, port, tls, credentials))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> Result<Option<SmtpSettings>, SmtpProblem> {
        parse(
            SmtpInput {
                url: Some(raw.into()),
                ..SmtpInput::default()
            },
            true,
        )
    }

    #[test]
    fn urls_choose_tls_and_default_ports() {
        let s = url("smtps://mail.example.com").unwrap().unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        let s = url("smtp://u%40x:p%2Fw@mail.example.com").unwrap().unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 587));
        let (user, password) = s.credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("u@x", "p/w"));
        let s = url("smtp://127.0.0.1:2525?tls=none").unwrap().unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::None, 2525));
    }

    #[test]
    fn plain_smtp_to_another_machine_is_refused_in_production() {
        let err = url("smtp://mail.example.com?tls=none").err().map(|e| e.0);
        assert_eq!(err, Some("TESSERA_SMTP_URL"));
        assert!(url("http://mail.example.com").is_err());
        assert!(url("smtp://mail.example.com?auth=plain").is_err());
    }

    #[test]
    fn passwords_are_not_printed() {
        let s = url("smtp://user:hunter2@mail.example.com")
            .unwrap()
            .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn host_settings_work_without_a_url() {
        let s = parse(
            SmtpInput {
                host: Some("mail.example.com".into()),
                tls: Some("tls".into()),
                username: Some("u".into()),
                password: Some("p".into()),
                from: Some("Docs <no-reply@docs.example.com>".into()),
                ..SmtpInput::default()
            },
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!((s.port, s.tls), (465, SmtpTls::Implicit));
        assert!(parse(SmtpInput::default(), true).unwrap().is_none());
        let bad_from = SmtpInput {
            host: Some("localhost".into()),
            from: Some("not an address".into()),
            ..SmtpInput::default()
        };
        assert_eq!(
            parse(bad_from, false).err().map(|e| e.0),
            Some("TESSERA_SMTP_FROM")
        );
    }
}
