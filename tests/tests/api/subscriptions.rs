//! Subscriptions over graphql-transport-ws: live feed items, resuming after a reconnect,
//! proposal changes filtered by role, and changes crossing replicas on PostgreSQL.

use std::time::Duration;

use api::graphql::ids::{Kind, encode};
use serde_json::{Value, json};
use tests::{Socket, TestApp, on_postgres};

use crate::feed::stored_sequences;
use crate::fixtures::{insert, sheet};
use crate::writing::{DECIDE, UPDATE, approval};

const FEED: &str = "subscription($round: ID!, $after: String) { approvedChangeAppended(round: $round, after: $after) { sequence proposalNumber year amount entry } }";
const CHANGES: &str = "subscription($round: ID) { proposalChanged(round: $round) { proposalId version changes proposal { number status } } }";
const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(700);

/// A submitted SU proposal saving `amount` kroner in each of the round's four years:
/// (global id, version).
async fn submitted(app: &TestApp, title: &str, amount: &str) -> (String, i32) {
    let saved = insert(
        app,
        &sheet(
            "SU",
            title,
            "submitted",
            json!({ "efficiency": amount }),
            json!({}),
        ),
    )
    .await;
    (encode(Kind::Proposal, saved.id).to_string(), saved.version)
}

async fn approve(app: &TestApp, admin: &str, (id, version): &(String, i32)) {
    app.data_as(
        Some(admin),
        DECIDE,
        json!({ "id": id, "v": version, "input": approval() }),
    )
    .await;
}

/// The next `n` feed items a socket receives.
async fn items(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut received = Vec::new();
    for _ in 0..n {
        let payload = socket.next_data(WAIT).await.expect("an item in time");
        assert!(payload.get("errors").is_none(), "{payload}");
        received.push(payload["data"]["approvedChangeAppended"].clone());
    }
    received
}

fn sequences(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|i| i["sequence"].as_i64().unwrap())
        .collect()
}

fn error_code(message: &Value) -> Value {
    let errors = if message["type"] == "error" {
        &message["payload"]
    } else {
        &message["errors"]
    };
    errors[0]["extensions"]["code"].clone()
}

#[actix_web::test]
async fn an_integration_follows_approvals_live_and_resumes_after_a_reconnect() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let integration = app.token(&["integration"], &[]);
    let round = app.round_id(2023).await;
    let first = submitted(&app, "Første", "-1000").await;
    let second = submitted(&app, "Anden", "-2000").await;
    let third = submitted(&app, "Tredje", "-3000").await;

    let mut socket = app.subscriber(Some(&integration)).await;
    socket
        .subscribe("feed", FEED, json!({ "round": round }))
        .await;
    // Nothing is sent before something is approved.
    assert_eq!(socket.next_data(QUIET).await, None);
    approve(&app, &admin, &first).await;
    let live = items(&mut socket, 4).await;
    assert!(
        live.iter()
            .all(|i| i["amount"] == "-1000.00" && i["entry"] == "APPROVAL")
    );
    let last = live.last().unwrap()["sequence"].as_i64().unwrap();

    // The integration goes away; an approval commits meanwhile.
    drop(socket);
    approve(&app, &admin, &second).await;

    // It comes back with the last sequence it booked: first what it missed, then live.
    let mut socket = app.subscriber(Some(&integration)).await;
    socket
        .subscribe(
            "feed",
            FEED,
            json!({ "round": round, "after": last.to_string() }),
        )
        .await;
    let missed = items(&mut socket, 4).await;
    assert!(
        missed.iter().all(|i| i["amount"] == "-2000.00"),
        "{missed:?}"
    );
    approve(&app, &admin, &third).await;
    let again = items(&mut socket, 4).await;
    assert!(again.iter().all(|i| i["amount"] == "-3000.00"), "{again:?}");
    assert_eq!(socket.next_data(QUIET).await, None, "nothing twice");

    let seen: Vec<i64> = [live, missed, again]
        .iter()
        .flat_map(|items| sequences(items))
        .collect();
    assert_eq!(seen, stored_sequences(&app).await, "no gap, no repeat");
}

#[actix_web::test]
async fn proposal_changes_reach_only_those_who_may_see_the_proposal() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let approved = submitted(&app, "Godkendes", "-500").await;
    let mut integration = app
        .subscriber(Some(&app.token(&["integration"], &[])))
        .await;
    let mut reader = app.subscriber(Some(&app.token(&["reader"], &[]))).await;
    let mut coordinator = app
        .subscriber(Some(&app.token(&["coordinator"], &["ÆSU"])))
        .await;
    for socket in [&mut integration, &mut reader, &mut coordinator] {
        socket
            .subscribe("changes", CHANGES, json!({ "round": round }))
            .await;
    }
    // Let the subscriptions start before anything changes.
    assert_eq!(integration.next_data(QUIET).await, None);

    // The budget office edits the ÆSU01 draft (the coordinators' window is closed in
    // consultation): only the committee's coordinators and the budget office may know.
    let draft = app
        .data_as(
            Some(&admin),
            r#"query($round: ID!) { proposal(round: $round, number: "ÆSU01") { id version } }"#,
            json!({ "round": round }),
        )
        .await;
    app.data_as(
        Some(&admin),
        UPDATE,
        json!({ "id": draft["proposal"]["id"], "v": draft["proposal"]["version"], "input": { "title": "Ny titel på kladden" } }),
    )
    .await;
    let seen = coordinator.next_data(WAIT).await.unwrap();
    assert_eq!(
        seen["data"]["proposalChanged"]["proposal"],
        json!({ "number": "ÆSU01", "status": "DRAFT" })
    );
    assert_eq!(
        seen["data"]["proposalChanged"]["changes"],
        json!(["CONTENT"])
    );

    // Then an approval, which everyone may see. Changes arrive in commit order, so the
    // first message of the others is the approval: the draft's change never reached them.
    approve(&app, &admin, &approved).await;
    for (role, socket) in [("integration", &mut integration), ("reader", &mut reader)] {
        let first = socket.next_data(WAIT).await.unwrap();
        assert_eq!(
            first["data"]["proposalChanged"]["proposal"]["status"], "APPROVED",
            "{role}: {first}"
        );
        assert_eq!(
            first["data"]["proposalChanged"]["changes"],
            json!(["DECISION", "STATUS"]),
            "{role}"
        );
        assert_eq!(socket.next_data(QUIET).await, None, "{role}");
    }
}

#[actix_web::test]
async fn a_change_committed_on_one_replica_reaches_subscribers_of_another() {
    if !on_postgres() {
        // Replicas share PostgreSQL; the embedded SQLite default is one process.
        return;
    }
    let app = TestApp::spawn().await;
    let other = app.replica().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let proposal = submitted(&app, "På tværs af servere", "-750").await;
    let mut feed = other
        .subscriber(Some(&other.token(&["integration"], &[])))
        .await;
    feed.subscribe("feed", FEED, json!({ "round": round }))
        .await;
    let mut changes = other.subscriber(Some(&other.token(&["reader"], &[]))).await;
    changes
        .subscribe("changes", CHANGES, json!({ "round": round }))
        .await;
    // The replica LISTENs from a task of its own: wait until a change made through the
    // first server arrives (a draft's, which the reader and the integration do not see).
    let mut office = other.subscriber(Some(&admin)).await;
    office
        .subscribe("changes", CHANGES, json!({ "round": round }))
        .await;
    let draft = app
        .data_as(
            Some(&admin),
            r#"query($round: ID!) { proposal(round: $round, number: "ÆSU01") { id version } }"#,
            json!({ "round": round }),
        )
        .await["proposal"]
        .clone();
    let mut listening = false;
    let first_version = draft["version"].as_i64().unwrap();
    for (version, attempt) in (first_version..).zip(0..20) {
        app.data_as(
            Some(&admin),
            UPDATE,
            json!({ "id": draft["id"], "v": version, "input": { "title": format!("Kladde {attempt}") } }),
        )
        .await;
        if office.next_data(Duration::from_millis(500)).await.is_some() {
            listening = true;
            break;
        }
    }
    assert!(listening, "the replica listens");

    // Approved through the first server ...
    approve(&app, &admin, &proposal).await;
    // ... and seen on the second.
    let received = items(&mut feed, 4).await;
    assert!(
        received.iter().all(|i| i["amount"] == "-750.00"),
        "{received:?}"
    );
    let change = changes.next_data(WAIT).await.unwrap();
    assert_eq!(
        change["data"]["proposalChanged"]["proposal"]["status"],
        "APPROVED"
    );
}

#[actix_web::test]
async fn subscriptions_check_the_token_in_connection_init() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;

    let (_, refused) = app
        .websocket(json!({ "Authorization": "Bearer not-a-token" }))
        .await;
    assert_eq!(refused["type"], "close", "{refused}");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .starts_with("not authenticated"),
        "{refused}"
    );

    // Anonymous may connect (published proposals are public), not read the feed.
    let mut anonymous = app.subscriber(None).await;
    anonymous
        .subscribe("feed", FEED, json!({ "round": round }))
        .await;
    let answer = anonymous.next_data(WAIT).await.unwrap();
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");

    // The token may also come as `token`.
    let reader = app.token(&["reader"], &[]);
    let (_, accepted) = app.websocket(json!({ "token": reader })).await;
    assert_eq!(accepted["type"], "connection_ack");
}

#[actix_web::test]
async fn a_subscription_ends_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;
    let token = app.short_token(&["integration"], 2);
    let mut socket = app.subscriber(Some(&token)).await;
    socket
        .subscribe("feed", FEED, json!({ "round": round }))
        .await;
    socket
        .subscribe("changes", CHANGES, json!({ "round": round }))
        .await;
    let mut ended = Vec::new();
    while let Some(message) = socket.next(Duration::from_secs(6)).await {
        match message["type"].as_str() {
            Some("next") => {
                assert_eq!(
                    error_code(&message["payload"]),
                    "UNAUTHENTICATED",
                    "{message}"
                );
            }
            Some("complete") => ended.push(message["id"].as_str().unwrap().to_owned()),
            _ => panic!("unexpected {message}"),
        }
        if ended.len() == 2 {
            break;
        }
    }
    ended.sort();
    assert_eq!(ended, ["changes", "feed"], "both end with the token");
}
