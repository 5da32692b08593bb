//! HTTP routes: `/graphql` (POST queries, GET GraphiQL), `/health`, `/ready`.

mod request_id;

use actix_web::{HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::auth::Viewer;
use crate::graphql::{AppSchema, request_data};

pub use request_id::request_id;

/// What every handler shares.
pub struct AppState {
    /// The schema.
    pub schema: AppSchema,
    /// The pool.
    pub db: DatabaseConnection,
    /// Whether GraphiQL is served.
    pub graphiql: bool,
}

/// Routes of the app.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphiql))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

async fn graphql(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return HttpResponse::BadRequest().json(error_body(
                "BAD_USER_INPUT",
                &format!("the body is not a GraphQL request: {error}"),
            ));
        }
    };
    let (viewer, loader) = request_data(&state.db, Viewer::Anonymous);
    let response = state
        .schema
        .execute(request.data(viewer).data(loader))
        .await;
    HttpResponse::Ok().json(response)
}

async fn graphiql(state: web::Data<AppState>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Prioritering")
                .finish(),
        )
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(error) => {
            tracing::warn!(%error, "database not reachable");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
    }
}
