use crate::helpers::{spawn_app, spawn_app_on};

#[tokio::test]
async fn the_first_start_creates_the_default_site_and_admin_once() {
    let app = spawn_app().await;
    assert!(
        !app.admin_password.is_empty(),
        "the first start reports a password"
    );
    assert_eq!(app.state.store.count_sites().await.unwrap(), 1);

    let dir = tempfile::tempdir().unwrap();
    let second = spawn_app_on(app.database_url.clone(), app.master_key.clone(), dir).await;

    assert!(
        second.admin_password.is_empty(),
        "a second start reports nothing"
    );
    assert_eq!(second.state.store.count_sites().await.unwrap(), 1);
    let users = second
        .state
        .store
        .list_users(app.default_site_id())
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, "admin");
}
