//! Bounded queries and clear errors: depth, complexity, body size, malformed requests, and
//! a statement count that does not grow with the page size (no N+1).

use serde_json::json;
use tests::TestApp;

#[actix_web::test]
async fn a_query_deeper_than_the_limit_is_refused() {
    let app = TestApp::spawn().await;
    let mut query = String::from("number");
    for _ in 0..12 {
        query = format!("relatedProposals {{ {query} }}");
    }
    let body = app
        .graphql(
            &format!("{{ proposals {{ edges {{ node {{ {query} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(body["data"].is_null());
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_query_too_costly_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    let fields: Vec<String> = (0..250).map(|n| format!("a{n}: number")).collect();
    let before = app.statements();
    let body = app
        .graphql(
            &format!(
                "{{ proposals(first: 100) {{ edges {{ node {{ {} }} }} }} }}",
                fields.join(" ")
            ),
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(app.statements(), before, "nothing ran");
}

#[actix_web::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::spawn().await;
    let padding = " ".repeat(2 * 1024 * 1024);
    let body = format!("{{\"query\": \"{{ rounds {{ name }} }}{padding}\"}}");
    let (status, _) = app.post_raw(body.into_bytes()).await;
    assert_eq!(status, 413);
}

#[actix_web::test]
async fn a_body_that_is_not_a_graphql_request_gets_a_clear_error() {
    let app = TestApp::spawn().await;
    let (status, text) = app.post_raw(b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[actix_web::test]
async fn a_malformed_id_names_the_argument() {
    let app = TestApp::spawn().await;
    let error = app
        .error(r#"{ node(id: "bm9wZQ") { id } }"#, json!({}))
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], json!(["id"]));
    let error = app
        .error(
            r#"{ proposal(round: "bm9wZQ", number: "SU01") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["field"], json!(["round"]));
}

const PAGE: &str = r#"query($round: ID!, $first: Int!) {
  proposals(filter: { round: $round }, first: $first) {
    totalCount
    edges { node {
      number status
      round { name priceLevel }
      committee { code policyAreas { name } }
      policyArea { name }
      years { year netChange statedNetChange lines { kind amount } }
      netChangeMismatches { year difference }
      investmentNeeds { purpose total }
      investmentNeedsMatchExpansion
      relatedProposals { number committee { name } }
      documents { title }
    } }
  }
}"#;

#[actix_web::test]
async fn the_statement_count_does_not_grow_with_the_page_size() {
    let app = TestApp::spawn().await;
    let generated = api::domain::synthetic::generate(&app.db, 2030, 240, 7)
        .await
        .unwrap();
    assert_eq!(generated.proposals, 240);
    let round = app.round_id(2030).await;

    // A page of 50 with every list of a proposal: within the complexity limit now that each
    // list counts its maximum length (100 of them is refused before it runs).
    let mut counts = Vec::new();
    for first in [5, 50] {
        let before = app.statements();
        let data = app
            .data(PAGE, json!({ "round": round, "first": first }))
            .await;
        counts.push(app.statements() - before);
        let edges = data["proposals"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        assert!(data["proposals"]["totalCount"].as_u64().unwrap() >= 50);
        assert_eq!(edges[0]["node"]["years"].as_array().unwrap().len(), 4);
    }
    // DataLoader batches by a short time window, so a busy machine may split a batch in two:
    // allow that, but an N+1 would add a statement per proposal (45 more for 50).
    assert!(
        counts[1] <= counts[0] + 4,
        "statements for 5 and for 50 proposals: {counts:?}"
    );
    assert!(
        counts[1] <= 20,
        "a page costs a bounded number of statements: {counts:?}"
    );
}

#[actix_web::test]
async fn invalid_queries_carry_a_code_too() {
    let app = TestApp::spawn().await;
    for query in [
        "{ proposals { nonsense } }",
        "{ proposals(",
        "query($n: Int!) { proposals(first: $n) { totalCount } }",
    ] {
        let body = app.graphql(query, json!({ "n": "ten" })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {body}"
        );
    }
}

#[actix_web::test]
async fn a_query_in_a_url_works_with_danish_letters() {
    let app = TestApp::spawn().await;
    // { proposals(filter: {committees: ["ØU"]}) { edges { node { number } } } }
    let url = "/graphql?query=%7B%20proposals(filter%3A%20%7Bcommittees%3A%20%5B%22%C3%98U%22%5D%7D)%20%7B%20edges%20%7B%20node%20%7B%20number%20%7D%20%7D%20%7D%20%7D";
    let (status, _, body) = app.get(url, None).await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["data"]["proposals"]["edges"][0]["node"]["number"],
        "ØU01"
    );
}

#[actix_web::test]
async fn a_mutation_in_a_url_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    // mutation { createCommittee(code: "XU", name: "Link") { committee { code } } }
    let url = "/graphql?query=mutation%20%7B%20createCommittee(code%3A%20%22XU%22%2C%20name%3A%20%22Link%22)%20%7B%20committee%20%7B%20code%20%7D%20%7D%20%7D";
    let (status, _, _) = app.get(url, None).await;
    assert_eq!(status, 405);
    let committees = app.data("{ committees { code } }", json!({})).await;
    assert_eq!(committees["committees"].as_array().unwrap().len(), 6);
}
