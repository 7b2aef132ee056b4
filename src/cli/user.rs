//! `tessera user …`: users of a site, their sessions and grants, through
//! the admin service (`crate::admin`).

use clap::Subcommand;
use serde_json::json;

use super::{CliResult, Output, read_stdin_secret};
use crate::admin::types::{NewUserRequest, UserChangeRequest};
use crate::admin::{Admin, Paging};
use crate::routes::pages::format_time;
use crate::users::{Role, validate_username};

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
    /// Send an invitation to create an account (a single-use link by
    /// email, good for a week); needs an SMTP relay.
    Invite {
        #[arg(long)]
        site: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "community", value_parser = role_arg)]
        role: Role,
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
    /// Change a user's role (community, pro or admin).
    SetRole {
        #[arg(long)]
        site: String,
        username: String,
        #[arg(value_parser = role_arg)]
        role: Role,
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
    /// Remove a user's second factor (TOTP and recovery codes), e.g. after
    /// they lost their authenticator app.
    ResetSecondFactor {
        #[arg(long)]
        site: String,
        username: String,
    },
    /// A user's active sign-in sessions.
    Sessions {
        #[arg(long)]
        site: String,
        username: String,
    },
    /// End one sign-in session of a user.
    RevokeSession {
        #[arg(long)]
        site: String,
        username: String,
        session_id: i64,
    },
    /// The apps (OAuth clients) a user authorized.
    Grants {
        #[arg(long)]
        site: String,
        username: String,
    },
    /// Take back a user's authorization of a client and revoke its tokens.
    RevokeGrant {
        #[arg(long)]
        site: String,
        username: String,
        client_id: String,
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

pub async fn run(command: UserCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        UserCommand::Invite { site, email, role } => {
            super::accounts::invite(admin, &site, email, role, out).await
        }
        UserCommand::Create {
            site,
            username,
            role,
            email,
            display_name,
            password_stdin,
        } => {
            let site = admin.site(&site).await?;
            let password = if password_stdin {
                Some(read_stdin_secret().await?)
            } else {
                None
            };
            let request = NewUserRequest {
                username,
                role: Some(role.as_str().to_string()),
                email,
                display_name,
                password,
            };
            let created = admin.create_user(&site, request).await?;
            let user = &created.user;
            let mut value = json!({"id": user.id, "site": site.slug, "username": user.username, "role": user.role});
            let mut human = format!(
                "created user `{}` (id {}, {}) on site `{}`",
                user.username, user.id, user.role, site.slug
            );
            if let Some(password) = &created.password {
                value["password"] = json!(password);
                human.push_str(&format!("\npassword (shown once): {password}"));
            }
            out.done(&human, value);
            Ok(())
        }
        UserCommand::List { site } => {
            let site = admin.site(&site).await?;
            let list = admin.list_users(&site, Paging::ALL).await?.items;
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
            let values = list.iter().map(|u| json!(u)).collect();
            out.table(
                &["ID", "USERNAME", "DISPLAY NAME", "ROLE", "STATE"],
                rows,
                values,
            );
            Ok(())
        }
        UserCommand::SetPassword { site, username, .. } => {
            let site = admin.site(&site).await?;
            admin.find_user(&site, &username).await?;
            let change = UserChangeRequest {
                password: Some(read_stdin_secret().await?),
                ..UserChangeRequest::default()
            };
            let user = admin.change_user(&site, &username, change).await?;
            out.done(
                &format!(
                    "password of `{username}` changed; their sessions and OAuth grants were ended"
                ),
                json!({"id": user.id, "username": user.username, "password_changed": true}),
            );
            Ok(())
        }
        UserCommand::SetRole {
            site,
            username,
            role,
        } => {
            let site = admin.site(&site).await?;
            let change = UserChangeRequest {
                role: Some(role.as_str().to_string()),
                ..UserChangeRequest::default()
            };
            let user = admin.change_user(&site, &username, change).await?;
            out.done(&format!("`{username}` is now {}", user.role), json!(user));
            Ok(())
        }
        UserCommand::Disable { site, username } => {
            set_disabled(admin, out, &site, &username, true).await
        }
        UserCommand::Enable { site, username } => {
            set_disabled(admin, out, &site, &username, false).await
        }
        UserCommand::Sessions { site, username } => {
            let site = admin.site(&site).await?;
            let sessions = admin.list_sessions(&site, &username).await?;
            let rows = sessions
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.method.clone(),
                        s.ip.clone().unwrap_or_default(),
                        format_time(s.created_at),
                        format_time(s.expires_at),
                    ]
                })
                .collect();
            let values = sessions.iter().map(|s| json!(s)).collect();
            out.table(&["ID", "METHOD", "IP", "STARTED", "EXPIRES"], rows, values);
            Ok(())
        }
        UserCommand::RevokeSession {
            site,
            username,
            session_id,
        } => {
            let site = admin.site(&site).await?;
            admin.revoke_session(&site, &username, session_id).await?;
            out.done(
                &format!("ended session {session_id} of `{username}`"),
                json!({"username": username, "session_id": session_id, "revoked": true}),
            );
            Ok(())
        }
        UserCommand::ResetSecondFactor { site, username } => {
            let site = admin.site(&site).await?;
            admin.reset_second_factor(&site, &username).await?;
            out.done(
                &format!("removed the second factor of `{username}`"),
                json!({"username": username, "second_factor": false}),
            );
            Ok(())
        }
        UserCommand::Grants { site, username } => {
            let site = admin.site(&site).await?;
            let grants = admin.list_grants(&site, &username).await?;
            let rows = grants
                .iter()
                .map(|g| {
                    vec![
                        g.client_id.clone(),
                        g.client_name.clone(),
                        g.scopes.join(" "),
                        format_time(g.authorized_at),
                    ]
                })
                .collect();
            let values = grants.iter().map(|g| json!(g)).collect();
            out.table(&["CLIENT ID", "NAME", "SCOPES", "AUTHORIZED"], rows, values);
            Ok(())
        }
        UserCommand::RevokeGrant {
            site,
            username,
            client_id,
        } => {
            let site = admin.site(&site).await?;
            admin.revoke_grant(&site, &username, &client_id).await?;
            out.done(
                &format!(
                    "`{username}` no longer authorizes `{client_id}`; its tokens were revoked"
                ),
                json!({"username": username, "client_id": client_id, "revoked": true}),
            );
            Ok(())
        }
    }
}

async fn set_disabled(
    admin: &Admin,
    out: &Output,
    site: &str,
    username: &str,
    disabled: bool,
) -> CliResult {
    let site = admin.site(site).await?;
    let change = UserChangeRequest {
        disabled: Some(disabled),
        ..UserChangeRequest::default()
    };
    let user = admin.change_user(&site, username, change).await?;
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
