//! SU01 exactly as printed (seed 002), and what a real system says about it.

use serde_json::{Value, json};
use tests::{TestApp, dec};

const SU01: &str = r#"query($round: ID!) {
  proposal(round: $round, number: "SU01") {
    number title proposer expenseType expenseTypeLabel status statusLabel
    committee { code name }
    round { name priceLevel }
    years { year currentBudget staffImpact netChange statedNetChange netChangeMismatch
            lines { kind kindLabel amount } }
    netChanges { year amount }
    netChangeMismatches { year stated computed difference }
    investmentNeeds { purpose total amounts { year amount } }
    investmentCoverage { year investmentNeeds expansion difference matches }
    investmentNeedsMatchExpansion
    sections { summary status proposedChange consequences investmentNeeds relatedDocuments huRemarks }
    relatedProposals { number title }
    documents { title date }
  }
}"#;

async fn su01(app: &TestApp) -> Value {
    let round = app.round_id(2023).await;
    app.data(SU01, json!({ "round": round })).await["proposal"].clone()
}

fn thousands(value: &Value) -> rust_decimal::Decimal {
    (dec(value) / rust_decimal::Decimal::from(1000)).normalize()
}

#[actix_web::test]
async fn su01_has_its_header_as_printed() {
    let app = TestApp::spawn().await;
    let su01 = su01(&app).await;
    assert_eq!(su01["number"], "SU01");
    assert_eq!(
        su01["title"],
        "Øget effekt af styrket opfølgning og indkøbsaftaler på det specialiserede voksenområde"
    );
    assert_eq!(su01["committee"]["name"], "Socialudvalget");
    assert_eq!(su01["proposer"], "Administrationen");
    assert_eq!(su01["expenseType"], "SERVICE_EXPENSES");
    assert_eq!(su01["expenseTypeLabel"], "Serviceudgifter");
    assert_eq!(su01["round"]["priceLevel"], "2023-priser");
}

#[actix_web::test]
async fn su01_shows_its_four_years_in_thousands_as_printed() {
    let app = TestApp::spawn().await;
    let years = su01(&app).await["years"].clone();
    let years = years.as_array().unwrap();
    assert_eq!(years.len(), 4);
    let printed = [
        (2023, "366676", "-7300", "250"),
        (2024, "366671", "-9000", "175"),
        (2025, "366671", "-9000", "175"),
        (2026, "366680", "-9000", "175"),
    ];
    for (year, (number, current, efficiency, expansion)) in years.iter().zip(printed) {
        assert_eq!(year["year"], number);
        assert_eq!(thousands(&year["currentBudget"]), current.parse().unwrap());
        assert_eq!(
            year["staffImpact"],
            Value::Null,
            "staff impact is blank on the sheet"
        );
        let lines = year["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "EFFICIENCY");
        assert_eq!(lines[0]["kindLabel"], "Effektivisering");
        assert_eq!(thousands(&lines[0]["amount"]), efficiency.parse().unwrap());
        assert_eq!(lines[1]["kind"], "EXPANSION");
        assert_eq!(thousands(&lines[1]["amount"]), expansion.parse().unwrap());
    }
    assert_eq!(
        years[0]["currentBudget"], "366676000.00",
        "amounts are exact kroner strings"
    );
}

#[actix_web::test]
async fn su01_net_change_is_computed_from_the_lines() {
    let app = TestApp::spawn().await;
    let su01 = su01(&app).await;
    let nets: Vec<String> = su01["netChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| thousands(&n["amount"]).to_string())
        .collect();
    assert_eq!(nets, ["-7050", "-8825", "-8825", "-8825"]);
    assert_eq!(
        thousands(&su01["years"][1]["netChange"]).to_string(),
        "-8825"
    );
    assert_eq!(
        thousands(&su01["years"][1]["statedNetChange"]).to_string(),
        "-7125"
    );
}

#[actix_web::test]
async fn su01_reports_the_printed_net_mismatch_for_2024_to_2026_only() {
    let app = TestApp::spawn().await;
    let su01 = su01(&app).await;
    let mismatches = su01["netChangeMismatches"].as_array().unwrap();
    let years: Vec<i64> = mismatches
        .iter()
        .map(|m| m["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2024, 2025, 2026]);
    for mismatch in mismatches {
        assert_eq!(mismatch["stated"], "-7125000.00");
        assert_eq!(mismatch["computed"], "-8825000.00");
        assert_eq!(mismatch["difference"], "-1700000.00");
    }
    let flags: Vec<bool> = su01["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["netChangeMismatch"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, true, true, true]);
}

#[actix_web::test]
async fn su01_investment_needs_add_up_to_the_expansion_line() {
    let app = TestApp::spawn().await;
    let su01 = su01(&app).await;
    let needs = su01["investmentNeeds"].as_array().unwrap();
    assert_eq!(needs.len(), 3);
    assert_eq!(needs[0]["amounts"][0]["amount"], "150000.00");
    assert_eq!(needs[0]["amounts"][1]["amount"], "75000.00");
    assert_eq!(needs[0]["total"], "375000.00");
    assert_eq!(needs[1]["total"], "200000.00");
    let coverage = su01["investmentCoverage"].as_array().unwrap();
    let needed: Vec<&str> = coverage
        .iter()
        .map(|c| c["investmentNeeds"].as_str().unwrap())
        .collect();
    assert_eq!(needed, ["250000.00", "175000.00", "175000.00", "175000.00"]);
    assert!(
        coverage
            .iter()
            .all(|c| c["matches"] == true && c["difference"] == "0.00")
    );
    assert_eq!(su01["investmentNeedsMatchExpansion"], true);
}

#[actix_web::test]
async fn su01_relates_to_ou01_and_the_status_memo() {
    let app = TestApp::spawn().await;
    let su01 = su01(&app).await;
    assert_eq!(
        su01["relatedProposals"],
        json!([{ "number": "ØU01", "title": "Indkøb og udbud" }])
    );
    assert_eq!(su01["documents"][0]["date"], "2022-08-17");
    assert!(
        su01["documents"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("M - Status på den styrkede opfølgningsindsats")
    );
}

#[actix_web::test]
async fn su01_sections_carry_the_seven_texts_with_danish_letters() {
    let app = TestApp::spawn().await;
    let sections = su01(&app).await["sections"].clone();
    assert!(
        sections["summary"]
            .as_str()
            .unwrap()
            .starts_with("I forbindelse med Budget 2020 og 2021 tilførte Byrådet")
    );
    assert!(
        sections["proposedChange"]
            .as_str()
            .unwrap()
            .starts_with("Måltallet for den styrkede opfølgningsindsats øges med 7,3 mio. kr.")
    );
    assert!(
        sections["investmentNeeds"]
            .as_str()
            .unwrap()
            .contains("150.000 kr. i 2023")
    );
    assert!(
        sections["relatedDocuments"]
            .as_str()
            .unwrap()
            .contains("ØU01 Indkøb og udbud")
    );
    assert_eq!(
        sections["huRemarks"],
        serde_json::Value::Null,
        "HU remarks are not public while the round is in consultation"
    );
    for text in ["summary", "status", "proposedChange", "consequences"] {
        let text = sections[text].as_str().unwrap();
        assert!(
            !text.contains("opfglgning") && !text.contains(" pa "),
            "no OCR damage: {text}"
        );
    }
}
