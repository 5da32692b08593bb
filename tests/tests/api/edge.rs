//! The HTTP edge: requests that only a JSON POST may run, clients that stall, exports that
//! cannot be hoarded, a database outage, and values only one database would refuse.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::{TestApp, dec, on_postgres};

const CREATE_COMMITTEE: &str = r#"{"query":"mutation { createCommittee(code: \"XU\", name: \"Formular\") { committee { code } } }"}"#;

#[actix_web::test]
async fn a_post_that_is_not_json_is_refused_with_415_and_runs_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    // What a web page on another site can send without a CORS preflight.
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = app
            .post_typed(Some(&admin), Some(content_type), CREATE_COMMITTEE)
            .await;
        assert_eq!(status, 415, "{content_type}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    let (status, _) = app.post_typed(Some(&admin), None, CREATE_COMMITTEE).await;
    assert_eq!(status, 415, "no Content-Type at all");
    let committees = app.data("{ committees { code } }", json!({})).await;
    assert_eq!(committees["committees"].as_array().unwrap().len(), 6);

    let (status, body) = app
        .post_typed(
            Some(&admin),
            Some("application/json; charset=utf-8"),
            CREATE_COMMITTEE,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"XU\""), "{body}");
}

/// Sends `request` over a raw socket and reads the answer's head: until the blank line, the
/// server closing, or 10 s.
async fn raw_exchange(address: &str, request: &'static [u8]) -> (String, Duration) {
    let address = address.trim_start_matches("http://").to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn a_body_that_never_arrives_is_answered_408_within_the_timeout() {
    let app = TestApp::spawn_with(|config| {
        config.body_timeout = Duration::from_secs(1);
    })
    .await;
    let (answer, elapsed) = raw_exchange(
        &app.address,
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"query\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // The server goes on serving.
    let (status, _, _) = app.get("/health", None).await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn headers_that_never_end_are_answered_408_within_the_timeout() {
    let app = TestApp::spawn_with(|config| {
        config.header_timeout = Duration::from_secs(1);
    })
    .await;
    let (answer, elapsed) =
        raw_exchange(&app.address, b"POST /graphql HTTP/1.1\r\nHost: local").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// A download whose client asks for a file and then reads nothing, with a small receive
/// window so the server's writes back up quickly.
struct StalledDownload {
    _stream: std::net::TcpStream,
}

impl StalledDownload {
    async fn start(app: &TestApp, token: &str, path: &str) -> Self {
        let address: std::net::SocketAddr =
            app.address.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(2048).unwrap();
        let stream = socket.connect(address).await.unwrap().into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        let mut writer = &stream;
        writer
            .write_all(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        Self { _stream: stream }
    }
}

/// Other connections of this test's database that are inside a transaction.
async fn open_transactions(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND xact_start IS NOT NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[actix_web::test]
async fn a_stalled_download_cannot_hoard_the_catalog_exports() {
    let app = TestApp::spawn_with(|config| {
        config.export_slots = 1;
        config.export_slot_wait = Duration::from_secs(1);
        config.export_write_timeout = Duration::from_secs(2);
    })
    .await;
    api::domain::synthetic::generate(&app.db, 2030, 2500, 3)
        .await
        .unwrap();
    let round = app.round_id(2030).await;
    let path = format!("/export/catalog?round={round}&format=jsonl");
    let stalled_reader = app.token_for("stalled.reader", &["reader"], &[]);
    let other_reader = app.token_for("other.reader", &["reader"], &[]);

    let stalled = StalledDownload::start(&app, &stalled_reader, &path).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    if on_postgres() {
        assert_eq!(
            open_transactions(&app).await,
            1,
            "the stalled export's snapshot"
        );
    }

    // Sign-in comes before the slot: an anonymous caller is refused at once.
    let started = Instant::now();
    let anonymous = app.download(None, &path).await;
    assert_eq!(anonymous.status, 401);
    assert!(started.elapsed() < Duration::from_millis(900));

    // One export at a time per caller.
    let again = app.download(Some(&stalled_reader), &path).await;
    assert_eq!(again.status, 429, "{}", again.text());
    assert_eq!(again.header("retry-after"), Some("5"));

    // Others wait a bounded time, then hear when to come back.
    let started = Instant::now();
    let busy = app.download(Some(&other_reader), &path).await;
    assert_eq!(busy.status, 503, "{}", busy.text());
    assert_eq!(
        busy.json()["errors"][0]["extensions"]["code"],
        "UNAVAILABLE"
    );
    assert_eq!(busy.header("retry-after"), Some("5"));
    assert!(started.elapsed() < Duration::from_secs(3));

    // Past the write timeout the stalled download is cut off: slot and snapshot are freed.
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    if on_postgres() {
        assert_eq!(
            open_transactions(&app).await,
            0,
            "the snapshot was rolled back"
        );
    }
    let served = app.download(Some(&other_reader), &path).await;
    assert_eq!(served.status, 200);
    assert!(served.text().lines().count() > 10_000);
    drop(stalled);
}

#[actix_web::test]
async fn while_the_database_is_down_requests_fail_fast_and_it_recovers_by_itself() {
    if !on_postgres() {
        return; // SQLite is a file inside the process: it cannot go down on its own.
    }
    let (app, proxy) = TestApp::spawn_behind_proxy(|_| {}).await;
    let query = "{ committees { code } }";
    app.data(query, json!({})).await;

    proxy.cut();
    let started = Instant::now();
    let (status, _, body) = app.get("/ready", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let body = app.graphql(query, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );

    proxy.restore();
    let mut recovered = false;
    for _ in 0..40 {
        let (status, _, _) = app.get("/ready", None).await;
        if status == 200 && app.graphql(query, json!({})).await.get("errors").is_none() {
            recovered = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the server recovers without a restart");
}

#[actix_web::test]
async fn a_nul_character_is_bad_input_on_every_database() {
    let app = TestApp::spawn().await;
    let error = app
        .error(r#"{ committee(code: "S\u0000U") { name } }"#, json!({}))
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], json!(["code"]));

    let error = app
        .error(
            "query($f: ProposalFilter) { proposals(filter: $f) { totalCount } }",
            json!({ "f": { "search": "bo\u{0}tilbud" } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], json!(["f", "search"]));

    let coordinator = app.token(&["coordinator"], &["SU"]);
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    app.data_as(
        Some(&admin),
        "mutation($r: ID!) { updateRound(id: $r, input: { phase: PREPARATION }) { round { phase } } }",
        json!({ "r": round }),
    )
    .await;
    let (_, body) = app
        .graphql_as(
            Some(&coordinator),
            r#"mutation($r: ID!) { createProposal(round: $r, committee: "SU",
                 input: { title: "Nul\u0000titel" }) { proposal { number } } }"#,
            json!({ "r": round }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["input", "title"])
    );
    let count = app
        .data_as(
            Some(&coordinator),
            r#"{ proposals(filter: { committees: ["SU"] }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(count["proposals"]["totalCount"], 1, "nothing was written");
}

#[actix_web::test]
async fn dates_outside_the_accepted_years_are_bad_input_on_every_database() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let (_, body) = app
        .graphql_as(
            Some(&admin),
            r#"mutation($r: ID!) { updateRound(id: $r, input: {
                 submissionDeadline: "0001-01-01T00:00:00Z" }) { round { phase } } }"#,
            json!({ "r": round }),
        )
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(
        error["extensions"]["field"],
        json!(["input", "submissionDeadline"])
    );

    let su01 = app
        .data(
            "query($r: ID!) { proposal(round: $r, number: \"SU01\") { id version } }",
            json!({ "r": round }),
        )
        .await["proposal"]
        .clone();
    let (_, body) = app
        .graphql_as(
            Some(&admin),
            r#"query($id: ID!) { node(id: $id) { ... on Proposal {
                 asOf(at: "0001-01-01T00:00:00Z") { number } } } }"#,
            json!({ "id": su01["id"] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], json!(["at"]));

    // Before 4713 BC PostgreSQL refuses the date; 0202 is a typo for 2022.
    for decided_on in ["-5000-10-11", "0202-10-11"] {
        let body = app
            .data_as(
                Some(&admin),
                r#"mutation($id: ID!, $v: Int!, $on: NaiveDate!) { recordDecision(id: $id,
                     expectedVersion: $v, input: { body: "BR", decidedOn: $on, outcome: APPROVED,
                     text: "Godkendt." }) { proposal { status } userErrors { field code } } }"#,
                json!({ "id": su01["id"], "v": su01["version"], "on": decided_on }),
            )
            .await;
        assert_eq!(
            body["recordDecision"]["userErrors"],
            json!([{ "field": ["decidedOn"], "code": "OUT_OF_RANGE" }]),
            "{decided_on}"
        );
        assert!(body["recordDecision"]["proposal"].is_null());
    }
}

#[actix_web::test]
async fn catalog_totals_stay_exact_past_64_bits() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // Far beyond what the API accepts for one line, so that eight lines pass i64::MAX:
    // what 92,000 maximal lines of a big round would add up to.
    let quarter_of_i64 = i64::MAX / 4;
    app.db
        .execute_unprepared(&format!(
            "UPDATE budget_line SET amount_ore = {quarter_of_i64} WHERE proposal_id = \
             (SELECT id FROM proposal WHERE number = 'SU01')"
        ))
        .await
        .unwrap();
    let round = app.round_id(2023).await;
    let data = app
        .data(
            "query($r: ID!) { catalogTotals(round: $r, groupBy: [COMMITTEE]) { amount proposalCount } }",
            json!({ "r": round }),
        )
        .await;
    let rows = data["catalogTotals"].as_array().unwrap();
    let su = rows
        .iter()
        .find(|row| row["proposalCount"] == 1 && dec(&row["amount"]) > 1.into())
        .unwrap_or_else(|| panic!("{data}"));
    let lines = 8i128;
    let expected =
        rust_decimal::Decimal::from_i128_with_scale(lines * i128::from(quarter_of_i64), 2);
    assert_eq!(dec(&su["amount"]), expected, "{data}");
}

#[actix_web::test]
async fn the_embedded_database_syncs_every_commit() {
    if on_postgres() {
        return; // PostgreSQL's durability is the server's configuration (fsync, synchronous_commit).
    }
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // Every pooled connection, not only the first: run it more often than the pool is large.
    for _ in 0..10 {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA synchronous",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 2, "2 is FULL");
    }
}
