//! What the API must not give away in passing: decision text through a feed item's
//! `reason`, and the server's process id and request count through request ids.

use serde_json::{Value, json};
use tests::TestApp;

use crate::feed::all_items;
use crate::writing::{CREATE, DECIDE, SUBMIT, approval, open_round_2023};

const SECRET: &str = "Afvist efter lukket punkt om navngivne medarbejdere.";

/// A proposal of SU approved and then rejected with [`SECRET`] as the decision's text:
/// its items stay in the feed, but an integration may no longer see the proposal.
async fn approved_then_rejected(app: &TestApp, admin: &str) -> String {
    let round = open_round_2023(app, admin).await;
    let years = json!([{ "year": 2024, "lines": [{ "kind": "EFFICIENCY", "amount": "-400000" }] }]);
    let created = app
        .data_as(Some(admin), CREATE, json!({ "round": round, "committee": "SU", "input": { "title": "Lukket sag", "years": years } }))
        .await;
    let id = created["createProposal"]["proposal"]["id"].clone();
    app.data_as(Some(admin), SUBMIT, json!({ "id": id, "v": 1 }))
        .await;
    app.data_as(
        Some(admin),
        DECIDE,
        json!({ "id": id, "v": 2, "input": approval() }),
    )
    .await;
    let reject =
        json!({ "body": "BR", "decidedOn": "2022-10-25", "outcome": "REJECTED", "text": SECRET });
    app.data_as(
        Some(admin),
        DECIDE,
        json!({ "id": id, "v": 3, "input": reject }),
    )
    .await;
    round
}

/// The `reason` of every row of the approved-changes export (JSON lines) for `token`.
async fn exported_reasons(app: &TestApp, token: &str, round: &str) -> Vec<Value> {
    let path = format!("/export/approved-changes?round={round}&format=jsonl");
    let download = app.download(Some(token), &path).await;
    assert_eq!(download.status, 200, "{}", download.text());
    download
        .text()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["reason"].clone())
        .collect()
}

#[actix_web::test]
async fn a_feed_reason_hides_the_decision_text_that_its_decision_hides() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let integration = app.token(&["integration"], &[]);
    let round = approved_then_rejected(&app, &admin).await;

    let items = all_items(&app, &integration, &round, 100).await;
    let exported = exported_reasons(&app, &integration, &round).await;

    assert_eq!(items.len(), 2, "the approval and its reversal: {items:#?}");
    for item in &items {
        assert_eq!(item["decision"], Value::Null);
        assert_eq!(item["reason"], Value::Null, "{item}");
    }
    assert_eq!(exported, [Value::Null, Value::Null]);
}

#[actix_web::test]
async fn whoever_sees_the_proposal_reads_the_reason() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = approved_then_rejected(&app, &admin).await;

    let items = all_items(&app, &admin, &round, 100).await;
    let exported = exported_reasons(&app, &admin, &round).await;

    assert_eq!(items[1]["decision"]["outcome"], "REJECTED");
    assert!(items[1]["reason"].as_str().unwrap().ends_with(SECRET));
    assert!(exported[1].as_str().unwrap().ends_with(SECRET));
}

#[actix_web::test]
async fn generated_request_ids_are_random_and_reveal_nothing() {
    let app = TestApp::spawn().await;
    // The server runs in this process: an id built from its process id would show it.
    let pid = format!("{:x}", std::process::id());

    let mut ids = Vec::new();
    for _ in 0..20 {
        let (status, id, _) = app.get("/health", None).await;
        assert_eq!(status, 200);
        ids.push(id.expect("every answer carries an x-request-id"));
    }

    for id in &ids {
        assert_eq!(id.len(), 32, "128 bits in hex: {id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert!(!id.contains(&format!("-{pid}-")), "{id}");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert!(
        ids.windows(2).all(|pair| pair[0][..16] != pair[1][..16]),
        "no shared prefix (time, process) between consecutive ids: {ids:?}"
    );
}
