use crate::helpers::spawn_app;

#[tokio::test]
async fn an_anonymous_caller_is_reported_as_such() {
    let app = spawn_app().await;
    let me = app.current_user_with(&app.client).await;
    assert_eq!(me["credential"], "anonymous");
    assert_eq!(me["role"], "anonymous");
    assert_eq!(me["permissions"], serde_json::json!([]));
}

#[tokio::test]
async fn garbage_bearer_tokens_leave_the_caller_anonymous() {
    let app = spawn_app().await;
    for junk in ["", "tas_", "tas_1.2.3.4", "tas_x.y.z.w", &"a".repeat(400)] {
        assert_eq!(
            app.current_user_bearer(junk).await["credential"],
            "anonymous"
        );
    }
}
