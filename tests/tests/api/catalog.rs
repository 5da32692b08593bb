//! Catalog totals.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{insert, insert_draft, sheet};

const TOTALS: &str = r#"query($round: ID!, $groupBy: [TotalsDimension!]!, $filter: CatalogTotalsFilter) {
  catalogTotals(round: $round, groupBy: $groupBy, filter: $filter) {
    committee { code } year kind status amount proposalCount
  }
}"#;

async fn totals(app: &TestApp, group_by: Value, filter: Value) -> Vec<Value> {
    let round = app.round_id(2023).await;
    app.data(
        TOTALS,
        json!({ "round": round, "groupBy": group_by, "filter": filter }),
    )
    .await["catalogTotals"]
        .as_array()
        .unwrap()
        .clone()
}

#[actix_web::test]
async fn totals_by_committee_and_year_are_the_computed_nets() {
    let app = TestApp::spawn().await;
    let rows = totals(&app, json!(["COMMITTEE", "YEAR"]), json!(null)).await;
    let got: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r["committee"]["code"].as_str().unwrap().to_owned(),
                r["year"].as_i64().unwrap(),
                r["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("SU".to_owned(), 2023, "-7050000.00".to_owned()),
            ("SU".to_owned(), 2024, "-8825000.00".to_owned()),
            ("SU".to_owned(), 2025, "-8825000.00".to_owned()),
            ("SU".to_owned(), 2026, "-8825000.00".to_owned()),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r["kind"].is_null() && r["status"].is_null())
    );
}

#[actix_web::test]
async fn totals_by_kind_with_a_filter_on_year() {
    let app = TestApp::spawn().await;
    let rows = totals(&app, json!(["KIND"]), json!({ "years": [2024, 2025] })).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["kind"], "EFFICIENCY");
    assert_eq!(rows[0]["amount"], "-18000000.00");
    assert_eq!(rows[1]["kind"], "EXPANSION");
    assert_eq!(rows[1]["amount"], "350000.00");
    assert_eq!(rows[1]["proposalCount"], 1);
}

#[actix_web::test]
async fn a_grand_total_counts_only_visible_proposals() {
    let app = TestApp::spawn().await;
    insert_draft(&app).await;
    insert(
        &app,
        &sheet(
            "ISU",
            "Færre vikarer",
            "submitted",
            json!({ "efficiency": "-500000.50" }),
            json!({}),
        ),
    )
    .await;
    let rows = totals(&app, json!([]), json!(null)).await;
    assert_eq!(rows.len(), 1);
    // SU01: -7.050.000 - 3 × 8.825.000; ISU01: 4 × -500.000,50; the AMU draft is not counted.
    assert_eq!(rows[0]["amount"], "-35525002.00");
    assert_eq!(rows[0]["proposalCount"], 2);
    let by_status = totals(&app, json!(["STATUS"]), json!(null)).await;
    assert_eq!(by_status.len(), 1);
    assert_eq!(by_status[0]["status"], "SUBMITTED");
}

#[actix_web::test]
async fn totals_filtered_by_a_danish_committee_code() {
    let app = TestApp::spawn().await;
    insert(
        &app,
        &sheet(
            "ØU",
            "Fælles indkøb",
            "submitted",
            json!({ "efficiency": "-250000" }),
            json!({}),
        ),
    )
    .await;
    let rows = totals(&app, json!(["COMMITTEE"]), json!({ "committees": ["øu"] })).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["committee"]["code"], "ØU");
    assert_eq!(rows[0]["amount"], "-1000000.00");
}

#[actix_web::test]
async fn a_round_without_lines_totals_zero() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2022).await;
    let data = app
        .data(
            TOTALS,
            json!({ "round": round, "groupBy": [], "filter": null }),
        )
        .await;
    assert_eq!(
        data["catalogTotals"],
        json!([{ "committee": null, "year": null, "kind": null, "status": null, "amount": "0.00", "proposalCount": 0 }])
    );
    let grouped = app
        .data(TOTALS, json!({ "round": round, "groupBy": ["YEAR"] }))
        .await;
    assert_eq!(grouped["catalogTotals"], json!([]));
}
