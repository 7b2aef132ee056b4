//! `tessera upstream …`: the other OpenID providers people may sign in to a
//! site with (brokering). The client secret is read from standard input,
//! so it stays out of shell histories and process listings.

use clap::Subcommand;
use serde_json::json;

use super::{CliResult, Output, read_stdin_secret};
use crate::admin::Admin;
use crate::admin::upstream::NewUpstreamProviderRequest;
use crate::upstream::ProviderView;

#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// Add a provider; its client secret is read from standard input.
    Add {
        #[arg(long)]
        site: String,
        /// Short name in URLs: lower-case letters, digits and `-`.
        #[arg(long)]
        name: String,
        /// What the sign-in button says (default: the name).
        #[arg(long)]
        display_name: Option<String>,
        /// The provider's issuer (found by OpenID discovery): https on a
        /// public address, unless TESSERA_OUTBOUND_ALLOW_PRIVATE=true.
        #[arg(long)]
        issuer: String,
        /// The client id Tessera was given at the provider.
        #[arg(long)]
        client_id: String,
        /// Link a first sign-in to the local account with the same email
        /// when the provider says the email is verified.
        #[arg(long)]
        link_by_email: bool,
        /// Never create accounts just in time: a first sign-in must be
        /// linked to an existing account by its password.
        #[arg(long)]
        no_new_accounts: bool,
    },
    /// List a site's providers.
    List {
        #[arg(long)]
        site: String,
    },
    /// Remove a provider; the identities linked through it are unlinked.
    Remove {
        #[arg(long)]
        site: String,
        name: String,
    },
}

fn describe(view: &ProviderView, site: &str) -> serde_json::Value {
    json!({
        "site": site,
        "name": view.name,
        "display_name": view.display_name,
        "issuer": view.issuer,
        "client_id": view.client_id,
        "redirect_uri": view.redirect_uri,
        "link_by_email": view.link_by_email,
        "create_accounts": view.create_accounts,
        "created_at": view.created_at,
    })
}

pub async fn run(command: UpstreamCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        UpstreamCommand::Add {
            site,
            name,
            display_name,
            issuer,
            client_id,
            link_by_email,
            no_new_accounts,
        } => {
            let record = admin.site(&site).await?;
            let client_secret = read_stdin_secret().await?;
            let request = NewUpstreamProviderRequest {
                name,
                display_name,
                issuer,
                client_id,
                client_secret,
                link_by_email,
                create_accounts: !no_new_accounts,
            };
            let view = admin.add_upstream_provider(&record, request).await?;
            out.done(
                &format!(
                    "site `{site}` now offers sign-in with {} ({})\nregister this redirect URI at the provider: {}",
                    view.display_name, view.issuer, view.redirect_uri
                ),
                describe(&view, &site),
            );
            Ok(())
        }
        UpstreamCommand::List { site } => {
            let record = admin.site(&site).await?;
            let providers = admin.list_upstream_providers(&record).await?;
            let rows = providers
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.issuer.clone(),
                        p.client_id.clone(),
                        p.link_by_email.to_string(),
                        p.create_accounts.to_string(),
                    ]
                })
                .collect();
            let values = providers.iter().map(|p| describe(p, &site)).collect();
            out.table(
                &[
                    "NAME",
                    "ISSUER",
                    "CLIENT ID",
                    "LINK BY EMAIL",
                    "NEW ACCOUNTS",
                ],
                rows,
                values,
            );
            Ok(())
        }
        UpstreamCommand::Remove { site, name } => {
            let record = admin.site(&site).await?;
            admin.remove_upstream_provider(&record, &name).await?;
            out.done(
                &format!("site `{site}` no longer offers sign-in with `{name}`"),
                json!({"site": site, "name": name, "removed": true}),
            );
            Ok(())
        }
    }
}
