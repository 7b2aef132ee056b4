//! `tessera audit --site S [--since …] [--until …] [--user …] [--client …]
//! [--kind …] [--limit N] [--before ID]`: a site's audit events, newest first.

use clap::Args;
use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::audit::query::{AuditFilter, FilterError, query_events};
use crate::clock::{Clock, SystemClock};
use crate::routes::pages::format_time;
use crate::store::SharedStore;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long)]
    site: String,
    /// Unix seconds, YYYY-MM-DD, or an age such as 30m, 24h, 7d.
    #[arg(long)]
    since: Option<String>,
    #[arg(long)]
    until: Option<String>,
    /// A username: events they did or that were done to them.
    #[arg(long)]
    user: Option<String>,
    /// A client id: events it did or that were done to it.
    #[arg(long)]
    client: Option<String>,
    /// An event kind, such as signin.failed or client.created.
    #[arg(long)]
    kind: Option<String>,
    /// At most this many events (1-500, default 50).
    #[arg(long)]
    limit: Option<i64>,
    /// Events older than this id (the previous page's last id).
    #[arg(long)]
    before: Option<i64>,
}

impl From<FilterError> for CliError {
    fn from(e: FilterError) -> Self {
        match e {
            FilterError::Store(e) => e.into(),
            other => CliError::Usage(other.to_string()),
        }
    }
}

pub async fn run(args: AuditArgs, store: &SharedStore, out: &Output) -> CliResult {
    let site = find_site(store, &args.site).await?;
    let filter = AuditFilter {
        since: args.since,
        until: args.until,
        user: args.user,
        client: args.client,
        kind: args.kind,
        before_id: args.before,
        limit: args.limit,
    };
    let query = filter.resolve(store, site.id, SystemClock.now()).await?;
    let page = query_events(store, &query).await?;
    if out.is_json() {
        out.done("", json!(page));
        return Ok(());
    }
    let rows = page
        .events
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                format_time(e.occurred_at),
                e.kind.clone(),
                e.actor_text(),
                e.subject_text(),
                e.ip.clone().unwrap_or_default(),
                e.details_text(),
            ]
        })
        .collect();
    out.table(
        &["ID", "TIME", "KIND", "ACTOR", "SUBJECT", "IP", "DETAILS"],
        rows,
        Vec::new(),
    );
    if let Some(before) = page.next_before_id {
        println!("(more: --before {before})");
    }
    Ok(())
}
