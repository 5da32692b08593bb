//! Subscriptions over graphql-transport-ws: live feed items, resuming after a reconnect,
//! proposal changes filtered by role, and changes crossing replicas on PostgreSQL; the
//! protocol's close codes, the token's expiry, message size and the caps on sockets and
//! operations; the real `graphql-ws` npm client across a server restart.

use std::time::Duration;

use api::graphql::ids::{Kind, encode};
use serde_json::{Value, json};
use tests::{NodeClient, Socket, TestApp, on_postgres};

use crate::feed::stored_sequences;
use crate::fixtures::{insert, sheet};
use crate::writing::{DECIDE, UPDATE, UPDATE_ROUND, approval};

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
    assert_eq!(refused["code"], 4403, "forbidden: {refused}");
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
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");

    // The token may also come as `token`.
    let reader = app.token(&["reader"], &[]);
    let (_, accepted) = app.websocket(json!({ "token": reader })).await;
    assert_eq!(accepted["type"], "connection_ack");
}

#[actix_web::test]
async fn at_the_tokens_expiry_the_socket_closes_with_4403_and_its_subscriptions_end() {
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

    // Each subscription may say UNAUTHENTICATED first; then the socket closes.
    let mut closed = None;
    while let Some(message) = socket.next(Duration::from_secs(6)).await {
        match message["type"].as_str() {
            Some("next") => assert_eq!(
                error_code(&message["payload"]),
                "UNAUTHENTICATED",
                "{message}"
            ),
            Some("complete") => {}
            Some("close") => {
                closed = Some(message);
                break;
            }
            _ => panic!("unexpected {message}"),
        }
    }
    let closed = closed.expect("the socket closes at the token's expiry");
    assert_eq!(closed["code"], 4403, "{closed}");
    assert!(
        closed["reason"].as_str().unwrap().contains("expired"),
        "{closed}"
    );
}

#[actix_web::test]
async fn an_operation_sent_after_the_tokens_expiry_is_refused() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;
    let admin = app.short_token(&["admin"], 2);
    let mut socket = app.subscriber(Some(&admin)).await;

    // Past the token's expiry (though within the verification's leeway over HTTP), the
    // open socket is asked for an irreversible change.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    socket
        .subscribe(
            "adopt",
            UPDATE_ROUND,
            json!({ "id": round, "input": { "phase": "ADOPTED" } }),
        )
        .await;

    let (code, _) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(code, 4403);
    let phase = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on BudgetRound { phase } } }",
            json!({ "id": round }),
        )
        .await;
    assert_ne!(phase["node"]["phase"], "ADOPTED", "the mutation never ran");
}

#[actix_web::test]
async fn an_exp_sent_as_a_float_closes_the_socket_at_expiry_too() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp() as f64;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "float.exp", "roles": ["integration"], "exp": now + 2.5 }),
        &jsonwebtoken::EncodingKey::from_secret(api::auth::token::DEVELOPMENT_SECRET.as_bytes()),
    )
    .unwrap();
    let mut socket = app.subscriber(Some(&token)).await;
    socket
        .subscribe(
            "changes",
            CHANGES,
            json!({ "round": app.round_id(2023).await }),
        )
        .await;

    let (code, _) = socket
        .closed(Duration::from_secs(8))
        .await
        .expect("closed at the float expiry");
    assert_eq!(code, 4403);
}

/// A valid `connection_init` of about `bytes` bytes, padded inside its payload.
fn padded_init(bytes: usize) -> String {
    let pad = "x".repeat(bytes);
    json!({ "type": "connection_init", "payload": { "pad": pad } }).to_string()
}

#[actix_web::test]
async fn a_fragmented_message_over_the_body_limit_closes_the_socket_before_sign_in() {
    let app = TestApp::spawn().await;
    let limit = app.config().max_body_bytes;
    let mut socket = app.open_socket(&["graphql-transport-ws"]).await.unwrap();

    // A well-formed message twice the limit, in 64 KiB fragments, before any sign-in.
    use actix_http::ws::Item;
    use awc::ws::Message;
    let text = padded_init(2 * limit);
    let mut chunks = text.as_bytes().chunks(64 * 1024).peekable();
    let first = chunks.next().unwrap().to_vec();
    socket
        .send_frame(Message::Continuation(Item::FirstText(first.into())))
        .await;
    while let Some(chunk) = chunks.next() {
        let chunk = chunk.to_vec().into();
        let item = if chunks.peek().is_some() {
            Item::Continue(chunk)
        } else {
            Item::Last(chunk)
        };
        if !socket.send_frame(Message::Continuation(item)).await {
            break;
        }
    }

    let (code, reason) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(code, 1009, "message too big: {reason}");
    assert!(reason.contains(&limit.to_string()), "{reason}");
    // The server is fine, and a message within the limit still goes through.
    assert_eq!(app.get("/health", None).await.0, 200);
    let (_, ack) = app.websocket(json!({ "pad": "x".repeat(limit / 2) })).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
}

#[actix_web::test]
async fn a_single_frame_over_the_body_limit_closes_the_socket() {
    let app = TestApp::spawn().await;
    let limit = app.config().max_body_bytes;
    let mut socket = app.open_socket(&["graphql-transport-ws"]).await.unwrap();

    let text = padded_init(limit + 1);
    socket.send_frame(awc::ws::Message::Text(text.into())).await;

    let (code, _) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(code, 1009);
    assert_eq!(app.get("/health", None).await.0, 200);
}

#[actix_web::test]
async fn a_socket_that_never_sends_connection_init_is_closed_with_4408() {
    let app = TestApp::spawn_with(|config| {
        config.ws_init_timeout = Duration::from_millis(300);
    })
    .await;
    let mut socket = app.open_socket(&["graphql-transport-ws"]).await.unwrap();

    let (code, reason) = socket
        .closed(Duration::from_secs(3))
        .await
        .expect("a close");
    assert_eq!(
        (code, reason.as_str()),
        (4408, "Connection initialisation timeout")
    );
}

#[actix_web::test]
async fn subscribe_before_connection_ack_closes_with_4401() {
    let app = TestApp::spawn().await;
    let mut socket = app.open_socket(&["graphql-transport-ws"]).await.unwrap();

    socket
        .subscribe("changes", CHANGES, json!({ "round": null }))
        .await;

    let (code, _) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(code, 4401);
}

#[actix_web::test]
async fn a_second_connection_init_closes_with_4429() {
    let app = TestApp::spawn().await;
    let mut socket = app.subscriber(None).await;

    socket
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;

    let (code, reason) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(code, 4429, "{reason}");
}

#[actix_web::test]
async fn a_subscribe_with_the_id_of_a_running_operation_closes_with_4409() {
    let app = TestApp::spawn().await;
    let mut socket = app.subscriber(None).await;

    socket.subscribe("same", CHANGES, json!({})).await;
    socket.subscribe("same", CHANGES, json!({})).await;

    let (code, reason) = socket.closed(WAIT).await.expect("a close");
    assert_eq!(
        (code, reason.as_str()),
        (4409, "Subscriber for same already exists")
    );
}

#[actix_web::test]
async fn a_message_outside_the_protocol_closes_with_4400() {
    let app = TestApp::spawn().await;
    for (text, binary) in [
        ("not json", false),
        (r#"{"type":"start","id":"1"}"#, false),
        (r#"{"type":"subscribe","id":"1","payload":{}}"#, false),
        (r#"{"type":"connection_init"}"#, true),
    ] {
        let message = if binary {
            awc::ws::Message::Binary(text.into())
        } else {
            awc::ws::Message::Text(text.into())
        };
        let mut socket = app.subscriber(None).await;
        socket.send_frame(message).await;
        let (code, _) = socket.closed(WAIT).await.expect("a close");
        assert_eq!(code, 4400, "{text} (binary: {binary})");
    }
}

#[actix_web::test]
async fn the_older_graphql_ws_protocol_is_refused_clearly() {
    let app = TestApp::spawn().await;

    let refused = app.open_socket(&["graphql-ws"]).await.err();
    let without = app.open_socket(&[]).await.err();

    assert_eq!(refused, Some(400));
    assert_eq!(without, Some(400));
}

#[actix_web::test]
async fn ping_is_answered_and_complete_stops_an_operation() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let proposal = submitted(&app, "Stoppes", "-100").await;
    let mut socket = app.subscriber(Some(&app.token(&["reader"], &[]))).await;

    socket.send(json!({ "type": "ping" })).await;
    assert_eq!(socket.next(WAIT).await.unwrap(), json!({ "type": "pong" }));

    socket
        .subscribe("changes", CHANGES, json!({ "round": round }))
        .await;
    assert_eq!(socket.next_data(QUIET).await, None);
    socket
        .send(json!({ "type": "complete", "id": "changes" }))
        .await;
    approve(&app, &admin, &proposal).await;
    assert_eq!(socket.next(QUIET).await, None, "nothing after complete");

    // The id is free again.
    socket
        .subscribe("changes", CHANGES, json!({ "round": round }))
        .await;
    assert_eq!(socket.next(QUIET).await, None, "no 4409");
}

#[actix_web::test]
async fn a_document_that_does_not_validate_is_an_error_message() {
    let app = TestApp::spawn().await;
    let mut socket = app.subscriber(None).await;

    socket
        .subscribe("bad", "subscription { noSuchField }", json!({}))
        .await;

    let answer = socket.next(WAIT).await.unwrap();
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["id"], "bad");
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert_eq!(socket.next(QUIET).await, None, "no complete after an error");
}

#[actix_web::test]
async fn operations_per_socket_are_capped() {
    let app = TestApp::spawn_with(|config| config.ws_max_subscriptions = 2).await;
    let mut socket = app.subscriber(None).await;

    for id in ["1", "2", "3"] {
        socket.subscribe(id, CHANGES, json!({})).await;
    }

    let refused = socket.next(WAIT).await.unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "3");
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2"),
        "{refused}"
    );
    // Completing one makes room.
    socket.send(json!({ "type": "complete", "id": "1" })).await;
    socket.subscribe("3", CHANGES, json!({})).await;
    assert_eq!(socket.next(QUIET).await, None, "accepted");
}

#[actix_web::test]
async fn sockets_per_server_are_capped() {
    let app = TestApp::spawn_with(|config| config.ws_max_sockets = 2).await;
    let first = app.subscriber(None).await;
    let _second = app.subscriber(None).await;

    let (_, refused) = app.websocket(json!({})).await;

    assert_eq!(refused["type"], "close", "{refused}");
    assert_eq!(refused["code"], 1013, "try again later: {refused}");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("most sockets (2)"),
        "{refused}"
    );
    // A closed socket frees its place.
    drop(first);
    let mut accepted = None;
    for _ in 0..20 {
        let (_, answer) = app.websocket(json!({})).await;
        if answer["type"] == "connection_ack" {
            accepted = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted.is_some(), "a place is free again");
}

#[actix_web::test]
async fn the_graphql_ws_client_hears_the_protocols_close_codes_and_errors() {
    let app = TestApp::spawn().await;
    let url = app.ws_url();

    // A refused token: 4403, which the client reports (and would retry with a fresh one).
    let mut refused = NodeClient::start(&[
        ("URL", &url),
        ("TOKEN", "not-a-token"),
        ("QUERY", "subscription { proposalChanged { version } }"),
    ]);
    let error = refused.next_event("error", WAIT).await.expect("an error");
    assert_eq!(error["code"], 4403, "{error}");

    // A subscription that does not validate: an `error` message with the GraphQL errors.
    let mut invalid =
        NodeClient::start(&[("URL", &url), ("QUERY", "subscription { noSuchField }")]);
    let error = invalid.next_event("error", WAIT).await.expect("an error");
    assert_eq!(
        error["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{error}"
    );

    // Keep-alive pings are answered.
    let mut alive = NodeClient::start(&[
        ("URL", &url),
        ("QUERY", "subscription { proposalChanged { version } }"),
        ("KEEP_ALIVE_MS", "200"),
    ]);
    assert!(alive.next_event("pong", WAIT).await.is_some(), "a pong");
}

#[actix_web::test]
async fn the_graphql_ws_client_with_the_readme_pattern_books_every_item_once_across_a_restart() {
    let mut app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let integration = app.token(&["integration"], &[]);
    let round = app.round_id(2023).await;
    let proposals = [
        submitted(&app, "Før", "-1000").await,
        submitted(&app, "Under", "-2000").await,
        submitted(&app, "Efter", "-3000").await,
    ];
    let url = app.ws_url();
    let mut client = NodeClient::start(&[
        ("MODE", "follow"),
        ("URL", &url),
        ("TOKEN", &integration),
        ("ROUND", &round),
        ("RETRY_MS", "200"),
    ]);
    client
        .next_event("connected", WAIT)
        .await
        .expect("the client connects");
    // Let the subscription start before anything is approved.
    tokio::time::sleep(QUIET).await;

    // One approval live; then the server goes down (as a crash would) ...
    approve(&app, &admin, &proposals[0]).await;
    let mut booked = booked_items(&mut client, 4).await;
    app.stop().await;
    // ... another is approved meanwhile, through another server on the same database ...
    let other = app.replica().await;
    approve(&other, &admin, &proposals[1]).await;
    // ... and the server comes back on the same port: what was missed, then live.
    app.start_again().await;
    booked.extend(booked_items(&mut client, 4).await);
    approve(&app, &admin, &proposals[2]).await;
    booked.extend(booked_items(&mut client, 4).await);
    assert_eq!(
        client.next_event("item", Duration::from_secs(2)).await,
        None,
        "nothing twice"
    );

    let amounts: Vec<&str> = booked
        .iter()
        .map(|i| i["amount"].as_str().unwrap())
        .collect();
    assert_eq!(
        amounts,
        [["-1000.00"; 4], ["-2000.00"; 4], ["-3000.00"; 4]].concat(),
        "in order"
    );
    assert_eq!(
        sequences(&booked),
        stored_sequences(&app).await,
        "no gap, no repeat"
    );
}

/// The next `n` items the client booked.
async fn booked_items(client: &mut NodeClient, n: usize) -> Vec<Value> {
    let mut booked = Vec::new();
    for _ in 0..n {
        let item = client
            .next_event("item", Duration::from_secs(20))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "item {} of {n} in time; booked {booked:?}",
                    booked.len() + 1
                )
            });
        booked.push(item);
    }
    booked
}
