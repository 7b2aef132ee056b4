//! `tessera idp …`: the trusted identity providers of a site, whose ID
//! tokens `POST /oauth/token` exchanges for sessions (spec 3.5).

use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliError, CliResult, Output};
use crate::admin::Admin;
use crate::admin::types::NewIdentityProviderRequest;
use crate::identity::registration::{RegistrationError, inline_key_count};
use crate::store::IdentityProviderRecord;

#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Trust an identity provider's ID tokens on a site.
    Add {
        #[arg(long)]
        site: String,
        /// The `iss` its tokens carry, exactly.
        #[arg(long)]
        issuer: String,
        /// The audience its tokens must name (usually the client id Tessera has at the IdP).
        #[arg(long)]
        audience: String,
        #[command(flatten)]
        keys: KeysArgs,
        /// Comma-separated signing algorithms (default: every asymmetric one:
        /// RS256-512, PS256-512, ES256, ES384, EdDSA). `none` and HS* are refused.
        #[arg(long)]
        algorithms: Option<String>,
    },
    /// List the identity providers a site trusts.
    List {
        #[arg(long)]
        site: String,
    },
    /// Stop trusting an identity provider (its users keep their accounts).
    Remove {
        #[arg(long)]
        site: String,
        issuer: String,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct KeysArgs {
    /// Where the provider publishes its keys: https on a public address
    /// (http and private addresses only with TESSERA_OUTBOUND_ALLOW_PRIVATE=true).
    #[arg(long)]
    jwks_uri: Option<String>,
    /// A file holding the provider's JWKS, stored inline.
    #[arg(long)]
    jwks_file: Option<std::path::PathBuf>,
}

impl From<RegistrationError> for CliError {
    fn from(e: RegistrationError) -> Self {
        if e.is_input() {
            CliError::Usage(e.to_string())
        } else {
            CliError::Failure(anyhow::anyhow!("{e}"))
        }
    }
}

fn keys_of(record: &IdentityProviderRecord) -> String {
    match &record.jwks_uri {
        Some(uri) => uri.clone(),
        None => format!("inline ({} keys)", inline_key_count(record)),
    }
}

fn describe(record: &IdentityProviderRecord, site: &str) -> serde_json::Value {
    json!({
        "site": site,
        "issuer": record.issuer,
        "audience": record.audience,
        "jwks_uri": record.jwks_uri,
        "inline_keys": record.jwks_json.as_ref().map(|_| inline_key_count(record)),
        "algorithms": record.algorithms.split(',').filter(|a| !a.is_empty()).collect::<Vec<_>>(),
        "created_at": record.created_at,
    })
}

/// The keys as the admin service takes them: a URI, or a JWKS document.
async fn read_keys(
    keys: KeysArgs,
) -> Result<(Option<String>, Option<serde_json::Value>), CliError> {
    match (keys.jwks_uri, keys.jwks_file) {
        (Some(uri), None) => Ok((Some(uri), None)),
        (None, Some(path)) => {
            let json = tokio::fs::read_to_string(&path).await.map_err(|e| {
                CliError::Failure(anyhow::anyhow!("cannot read {}: {e}", path.display()))
            })?;
            let document = serde_json::from_str(&json).map_err(|e| {
                CliError::Usage(format!("{} is not a JWKS document: {e}", path.display()))
            })?;
            Ok((None, Some(document)))
        }
        _ => Err(CliError::Usage(
            "give exactly one of --jwks-uri and --jwks-file".into(),
        )),
    }
}

pub async fn run(command: IdpCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        IdpCommand::Add {
            site,
            issuer,
            audience,
            keys,
            algorithms,
        } => {
            let record = admin.site(&site).await?;
            let (jwks_uri, jwks) = read_keys(keys).await?;
            let request = NewIdentityProviderRequest {
                issuer,
                audience,
                jwks_uri,
                jwks,
                algorithms,
            };
            let provider = admin.add_identity_provider(&record, request).await?;
            out.done(
                &format!(
                    "site `{site}` now trusts ID tokens from {}\naudience: {}\nkeys: {}\nalgorithms: {}",
                    provider.issuer,
                    provider.audience,
                    keys_of(&provider),
                    provider.algorithms
                ),
                describe(&provider, &site),
            );
            Ok(())
        }
        IdpCommand::List { site } => {
            let record = admin.site(&site).await?;
            let providers = admin.list_identity_providers(&record).await?;
            let rows = providers
                .iter()
                .map(|p| {
                    vec![
                        p.issuer.clone(),
                        p.audience.clone(),
                        keys_of(p),
                        p.algorithms.clone(),
                    ]
                })
                .collect();
            let values = providers.iter().map(|p| describe(p, &site)).collect();
            out.table(&["ISSUER", "AUDIENCE", "KEYS", "ALGORITHMS"], rows, values);
            Ok(())
        }
        IdpCommand::Remove { site, issuer } => {
            let record = admin.site(&site).await?;
            admin.remove_identity_provider(&record, &issuer).await?;
            out.done(
                &format!("site `{site}` no longer trusts ID tokens from {issuer}"),
                json!({"site": site, "issuer": issuer, "removed": true}),
            );
            Ok(())
        }
    }
}
