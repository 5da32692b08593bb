//! Writing proposals: every mutation against every role, numbering under concurrency,
//! optimistic concurrency, validation that writes nothing, the workflow gated by phase and
//! deadline, history and reading a proposal as it was.

use entity::{budget_line, proposal};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::TestApp;

use crate::access::ROLES;

/// Every mutation and what each role (in the order of `ROLES`) gets: `ok` or an error code.
pub const MUTATIONS: &[(&str, [&str; 7])] = &[
    (
        "createProposal",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "updateProposal",
        [
            "UNAUTHENTICATED",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "submitProposal",
        [
            "UNAUTHENTICATED",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "withdrawProposal",
        [
            "UNAUTHENTICATED",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "deleteProposal",
        [
            "UNAUTHENTICATED",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
            "NOT_FOUND",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "returnProposalToDraft",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "startConsultation",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "recordDecision",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "NOT_FOUND",
        ],
    ),
    (
        "addHuRemark",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
            "NOT_FOUND",
        ],
    ),
    (
        "editHuRemark",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
            "NOT_FOUND",
        ],
    ),
    (
        "importProposalSheet",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "createCommittee",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "createPolicyArea",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "setPolicyAreaBudget",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "createRound",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
    (
        "updateRound",
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
        ],
    ),
];

pub(crate) const CREATE: &str = r#"mutation($round: ID!, $committee: String!, $input: ProposalInput!) {
  createProposal(round: $round, committee: $committee, input: $input) {
    proposal { id number version status } userErrors { field code message } } }"#;
pub(crate) const UPDATE: &str = r#"mutation($id: ID!, $v: Int!, $input: ProposalInput!) {
  updateProposal(id: $id, expectedVersion: $v, input: $input) {
    proposal { id version title updatedAt } userErrors { field code message } } }"#;
pub(crate) const SUBMIT: &str = r#"mutation($id: ID!, $v: Int!) { submitProposal(id: $id, expectedVersion: $v) {
  proposal { version status } userErrors { code } } }"#;
const WITHDRAW: &str = r#"mutation($id: ID!, $v: Int!) { withdrawProposal(id: $id, expectedVersion: $v, reason: "Dækket af andet forslag") {
  proposal { version status } userErrors { code } } }"#;
const RETURN: &str = r#"mutation($id: ID!, $v: Int!, $reason: String!) { returnProposalToDraft(id: $id, expectedVersion: $v, reason: $reason) {
  proposal { version status } userErrors { field code } } }"#;
const DELETE: &str = r#"mutation($id: ID!, $v: Int!) { deleteProposal(id: $id, expectedVersion: $v) { deletedId } }"#;
pub(crate) const UPDATE_ROUND: &str = r#"mutation($id: ID!, $input: UpdateRoundInput!) { updateRound(id: $id, input: $input) {
  round { phase submissionDeadline } userErrors { code } } }"#;

const START: &str = r#"mutation($id: ID!, $v: Int!) { startConsultation(id: $id, expectedVersion: $v) {
  proposal { version status } userErrors { code } } }"#;
pub(crate) const DECIDE: &str = r#"mutation($id: ID!, $v: Int!, $input: DecisionInput!) { recordDecision(id: $id, expectedVersion: $v, input: $input) {
  proposal { version status } userErrors { field code } } }"#;
pub(crate) const ADD_REMARK: &str = r#"mutation($id: ID!, $body: String!) { addHuRemark(proposal: $id, body: $body) {
  remark { id version body } userErrors { field code } } }"#;
const EDIT_REMARK: &str = r#"mutation($id: ID!, $v: Int!, $body: String!) { editHuRemark(id: $id, expectedVersion: $v, body: $body) {
  remark { id version body versions { version body } } userErrors { field code } } }"#;

const IMPORT: &str = r#"mutation($round: ID!, $sheet: JSON!) { importProposalSheet(round: $round, sheet: $sheet) {
  proposal { number status years { year netChange statedNetChange } }
  netChangeMismatches { year stated computed difference } userErrors { field code message } } }"#;

/// SU01 exactly as printed: the document the demo data is loaded from.
fn su01_sheet() -> Value {
    serde_json::from_str(include_str!("../../../api/demo/su01.json")).unwrap()
}

const CREATE_COMMITTEE: &str = r#"mutation($code: String!, $name: String!) { createCommittee(code: $code, name: $name) {
  committee { code name } userErrors { field code } } }"#;
const CREATE_AREA: &str = r#"mutation($committee: String!, $name: String!) { createPolicyArea(committee: $committee, name: $name) {
  policyArea { id name } userErrors { field code } } }"#;
const SET_BUDGET: &str = r#"mutation($area: ID!, $round: ID!, $years: [PolicyAreaBudgetYearInput!]!) {
  setPolicyAreaBudget(policyArea: $area, round: $round, years: $years) {
  policyArea { name budgetDifferences(round: $round) { year stated computed difference } } userErrors { field code } } }"#;

async fn first_su_area(app: &TestApp) -> Value {
    let data = app
        .data(r#"{ policyAreas(committee: "SU") { id } }"#, json!({}))
        .await;
    data["policyAreas"][0]["id"].clone()
}

pub(crate) fn approval() -> Value {
    json!({ "body": "BR", "decidedOn": "2022-10-11", "outcome": "APPROVED", "text": "Godkendt.",
            "votes": [{ "party": "Ø", "members": 1, "position": "AGAINST" }, { "party": "A", "members": 1, "position": "ABSTAINED" }] })
}

pub(crate) async fn set_phase(app: &TestApp, admin: &str, round: &str, phase: &str) {
    app.data_as(
        Some(admin),
        UPDATE_ROUND,
        json!({ "id": round, "input": { "phase": phase } }),
    )
    .await;
}

fn outcome(body: &Value) -> String {
    if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
        return code.to_owned();
    }
    let invalid = body["data"]
        .as_object()
        .into_iter()
        .flat_map(|fields| fields.values())
        .any(|payload| {
            payload["userErrors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        });
    if invalid {
        "INVALID".to_owned()
    } else {
        "ok".to_owned()
    }
}

pub(crate) async fn open_round_2023(app: &TestApp, admin: &str) -> String {
    let round = app.round_id(2023).await;
    app.data_as(
        Some(admin),
        UPDATE_ROUND,
        json!({ "id": round, "input": { "phase": "PREPARATION" } }),
    )
    .await;
    round
}

/// A new ÆSU draft made by the budget office: (id, version).
async fn fresh_draft(app: &TestApp, admin: &str, round: &str, committee: &str) -> (String, i64) {
    let data = app
        .data_as(
            Some(admin),
            CREATE,
            json!({ "round": round, "committee": committee, "input": { "title": "Prøveforslag" } }),
        )
        .await;
    let created = &data["createProposal"]["proposal"];
    (
        created["id"].as_str().unwrap().to_owned(),
        created["version"].as_i64().unwrap(),
    )
}

#[actix_web::test]
async fn every_role_may_write_exactly_what_its_rules_allow() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let mut next_year = 2040;
    for (mutation, expected) in MUTATIONS {
        for ((label, roles, committees), want) in ROLES.iter().zip(expected.iter()) {
            let token = (!roles.is_empty()).then(|| app.token(roles, committees));
            let token = token.as_deref();
            let body = match *mutation {
                "createProposal" => {
                    app.graphql_as(
                        token,
                        CREATE,
                        json!({ "round": round, "committee": "ÆSU", "input": { "title": "Nyt" } }),
                    )
                    .await
                    .1
                }
                "updateProposal" | "submitProposal" | "withdrawProposal" | "deleteProposal" => {
                    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
                    let query = match *mutation {
                        "updateProposal" => UPDATE,
                        "submitProposal" => SUBMIT,
                        "withdrawProposal" => WITHDRAW,
                        _ => DELETE,
                    };
                    app.graphql_as(
                        token,
                        query,
                        json!({ "id": id, "v": v, "input": { "title": "Ændret" } }),
                    )
                    .await
                    .1
                }
                "returnProposalToDraft" => {
                    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
                    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
                        .await;
                    app.graphql_as(
                        token,
                        RETURN,
                        json!({ "id": id, "v": v + 1, "reason": "Mangler tal" }),
                    )
                    .await
                    .1
                }
                "startConsultation" | "recordDecision" => {
                    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
                    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
                        .await;
                    let query = if *mutation == "startConsultation" {
                        START
                    } else {
                        DECIDE
                    };
                    app.graphql_as(
                        token,
                        query,
                        json!({ "id": id, "v": v + 1, "input": approval() }),
                    )
                    .await
                    .1
                }
                "addHuRemark" | "editHuRemark" => {
                    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
                    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
                        .await;
                    set_phase(&app, &admin, &round, "CONSULTATION").await;
                    let body = if *mutation == "addHuRemark" {
                        app.graphql_as(
                            token,
                            ADD_REMARK,
                            json!({ "id": id, "body": "HU bakker op." }),
                        )
                        .await
                        .1
                    } else {
                        let hu = app.token(&["hu_member"], &[]);
                        let added = app
                            .data_as(
                                Some(&hu),
                                ADD_REMARK,
                                json!({ "id": id, "body": "Første tekst." }),
                            )
                            .await;
                        let remark = added["addHuRemark"]["remark"]["id"].clone();
                        app.graphql_as(
                            token,
                            EDIT_REMARK,
                            json!({ "id": remark, "v": 1, "body": "Anden tekst." }),
                        )
                        .await
                        .1
                    };
                    set_phase(&app, &admin, &round, "PREPARATION").await;
                    body
                }
                "importProposalSheet" => {
                    app.graphql_as(
                        token,
                        IMPORT,
                        json!({ "round": round, "sheet": su01_sheet() }),
                    )
                    .await
                    .1
                }
                "createCommittee" => {
                    app.graphql_as(
                        token,
                        CREATE_COMMITTEE,
                        json!({ "code": "ÅU", "name": "Åbenhedsudvalget" }),
                    )
                    .await
                    .1
                }
                "createPolicyArea" => {
                    app.graphql_as(
                        token,
                        CREATE_AREA,
                        json!({ "committee": "ÆSU", "name": "Hjemmepleje" }),
                    )
                    .await
                    .1
                }
                "setPolicyAreaBudget" => {
                    let area = first_su_area(&app).await;
                    let years = json!([{ "year": 2023, "statedTotal": "100.00", "items": [{ "label": "Alt", "amount": "100.00" }] }]);
                    app.graphql_as(
                        token,
                        SET_BUDGET,
                        json!({ "area": area, "round": round, "years": years }),
                    )
                    .await
                    .1
                }
                "createRound" => {
                    next_year += 5;
                    let query = r#"mutation($y: Int!) { createRound(input: { name: "Budget", firstYear: $y }) { round { id } userErrors { code } } }"#;
                    app.graphql_as(token, query, json!({ "y": next_year }))
                        .await
                        .1
                }
                "updateRound" => {
                    app.graphql_as(
                        token,
                        UPDATE_ROUND,
                        json!({ "id": round, "input": { "phase": "PREPARATION" } }),
                    )
                    .await
                    .1
                }
                other => panic!("no row for the mutation {other}"),
            };
            assert_eq!(outcome(&body), *want, "{label}: {mutation}: {body}");
        }
    }
}

#[actix_web::test]
async fn a_hundred_concurrent_creates_get_a_hundred_gap_free_numbers() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["SU"]);
    let creates = (0..100).map(|n| {
        let (app, round, token) = (&app, round.clone(), coordinator.clone());
        async move {
            let body = app
                .graphql_as(Some(&token), CREATE, json!({ "round": round, "committee": "su", "input": { "title": format!("Forslag {n}") } }))
                .await
                .1;
            body["data"]["createProposal"]["proposal"]["number"].as_str().map(str::to_owned).unwrap_or_else(|| panic!("{body}"))
        }
    });
    let mut numbers = futures_util::future::join_all(creates).await;
    numbers.sort_by_key(|number| number[2..].parse::<u32>().unwrap());
    let expected: Vec<String> = (2..=101).map(|n| format!("SU{n:02}")).collect();
    assert_eq!(
        numbers, expected,
        "SU01 exists; the next hundred follow without gaps or repeats"
    );
}

#[actix_web::test]
async fn a_stale_update_is_a_conflict_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["ÆSU"]);
    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
    let first = app
        .data_as(
            Some(&coordinator),
            UPDATE,
            json!({ "id": id, "v": v, "input": { "title": "Første udgave" } }),
        )
        .await;
    assert_eq!(first["updateProposal"]["proposal"]["version"], v + 1);
    let stale = app
        .graphql_as(
            Some(&coordinator),
            UPDATE,
            json!({ "id": id, "v": v, "input": { "title": "Anden udgave" } }),
        )
        .await
        .1;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
    let titles: Vec<String> = proposal::Entity::find()
        .filter(proposal::Column::Title.is_in(["Første udgave", "Anden udgave"]))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(titles, ["Første udgave"]);
}

#[actix_web::test]
async fn every_input_problem_is_reported_at_once_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let su01 = app
        .data_as(
            None,
            r#"query($r: ID!) { proposal(round: $r, number: "SU01") { id version } }"#,
            json!({ "r": round }),
        )
        .await;
    let (id, v) = (
        su01["proposal"]["id"].clone(),
        su01["proposal"]["version"].clone(),
    );
    let lines_before = budget_line::Entity::find().count(&app.db).await.unwrap();
    let input = json!({
        "title": "   ",
        "years": [
            { "year": 2023, "lines": [{ "kind": "EFFICIENCY", "amount": "-100" }] },
            { "year": 2030, "lines": [] },
            { "year": 2024, "lines": [
                { "kind": "EFFICIENCY", "amount": "500" },
                { "kind": "EXPANSION", "amount": "10.005" },
                { "kind": "EXPANSION", "amount": "1" },
                { "kind": "SERVICE_REDUCTION", "amount": "-99999999999999" }
            ] }
        ],
        "relatedProposals": ["XX01"]
    });
    let data = app
        .data_as(
            Some(&admin),
            UPDATE,
            json!({ "id": id, "v": v, "input": input }),
        )
        .await;
    let payload = &data["updateProposal"];
    assert_eq!(payload["proposal"], Value::Null);
    let found: Vec<(Value, &str)> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (json!(["title"]), "REQUIRED"),
            (json!(["years", "1", "year"]), "OUT_OF_RANGE"),
            (json!(["years", "2", "lines", "0", "amount"]), "WRONG_SIGN"),
            (json!(["years", "2", "lines", "1", "amount"]), "TOO_PRECISE"),
            (json!(["years", "2", "lines", "2", "kind"]), "DUPLICATE"),
            (
                json!(["years", "2", "lines", "3", "amount"]),
                "OUT_OF_RANGE"
            ),
            (json!(["relatedProposals", "0"]), "UNKNOWN"),
        ]
    );
    let stored = proposal::Entity::find()
        .filter(proposal::Column::Number.eq("SU01"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1, "nothing written");
    assert!(stored.title.starts_with("Øget effekt"));
    assert_eq!(
        budget_line::Entity::find().count(&app.db).await.unwrap(),
        lines_before
    );
}

#[actix_web::test]
async fn a_coordinator_cannot_edit_or_submit_after_the_deadline() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["ÆSU"]);
    let (id, v) = fresh_draft(&app, &admin, &round, "ÆSU").await;
    let actions = r#"query($id: ID!) { node(id: $id) { ... on Proposal { allowedActions } } }"#;
    let before = app
        .data_as(Some(&coordinator), actions, json!({ "id": id }))
        .await;
    assert_eq!(
        before["node"]["allowedActions"],
        json!(["EDIT", "SUBMIT", "WITHDRAW", "DELETE"])
    );

    app.data_as(
        Some(&admin),
        UPDATE_ROUND,
        json!({ "id": round, "input": { "submissionDeadline": "2020-01-01T12:00:00Z" } }),
    )
    .await;
    let after = app
        .data_as(Some(&coordinator), actions, json!({ "id": id }))
        .await;
    assert_eq!(
        after["node"]["allowedActions"],
        json!([]),
        "the window is closed"
    );
    let edit = app
        .graphql_as(
            Some(&coordinator),
            UPDATE,
            json!({ "id": id, "v": v, "input": { "title": "For sent" } }),
        )
        .await
        .1;
    assert_eq!(outcome(&edit), "FORBIDDEN");
    let submit = app
        .graphql_as(Some(&coordinator), SUBMIT, json!({ "id": id, "v": v }))
        .await
        .1;
    assert_eq!(outcome(&submit), "FORBIDDEN");
    let by_admin = app
        .graphql_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
        .await
        .1;
    assert_eq!(
        by_admin["data"]["submitProposal"]["proposal"]["status"],
        "SUBMITTED"
    );
}

#[actix_web::test]
async fn returning_to_draft_needs_a_reason() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let (id, v) = fresh_draft(&app, &admin, &round, "SU").await;
    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
        .await;
    let data = app
        .data_as(
            Some(&admin),
            RETURN,
            json!({ "id": id, "v": v + 1, "reason": " " }),
        )
        .await;
    assert_eq!(
        data["returnProposalToDraft"]["userErrors"],
        json!([{ "field": ["reason"], "code": "REQUIRED" }])
    );
    let data = app
        .data_as(
            Some(&admin),
            RETURN,
            json!({ "id": id, "v": v + 1, "reason": "Tallene mangler" }),
        )
        .await;
    assert_eq!(data["returnProposalToDraft"]["proposal"]["status"], "DRAFT");
}

#[actix_web::test]
async fn history_shows_each_change_and_as_of_reads_the_past() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["ÆSU"]);
    let lines = |amount: &str| json!({ "years": [{ "year": 2024, "lines": [{ "kind": "EFFICIENCY", "amount": amount }] }] });
    let created = app.data_as(Some(&coordinator), CREATE, json!({ "round": round, "committee": "ÆSU", "input": { "title": "Færre vikarer", "years": lines("-100000")["years"] } })).await;
    let id = created["createProposal"]["proposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app
        .data_as(
            Some(&coordinator),
            UPDATE,
            json!({ "id": id, "v": 1, "input": { "title": "Færre eksterne vikarer" } }),
        )
        .await;
    let after_first_edit = first["updateProposal"]["proposal"]["updatedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(20));
    app.data_as(
        Some(&coordinator),
        UPDATE,
        json!({ "id": id, "v": 2, "input": lines("-250000") }),
    )
    .await;
    app.data_as(Some(&coordinator), SUBMIT, json!({ "id": id, "v": 3 }))
        .await;

    let query = r#"query($id: ID!, $at: DateTime!) { node(id: $id) { ... on Proposal {
        history { totalCount nodes { version action fromStatus toStatus actorName changes { field before after } } }
        asOf(at: $at) { version title status years { year netChange lines { kind amount } } }
        years { year netChange } } } }"#;
    let data = app
        .data_as(
            Some(&coordinator),
            query,
            json!({ "id": id, "at": after_first_edit }),
        )
        .await;
    let history = &data["node"]["history"];
    assert_eq!(history["totalCount"], 4);
    let actions: Vec<&str> = history["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submitted", "updated", "updated", "created"],
        "newest first"
    );
    let submitted = &history["nodes"][0];
    assert_eq!(
        (
            submitted["fromStatus"].as_str(),
            submitted["toStatus"].as_str()
        ),
        (Some("DRAFT"), Some("SUBMITTED"))
    );
    assert_eq!(submitted["actorName"], "Test User");
    assert_eq!(
        history["nodes"][1]["changes"],
        json!([{ "field": "years.2024.lines.efficiency", "before": "-100000.00", "after": "-250000.00" }])
    );
    assert_eq!(
        history["nodes"][2]["changes"],
        json!([{ "field": "title", "before": "Færre vikarer", "after": "Færre eksterne vikarer" }])
    );

    let past = &data["node"]["asOf"];
    assert_eq!(past["version"], 2);
    assert_eq!(past["title"], "Færre eksterne vikarer");
    assert_eq!(past["status"], "DRAFT");
    assert_eq!(
        past["years"],
        json!([{ "year": 2024, "netChange": "-100000.00", "lines": [{ "kind": "EFFICIENCY", "amount": "-100000.00" }] }])
    );
    let now_2024 = data["node"]["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2024)
        .unwrap()["netChange"]
        .clone();
    assert_eq!(now_2024, "-250000.00");
}

#[actix_web::test]
async fn a_proposal_goes_from_draft_to_approved_through_the_api() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["SU"]);
    let lines = json!([{ "year": 2024, "lines": [{ "kind": "EFFICIENCY", "amount": "-400000" }] }]);
    let created = app
        .data_as(Some(&coordinator), CREATE, json!({ "round": round, "committee": "SU", "input": { "title": "Fælles visitation", "years": lines } }))
        .await;
    let id = created["createProposal"]["proposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data_as(Some(&coordinator), SUBMIT, json!({ "id": id, "v": 1 }))
        .await;
    set_phase(&app, &admin, &round, "CONSULTATION").await;
    let started = app
        .data_as(Some(&admin), START, json!({ "id": id, "v": 2 }))
        .await;
    assert_eq!(
        started["startConsultation"]["proposal"]["status"],
        "IN_CONSULTATION"
    );

    let hu = app.token_for("hu.one", &["hu_member"], &[]);
    let added = app
        .data_as(
            Some(&hu),
            ADD_REMARK,
            json!({ "id": id, "body": "HU ønsker inddragelse af medarbejderne." }),
        )
        .await;
    let remark = added["addHuRemark"]["remark"]["id"].clone();
    let edited = app
        .data_as(Some(&hu), EDIT_REMARK, json!({ "id": remark, "v": 1, "body": "HU ønsker tidlig inddragelse af medarbejderne." }))
        .await;
    assert_eq!(
        edited["editHuRemark"]["remark"]["versions"],
        json!([{ "version": 1, "body": "HU ønsker inddragelse af medarbejderne." }, { "version": 2, "body": "HU ønsker tidlig inddragelse af medarbejderne." }])
    );
    let other_hu = app.token_for("hu.two", &["hu_member"], &[]);
    let foreign = app
        .graphql_as(
            Some(&other_hu),
            EDIT_REMARK,
            json!({ "id": remark, "v": 2, "body": "Ændret af en anden" }),
        )
        .await
        .1;
    assert_eq!(
        outcome(&foreign),
        "FORBIDDEN",
        "only the author edits a remark"
    );
    let stale = app
        .graphql_as(
            Some(&hu),
            EDIT_REMARK,
            json!({ "id": remark, "v": 1, "body": "Gammel" }),
        )
        .await
        .1;
    assert_eq!(outcome(&stale), "CONFLICT");

    let remarks =
        r#"query($id: ID!) { node(id: $id) { ... on Proposal { remarks { body version } } } }"#;
    let public = app.data_as(None, remarks, json!({ "id": id })).await;
    assert_eq!(
        public["node"]["remarks"],
        Value::Null,
        "not public during the consultation"
    );
    let reader = app.token(&["reader"], &[]);
    let for_reader = app
        .data_as(Some(&reader), remarks, json!({ "id": id }))
        .await;
    assert_eq!(
        for_reader["node"]["remarks"],
        json!([{ "body": "HU ønsker tidlig inddragelse af medarbejderne.", "version": 2 }])
    );

    let recommend = json!({ "body": "ØU", "decidedOn": "2022-09-28", "outcome": "RECOMMENDED", "text": "Anbefales over for Byrådet." });
    let recommended = app
        .data_as(
            Some(&admin),
            DECIDE,
            json!({ "id": id, "v": 3, "input": recommend }),
        )
        .await;
    assert_eq!(
        recommended["recordDecision"]["proposal"]["status"],
        "RECOMMENDED"
    );
    let mut approve = approval();
    approve["amendments"] =
        json!([{ "proposer": "Ø", "text": "Forslaget udgår.", "outcome": "REJECTED" }]);
    let approved = app
        .data_as(
            Some(&admin),
            DECIDE,
            json!({ "id": id, "v": 4, "input": approve }),
        )
        .await;
    assert_eq!(
        approved["recordDecision"]["proposal"],
        json!({ "version": 5, "status": "APPROVED" })
    );

    let integration = app.token(&["integration"], &[]);
    let seen = app
        .data_as(Some(&integration), r#"query($id: ID!) { node(id: $id) { ... on Proposal { status decisions { body outcomeLabel votesText amendments { proposer outcome } } history { totalCount } } } }"#, json!({ "id": id }))
        .await;
    assert_eq!(
        seen["node"]["history"],
        Value::Null,
        "the history is not for integrations"
    );
    let audit = app
        .data_as(Some(&admin), r#"query($id: ID!) { node(id: $id) { ... on Proposal { history { nodes { action } } } } }"#, json!({ "id": id }))
        .await;
    let decisions = &seen["node"]["decisions"];
    assert_eq!(decisions[0]["outcomeLabel"], "Anbefales");
    assert_eq!(decisions[1]["body"], "BR");
    assert_eq!(
        decisions[1]["votesText"],
        "Ø (1) stemte imod. A (1) undlod at stemme."
    );
    assert_eq!(
        decisions[1]["amendments"],
        json!([{ "proposer": "Ø", "outcome": "REJECTED" }])
    );
    let actions: Vec<&str> = audit["node"]["history"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "decided",
            "decided",
            "consultation_started",
            "submitted",
            "created"
        ]
    );
}

#[actix_web::test]
async fn a_decision_with_an_unknown_body_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let su01 = app
        .data_as(
            None,
            r#"query($r: ID!) { proposal(round: $r, number: "SU01") { id version } }"#,
            json!({ "r": round }),
        )
        .await;
    let mut input = approval();
    input["body"] = json!("XYZ");
    input["votes"] = json!([{ "party": "", "position": "FOR" }]);
    let data = app
        .data_as(
            Some(&admin),
            DECIDE,
            json!({ "id": su01["proposal"]["id"], "v": 1, "input": input }),
        )
        .await;
    assert_eq!(
        data["recordDecision"]["userErrors"],
        json!([{ "field": ["body"], "code": "UNKNOWN" }, { "field": ["votes", "0", "party"], "code": "REQUIRED" }])
    );
    assert_eq!(
        entity::decision::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[actix_web::test]
async fn importing_su01_reports_exactly_the_printed_mismatch_of_2024_to_2026() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["SU"]);
    let data = app
        .data_as(
            Some(&coordinator),
            IMPORT,
            json!({ "round": round, "sheet": su01_sheet() }),
        )
        .await;
    let payload = &data["importProposalSheet"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(
        payload["proposal"]["number"], "SU02",
        "numbered as any new proposal: SU01 exists"
    );
    assert_eq!(payload["proposal"]["status"], "DRAFT");
    let mismatch =
        json!({ "stated": "-7125000.00", "computed": "-8825000.00", "difference": "-1700000.00" });
    let expected: Vec<Value> = [2024, 2025, 2026]
        .iter()
        .map(|year| {
            let mut m = mismatch.clone();
            m["year"] = json!(year);
            m
        })
        .collect();
    assert_eq!(payload["netChangeMismatches"], json!(expected));
    assert_eq!(
        payload["proposal"]["years"][1],
        json!({ "year": 2024, "netChange": "-8825000.00", "statedNetChange": "-7125000.00" })
    );
}

#[actix_web::test]
async fn a_broken_sheet_is_refused_with_its_problems_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let mut sheet = su01_sheet();
    sheet["years"][0]["lines"]["savings"] = json!("-1");
    sheet["expenseType"] = json!("other");
    let data = app
        .data_as(
            Some(&admin),
            IMPORT,
            json!({ "round": round, "sheet": sheet }),
        )
        .await;
    let fields: Vec<Value> = data["importProposalSheet"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        [
            json!(["sheet", "expenseType"]),
            json!(["sheet", "years", "0", "lines", "savings"])
        ]
    );
    let mut positive = su01_sheet();
    positive["years"][1]["lines"]["efficiency"] = json!("9000000");
    let data = app
        .data_as(
            Some(&admin),
            IMPORT,
            json!({ "round": round, "sheet": positive }),
        )
        .await;
    assert_eq!(
        data["importProposalSheet"]["userErrors"][0]["field"],
        json!(["sheet", "years", "1", "lines", "0", "amount"])
    );
    let not_a_sheet = app
        .data_as(
            Some(&admin),
            IMPORT,
            json!({ "round": round, "sheet": { "hello": 1 } }),
        )
        .await;
    assert_eq!(
        not_a_sheet["importProposalSheet"]["userErrors"][0]["code"],
        "INVALID"
    );
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before
    );
}

#[actix_web::test]
async fn the_budget_office_maintains_committees_areas_and_their_printed_budgets() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let created = app
        .data_as(
            Some(&admin),
            CREATE_COMMITTEE,
            json!({ "code": "åu", "name": "Åbenhedsudvalget" }),
        )
        .await;
    assert_eq!(
        created["createCommittee"]["committee"],
        json!({ "code": "ÅU", "name": "Åbenhedsudvalget" })
    );
    let again = app
        .graphql_as(
            Some(&admin),
            CREATE_COMMITTEE,
            json!({ "code": "ÅU", "name": "Igen" }),
        )
        .await
        .1;
    assert_eq!(outcome(&again), "CONFLICT", "a code is unique");
    let area = app
        .data_as(
            Some(&admin),
            CREATE_AREA,
            json!({ "committee": "ÅU", "name": "Åbne data" }),
        )
        .await;
    let area_id = area["createPolicyArea"]["policyArea"]["id"].clone();
    let round = app.round_id(2023).await;
    let years = json!([
        { "year": 2022, "statedTotal": "5400000", "items": [{ "label": "Portal", "amount": "2700000" }, { "label": "Drift", "amount": "2700000" }] },
        { "year": 2023, "statedTotal": "5500000", "serviceExpenses": "5500000",
          "items": [{ "label": "Portal", "amount": "2800000" }, { "label": "Drift", "amount": "2800000" }] }
    ]);
    let data = app
        .data_as(
            Some(&admin),
            SET_BUDGET,
            json!({ "area": area_id, "round": round, "years": years }),
        )
        .await;
    assert_eq!(
        data["setPolicyAreaBudget"]["policyArea"]["budgetDifferences"],
        json!([{ "year": 2023, "stated": "5500000.00", "computed": "5600000.00", "difference": "100000.00" }]),
        "the printed total is kept and its difference shown"
    );
    let bad = json!([{ "year": 2031, "statedTotal": "1.005" }]);
    let refused = app
        .data_as(
            Some(&admin),
            SET_BUDGET,
            json!({ "area": area_id, "round": round, "years": bad }),
        )
        .await;
    let codes: Vec<&str> = refused["setPolicyAreaBudget"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["OUT_OF_RANGE", "TOO_PRECISE"]);
}

#[actix_web::test]
async fn after_adoption_only_the_budget_office_corrects_and_it_is_recorded_as_a_correction() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["SU"]);
    let (id, v) = fresh_draft(&app, &admin, &round, "SU").await;
    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
        .await;
    set_phase(&app, &admin, &round, "ADOPTED").await;

    let create = app
        .graphql_as(
            Some(&coordinator),
            CREATE,
            json!({ "round": round, "committee": "SU", "input": { "title": "For sent" } }),
        )
        .await
        .1;
    assert_eq!(outcome(&create), "FORBIDDEN");
    let withdraw = app
        .graphql_as(
            Some(&coordinator),
            WITHDRAW,
            json!({ "id": id, "v": v + 1 }),
        )
        .await
        .1;
    assert_eq!(outcome(&withdraw), "FORBIDDEN");
    let by_admin = app
        .graphql_as(
            Some(&admin),
            CREATE,
            json!({ "round": round, "committee": "SU", "input": { "title": "For sent" } }),
        )
        .await
        .1;
    assert_eq!(
        outcome(&by_admin),
        "FORBIDDEN",
        "nothing new after adoption"
    );

    let query = r#"mutation($id: ID!, $v: Int!) { updateProposal(id: $id, expectedVersion: $v, input: { title: "Rettet titel" }, reason: "Stavefejl") {
        proposal { version history(first: 1) { nodes { action reason } } } } }"#;
    let corrected = app
        .data_as(Some(&admin), query, json!({ "id": id, "v": v + 1 }))
        .await;
    assert_eq!(
        corrected["updateProposal"]["proposal"]["history"]["nodes"],
        json!([{ "action": "corrected", "reason": "Stavefejl" }])
    );
}

/// What each actor may do to a fresh SU proposal in each phase of the round: create a
/// draft, edit and submit a draft, withdraw a submitted one, remark on a submitted one.
/// `ok`, `INVALID` (refused in userErrors) or the error code; no deadlines are set, and an
/// adopted round is never reopened, so ADOPTED comes last.
/// An actor and its five outcomes.
type Row = (&'static str, [&'static str; 5]);

#[rustfmt::skip]
const PHASES: &[(&str, [Row; 3])] = &[
    ("PREPARATION", [
        ("coordinator", ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("hu_member", ["FORBIDDEN", "NOT_FOUND", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
        ("admin", ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
    ]),
    ("CONSULTATION", [
        ("coordinator", ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("hu_member", ["FORBIDDEN", "NOT_FOUND", "NOT_FOUND", "FORBIDDEN", "ok"]),
        ("admin", ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
    ]),
    ("NEGOTIATION", [
        ("coordinator", ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("hu_member", ["FORBIDDEN", "NOT_FOUND", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
        ("admin", ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
    ]),
    // After adoption only corrections of content, with a reason (none is given here).
    ("ADOPTED", [
        ("coordinator", ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("hu_member", ["FORBIDDEN", "NOT_FOUND", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
        ("admin", ["FORBIDDEN", "INVALID", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
    ]),
];

#[actix_web::test]
async fn each_step_is_allowed_or_refused_by_role_and_phase() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    // Fresh targets for every actor in every phase, made while writing is open: an adopted
    // round never reopens.
    let mut targets = Vec::new();
    for (_, actors) in PHASES {
        for _ in actors.iter() {
            let draft = fresh_draft(&app, &admin, &round, "SU").await;
            let to_edit = fresh_draft(&app, &admin, &round, "SU").await;
            let submitted = fresh_draft(&app, &admin, &round, "SU").await;
            app.data_as(
                Some(&admin),
                SUBMIT,
                json!({ "id": submitted.0, "v": submitted.1 }),
            )
            .await;
            targets.push((draft, to_edit, (submitted.0, submitted.1 + 1)));
        }
    }
    let mut targets = targets.into_iter();
    for (phase, actors) in PHASES {
        set_phase(&app, &admin, &round, phase).await;
        for (role, expected) in actors {
            let token = app.token(&[role], &["SU"]);
            let ((draft, dv), (to_edit, ev), (submitted, sv)) = targets.next().unwrap();
            let got = [
                outcome(
                    &app.graphql_as(
                        Some(&token),
                        CREATE,
                        json!({ "round": round, "committee": "SU", "input": { "title": "Nyt" } }),
                    )
                    .await
                    .1,
                ),
                outcome(
                    &app.graphql_as(
                        Some(&token),
                        UPDATE,
                        json!({ "id": to_edit, "v": ev, "input": { "title": "Ændret" } }),
                    )
                    .await
                    .1,
                ),
                outcome(
                    &app.graphql_as(Some(&token), SUBMIT, json!({ "id": draft, "v": dv }))
                        .await
                        .1,
                ),
                outcome(
                    &app.graphql_as(Some(&token), WITHDRAW, json!({ "id": submitted, "v": sv }))
                        .await
                        .1,
                ),
                outcome(
                    &app.graphql_as(
                        Some(&token),
                        ADD_REMARK,
                        json!({ "id": submitted, "body": "Bemærkning" }),
                    )
                    .await
                    .1,
                ),
            ];
            assert_eq!(
                got,
                expected.map(str::to_owned),
                "{role} in {phase}: create, edit, submit, withdraw, remark"
            );
        }
    }
}

#[actix_web::test]
async fn a_draft_that_was_submitted_once_is_withdrawn_not_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let (id, v) = fresh_draft(&app, &admin, &round, "SU").await;
    app.data_as(Some(&admin), SUBMIT, json!({ "id": id, "v": v }))
        .await;
    app.data_as(
        Some(&admin),
        RETURN,
        json!({ "id": id, "v": v + 1, "reason": "Omskrives" }),
    )
    .await;
    let deleted = app
        .graphql_as(Some(&admin), DELETE, json!({ "id": id, "v": v + 2 }))
        .await
        .1;
    assert_eq!(outcome(&deleted), "FORBIDDEN");
    let (never, nv) = fresh_draft(&app, &admin, &round, "SU").await;
    let stale = app
        .graphql_as(Some(&admin), DELETE, json!({ "id": never, "v": nv + 1 }))
        .await
        .1;
    assert_eq!(outcome(&stale), "CONFLICT");
    let gone = app
        .data_as(Some(&admin), DELETE, json!({ "id": never, "v": nv }))
        .await;
    assert_eq!(gone["deleteProposal"]["deletedId"], never.as_str());
}

#[actix_web::test]
async fn an_adopted_round_is_closed_for_good() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    set_phase(&app, &admin, &round, "ADOPTED").await;
    let reopen = app
        .graphql_as(
            Some(&admin),
            UPDATE_ROUND,
            json!({ "id": round, "input": { "phase": "PREPARATION" } }),
        )
        .await
        .1;
    assert_eq!(outcome(&reopen), "FORBIDDEN");
}

#[actix_web::test]
async fn a_relation_to_a_draft_one_cannot_see_is_unknown() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = open_round_2023(&app, &admin).await;
    let coordinator = app.token(&["coordinator"], &["SU"]);
    let data = app
        .data_as(Some(&coordinator), CREATE, json!({ "round": round, "committee": "SU", "input": { "title": "Samarbejde", "relatedProposals": ["ÆSU01"] } }))
        .await;
    assert_eq!(
        data["createProposal"]["userErrors"][0]["code"], "UNKNOWN",
        "the draft ÆSU01 is not told to exist"
    );
}
