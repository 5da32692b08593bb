//! Running it: health, readiness, request ids, GraphiQL, demo data, the generator.

use entity::proposal;
use sea_orm::{EntityTrait, PaginatorTrait};
use tests::TestApp;

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/health", None).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, _, body) = app.get("/ready", None).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ready"}"#));
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let app = TestApp::spawn().await;
    let (_, generated, _) = app.get("/health", None).await;
    assert!(generated.is_some_and(|id| !id.is_empty()));
    let (_, kept, _) = app.get("/health", Some("trace-42")).await;
    assert_eq!(kept.as_deref(), Some("trace-42"));
    let (_, replaced, _) = app.get("/health", Some("<script>")).await;
    assert_ne!(replaced.as_deref(), Some("<script>"));
}

#[actix_web::test]
async fn graphiql_is_served_in_development_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/graphql", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("graphiql"));
    let production = TestApp::spawn_with(|config| config.graphiql = false).await;
    assert_eq!(production.get("/graphql", None).await.0, 404);
}

async fn row_counts(db: &sea_orm::DatabaseConnection) -> Vec<u64> {
    use entity::*;
    vec![
        committee::Entity::find().count(db).await.unwrap(),
        budget_round::Entity::find().count(db).await.unwrap(),
        policy_area::Entity::find().count(db).await.unwrap(),
        policy_area_budget::Entity::find().count(db).await.unwrap(),
        policy_area_budget_item::Entity::find()
            .count(db)
            .await
            .unwrap(),
        policy_area_quantity::Entity::find()
            .count(db)
            .await
            .unwrap(),
        committee_budget::Entity::find().count(db).await.unwrap(),
        proposal::Entity::find().count(db).await.unwrap(),
        proposal_year::Entity::find().count(db).await.unwrap(),
        budget_line::Entity::find().count(db).await.unwrap(),
        investment_need::Entity::find().count(db).await.unwrap(),
        investment_need_amount::Entity::find()
            .count(db)
            .await
            .unwrap(),
        proposal_relation::Entity::find().count(db).await.unwrap(),
        proposal_document::Entity::find().count(db).await.unwrap(),
    ]
}

#[actix_web::test]
async fn loading_the_demo_data_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let before = row_counts(&app.db).await;
    api::domain::demo::load(&app.db).await.unwrap();
    api::domain::demo::load(&app.db).await.unwrap();
    assert_eq!(row_counts(&app.db).await, before);
    // 6 committees, 2 rounds, 3 areas, 15 area totals, 80 items, 10 quantities, 5 committee
    // totals, SU01, ØU01 and the ÆSU01 draft, 8 years and 12 lines of SU01 and ÆSU01, 3 needs,
    // 12 need amounts, 1 relation, 1 document.
    assert_eq!(before, [6, 2, 3, 15, 80, 10, 5, 3, 8, 12, 3, 12, 1, 1]);
}

#[actix_web::test]
async fn replicas_loading_the_demo_data_at_once_both_succeed() {
    let database = tests::TestDatabase::create().await;
    let first = api::db::connect(&database.url).await.unwrap();
    let second = api::db::connect(&database.url).await.unwrap();
    api::db::migrate(&first).await.unwrap();
    let (a, b) = tokio::join!(
        api::domain::demo::load(&first),
        api::domain::demo::load(&second)
    );
    assert_eq!((a, b), (Ok(()), Ok(())));
    assert_eq!(row_counts(&first).await[7], 3);
    first.close().await.unwrap();
    second.close().await.unwrap();
}

#[actix_web::test]
async fn an_unknown_route_is_a_json_404() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/nope", None).await;
    assert_eq!(status, 404);
    assert!(body.contains("no such route"));
}

#[actix_web::test]
async fn the_suite_runs_on_the_database_it_was_asked_for() {
    let app = TestApp::spawn().await;
    let expected = if tests::on_postgres() {
        sea_orm::DatabaseBackend::Postgres
    } else {
        sea_orm::DatabaseBackend::Sqlite
    };
    assert_eq!(
        sea_orm::ConnectionTrait::get_database_backend(&app.db),
        expected
    );
}

#[actix_web::test]
async fn replicas_starting_at_once_migrate_safely() {
    let database = tests::TestDatabase::create().await;
    let first = api::db::connect(&database.url).await.unwrap();
    let second = api::db::connect(&database.url).await.unwrap();
    let (a, b) = tokio::join!(api::db::migrate(&first), api::db::migrate(&second));
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    api::domain::demo::load(&first).await.unwrap();
    assert_eq!(proposal::Entity::find().count(&second).await.unwrap(), 3);
    first.close().await.unwrap();
    second.close().await.unwrap();
}
