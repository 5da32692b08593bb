//! HTTP routes: `/graphql` (POST queries, GET queries or GraphiQL, WebSocket
//! subscriptions), `/export/…` (files of a round), `/health`, `/ready`.

mod export;
mod request_id;
mod websocket;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::auth::Viewer;
use crate::auth::token::AuthConfig;
use crate::graphql::{AppSchema, request_data};

pub use request_id::request_id;
pub use websocket::Sockets;

/// What every handler shares.
pub struct AppState {
    /// The schema.
    pub schema: AppSchema,
    /// The pool.
    pub db: DatabaseConnection,
    /// Whether GraphiQL is served.
    pub graphiql: bool,
    /// How tokens are verified.
    pub auth: AuthConfig,
    /// Catalog exports hold a connection and a snapshot while they stream: this bounds how
    /// many run at once (more wait their turn), so downloads cannot drain the pool.
    pub exports: std::sync::Arc<tokio::sync::Semaphore>,
    /// WebSocket limits, and the sockets open now.
    pub sockets: Sockets,
}

/// How many catalog exports stream at once per server.
pub const CONCURRENT_SNAPSHOT_EXPORTS: usize = 4;

/// Routes of the app.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphql_get))
        .route("/export/catalog", web::get().to(export::catalog))
        .route(
            "/export/approved-changes",
            web::get().to(export::approved_changes),
        )
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

pub(crate) fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

async fn graphql(state: web::Data<AppState>, http: HttpRequest, body: web::Bytes) -> HttpResponse {
    let viewer = match authenticate(&state, &http) {
        Ok(viewer) => viewer,
        Err(why) => return unauthenticated(&why),
    };
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(&state, viewer, request).await,
        Err(error) => not_a_request(&error.to_string()),
    }
}

/// The caller from `Authorization: Bearer …`: none is anonymous; an invalid one is refused
/// with the reason.
pub(crate) fn authenticate(state: &AppState, http: &HttpRequest) -> Result<Viewer, String> {
    let Some(header) = http.headers().get(header::AUTHORIZATION) else {
        return Ok(Viewer::anonymous());
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty());
    match token {
        Some(token) => state.auth.verify(token),
        None => Err("expected Authorization: Bearer <token>".to_owned()),
    }
}

/// 401 with a GraphQL error saying why the token was refused, and nothing more.
pub(crate) fn unauthenticated(why: &str) -> HttpResponse {
    tracing::info!(%why, "token refused");
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
        .json(error_body(
            "UNAUTHENTICATED",
            &format!("not authenticated: {why}"),
        ))
}

/// `GET /graphql?query=…&variables=…`: queries in a URL (bookmarkable, cacheable; Danish
/// letters percent-encoded as usual). A WebSocket upgrade starts subscriptions. Otherwise it
/// serves GraphiQL.
async fn graphql_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
    if upgrade {
        return websocket::subscriptions(&state, &request, payload);
    }
    if !request.query_string().contains("query=") {
        return graphiql(&state);
    }
    let viewer = match authenticate(&state, &request) {
        Ok(viewer) => viewer,
        Err(why) => return unauthenticated(&why),
    };
    match async_graphql::http::parse_query_string(request.query_string()) {
        Ok(graphql_request) if is_mutation(&graphql_request) => HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .json(error_body("BAD_USER_INPUT", "mutations are sent with POST")),
        Ok(graphql_request) => execute(&state, viewer, graphql_request).await,
        Err(error) => not_a_request(&error.to_string()),
    }
}

/// Whether a request would run a mutation: never over GET, where a link could trigger it.
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false; // the schema reports the syntax error
    };
    match &document.operations {
        DocumentOperations::Single(operation) => operation.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(operations) => operations
            .values()
            .any(|operation| operation.node.ty == OperationType::Mutation),
    }
}

fn not_a_request(why: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(error_body(
        "BAD_USER_INPUT",
        &format!("the request is not a GraphQL request: {why}"),
    ))
}

async fn execute(
    state: &AppState,
    viewer: Viewer,
    request: async_graphql::Request,
) -> HttpResponse {
    let (viewer, loader) = request_data(&state.db, viewer);
    let mut response = state
        .schema
        .execute(request.data(viewer).data(loader))
        .await;
    with_codes(&mut response.errors);
    HttpResponse::Ok().json(response)
}

/// Errors the schema raises before any resolver runs (syntax, validation, unknown fields,
/// variable types, depth and complexity limits) are the client's: give them a code too.
fn with_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}

fn graphiql(state: &AppState) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
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
