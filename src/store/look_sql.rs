//! The SQL of `LookStore`, shared by both backends (expanded next to
//! `impl_store!`, whose helpers it uses).

macro_rules! impl_look_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::LookStore for $store {
            async fn set_user_locale(
                &self,
                site_id: i64,
                user_id: i64,
                locale: Option<&str>,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE users SET locale = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(locale)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                Self::record_change(
                    &mut *tx,
                    site_id,
                    $crate::store::ChangeKind::User,
                    user_id,
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_site_default_locale(
                &self,
                site_id: i64,
                locale: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET default_locale = $1 WHERE id = $2")
                    .bind(locale)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn set_site_look(
                &self,
                site_id: i64,
                change: $crate::store::SiteLookChange<'_>,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                // One statement: a value not given keeps its column
                // (`$2` false), a value given replaces it, NULL included.
                let update = sqlx::query(
                    "UPDATE sites SET \
                     display_name = CASE WHEN $1 THEN $2 ELSE display_name END, \
                     logo_url = CASE WHEN $3 THEN $4 ELSE logo_url END, \
                     accent_colour = CASE WHEN $5 THEN $6 ELSE accent_colour END \
                     WHERE id = $7",
                )
                .bind(change.display_name.is_some())
                .bind(change.display_name.flatten())
                .bind(change.logo_url.is_some())
                .bind(change.logo_url.flatten())
                .bind(change.accent_colour.is_some())
                .bind(change.accent_colour.flatten())
                .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }
        }
    };
}
