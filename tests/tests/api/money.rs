//! Money is exact on both databases, single values and sums alike.

use serde_json::json;
use tests::TestApp;

use crate::fixtures::{insert, sheet};

#[actix_web::test]
async fn many_tenths_and_fifths_sum_exactly() {
    let app = TestApp::spawn().await;
    // 0,10 + 0,20 is 0.30000000000000004 in floating point; 250 of each must be 75,00 exactly.
    for index in 0..250 {
        let mut proposal = sheet(
            "FKU",
            &format!("Øre-forslag {index}"),
            "submitted",
            json!({}),
            json!({}),
        );
        proposal.years[0]
            .lines
            .insert("expansion".to_owned(), "0.10".parse().unwrap());
        proposal.years[1]
            .lines
            .insert("expansion".to_owned(), "0.20".parse().unwrap());
        insert(&app, &proposal).await;
    }
    let round = app.round_id(2023).await;
    let data = app
        .data(
            r#"query($round: ID!) {
                 all: catalogTotals(round: $round, groupBy: [], filter: { committees: ["FKU"] }) { amount }
                 byYear: catalogTotals(round: $round, groupBy: [YEAR], filter: { committees: ["FKU"] }) { year amount }
               }"#,
            json!({ "round": round }),
        )
        .await;
    assert_eq!(data["all"], json!([{ "amount": "75.00" }]));
    assert_eq!(
        data["byYear"],
        json!([{ "year": 2023, "amount": "25.00" }, { "year": 2024, "amount": "50.00" }])
    );
}

#[actix_web::test]
async fn values_that_floats_mangle_come_back_exactly() {
    let app = TestApp::spawn().await;
    // 4357636.98 came back as 4357636.980000001 through sea-orm's float Decimal on SQLite.
    let amounts = ["4357636.98", "999999999999.99", "0.01", "1234567.89"];
    let mut proposal = sheet("ISU", "Skæve beløb", "submitted", json!({}), json!({}));
    for (year, amount) in proposal.years.iter_mut().zip(amounts) {
        year.lines
            .insert("expansion".to_owned(), amount.parse().unwrap());
        year.current_budget = Some(amount.parse().unwrap());
    }
    insert(&app, &proposal).await;
    let round = app.round_id(2023).await;
    let data = app
        .data(
            r#"query($round: ID!) { proposal(round: $round, number: "ISU01") { years { currentBudget netChange } } }"#,
            json!({ "round": round }),
        )
        .await;
    let years = data["proposal"]["years"].as_array().unwrap();
    for (year, amount) in years.iter().zip(amounts) {
        let expected: rust_decimal::Decimal = amount.parse().unwrap();
        assert_eq!(tests::dec(&year["netChange"]), expected);
        assert_eq!(tests::dec(&year["currentBudget"]), expected);
    }
    let totals = app
        .data(
            r#"query($round: ID!) { catalogTotals(round: $round, groupBy: [], filter: { committees: ["ISU"] }) { amount } }"#,
            json!({ "round": round }),
        )
        .await;
    assert_eq!(totals["catalogTotals"][0]["amount"], "1000005592204.87");
}
