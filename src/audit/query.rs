//! Reading audit events: the filter the CLI, the admin API and the admin
//! page share, parsed from text, and the view of an event they print.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::AuditKind;
use crate::store::{AuditEventRecord, AuditQuery, SharedStore, StoreError};

/// The most events one page holds; the default is smaller.
pub const MAX_PAGE: i64 = 500;
pub const DEFAULT_PAGE: i64 = 50;

/// A filter as people type it: times as unix seconds, `YYYY-MM-DD`, or an
/// age such as `30m`, `24h`, `7d`; the user by username.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub kind: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("`{0}` is not a time: use unix seconds, YYYY-MM-DD, or an age such as 30m, 24h, 7d")]
    BadTime(String),
    #[error("unknown event kind `{0}` (known: {known})", known = known_kinds())]
    UnknownKind(String),
    #[error("no user `{0}` on this site")]
    UnknownUser(String),
    #[error("limit must be from 1 to {MAX_PAGE}")]
    BadLimit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn known_kinds() -> String {
    AuditKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unix seconds of a time as people write it, relative to `now`.
pub fn parse_time(raw: &str, now: i64) -> Result<i64, FilterError> {
    let bad = || FilterError::BadTime(raw.to_string());
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<i64>() {
        return Ok(secs);
    }
    if let Some((number, unit)) = raw.split_at_checked(raw.len().saturating_sub(1))
        && let Ok(n) = number.parse::<i64>()
    {
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        return n.checked_mul(scale).map(|age| now - age).ok_or_else(bad);
    }
    let mut parts = raw.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let year = y.parse::<i32>().map_err(|_| bad())?;
    let month = m
        .parse::<u8>()
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = d.parse::<u8>().map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    Ok(date.midnight().assume_utc().unix_timestamp())
}

impl AuditFilter {
    /// The store query for one site, with the user looked up.
    pub async fn resolve(
        &self,
        store: &SharedStore,
        site_id: i64,
        now: i64,
    ) -> Result<AuditQuery, FilterError> {
        let time = |raw: &Option<String>| raw.as_deref().map(|r| parse_time(r, now)).transpose();
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(raw) => Some(
                AuditKind::parse(raw)
                    .ok_or_else(|| FilterError::UnknownKind(raw.to_string()))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let user_id = match self.user.as_deref().filter(|u| !u.is_empty()) {
            Some(username) => Some(
                store
                    .find_user_by_username(site_id, username)
                    .await?
                    .ok_or_else(|| FilterError::UnknownUser(username.to_string()))?
                    .id,
            ),
            None => None,
        };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(FilterError::BadLimit);
        }
        Ok(AuditQuery {
            site_id,
            user_id,
            client_id: self.client.clone().filter(|c| !c.is_empty()),
            kind,
            since: time(&self.since)?,
            until: time(&self.until)?,
            before_id: self.before_id,
            limit,
        })
    }
}

/// An event as the CLI, the API and the page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: i64,
    /// E.g. `signin.failed`, `client.created`, `site.changed`.
    pub kind: String,
    /// `user`, `client`, `cli`, `system` or `anonymous`.
    pub actor: &'static str,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub actor_client_id: Option<String>,
    pub subject_user_id: Option<i64>,
    pub subject_username: Option<String>,
    pub subject_client_id: Option<String>,
    pub ip: Option<String>,
    /// What the event kind records, as an object, e.g. `{"setting": …,
    /// "value": …}` (`null` if the stored details are unreadable).
    pub details: Value,
}

impl AuditEventView {
    /// Who did it, in a few words.
    pub fn actor_text(&self) -> String {
        match (self.actor, &self.actor_username, &self.actor_client_id) {
            ("user", Some(name), _) => name.clone(),
            ("user", None, _) => format!("user #{}", self.actor_user_id.unwrap_or_default()),
            ("client", _, Some(client)) => format!("client {client}"),
            (other, _, _) => other.to_string(),
        }
    }

    /// Whom or what it was done to, in a few words.
    pub fn subject_text(&self) -> String {
        let user = match (&self.subject_username, self.subject_user_id) {
            (Some(name), _) => Some(name.clone()),
            (None, Some(id)) => Some(format!("user #{id}")),
            _ => None,
        };
        let client = self
            .subject_client_id
            .as_ref()
            .map(|c| format!("client {c}"));
        match (user, client) {
            (Some(u), Some(c)) => format!("{u}, {c}"),
            (Some(u), None) => u,
            (None, Some(c)) => c,
            (None, None) => "-".into(),
        }
    }

    pub fn details_text(&self) -> String {
        match &self.details {
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        }
    }
}

/// One page of events, newest first, and the cursor of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// The `before_id` of the next page; `null` on the last one.
    pub next_before_id: Option<i64>,
}

/// Runs the query and names the users the events mention.
pub async fn query_events(
    store: &SharedStore,
    query: &AuditQuery,
) -> Result<AuditPage, StoreError> {
    let records = store.query_audit_events(query).await?;
    let mut names: HashMap<i64, Option<String>> = HashMap::new();
    for id in records
        .iter()
        .flat_map(|r| [r.actor_user_id, r.subject_user_id])
        .flatten()
    {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
            slot.insert(
                store
                    .find_user(query.site_id, id)
                    .await?
                    .map(|u| u.username),
            );
        }
    }
    let name_of = |id: Option<i64>| id.and_then(|id| names.get(&id).cloned().flatten());
    let next_before_id = (records.len() as i64 == query.limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    let events = records.into_iter().map(|r| view(r, &name_of)).collect();
    Ok(AuditPage {
        events,
        next_before_id,
    })
}

fn view(r: AuditEventRecord, name_of: &dyn Fn(Option<i64>) -> Option<String>) -> AuditEventView {
    let actor = if r.actor_user_id.is_some() {
        "user"
    } else if r.actor_client_id.is_some() {
        "client"
    } else {
        match r.actor_label.as_deref() {
            Some("cli") => "cli",
            Some("system") => "system",
            _ => "anonymous",
        }
    };
    AuditEventView {
        id: r.id,
        occurred_at: r.occurred_at,
        kind: r.kind,
        actor,
        actor_username: name_of(r.actor_user_id),
        actor_user_id: r.actor_user_id,
        actor_client_id: r.actor_client_id,
        subject_username: name_of(r.subject_user_id),
        subject_user_id: r.subject_user_id,
        subject_client_id: r.subject_client_id,
        ip: r.ip,
        details: serde_json::from_str(&r.details).unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_seconds_dates_and_ages() {
        let now = 1_000_000;
        assert_eq!(parse_time("12345", now).ok(), Some(12345));
        assert_eq!(parse_time("2h", now).ok(), Some(now - 7200));
        assert_eq!(parse_time("7d", now).ok(), Some(now - 7 * 86_400));
        assert_eq!(parse_time("1970-01-02", now).ok(), Some(86_400));
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("2026-13-01", now).is_err());
        assert!(parse_time("5w", now).is_err());
    }
}
