//! The outbox: messages wait in the store sealed, are sent again after a
//! relay's temporary refusal, and are given up after a permanent one.

use tessera::audit::Actor;
use tessera::users::Role;

use super::smtp::{Refusal, SmtpReceiver};
use crate::helpers::{TestApp, spawn_app_with};

async fn app_with(receiver: &SmtpReceiver) -> TestApp {
    let url = receiver.url();
    spawn_app_with(&[("TESSERA_SMTP_URL", url.as_str())]).await
}

async fn invite(app: &TestApp, email: &str) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .accounts
        .invite(&site, email, Role::Community, &Actor::Cli)
        .await
        .unwrap();
}

async fn pending(app: &TestApp) -> i64 {
    app.state
        .store
        .pending_emails(app.default_site_id())
        .await
        .unwrap()
}

async fn until_refused(receiver: &SmtpReceiver, times: usize) {
    for _ in 0..200 {
        if *receiver.refused.lock().unwrap() >= times {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the relay was never asked");
}

#[tokio::test]
async fn a_message_the_relay_refuses_for_now_is_sent_again_later() {
    let receiver = SmtpReceiver::refusing(Refusal::Transient(1)).await;
    let app = app_with(&receiver).await;
    invite(&app, "lin@example.com").await;
    until_refused(&receiver, 1).await;
    // Still queued, sealed: the link is not readable in the store.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(pending(&app).await, 1);
    let sealed: Vec<(String,)> = sqlx_rows(&app).await;
    assert!(
        sealed
            .iter()
            .all(|(s,)| s.starts_with("v2.") && !s.contains("signup"))
    );

    // The first retry is ten seconds later.
    app.clock.advance(11);
    let mail = receiver.mailbox.wait_for("lin@example.com", 1).await;
    assert!(mail.text().contains("/signup?invite="));
    for _ in 0..100 {
        if pending(&app).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending(&app).await, 0);
}

#[tokio::test]
async fn a_message_the_relay_refuses_for_good_is_given_up() {
    let receiver = SmtpReceiver::refusing(Refusal::Permanent(1)).await;
    let app = app_with(&receiver).await;
    invite(&app, "nobody@example.com").await;
    until_refused(&receiver, 1).await;
    for _ in 0..100 {
        if pending(&app).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending(&app).await, 0);
    app.clock.advance(3600);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(receiver.mailbox.all().is_empty());
}

/// The sealed messages as stored.
async fn sqlx_rows(app: &TestApp) -> Vec<(String,)> {
    use sqlx::Connection;
    let query = "SELECT sealed_message FROM outbound_emails";
    if app.database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(query).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(query).fetch_all(&mut conn).await.unwrap()
    }
}
