//! Small helpers that put data in place for a test.

use api::domain::sheet::{self, ProposalSheet};
use entity::{budget_round, proposal};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::TestApp;

/// The demo round Budget 2023-2026.
pub async fn round_2023(app: &TestApp) -> budget_round::Model {
    budget_round::Entity::find()
        .filter(budget_round::Column::FirstYear.eq(2023))
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo round 2023")
}

/// A minimal sheet of `committee` with one line per year; override fields with `extra`.
pub fn sheet(
    committee: &str,
    title: &str,
    status: &str,
    lines: Value,
    extra: Value,
) -> ProposalSheet {
    let years: Vec<Value> = (2023..=2026)
        .map(|year| json!({ "year": year, "lines": lines }))
        .collect();
    let mut document = json!({
        "committee": committee,
        "title": title,
        "proposer": "Administrationen",
        "expenseType": "service",
        "status": status,
        "years": years,
    });
    if let (Some(target), Some(fields)) = (document.as_object_mut(), extra.as_object()) {
        for (key, value) in fields {
            target.insert(key.clone(), value.clone());
        }
    }
    serde_json::from_value(document).expect("a valid sheet")
}

/// Stores a sheet in Budget 2023-2026 directly (the write API is a later issue).
pub async fn insert(app: &TestApp, sheet: &ProposalSheet) -> proposal::Model {
    let round = round_2023(app).await;
    sheet::insert(&app.db, &round, sheet)
        .await
        .expect("insert sheet")
}

/// A draft in AMU: internal, invisible to anonymous callers.
pub async fn insert_draft(app: &TestApp) -> proposal::Model {
    insert(
        app,
        &sheet(
            "AMU",
            "Hemmelig kladde om jobcentret",
            "draft",
            json!({ "efficiency": "-1000000" }),
            json!({}),
        ),
    )
    .await
}
