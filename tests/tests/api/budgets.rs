//! Socialudvalget's budget notes for Budget 2022-2025 (seed 000, Tabel 1-5).

use serde_json::{Value, json};
use tests::TestApp;

const BUDGET: &str = r#"query($round: ID!) {
  committee(code: "SU") {
    name
    budget(round: $round) { year label isOriginalBudget statedTotal computedTotal totalDifference
                             serviceExpenses computedServiceExpenses parts { label amount policyArea { name } } }
    budgetDifferences(round: $round) { line lineLabel year stated computed difference }
    policyAreas {
      name
      budget(round: $round) { year statedTotal computedTotal serviceExpenses parts { label amount } }
      budgetDifferences(round: $round) { line year stated computed difference }
      quantities(round: $round) { label unit year value }
    }
  }
}"#;

async fn su_budget(app: &TestApp) -> Value {
    let round = app.round_id(2022).await;
    app.data(BUDGET, json!({ "round": round })).await["committee"].clone()
}

fn mio(value: &Value) -> String {
    (tests::dec(value) / rust_decimal::Decimal::from(1_000_000))
        .normalize()
        .to_string()
}

#[actix_web::test]
async fn the_committee_table_shows_each_policy_area_total_as_printed() {
    let app = TestApp::spawn().await;
    let su = su_budget(&app).await;
    let years = su["budget"].as_array().unwrap();
    let labels: Vec<&str> = years.iter().map(|y| y["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "Oprindeligt budget 2021",
            "Budget 2022",
            "Budget 2023",
            "Budget 2024",
            "Budget 2025"
        ]
    );
    assert_eq!(years[0]["isOriginalBudget"], true);
    let budget_2023 = &years[2];
    let parts: Vec<(String, String)> = budget_2023["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["label"].as_str().unwrap().to_owned(), mio(&p["amount"])))
        .collect();
    assert_eq!(
        parts,
        [
            ("Pension og boligstøtte".to_owned(), "53.5".to_owned()),
            ("Sociale serviceydelser".to_owned(), "378.2".to_owned()),
            (
                "Boligsociale aktiviteter og frivillighedsområdet".to_owned(),
                "5.5".to_owned()
            ),
        ]
    );
    assert_eq!(
        budget_2023["parts"][1]["policyArea"]["name"],
        "Sociale serviceydelser"
    );
    assert_eq!(mio(&budget_2023["statedTotal"]), "437.2");
    assert_eq!(mio(&budget_2023["computedTotal"]), "437.2");
    assert_eq!(mio(&budget_2023["serviceExpenses"]), "413");
}

#[actix_web::test]
async fn the_committee_rounding_differences_are_reported_not_hidden() {
    let app = TestApp::spawn().await;
    let su = su_budget(&app).await;
    let found: Vec<(String, i64, String, String, String)> = su["budgetDifferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["lineLabel"].as_str().unwrap().to_owned(),
                d["year"].as_i64().unwrap(),
                mio(&d["stated"]),
                mio(&d["computed"]),
                mio(&d["difference"]),
            )
        })
        .collect();
    let expected = [
        ("I alt", 2021, "396.4", "396.5", "0.1"),
        ("Heraf serviceudgifter", 2023, "413", "413.1", "0.1"),
        ("I alt", 2024, "438.6", "438.5", "-0.1"),
    ];
    let expected: Vec<(String, i64, String, String, String)> = expected
        .iter()
        .map(|(l, y, s, c, d)| {
            (
                (*l).to_owned(),
                *y,
                (*s).to_owned(),
                (*c).to_owned(),
                (*d).to_owned(),
            )
        })
        .collect();
    assert_eq!(found, expected);
}

#[actix_web::test]
async fn policy_area_breakdowns_keep_the_printed_total_and_report_differences() {
    let app = TestApp::spawn().await;
    let su = su_budget(&app).await;
    let areas = su["policyAreas"].as_array().unwrap();
    let differences: Vec<(String, Vec<(i64, String)>)> = areas
        .iter()
        .map(|area| {
            (
                area["name"].as_str().unwrap().to_owned(),
                area["budgetDifferences"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| (d["year"].as_i64().unwrap(), mio(&d["difference"])))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        differences,
        [
            (
                "Pension og boligstøtte".to_owned(),
                vec![(2022, "0.1".to_owned())]
            ),
            (
                "Sociale serviceydelser".to_owned(),
                vec![(2022, "-0.1".to_owned()), (2023, "-0.1".to_owned())]
            ),
            (
                "Boligsociale aktiviteter og frivillighedsområdet".to_owned(),
                vec![]
            ),
        ]
    );
    let pension_2022 = &areas[0]["budget"][1];
    assert_eq!(
        mio(&pension_2022["statedTotal"]),
        "50.9",
        "the printed total is kept"
    );
    assert_eq!(mio(&pension_2022["computedTotal"]), "51");
    assert_eq!(pension_2022["parts"][0]["label"], "Boligstøtte");
    assert_eq!(mio(&pension_2022["parts"][0]["amount"]), "48.6");
    assert_eq!(
        mio(&areas[1]["budget"][0]["parts"][10]["amount"]),
        "-27.5",
        "state refunds are negative"
    );
}

#[actix_web::test]
async fn quantities_show_recipients_per_year() {
    let app = TestApp::spawn().await;
    let su = su_budget(&app).await;
    let quantities = su["policyAreas"][0]["quantities"].as_array().unwrap();
    assert_eq!(quantities.len(), 10);
    assert_eq!(
        quantities[1],
        json!({ "label": "Boligydelse", "unit": "antal modtagere", "year": 2022, "value": "2729" })
    );
    assert_eq!(quantities[9]["value"], "2300");
}
