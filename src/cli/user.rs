use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output, find_site, read_stdin_secret};
use crate::crypto::random;
use crate::store::SharedStore;
use crate::users::{NewAccount, Role, UserError, Users, validate_username};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password unless --password-stdin.
    Create {
        #[arg(long)]
        site: String,
        #[arg(value_parser = username_arg)]
        username: String,
        #[arg(long, default_value = "community", value_parser = role_arg)]
        role: Role,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users of a site.
    List {
        #[arg(long)]
        site: String,
    },
    /// Set a user's password (read from standard input); signs them out everywhere.
    SetPassword {
        #[arg(long)]
        site: String,
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user and end all their sessions.
    Disable {
        #[arg(long)]
        site: String,
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        site: String,
        username: String,
    },
}

fn username_arg(raw: &str) -> Result<String, String> {
    validate_username(raw)
        .map(|()| raw.to_string())
        .map_err(|e| e.to_string())
}

fn role_arg(raw: &str) -> Result<Role, String> {
    raw.parse()
        .map_err(|e: crate::users::UnknownRole| e.to_string())
}

/// Bad input from the operator is a usage error (exit 2); the rest fails (1).
fn user_error(e: UserError) -> CliError {
    match e {
        UserError::Internal(e) => CliError::Failure(e),
        UserError::NotFound(_) | UserError::UsernameTaken(_) => {
            CliError::Failure(anyhow::anyhow!(e.to_string()))
        }
        other => CliError::Usage(other.to_string()),
    }
}

pub async fn run(
    command: UserCommand,
    store: &SharedStore,
    users: &Users,
    out: &Output,
) -> CliResult {
    match command {
        UserCommand::Create {
            site,
            username,
            role,
            email,
            display_name,
            password_stdin,
        } => {
            let site = find_site(store, &site).await?;
            let (password, generated) = if password_stdin {
                (read_stdin_secret().await?, false)
            } else {
                (random::password(), true)
            };
            let account = NewAccount {
                username,
                display_name,
                email,
                role,
                password: password.clone(),
            };
            let user = users.create(site.id, account).await.map_err(user_error)?;
            let mut value = json!({"id": user.id, "site": site.slug, "username": user.username, "role": user.role});
            let mut human = format!(
                "created user `{}` (id {}, {}) on site `{}`",
                user.username, user.id, user.role, site.slug
            );
            if generated {
                value["password"] = json!(password);
                human.push_str(&format!("\npassword (shown once): {password}"));
            }
            out.done(&human, value);
            Ok(())
        }
        UserCommand::List { site } => {
            let site = find_site(store, &site).await?;
            let list = users.list(site.id).await.map_err(user_error)?;
            let rows = list
                .iter()
                .map(|u| {
                    vec![
                        u.id.to_string(),
                        u.username.clone(),
                        u.display_name.clone(),
                        u.role.clone(),
                        if u.disabled { "disabled" } else { "active" }.to_string(),
                    ]
                })
                .collect();
            let values = list
                .iter()
                .map(|u| {
                    json!({"id": u.id, "username": u.username, "display_name": u.display_name,
                           "email": u.email, "role": u.role, "disabled": u.disabled})
                })
                .collect();
            out.table(
                &["ID", "USERNAME", "DISPLAY NAME", "ROLE", "STATE"],
                rows,
                values,
            );
            Ok(())
        }
        UserCommand::SetPassword { site, username, .. } => {
            let site = find_site(store, &site).await?;
            let user = users
                .find_by_username(site.id, &username)
                .await
                .map_err(user_error)?;
            let password = read_stdin_secret().await?;
            users
                .set_password(site.id, user.id, password, None)
                .await
                .map_err(user_error)?;
            out.done(
                &format!(
                    "password of `{username}` changed; their sessions and OAuth grants were ended"
                ),
                json!({"id": user.id, "username": user.username, "password_changed": true}),
            );
            Ok(())
        }
        UserCommand::Disable { site, username } => {
            set_disabled(store, users, out, &site, &username, true).await
        }
        UserCommand::Enable { site, username } => {
            set_disabled(store, users, out, &site, &username, false).await
        }
    }
}

async fn set_disabled(
    store: &SharedStore,
    users: &Users,
    out: &Output,
    site: &str,
    username: &str,
    disabled: bool,
) -> CliResult {
    let site = find_site(store, site).await?;
    let user = users
        .find_by_username(site.id, username)
        .await
        .map_err(user_error)?;
    users
        .set_disabled(site.id, user.id, disabled)
        .await
        .map_err(user_error)?;
    let human = if disabled {
        format!("disabled `{username}` and ended their sessions")
    } else {
        format!("enabled `{username}`")
    };
    out.done(
        &human,
        json!({"id": user.id, "username": user.username, "disabled": disabled}),
    );
    Ok(())
}
