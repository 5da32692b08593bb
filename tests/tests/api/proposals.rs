//! The proposal list: filters, orders, paging, visibility.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{insert, insert_draft, sheet};

const LIST: &str = r#"query($filter: ProposalFilter, $order: ProposalOrder, $first: Int, $after: String) {
  proposals(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { number title status } }
  }
}"#;

async fn numbers(app: &TestApp, filter: Value) -> Vec<String> {
    let data = app.data(LIST, json!({ "filter": filter })).await;
    data["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["number"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_danish_committee_code_filters_in_any_case() {
    let app = TestApp::spawn().await;
    assert_eq!(
        numbers(&app, json!({ "committees": ["ØU"] })).await,
        ["ØU01"]
    );
    assert_eq!(
        numbers(&app, json!({ "committees": ["øu"] })).await,
        ["ØU01"]
    );
    assert_eq!(
        numbers(&app, json!({ "committees": ["ÆSU"] })).await,
        Vec::<String>::new()
    );
    let data = app
        .data(r#"{ committee(code: "æsu") { code name } }"#, json!({}))
        .await;
    assert_eq!(
        data["committee"],
        json!({ "code": "ÆSU", "name": "Ældre- og Sundhedsudvalget" })
    );
}

#[actix_web::test]
async fn an_unknown_committee_code_is_an_input_error_naming_the_field() {
    let app = TestApp::spawn().await;
    let error = app
        .error(LIST, json!({ "filter": { "committees": ["SU", "XYZ"] } }))
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        error["extensions"]["field"],
        json!(["filter", "committees", "1"])
    );
    assert!(error["message"].as_str().unwrap().contains("XYZ"));
}

#[actix_web::test]
async fn drafts_are_not_in_the_published_catalog() {
    let app = TestApp::spawn().await;
    let draft = insert_draft(&app).await;
    let data = app.data(LIST, json!({})).await;
    assert_eq!(data["proposals"]["totalCount"], 2);
    assert_eq!(
        numbers(&app, json!({ "committees": ["AMU"] })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        numbers(&app, json!({ "search": "hemmelig" })).await,
        Vec::<String>::new()
    );

    let round = app.round_id(2023).await;
    let by_number = app
        .error(
            r#"query($round: ID!) { proposal(round: $round, number: "AMU01") { title } }"#,
            json!({ "round": round }),
        )
        .await;
    assert_eq!(by_number["extensions"]["code"], "NOT_FOUND");
    assert_eq!(draft.number, "AMU01");
}

#[actix_web::test]
async fn a_draft_cannot_be_probed_by_id() {
    let app = TestApp::spawn().await;
    let draft = insert_draft(&app).await;
    let draft_id = encode_proposal_id(draft.id);
    let missing_id = encode_proposal_id(999_999);
    let query = "query($id: ID!) { node(id: $id) { id } }";
    let for_draft = app.error(query, json!({ "id": draft_id })).await;
    let for_missing = app.error(query, json!({ "id": missing_id })).await;
    assert_eq!(for_draft["extensions"]["code"], "NOT_FOUND");
    assert_eq!(
        for_draft["message"], for_missing["message"],
        "the same answer as for nothing"
    );

    let nodes = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [draft_id, missing_id] }),
        )
        .await;
    assert_eq!(nodes["nodes"], json!([null, null]));
}

fn encode_proposal_id(id: i32) -> String {
    use std::fmt::Write;
    // base64url without padding of "Proposal:<id>", as the API encodes global ids.
    let text = format!("Proposal:{id}");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let index = ((n >> (18 - 6 * i)) & 63) as usize;
            let _ = write!(out, "{}", alphabet[index] as char);
        }
    }
    out
}

#[actix_web::test]
async fn node_round_trips_every_kind_of_id() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            r#"{ rounds { id } committees { id policyAreas { id } } proposals { edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    let ids = vec![
        data["rounds"][0]["id"].clone(),
        data["committees"][0]["id"].clone(),
        data["committees"][0]["policyAreas"][0]["id"].clone(),
        data["proposals"]["edges"][0]["node"]["id"].clone(),
    ];
    let nodes = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": ids.clone() }),
        )
        .await;
    let typenames: Vec<&str> = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["__typename"].as_str().unwrap())
        .collect();
    assert_eq!(
        typenames,
        ["BudgetRound", "Committee", "PolicyArea", "Proposal"]
    );
    let returned: Vec<Value> = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert_eq!(returned, ids);
}

#[actix_web::test]
async fn search_matches_number_and_title_ignoring_case_and_danish_letters() {
    let app = TestApp::spawn().await;
    assert_eq!(
        numbers(&app, json!({ "search": "øget effekt" })).await,
        ["SU01"]
    );
    assert_eq!(
        numbers(&app, json!({ "search": "ØGET INDKØBSAFTALER" })).await,
        ["SU01"]
    );
    assert_eq!(numbers(&app, json!({ "search": "su0" })).await, ["SU01"]);
    assert_eq!(
        numbers(&app, json!({ "search": "indkøb" })).await,
        ["SU01", "ØU01"]
    );
    for wildcard in ["%", "_", "s_01", "\\"] {
        assert_eq!(
            numbers(&app, json!({ "search": wildcard })).await,
            Vec::<String>::new(),
            "{wildcard} is searched for literally"
        );
    }
}

#[actix_web::test]
async fn filters_by_line_kind_and_year_and_status() {
    let app = TestApp::spawn().await;
    insert(
        &app,
        &sheet(
            "SU",
            "Udvidelse af STRAX-huset",
            "submitted",
            json!({ "expansion": "400000" }),
            json!({}),
        ),
    )
    .await;
    assert_eq!(
        numbers(&app, json!({ "lineKind": "EFFICIENCY" })).await,
        ["SU01"]
    );
    assert_eq!(
        numbers(&app, json!({ "lineKind": "EXPANSION" })).await,
        ["SU01", "SU02"]
    );
    assert_eq!(
        numbers(&app, json!({ "lineKind": "SERVICE_REDUCTION" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        numbers(&app, json!({ "lineYear": 2030 })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        numbers(&app, json!({ "lineKind": "EXPANSION", "lineYear": 2026 })).await,
        ["SU01", "SU02"]
    );
    assert_eq!(
        numbers(&app, json!({ "statuses": ["SUBMITTED"] })).await,
        ["SU01", "SU02", "ØU01"]
    );
    assert_eq!(
        numbers(&app, json!({ "statuses": ["APPROVED"] })).await,
        Vec::<String>::new()
    );
}

#[actix_web::test]
async fn orders_by_net_change_of_a_year_and_by_number() {
    let app = TestApp::spawn().await;
    insert(
        &app,
        &sheet(
            "SU",
            "Stor besparelse",
            "submitted",
            json!({ "service_reduction": "-20000000" }),
            json!({}),
        ),
    )
    .await;
    insert(
        &app,
        &sheet(
            "AMU",
            "Lille udvidelse",
            "submitted",
            json!({ "expansion": "10000" }),
            json!({}),
        ),
    )
    .await;
    let order =
        |direction: &str| json!({ "field": "NET_CHANGE", "year": 2024, "direction": direction });
    let ascending = app.data(LIST, json!({ "order": order("ASC") })).await;
    let got: Vec<&str> = ascending["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["number"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["SU02", "SU01", "ØU01", "AMU01"]);
    let by_number = app.data(LIST, json!({})).await;
    let got: Vec<&str> = by_number["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        ["SU01", "SU02", "AMU01", "ØU01"],
        "catalog order: committee, then number"
    );
    let error = app
        .error(LIST, json!({ "order": { "field": "NET_CHANGE" } }))
        .await;
    assert_eq!(error["extensions"]["field"], json!(["orderBy", "year"]));
}

#[actix_web::test]
async fn pages_walk_the_whole_list_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    for index in 0..7 {
        insert(
            &app,
            &sheet(
                "FKU",
                &format!("Forslag {index}"),
                "submitted",
                json!({ "efficiency": "-1000" }),
                json!({}),
            ),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app.data(LIST, json!({ "first": 3, "after": after })).await;
        let page = &data["proposals"];
        assert_eq!(page["totalCount"], 9);
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["number"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut expected = vec!["SU01".to_owned()];
    expected.extend((1..=7).map(|n| format!("FKU0{n}")));
    expected.push("ØU01".to_owned());
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn a_page_above_one_hundred_is_refused_clearly() {
    let app = TestApp::spawn().await;
    for first in [101, -1] {
        let error = app.error(LIST, json!({ "first": first })).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], json!(["first"]));
    }
    let error = app.error(LIST, json!({ "after": "not-a-cursor" })).await;
    assert_eq!(error["extensions"]["field"], json!(["after"]));
}

#[actix_web::test]
async fn filters_by_policy_area_and_orders_by_title() {
    let app = TestApp::spawn().await;
    for title in [
        "Åben dialog i botilbud",
        "ældrerådets ønsker",
        "Botilbud i egen kommune",
        "aflastning af pårørende",
        "Øget tilsyn",
    ] {
        insert(
            &app,
            &sheet(
                "SU",
                title,
                "submitted",
                json!({ "efficiency": "-100000" }),
                json!({ "policyArea": "Sociale serviceydelser" }),
            ),
        )
        .await;
    }
    let areas = app
        .data(r#"{ policyAreas(committee: "SU") { id name } }"#, json!({}))
        .await;
    let social = areas["policyAreas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|area| area["name"] == "Sociale serviceydelser")
        .unwrap()["id"]
        .clone();
    let data = app
        .data(
            LIST,
            json!({ "filter": { "policyAreas": [social] }, "order": { "field": "TITLE" } }),
        )
        .await;
    let titles: Vec<&str> = data["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "aflastning af pårørende",
            "Botilbud i egen kommune",
            "ældrerådets ønsker",
            "Øget tilsyn",
            "Åben dialog i botilbud"
        ],
        "Danish order: case-insensitive, æ, ø, å after z, on every database"
    );

    let newest_first = app
        .data(
            LIST,
            json!({ "order": { "field": "UPDATED_AT", "direction": "DESC" }, "first": 1 }),
        )
        .await;
    assert_eq!(
        newest_first["proposals"]["edges"][0]["node"]["number"],
        "SU06"
    );

    let round = app.round_id(2023).await;
    let totals = app
        .data(
            r#"query($round: ID!) { catalogTotals(round: $round, groupBy: [POLICY_AREA]) { policyArea { name } amount proposalCount } }"#,
            json!({ "round": round }),
        )
        .await;
    assert_eq!(
        totals["catalogTotals"],
        json!([
            { "policyArea": { "name": "Sociale serviceydelser" }, "amount": "-2000000.00", "proposalCount": 5 },
            { "policyArea": null, "amount": "-33525000.00", "proposalCount": 1 }
        ]),
        "proposals without a policy area form the last group"
    );
}

#[actix_web::test]
async fn unreasonable_inputs_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "filter": { "search": "a b c d e f g h i j k" } }),
            json!(["filter", "search"]),
        ),
        (
            json!({ "filter": { "search": "x".repeat(201) } }),
            json!(["filter", "search"]),
        ),
        (
            json!({ "filter": { "committees": vec!["SU"; 101] } }),
            json!(["filter", "committees"]),
        ),
        // A forged cursor beyond any list: base64url("offset:18446744073709551615").
        (
            json!({ "after": "b2Zmc2V0OjE4NDQ2NzQ0MDczNzA5NTUxNjE1" }),
            json!(["after"]),
        ),
    ];
    for (variables, field) in cases {
        let error = app.error(LIST, variables.clone()).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{variables}");
        assert_eq!(error["extensions"]["field"], field, "{variables}");
    }
}

#[actix_web::test]
async fn a_taken_number_is_a_conflict_not_an_internal_error() {
    let app = TestApp::spawn().await;
    let duplicate = sheet(
        "SU",
        "Igen",
        "submitted",
        json!({}),
        json!({ "number": "SU01" }),
    );
    let round = crate::fixtures::round_2023(&app).await;
    let result = api::domain::sheet::insert(&app.db, &round, &duplicate).await;
    assert_eq!(result.err().map(|e| e.code()), Some("CONFLICT"));
}
