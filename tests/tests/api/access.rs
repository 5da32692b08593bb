//! Every role against every operation: what each may see. A test fails when the schema has
//! an operation the matrix does not cover, so none ships without its rule.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{insert, sheet};

/// The roles, as (label, roles in the token, committees); anonymous has no token.
pub const ROLES: &[(&str, &[&str], &[&str])] = &[
    ("anonymous", &[], &[]),
    ("reader", &["reader"], &[]),
    ("coordinator of ÆSU", &["coordinator"], &["ÆSU"]),
    ("coordinator of SU", &["coordinator"], &["SU"]),
    ("HU member", &["hu_member"], &[]),
    ("admin", &["admin"], &[]),
    ("integration", &["integration"], &[]),
];

/// Every operation of the schema; each has its checks in `check` below.
const OPERATIONS: &[&str] = &[
    "node",
    "nodes",
    "rounds",
    "round",
    "committees",
    "committee",
    "policyAreas",
    "proposals",
    "proposal",
    "catalogTotals",
    "approvedChanges",
    "viewer",
];

/// In Budget 2023-2026: SU01, ØU01 (submitted, the demo), ÆSU01 (the demo draft), FKU01
/// (approved) and SU02 (submitted, related to the draft).
async fn arrange(app: &TestApp) {
    insert(
        app,
        &sheet(
            "FKU",
            "Lukning af svømmehal om sommeren",
            "approved",
            json!({ "efficiency": "-100000" }),
            json!({}),
        ),
    )
    .await;
    insert(
        app,
        &sheet(
            "SU",
            "Fælles visitation",
            "submitted",
            json!({}),
            json!({ "relatedProposals": ["ÆSU01"] }),
        ),
    )
    .await;
}

/// The numbers `role` may see, in catalog order.
fn visible(role: &str) -> Vec<&'static str> {
    match role {
        "admin" | "coordinator of ÆSU" => vec!["SU01", "SU02", "FKU01", "ÆSU01", "ØU01"],
        "integration" => vec!["FKU01"],
        _ => vec!["SU01", "SU02", "FKU01", "ØU01"],
    }
}

const ALL: [&str; 5] = ["SU01", "SU02", "FKU01", "ÆSU01", "ØU01"];

struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
    role: &'static str,
}

impl Caller<'_> {
    async fn data(&self, query: &str, variables: Value) -> Value {
        self.app
            .data_as(self.token.as_deref(), query, variables)
            .await
    }

    async fn body(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .app
            .graphql_as(self.token.as_deref(), query, variables)
            .await;
        assert_eq!(status, 200, "{}: {body}", self.role);
        body
    }
}

async fn ids_by_number(app: &TestApp) -> Vec<(String, String)> {
    let admin = app.token(&["admin"], &[]);
    let data = app
        .data_as(
            Some(&admin),
            "{ proposals { edges { node { id number } } } }",
            json!({}),
        )
        .await;
    data["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["number"].as_str().unwrap().to_owned(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn check(caller: &Caller<'_>, operation: &str, round: &str, ids: &[(String, String)]) {
    let role = caller.role;
    let expected = visible(role);
    match operation {
        "proposals" => {
            let data = caller
                .data(
                    "{ proposals { totalCount edges { node { number } } } }",
                    json!({}),
                )
                .await;
            let numbers: Vec<&str> = data["proposals"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["number"].as_str().unwrap())
                .collect();
            assert_eq!(numbers, expected, "{role}: proposals");
            assert_eq!(
                data["proposals"]["totalCount"],
                expected.len(),
                "{role}: totalCount"
            );
        }
        "proposal" => {
            for number in ALL {
                let body = caller
                    .body(
                        "query($round: ID!, $number: String!) { proposal(round: $round, number: $number) { number relatedProposals { number } } }",
                        json!({ "round": round, "number": number }),
                    )
                    .await;
                if expected.contains(&number) {
                    assert_eq!(
                        body["data"]["proposal"]["number"], number,
                        "{role}: proposal {number}"
                    );
                } else {
                    assert_eq!(
                        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
                        "{role}: proposal {number}"
                    );
                }
                if number == "SU02" && expected.contains(&"SU02") {
                    let related = if expected.contains(&"ÆSU01") {
                        json!([{ "number": "ÆSU01" }])
                    } else {
                        json!([])
                    };
                    assert_eq!(
                        body["data"]["proposal"]["relatedProposals"], related,
                        "{role}: a relation to a draft"
                    );
                }
            }
        }
        "node" => {
            for (number, id) in ids {
                let body = caller
                    .body(
                        "query($id: ID!) { node(id: $id) { ... on Proposal { number } } }",
                        json!({ "id": id }),
                    )
                    .await;
                if expected.contains(&number.as_str()) {
                    assert_eq!(
                        body["data"]["node"]["number"],
                        number.as_str(),
                        "{role}: node {number}"
                    );
                } else {
                    assert_eq!(
                        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
                        "{role}: node {number}"
                    );
                }
            }
        }
        "nodes" => {
            let all: Vec<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
            let data = caller
                .data(
                    "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Proposal { number } } }",
                    json!({ "ids": all }),
                )
                .await;
            let seen: Vec<Option<&str>> = data["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["number"].as_str())
                .collect();
            let wanted: Vec<Option<&str>> = ids
                .iter()
                .map(|(number, _)| {
                    expected
                        .contains(&number.as_str())
                        .then_some(number.as_str())
                })
                .collect();
            assert_eq!(seen, wanted, "{role}: nodes");
        }
        "catalogTotals" => {
            let data = caller
                .data("query($round: ID!) { catalogTotals(round: $round, groupBy: [COMMITTEE]) { committee { code } amount } }", json!({ "round": round }))
                .await;
            let committees: Vec<&str> = data["catalogTotals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["committee"]["code"].as_str().unwrap())
                .collect();
            // ØU01 and SU02 have no lines; SU01, FKU01 and the ÆSU01 draft do.
            let wanted: Vec<&str> = [("SU01", "SU"), ("FKU01", "FKU"), ("ÆSU01", "ÆSU")]
                .iter()
                .filter(|(number, _)| expected.contains(number))
                .map(|(_, code)| *code)
                .collect();
            assert_eq!(
                committees, wanted,
                "{role}: totals count only what the caller sees"
            );
        }
        "approvedChanges" => {
            let query = "query($round: ID!) { approvedChanges(round: $round) { edges { node { proposalNumber year amount entry proposal { number } } } } }";
            if caller.token.is_none() {
                let body = caller.body(query, json!({ "round": round })).await;
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                    "{role}: the feed takes a sign-in"
                );
                return;
            }
            let data = caller.data(query, json!({ "round": round })).await;
            let items = data["approvedChanges"]["edges"].as_array().unwrap();
            // FKU01 is the one approved proposal: -100000 in each of four years.
            assert_eq!(items.len(), 4, "{role}: {data}");
            for item in items {
                assert_eq!(item["node"]["proposalNumber"], "FKU01", "{role}");
                assert_eq!(item["node"]["amount"], "-100000.00", "{role}");
                assert_eq!(item["node"]["entry"], "APPROVAL", "{role}");
                assert_eq!(item["node"]["proposal"]["number"], "FKU01", "{role}");
            }
        }
        "rounds" => {
            let data = caller.data("{ rounds { name } }", json!({})).await;
            assert_eq!(
                data["rounds"].as_array().unwrap().len(),
                2,
                "{role}: rounds are public"
            );
        }
        "round" => {
            let data = caller
                .data("{ round(firstYear: 2023) { name } }", json!({}))
                .await;
            assert_eq!(data["round"]["name"], "Budget 2023-2026", "{role}");
        }
        "committees" => {
            let data = caller.data("{ committees { code } }", json!({})).await;
            assert_eq!(
                data["committees"].as_array().unwrap().len(),
                6,
                "{role}: committees are public"
            );
        }
        "committee" => {
            let data = caller
                .data(r#"{ committee(code: "SU") { name } }"#, json!({}))
                .await;
            assert_eq!(data["committee"]["name"], "Socialudvalget", "{role}");
        }
        "policyAreas" => {
            let data = caller
                .data(r#"{ policyAreas(committee: "SU") { name } }"#, json!({}))
                .await;
            assert_eq!(
                data["policyAreas"].as_array().unwrap().len(),
                3,
                "{role}: the budget notes are public"
            );
        }
        "viewer" => {
            let data = caller
                .data("{ viewer { authenticated roles } }", json!({}))
                .await;
            assert_eq!(
                data["viewer"]["authenticated"],
                caller.token.is_some(),
                "{role}"
            );
        }
        other => panic!("no checks for the operation {other}: add them to the access matrix"),
    }
}

#[actix_web::test]
async fn every_role_sees_exactly_what_its_rules_allow_in_every_operation() {
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let round = app.round_id(2023).await;
    let ids = ids_by_number(&app).await;
    assert_eq!(ids.len(), 5);
    for (role, roles, committees) in ROLES {
        let caller = Caller {
            app: &app,
            token: (!roles.is_empty()).then(|| app.token(roles, committees)),
            role,
        };
        for operation in OPERATIONS {
            check(&caller, operation, &round, &ids).await;
        }
    }
}

/// Every subscription; `every_role_receives_exactly_what_it_may_see` checks them.
const SUBSCRIPTIONS: &[&str] = &["approvedChangeAppended", "proposalChanged"];

#[actix_web::test]
async fn every_role_receives_exactly_what_it_may_see_in_every_subscription() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let round = app.round_id(2023).await;
    let admin = app.token(&["admin"], &[]);
    let mut sockets = Vec::new();
    for (role, roles, committees) in ROLES {
        let token = (!roles.is_empty()).then(|| app.token(roles, committees));
        let mut socket = app.subscriber(token.as_deref()).await;
        socket
            .subscribe(
                "feed",
                "subscription($round: ID!) { approvedChangeAppended(round: $round) { proposalNumber amount } }",
                json!({ "round": round }),
            )
            .await;
        socket
            .subscribe(
                "changes",
                "subscription($round: ID!) { proposalChanged(round: $round) { changes proposal { number } } }",
                json!({ "round": round }),
            )
            .await;
        sockets.push((*role, socket));
    }
    // Let every subscription start (the anonymous feed answers at once).
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A change of the ÆSU01 draft, then the approval of SU01 (which books its lines).
    let version_of = |number: &'static str| {
        let (app, admin, round) = (&app, &admin, &round);
        async move {
            let data = app
                .data_as(
                    Some(admin),
                    "query($round: ID!, $n: String!) { proposal(round: $round, number: $n) { id version } }",
                    json!({ "round": round, "n": number }),
                )
                .await;
            data["proposal"].clone()
        }
    };
    let draft = version_of("ÆSU01").await;
    app.data_as(
        Some(&admin),
        crate::writing::UPDATE,
        json!({ "id": draft["id"], "v": draft["version"], "input": { "title": "Ændret kladde" } }),
    )
    .await;
    let su01 = version_of("SU01").await;
    app.data_as(
        Some(&admin),
        crate::writing::DECIDE,
        json!({ "id": su01["id"], "v": su01["version"], "input": crate::writing::approval() }),
    )
    .await;

    let mut booked_by_admin = None;
    for (role, mut socket) in sockets {
        let mut changes = Vec::new();
        let mut feed = Vec::new();
        let mut feed_errors = Vec::new();
        while let Some(message) = socket.next(Duration::from_millis(1500)).await {
            let payload = &message["payload"];
            match (message["id"].as_str(), message["type"].as_str()) {
                (Some("changes"), Some("next")) => changes.push(
                    payload["data"]["proposalChanged"]["proposal"]["number"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ),
                (Some("feed"), Some("next")) if payload["errors"].is_array() => {
                    feed_errors.push(payload["errors"][0]["extensions"]["code"].clone())
                }
                (Some("feed"), Some("error")) => {
                    feed_errors.push(payload[0]["extensions"]["code"].clone())
                }
                (Some("feed"), Some("next")) => {
                    feed.push(payload["data"]["approvedChangeAppended"].clone())
                }
                _ => {}
            }
        }
        let sees_draft = visible(role).contains(&"ÆSU01");
        let wanted: Vec<&str> = if sees_draft {
            vec!["ÆSU01", "SU01"]
        } else {
            vec!["SU01"]
        };
        assert_eq!(changes, wanted, "{role}: proposalChanged");
        if role == "anonymous" {
            assert_eq!(feed_errors, [json!("UNAUTHENTICATED")], "{role}");
            assert!(feed.is_empty(), "{role}");
            continue;
        }
        assert!(feed_errors.is_empty(), "{role}: {feed_errors:?}");
        assert!(!feed.is_empty(), "{role}: SU01's lines are booked");
        assert!(
            feed.iter().all(|item| item["proposalNumber"] == "SU01"),
            "{role}"
        );
        match &booked_by_admin {
            None => booked_by_admin = Some(feed),
            Some(same) => assert_eq!(&feed, same, "{role}: every reader gets the same items"),
        }
    }
}

#[actix_web::test]
async fn the_matrix_covers_every_operation_of_the_schema() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut in_schema: Vec<String> = ["queryType", "mutationType", "subscriptionType"]
        .iter()
        .flat_map(|root| {
            data["__schema"][root]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|field| field["name"].as_str().unwrap().to_owned())
        .collect();
    in_schema.sort();
    let mut covered: Vec<String> = OPERATIONS
        .iter()
        .chain(SUBSCRIPTIONS)
        .chain(crate::writing::MUTATIONS.iter().map(|(name, _)| name))
        .map(|op| (*op).to_owned())
        .collect();
    covered.sort();
    assert_eq!(
        in_schema, covered,
        "every operation needs a row in the access matrix"
    );
}

#[actix_web::test]
async fn hu_remarks_follow_role_and_phase() {
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let round = app.round_id(2023).await;
    let query = "query($round: ID!, $number: String!) { proposal(round: $round, number: $number) { sections { huRemarks } } }";
    // Budget 2023-2026 is in consultation.
    let cases = [
        (None, "SU01", Value::Null),
        (Some(app.token(&["reader"], &[])), "SU01", json!("")),
        (Some(app.token(&["hu_member"], &[])), "SU01", json!("")),
        (
            Some(app.token(&["coordinator"], &["ÆSU"])),
            "ÆSU01",
            json!(""),
        ),
        (Some(app.token(&["admin"], &[])), "ÆSU01", json!("")),
        (Some(app.token(&["integration"], &[])), "FKU01", Value::Null),
    ];
    for (token, number, expected) in cases {
        let data = app
            .data_as(
                token.as_deref(),
                query,
                json!({ "round": round, "number": number }),
            )
            .await;
        assert_eq!(
            data["proposal"]["sections"]["huRemarks"], expected,
            "{token:?} {number}"
        );
    }
}

#[actix_web::test]
async fn history_and_past_versions_are_for_the_budget_office_and_the_committee() {
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let round = app.round_id(2023).await;
    let query = r#"query($round: ID!) { proposal(round: $round, number: "SU02") {
        history { nodes { changes { field after } } } asOf(at: "2100-01-01T00:00:00Z") { version } } }"#;
    for (label, roles, committees) in ROLES {
        let token = (!roles.is_empty()).then(|| app.token(roles, committees));
        let (status, body) = app
            .graphql_as(token.as_deref(), query, json!({ "round": round }))
            .await;
        assert_eq!(status, 200);
        let proposal = &body["data"]["proposal"];
        match *label {
            "admin" | "coordinator of SU" => {
                let fields: Vec<&str> = proposal["history"]["nodes"][0]["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["field"].as_str().unwrap())
                    .collect();
                assert!(fields.contains(&"title"), "{label}: {fields:?}");
                assert!(
                    !fields.iter().any(|f| f.starts_with("related")),
                    "{label}: the relation to a draft is not in the history: {fields:?}"
                );
                assert!(
                    !fields.iter().any(|f| f.contains("huRemarks")),
                    "{label}: {fields:?}"
                );
                assert_eq!(proposal["asOf"]["version"], 1, "{label}");
            }
            "integration" => assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND"),
            _ => {
                assert_eq!(proposal["history"], Value::Null, "{label}: no history");
                assert_eq!(proposal["asOf"], Value::Null, "{label}: no past versions");
            }
        }
    }
}
