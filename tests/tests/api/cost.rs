//! Query cost: every request is sized before it does work. Fragments are sized once, lists
//! have maxima the complexity model knows, aliases and database work cost what they do,
//! one request holds only a few pool connections, and errors are bounded.

use std::time::{Duration, Instant};

use entity::proposal_relation;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures;
use crate::writing::UPDATE;

/// `{ ...L0 } fragment L0 on QueryRoot { ...L1 ...L1 } … fragment L{n-1} on QueryRoot {
/// __typename }`: about 1 KB whose expansion doubles at every level.
fn doubling_fragments(levels: usize) -> String {
    let mut query = String::from("{ ...L0 }");
    for level in 0..levels - 1 {
        let next = level + 1;
        query.push_str(&format!(
            " fragment L{level} on QueryRoot {{ ...L{next} ...L{next} }}"
        ));
    }
    query.push_str(&format!(
        " fragment L{} on QueryRoot {{ __typename }}",
        levels - 1
    ));
    query
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn assert_refused(body: &Value, words: &str) {
    assert!(body["data"].is_null(), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert!(
        error["message"].as_str().unwrap().contains(words),
        "expected {words:?}: {body}"
    );
}

#[actix_web::test]
async fn a_fragment_chain_that_doubles_at_every_level_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let query = doubling_fragments(30);
    assert!(query.len() < 2_000);

    let started = Instant::now();
    let body = app.graphql(&query, json!({})).await;
    let elapsed = started.elapsed();

    // 2^29 fields once inlined: the library alone took 460 s at 30 levels.
    assert_refused(&body, "too large");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[actix_web::test]
async fn a_fragment_chain_in_a_url_is_refused_at_once_too() {
    let app = TestApp::spawn().await;
    let query = doubling_fragments(30);
    let url = format!("/graphql?query={}", percent_encoded(&query));

    let started = Instant::now();
    let (status, _, body) = app.get(&url, None).await;
    let elapsed = started.elapsed();

    assert_eq!(status, 200);
    assert_refused(&serde_json::from_str(&body).unwrap(), "too large");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[actix_web::test]
async fn a_body_full_of_fragments_costs_no_more_than_parsing_it() {
    let app = TestApp::spawn().await;
    // Close to the 1 MiB body limit: a long chain, each spreading the next one twice.
    let mut chain = String::from("{ ...F0 }");
    let mut n = 0;
    while chain.len() < 1_000_000 {
        chain.push_str(&format!(
            " fragment F{n} on QueryRoot {{ ...F{} ...F{} }}",
            n + 1,
            n + 1
        ));
        n += 1;
    }
    chain.push_str(&format!(" fragment F{n} on QueryRoot {{ __typename }}"));
    // The same size of plain fields, refused as soon as it is parsed: the baseline.
    let mut flat = String::from("{");
    let mut n = 0;
    while flat.len() < chain.len() {
        flat.push_str(&format!(" f{n}: __typename"));
        n += 1;
    }
    flat.push('}');

    let started = Instant::now();
    let flat_body = app.graphql(&flat, json!({})).await;
    let parsing = started.elapsed();
    let started = Instant::now();
    let chain_body = app.graphql(&chain, json!({})).await;
    let sizing = started.elapsed();

    assert_refused(&flat_body, "too large");
    assert_refused(&chain_body, "too large");
    // Linear: the parser dominates (seconds in a debug build), sizing adds little.
    assert!(
        sizing < parsing * 3 + Duration::from_secs(1),
        "fragments took {sizing:?}, parsing as much took {parsing:?}"
    );
}

#[actix_web::test]
async fn a_fragment_cycle_is_refused() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(
            "{ ...A } fragment A on QueryRoot { rounds { name } ...B } fragment B on QueryRoot { ...A }",
            json!({}),
        )
        .await;
    assert_refused(&body, "cycle");
}

#[actix_web::test]
async fn fragments_within_the_limits_still_work() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            "{ ...Catalog } fragment Catalog on QueryRoot { a: rounds { ...Round } b: rounds { ...Round } }
             fragment Round on BudgetRound { name firstYear }",
            json!({}),
        )
        .await;
    assert_eq!(data["a"], data["b"]);
    assert!(!data["a"].as_array().unwrap().is_empty());
}

/// 11 submitted proposals, each related to the ten others.
async fn eleven_related_proposals(app: &TestApp) {
    let mut ids = Vec::new();
    for n in 0..11 {
        let sheet = fixtures::sheet(
            "SU",
            &format!("Sammenhængende forslag {n}"),
            "submitted",
            json!({ "efficiency": "-1000" }),
            json!({}),
        );
        ids.push(fixtures::insert(app, &sheet).await.id);
    }
    let relations = ids.iter().flat_map(|from| {
        ids.iter()
            .filter(move |to| *to != from)
            .map(move |to| proposal_relation::ActiveModel {
                proposal_id: Set(*from),
                related_proposal_id: Set(*to),
                ..Default::default()
            })
    });
    proposal_relation::Entity::insert_many(relations)
        .exec(&app.db)
        .await
        .unwrap();
}

#[actix_web::test]
async fn related_proposals_nested_seven_deep_are_refused_before_any_database_work() {
    let app = TestApp::spawn().await;
    eleven_related_proposals(&app).await;
    let mut selection = String::from("number title");
    for _ in 0..7 {
        selection = format!("relatedProposals {{ {selection} }}");
    }
    let query = format!("{{ proposals(first: 20) {{ edges {{ node {{ {selection} }} }} }} }}");
    let before = app.statements();

    let body = app.graphql(&query, json!({})).await;

    // It answered 205 MB in 28 s before; now 20 per level is known before it runs.
    assert_refused(&body, "too complex");
    assert_eq!(app.statements(), before, "no statement ran");
}

#[actix_web::test]
async fn related_proposals_two_deep_are_answered() {
    let app = TestApp::spawn().await;
    eleven_related_proposals(&app).await;
    let data = app
        .data(
            "{ proposals(first: 20) { edges { node { number relatedProposals { number relatedProposals { number } } } } } }",
            json!({}),
        )
        .await;
    let related = data["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["relatedProposals"].as_array().unwrap().len())
        .max();
    assert_eq!(related, Some(10));
}

#[actix_web::test]
async fn more_related_proposals_than_the_maximum_is_a_user_error() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2023).await;
    let found = app
        .data(
            "query($round: ID!) { proposal(round: $round, number: \"SU01\") { id version } }",
            json!({ "round": round }),
        )
        .await;
    let numbers: Vec<String> = (0..21).map(|_| "ØU01".to_owned()).collect();
    let before = app.statements();

    let data = app
        .data_as(
            Some(&admin),
            UPDATE,
            json!({
                "id": found["proposal"]["id"],
                "v": found["proposal"]["version"],
                "input": { "relatedProposals": numbers }
            }),
        )
        .await;

    let payload = &data["updateProposal"];
    assert_eq!(payload["proposal"], Value::Null);
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["relatedProposals"])
    );
    assert_eq!(payload["userErrors"][0]["code"], "TOO_MANY");
    // The numbers past the maximum are not looked up one by one.
    assert!(
        app.statements() - before < 60,
        "{}",
        app.statements() - before
    );
}

#[actix_web::test]
async fn a_thousand_aliases_of_catalog_totals_are_refused_before_any_statement() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;
    let aliases: Vec<String> = (0..1000)
        .map(|n| format!("t{n}: catalogTotals(round: $round, groupBy: []) {{ amount }}"))
        .collect();
    let query = format!("query($round: ID!) {{ {} }}", aliases.join(" "));
    let before = app.statements();

    let body = app.graphql(&query, json!({ "round": round })).await;

    assert_refused(&body, "root fields");
    assert_eq!(app.statements(), before, "no statement ran");
}

#[actix_web::test]
async fn root_fields_are_capped_per_operation() {
    let app = TestApp::spawn().await;
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("r{i}: rounds {{ name }}"))
            .collect::<Vec<_>>()
            .join(" ")
    };

    let twenty = app.data(&format!("{{ {} }}", fields(20)), json!({})).await;
    let twenty_one = app
        .graphql(&format!("{{ {} }}", fields(21)), json!({}))
        .await;

    assert_eq!(twenty.as_object().unwrap().len(), 20);
    assert_refused(&twenty_one, "at most 20");
}

#[actix_web::test]
async fn catalog_totals_cost_what_a_scan_costs() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;
    // Within the root-field cap, but 20 scans of every line grouped five ways is too much.
    let aliases: Vec<String> = (0..20)
        .map(|n| {
            format!(
                "t{n}: catalogTotals(round: $round, groupBy: [POLICY_AREA, YEAR, KIND, STATUS]) {{ amount }}"
            )
        })
        .collect();
    let query = format!("query($round: ID!) {{ {} }}", aliases.join(" "));
    let before = app.statements();

    let body = app.graphql(&query, json!({ "round": round })).await;

    assert_refused(&body, "too complex");
    assert_eq!(app.statements(), before);
}

#[actix_web::test]
async fn unknown_fields_answer_a_bounded_list_of_errors() {
    let app = TestApp::spawn().await;
    // 20 kB of unknown field names: 1.35 MB of errors before.
    let fields: Vec<String> = (0..2000).map(|n| format!("nope{n:05}")).collect();
    let query = format!("{{ viewer {{ {} }} }}", fields.join(" "));
    assert!(query.len() > 20_000);

    let (status, text) = app
        .post_raw(serde_json::to_vec(&json!({ "query": query })).unwrap())
        .await;

    assert_eq!(status, 200);
    assert!(text.len() < 20_000, "{} bytes of errors", text.len());
    let body: Value = serde_json::from_str(&text).unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21);
    assert!(
        errors[20]["message"]
            .as_str()
            .unwrap()
            .contains("more errors left out"),
        "{body}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "BAD_USER_INPUT")
    );
}
