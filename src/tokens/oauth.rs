//! OAuth access tokens (`Authorization: Bearer tat_…`, or `DPoP tat_…`
//! with a proof for DPoP-bound tokens, RFC 9449 section 7). The caller's
//! permissions are the user's role permissions intersected with what the
//! granted scopes allow. A client-credentials token acts with its owner's
//! role when a user registered the client, and otherwise with only the
//! permissions an admin granted the client (none by default), always
//! within its scopes.

use std::sync::Arc;

use super::{ApiCaller, CredentialKind, Presented, RecogniseError};
use crate::oauth::dpop::{Presentation, Scheme};
use crate::sites::Site;
use crate::state::AppState;

pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    value: &str,
    scheme: Scheme,
    presented: &Presented<'_>,
) -> Result<ApiCaller, RecogniseError> {
    // A token for another resource (RFC 8707) is not for this API.
    let Some(token) = state
        .oauth
        .find_access_token(&site, value)
        .await?
        .filter(|t| t.is_for_own_api())
    else {
        return Err(RecogniseError::InvalidToken);
    };
    state
        .dpop
        .check_presentation(
            &site,
            token.jkt.as_deref(),
            &Presentation {
                token: value,
                scheme,
                proofs: &presented.dpop_proofs,
                method: presented.method,
                path: presented.path,
            },
        )
        .await?;
    let scope_permissions = token.scopes.permissions();
    let (user, permissions) = match token.user_id {
        Some(user_id) => {
            let user = state
                .users
                .cached(site.id, user_id)
                .await?
                .filter(|u| !u.disabled)
                .ok_or(RecogniseError::InvalidToken)?;
            let permissions = user.role.permissions().intersect(scope_permissions);
            (Some(user), permissions)
        }
        None => {
            let client = &token.client;
            let permissions = match client.owner_user_id {
                // Nobody's role stands behind it: only what an admin granted.
                None => client.ownerless_permissions(token.scopes),
                Some(owner) => match state.users.cached(site.id, owner).await? {
                    Some(owner) if !owner.disabled => {
                        owner.role.permissions().intersect(scope_permissions)
                    }
                    _ => crate::users::Permissions::none(),
                },
            };
            (None, permissions)
        }
    };
    Ok(ApiCaller {
        site,
        user,
        credential: CredentialKind::OAuth,
        permissions,
        session_id: None,
        client_id: Some(token.client.client_id.clone()),
        scopes: Some(token.scopes),
    })
}
