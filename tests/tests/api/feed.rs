//! The approved-changes feed: approvals book lines, reversals and corrections compensate,
//! and a consumer paging while approvals commit concurrently sees every item exactly once.

use std::collections::BTreeMap;

use api::domain::feed::{self, Booking};
use api::graphql::ids::{Kind, encode};
use entity::{approved_change, proposal};
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{insert, round_2023, sheet};
use crate::writing::{CREATE, DECIDE, SUBMIT, UPDATE, approval, open_round_2023};

pub(crate) const FEED: &str = r#"query($round: ID!, $after: String, $first: Int) {
  approvedChanges(round: $round, after: $after, first: $first) {
    edges { cursor node { sequence proposalNumber year kind amount entry reason committee expenseType priceLevelYear decision { body outcome } } }
    pageInfo { hasNextPage endCursor } headCursor } }"#;

/// Kroner with two decimals ("-400000.00") as øre.
pub(crate) fn ore(amount: &Value) -> i64 {
    amount
        .as_str()
        .unwrap()
        .replace('.', "")
        .parse::<i64>()
        .unwrap()
}

/// Every item of the round's feed, paged through `first` at a time.
pub(crate) async fn all_items(app: &TestApp, token: &str, round: &str, first: i64) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data_as(
                Some(token),
                FEED,
                json!({ "round": round, "after": after, "first": first }),
            )
            .await;
        let page = &data["approvedChanges"];
        items.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        after = page["pageInfo"]["endCursor"].clone();
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return items;
        }
    }
}

/// The sequences of Budget 2023-2026's feed as stored, in order.
pub(crate) async fn stored_sequences(app: &TestApp) -> Vec<i64> {
    let round = round_2023(app).await.id;
    approved_change::Entity::find()
        .filter(approved_change::Column::RoundId.eq(round))
        .order_by_asc(approved_change::Column::Sequence)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.sequence)
        .collect()
}

/// The sums of items per (proposal, year, kind), zero sums left out.
fn booked(items: &[Value]) -> BTreeMap<(String, i64, String), i64> {
    let mut sums = BTreeMap::new();
    for item in items {
        let key = (
            item["proposalNumber"].as_str().unwrap().to_owned(),
            item["year"].as_i64().unwrap(),
            item["kind"].as_str().unwrap().to_owned(),
        );
        *sums.entry(key).or_insert(0) += ore(&item["amount"]);
    }
    sums.retain(|_, sum| *sum != 0);
    sums
}

/// The non-zero lines of a proposal as the API shows them now.
async fn lines(app: &TestApp, admin: &str, id: &str) -> BTreeMap<(String, i64, String), i64> {
    let data = app
        .data_as(
            Some(admin),
            r#"query($id: ID!) { node(id: $id) { ... on Proposal { number years { year lines { kind amount } } } } }"#,
            json!({ "id": id }),
        )
        .await;
    let number = data["node"]["number"].as_str().unwrap().to_owned();
    let mut sums = BTreeMap::new();
    for year in data["node"]["years"].as_array().unwrap() {
        for line in year["lines"].as_array().unwrap() {
            let amount = ore(&line["amount"]);
            if amount != 0 {
                sums.insert(
                    (
                        number.clone(),
                        year["year"].as_i64().unwrap(),
                        line["kind"].as_str().unwrap().to_owned(),
                    ),
                    amount,
                );
            }
        }
    }
    sums
}

fn entries(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["entry"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn an_approval_books_its_lines_and_corrections_and_reversals_compensate() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let integration = app.token(&["integration"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let years = json!([
        { "year": 2024, "lines": [{ "kind": "EFFICIENCY", "amount": "-400000" }, { "kind": "EXPANSION", "amount": "50000.25" }] },
        { "year": 2025, "lines": [{ "kind": "EFFICIENCY", "amount": "-800000" }, { "kind": "EXPANSION", "amount": "0" }] }
    ]);
    let created = app
        .data_as(Some(&admin), CREATE, json!({ "round": round, "committee": "SU", "input": { "title": "Fælles visitation", "years": years } }))
        .await;
    let id = created["createProposal"]["proposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": 1 }))
        .await;
    assert!(
        all_items(&app, &integration, &round, 100).await.is_empty(),
        "nothing is booked before approval"
    );

    // Approval: the three non-zero lines, in year and kind order.
    app.data_as(
        Some(&admin),
        DECIDE,
        json!({ "id": id, "v": 2, "input": approval() }),
    )
    .await;
    let approved = all_items(&app, &integration, &round, 100).await;
    assert_eq!(entries(&approved), ["APPROVAL"; 3]);
    assert_eq!(booked(&approved), lines(&app, &admin, &id).await);
    assert_eq!(approved[1]["amount"], "50000.25", "exact to the øre");
    assert_eq!(
        approved[0]["decision"],
        json!({ "body": "BR", "outcome": "APPROVED" })
    );
    assert_eq!(approved[0]["priceLevelYear"], 2023);
    assert_eq!(approved[0]["committee"], "SU");
    assert_eq!(approved[0]["expenseType"], "SERVICE_EXPENSES");

    // The budget office corrects an approved line and adds one: only the differences.
    let corrected_years = json!([
        { "year": 2024, "lines": [{ "kind": "EFFICIENCY", "amount": "-400000" }, { "kind": "EXPANSION", "amount": "50000.25" }] },
        { "year": 2025, "lines": [{ "kind": "EFFICIENCY", "amount": "-600000" }] },
        { "year": 2026, "lines": [{ "kind": "EFFICIENCY", "amount": "-100000" }] }
    ]);
    let update = r#"mutation($id: ID!, $v: Int!, $input: ProposalInput!) { updateProposal(id: $id, expectedVersion: $v, input: $input, reason: "Tastefejl i 2025") { proposal { version } userErrors { field message } } }"#;
    let corrected = app
        .data_as(
            Some(&admin),
            update,
            json!({ "id": id, "v": 3, "input": { "years": corrected_years } }),
        )
        .await;
    assert_eq!(corrected["updateProposal"]["userErrors"], json!([]));
    let after_correction = all_items(&app, &integration, &round, 2).await;
    assert_eq!(
        &after_correction[..3],
        &approved[..],
        "earlier items are never changed"
    );
    let correction = &after_correction[3..];
    assert_eq!(entries(correction), ["CORRECTION"; 2]);
    assert_eq!(
        correction
            .iter()
            .map(|i| (i["year"].as_i64().unwrap(), i["amount"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [(2025, "200000.00"), (2026, "-100000.00")]
    );
    assert_eq!(correction[0]["reason"], "Tastefejl i 2025");
    assert_eq!(correction[0]["decision"], Value::Null);
    assert_eq!(booked(&after_correction), lines(&app, &admin, &id).await);

    // An edit that changes no line books nothing.
    app.data_as(
        Some(&admin),
        UPDATE,
        json!({ "id": id, "v": 4, "input": { "title": "Fælles visitation og opfølgning" } }),
    )
    .await;
    assert_eq!(all_items(&app, &integration, &round, 100).await.len(), 5);

    // Moved to a policy area: what was booked without one moves there (the four keys are
    // cancelled and booked again); the amounts per year and kind stay as they are.
    let area = app
        .data(r#"{ policyAreas(committee: "SU") { id name } }"#, json!({}))
        .await["policyAreas"][0]
        .clone();
    app.data_as(
        Some(&admin),
        UPDATE,
        json!({ "id": id, "v": 5, "input": { "policyArea": area["id"] } }),
    )
    .await;
    let feed_with_area = r#"query($round: ID!) { approvedChanges(round: $round) { edges { node { entry amount policyArea { name } } } } }"#;
    let moved = app
        .data_as(
            Some(&integration),
            feed_with_area,
            json!({ "round": round }),
        )
        .await["approvedChanges"]["edges"]
        .as_array()
        .unwrap()[5..]
        .to_vec();
    assert_eq!(moved.len(), 8);
    let (out, into): (Vec<&Value>, Vec<&Value>) = moved
        .iter()
        .partition(|e| e["node"]["policyArea"].is_null());
    assert_eq!((out.len(), into.len()), (4, 4));
    assert!(
        into.iter()
            .all(|e| e["node"]["policyArea"]["name"] == area["name"])
    );
    assert!(moved.iter().all(|e| e["node"]["entry"] == "CORRECTION"));
    let after_move = all_items(&app, &integration, &round, 100).await;
    assert_eq!(booked(&after_move), lines(&app, &admin, &id).await);

    // Overturned: a rejecting decision reverses everything that was booked.
    let reject = json!({ "body": "BR", "decidedOn": "2022-10-25", "outcome": "REJECTED", "text": "Forslaget genoptaget og afvist." });
    app.data_as(
        Some(&admin),
        DECIDE,
        json!({ "id": id, "v": 6, "input": reject }),
    )
    .await;
    let after_reversal = all_items(&app, &integration, &round, 100).await;
    // Four keys are booked after the move; each is cancelled.
    assert_eq!(entries(&after_reversal[13..]), ["REVERSAL"; 4]);
    // The integration no longer sees the rejected proposal, nor its decisions; the budget
    // office sees which decision reversed the items.
    assert!(after_reversal.iter().all(|i| i["decision"].is_null()));
    let for_admin = all_items(&app, &admin, &round, 100).await;
    assert_eq!(
        for_admin[13]["decision"],
        json!({ "body": "BR", "outcome": "REJECTED" })
    );
    assert!(
        booked(&after_reversal).is_empty(),
        "nothing is approved now, so nothing is booked: {after_reversal:#?}"
    );
    assert_eq!(
        after_reversal
            .iter()
            .map(|i| ore(&i["amount"]))
            .sum::<i64>(),
        0
    );

    // Approved again: booked again, as an approval.
    app.data_as(
        Some(&admin),
        DECIDE,
        json!({ "id": id, "v": 7, "input": approval() }),
    )
    .await;
    let again = all_items(&app, &integration, &round, 100).await;
    assert_eq!(entries(&again[17..]), ["APPROVAL"; 4]);
    assert_eq!(booked(&again), lines(&app, &admin, &id).await);
    let sequences: Vec<i64> = again
        .iter()
        .map(|i| i["sequence"].as_i64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
}

#[actix_web::test]
async fn a_consumer_paging_during_concurrent_approvals_sees_every_item_exactly_once() {
    const PROPOSALS: usize = 40;
    const WRITERS: usize = 4;
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let integration = app.token(&["integration"], &[]);
    let round = app.round_id(2023).await;
    let mut ids = Vec::new();
    for n in 0..PROPOSALS {
        let saved = insert(
            &app,
            &sheet(
                ["SU", "AMU", "ISU", "FKU"][n % 4],
                &format!("Samtidigt forslag {n}"),
                "submitted",
                json!({ "efficiency": format!("-{}", 1000 + n), "expansion": "10.50" }),
                json!({}),
            ),
        )
        .await;
        ids.push((encode(Kind::Proposal, saved.id).to_string(), saved.version));
    }

    let slow_id = insert(
        &app,
        &sheet(
            "ØU",
            "Langsomt godkendt forslag",
            "submitted",
            json!({ "efficiency": "-5000", "expansion": "1" }),
            json!({}),
        ),
    )
    .await
    .id;
    let done = std::cell::Cell::new(0_usize);
    let writers = (0..WRITERS).map(|writer| {
        let mine: Vec<(String, i32)> = ids.iter().skip(writer).step_by(WRITERS).cloned().collect();
        let (app, admin, done) = (&app, &admin, &done);
        async move {
            for (id, version) in mine {
                let body = app
                    .graphql_as(
                        Some(admin),
                        DECIDE,
                        json!({ "id": id, "v": version, "input": approval() }),
                    )
                    .await
                    .1;
                assert!(body.get("errors").is_none(), "{body}");
            }
            done.set(done.get() + 1);
        }
    });
    let consumer = async {
        let mut seen: Vec<i64> = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let finished = done.get() == WRITERS + 1;
            let data = app
                .data_as(
                    Some(&integration),
                    FEED,
                    json!({ "round": round, "after": after, "first": 7 }),
                )
                .await;
            pages += 1;
            let page = &data["approvedChanges"];
            let edges = page["edges"].as_array().unwrap();
            seen.extend(
                edges
                    .iter()
                    .map(|e| e["node"]["sequence"].as_i64().unwrap()),
            );
            after = page["pageInfo"]["endCursor"].clone();
            // Stop only after a page that began once every writer had committed came back
            // short: then nothing more can arrive.
            if finished && !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                return (seen, pages);
            }
            if edges.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    };
    // A slow writer holds its appended items uncommitted while the others write and the
    // consumer reads: with sequence numbers that became visible out of order, the consumer
    // would read past the slow writer's items and never see them.
    let slow = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let txn = api::domain::editing::begin_write(&app.db).await.unwrap();
        proposal::Entity::update_many()
            .col_expr(proposal::Column::Status, Expr::value("approved"))
            .filter(proposal::Column::Id.eq(slow_id))
            .exec(&txn)
            .await
            .unwrap();
        let booking = Booking {
            decision_id: None,
            reason: Some("Langsom skriver"),
            recorded_by: None,
            at: chrono::Utc::now(),
        };
        let appended = feed::reconcile(&txn, &[slow_id], &booking).await.unwrap();
        assert_eq!(appended.len(), 8);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        txn.commit().await.unwrap();
        done.set(done.get() + 1);
    };
    let (_, _, (seen, pages)) = futures_util::join!(join_all(writers), slow, consumer);

    let stored = stored_sequences(&app).await;
    // Eight items per proposal: two kinds in each of four years.
    assert_eq!(stored.len(), (PROPOSALS + 1) * 8);
    assert!(pages > 1, "the consumer paged while writers wrote");
    assert_eq!(
        seen, stored,
        "the consumer saw every item once, in order, and nothing else"
    );
}

#[actix_web::test]
async fn the_feed_refuses_bad_cursors_and_pages_and_unknown_rounds() {
    let app = TestApp::spawn().await;
    let reader = app.token(&["reader"], &[]);
    let round = app.round_id(2023).await;
    for (variables, field) in [
        (json!({ "round": round, "after": "tolv" }), "after"),
        (json!({ "round": round, "after": "-3" }), "after"),
        (json!({ "round": round, "first": 501 }), "first"),
        (json!({ "round": round, "first": -1 }), "first"),
    ] {
        let body = app.graphql_as(Some(&reader), FEED, variables).await.1;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!([field]),
            "{body}"
        );
    }
    let missing = encode(Kind::BudgetRound, 999).to_string();
    let body = app
        .graphql_as(Some(&reader), FEED, json!({ "round": missing }))
        .await
        .1;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // An empty page keeps the cursor, so storing endCursor is always safe.
    let data = app
        .data_as(
            Some(&reader),
            FEED,
            json!({ "round": round, "after": "12" }),
        )
        .await;
    assert_eq!(data["approvedChanges"]["pageInfo"]["endCursor"], "12");
}
