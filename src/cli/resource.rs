//! `tessera resource …`: the resources (RFC 8707) a site issues access
//! tokens for, besides its own API.

use clap::Subcommand;
use serde_json::json;

use super::{CliResult, Output};
use crate::admin::Admin;
use crate::admin::resources::view;
use crate::admin::types::NewResourceRequest;

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Register an API the site's tokens may be issued for.
    Add {
        #[arg(long)]
        site: String,
        /// The resource indicator: an absolute URI without fragment, the
        /// `aud` of its tokens. Clients name it exactly.
        uri: String,
        /// Space-separated scopes a token for it may carry.
        #[arg(long)]
        scopes: String,
        /// `opaque` (default) or `jwt` (RFC 9068, verifiable offline).
        #[arg(long)]
        token_format: Option<String>,
    },
    /// List a site's registered resources.
    List {
        #[arg(long)]
        site: String,
    },
    /// Stop issuing tokens for a resource (issued ones live out their time).
    Remove {
        #[arg(long)]
        site: String,
        uri: String,
    },
}

pub async fn run(command: ResourceCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        ResourceCommand::Add {
            site,
            uri,
            scopes,
            token_format,
        } => {
            let record = admin.site(&site).await?;
            let request = NewResourceRequest {
                uri,
                scopes,
                token_format,
            };
            let resource = admin.add_resource(&record, request).await?;
            out.done(
                &format!(
                    "site `{site}` now issues tokens for {}\nscopes: {}\ntoken format: {}",
                    resource.uri, resource.scopes, resource.token_format
                ),
                json!(view(&resource)),
            );
            Ok(())
        }
        ResourceCommand::List { site } => {
            let record = admin.site(&site).await?;
            let resources = admin.list_resources(&record).await?;
            let rows = resources
                .iter()
                .map(|r| vec![r.uri.clone(), r.scopes.clone(), r.token_format.clone()])
                .collect();
            let values = resources.iter().map(|r| json!(view(r))).collect();
            out.table(&["URI", "SCOPES", "FORMAT"], rows, values);
            Ok(())
        }
        ResourceCommand::Remove { site, uri } => {
            let record = admin.site(&site).await?;
            admin.remove_resource(&record, &uri).await?;
            out.done(
                &format!("site `{site}` no longer issues tokens for {uri}"),
                json!({"site": site, "uri": uri, "removed": true}),
            );
            Ok(())
        }
    }
}
