//! Introspection: the query standard tools send (GraphiQL, graphql-codegen, Python `gql`,
//! Apollo) is answered although it nests deeper than ordinary queries may; its answer stays
//! the size of the schema; an operator can turn it off.

use serde_json::{Value, json};
use tests::TestApp;

/// graphql-js 16's `getIntrospectionQuery()` exactly, as GraphiQL (at default settings),
/// graphql-codegen and Apollo send it: 13 levels deep through `fragment TypeRef`.
const STANDARD: &str = include_str!("introspection.graphql");
/// The same with every option on (`descriptions`, `specifiedByUrl`, `directiveIsRepeatable`,
/// `schemaDescription`, `inputValueDeprecation`), as GraphiQL sends it when configured so.
const ALL_OPTIONS: &str = include_str!("introspection-all-options.graphql");

async fn introspect(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.graphql_as(None, query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn type_names(body: &Value) -> Vec<&str> {
    body["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("no types: {body}"))
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect()
}

#[actix_web::test]
async fn the_standard_introspection_query_is_answered() {
    let app = TestApp::spawn().await;

    let body = introspect(&app, STANDARD).await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    assert!(type_names(&body).contains(&"Proposal"));
}

#[actix_web::test]
async fn the_introspection_query_with_every_option_is_answered() {
    let app = TestApp::spawn().await;

    let body = introspect(&app, ALL_OPTIONS).await;

    assert!(body.get("errors").is_none(), "{body}");
    assert!(type_names(&body).contains(&"BudgetRound"));
}

#[actix_web::test]
async fn introspection_that_multiplies_the_schema_by_itself_is_refused() {
    let app = TestApp::spawn().await;

    let body = introspect(
        &app,
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
    )
    .await;

    assert!(body["data"].is_null(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("introspection"),
        "{body}"
    );
}

#[actix_web::test]
async fn ordinary_selections_keep_the_depth_limit_beside_introspection() {
    let app = TestApp::spawn().await;
    let mut selection = String::from("number");
    for _ in 0..10 {
        selection = format!("relatedProposals {{ {selection} }}");
    }
    let query = format!(
        "{{ __schema {{ queryType {{ name }} }} proposals {{ edges {{ node {{ {selection} }} }} }} }}"
    );

    let body = introspect(&app, &query).await;

    assert!(body["data"].is_null(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
}

#[actix_web::test]
async fn an_operator_can_turn_introspection_off() {
    let app = TestApp::spawn_with(|config| config.introspection = false).await;

    let body = introspect(&app, STANDARD).await;
    let ordinary = app.data("{ rounds { name } }", json!({})).await;

    assert!(body["data"]["__schema"].is_null(), "{body}");
    assert!(!ordinary["rounds"].as_array().unwrap().is_empty());
}
