//! A site's signing keys: list and rotate.

use super::types::{RotatedKeysView, SigningKeyView};
use super::{Admin, AdminError, AdminResult};
use crate::signing::SigningError;
use crate::sites::Site;

impl From<SigningError> for AdminError {
    fn from(e: SigningError) -> Self {
        AdminError::Internal(e.into())
    }
}

impl Admin {
    /// The published keys: current, next and retired (made on first use).
    pub async fn list_signing_keys(&self, site: &Site) -> AdminResult<Vec<SigningKeyView>> {
        self.signing().keys(site.id).await?;
        let records = self.store.list_signing_keys(site.id, self.now()).await?;
        Ok(records
            .into_iter()
            .map(|k| SigningKeyView {
                kid: k.kid,
                alg: k.alg,
                state: k.state,
                created_at: k.created_at,
                activated_at: k.activated_at,
                publish_until: k.publish_until,
            })
            .collect())
    }

    /// Promotes the next key, retires the current one, publishes a new next.
    pub async fn rotate_signing_keys(&self, site: &Site) -> AdminResult<RotatedKeysView> {
        let rotated = self.signing().rotate_as(site, &self.actor).await?;
        Ok(RotatedKeysView {
            current: rotated.current_kid,
            retired: rotated.retired_kid,
            next: rotated.next_kid,
        })
    }
}
