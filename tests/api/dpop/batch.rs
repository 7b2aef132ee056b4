//! The group commit's handling of single-use ids (DPoP proofs, client
//! assertions), straight against the store: the same answers on SQLite (a
//! statement per table) and on Postgres (one statement for the batch).

use tessera::store::{Committed, NewToken, PendingWrite, ProofUse, TokenKind};

use super::support::service_client;
use crate::helpers::{TestApp, spawn_app};

fn token(app: &TestApp, client_pk: i64, hash: &str) -> NewToken {
    NewToken {
        site_id: app.default_site_id(),
        token_hash: hash.to_string(),
        kind: TokenKind::Access,
        client_pk,
        user_id: None,
        grant_id: None,
        scopes: "content:read".to_string(),
        created_at: app.now(),
        expires_at: app.now() + 600,
        jkt: Some("thumbprint".to_string()),
        resource: None,
    }
}

fn use_of(app: &TestApp, holder: &str, jti: u8) -> ProofUse {
    ProofUse {
        site_id: app.default_site_id(),
        jkt: holder.to_string(),
        jti_hash: vec![jti; 32],
        expires_at: app.now() + 60,
    }
}

#[tokio::test]
async fn a_batch_stores_a_token_only_for_the_first_use_of_its_id() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let client_pk = app
        .state
        .store
        .find_client(app.default_site_id(), &client.client_id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let store = &app.state.store;
    let first = vec![
        PendingWrite::ProvedToken(token(&app, client_pk, "t1"), use_of(&app, "key-a", 1)),
        // The same proof again in the same batch: a replay.
        PendingWrite::ProvedToken(token(&app, client_pk, "t2"), use_of(&app, "key-a", 1)),
        PendingWrite::Token(token(&app, client_pk, "t3")),
        // The same jti by another holder is another id.
        PendingWrite::Proof(use_of(&app, "client:other", 1)),
        PendingWrite::Proof(use_of(&app, "client:other", 1)),
    ];
    let answers = store.commit_writes(&first).await.unwrap();
    assert!(matches!(answers[0], Committed::Token(_)), "{answers:?}");
    assert_eq!(answers[1], Committed::ProofReplayed);
    assert!(matches!(answers[2], Committed::Token(_)), "{answers:?}");
    assert_eq!(answers[3], Committed::Proof);
    assert_eq!(answers[4], Committed::ProofReplayed);

    // A later batch: the stored ids are replays, a new one is not.
    let second = vec![
        PendingWrite::ProvedToken(token(&app, client_pk, "t4"), use_of(&app, "key-a", 1)),
        PendingWrite::ProvedToken(token(&app, client_pk, "t5"), use_of(&app, "key-a", 2)),
    ];
    let answers = store.commit_writes(&second).await.unwrap();
    assert_eq!(answers[0], Committed::ProofReplayed);
    assert!(matches!(answers[1], Committed::Token(_)), "{answers:?}");
    let site = app.default_site_id();
    for (hash, stored) in [
        ("t1", true),
        ("t2", false),
        ("t3", true),
        ("t4", false),
        ("t5", true),
    ] {
        assert_eq!(
            store.find_token(site, hash).await.unwrap().is_some(),
            stored,
            "token {hash}"
        );
    }
}
