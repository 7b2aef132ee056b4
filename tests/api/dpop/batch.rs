//! The group commit's handling of single-use ids (DPoP proofs, client
//! assertions), straight against the store: the first use of an id in a
//! batch or across batches is new, every other one a replay.

use tessera::store::{Committed, PendingWrite, ProofUse};

use crate::helpers::{TestApp, spawn_app};

fn use_of(app: &TestApp, holder: &str, jti: u8) -> ProofUse {
    ProofUse {
        site_id: app.default_site_id(),
        jkt: holder.to_string(),
        jti_hash: vec![jti; 32],
        expires_at: app.now() + 60,
    }
}

#[tokio::test]
async fn a_batch_accepts_only_the_first_use_of_each_id() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let first = vec![
        PendingWrite::Proof(use_of(&app, "key-a", 1)),
        // The same proof again in the same batch: a replay.
        PendingWrite::Proof(use_of(&app, "key-a", 1)),
        // The same jti by another holder is another id.
        PendingWrite::Proof(use_of(&app, "client:other", 1)),
        PendingWrite::Proof(use_of(&app, "client:other", 1)),
    ];
    let answers = store.commit_writes(&first).await.unwrap();
    assert_eq!(
        answers,
        [
            Committed::Proof,
            Committed::ProofReplayed,
            Committed::Proof,
            Committed::ProofReplayed
        ]
    );

    // A later batch: the stored ids are replays, a new one is not.
    let second = vec![
        PendingWrite::Proof(use_of(&app, "key-a", 1)),
        PendingWrite::Proof(use_of(&app, "key-a", 2)),
    ];
    let answers = store.commit_writes(&second).await.unwrap();
    assert_eq!(answers, [Committed::ProofReplayed, Committed::Proof]);
}
