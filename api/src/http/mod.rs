//! HTTP routes: `/graphql` (POST queries, GET queries or GraphiQL, WebSocket
//! subscriptions), `/export/…` (files of a round), `/health`, `/ready`.

pub mod cors;
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

pub use export::{CONCURRENT_SNAPSHOT_EXPORTS, ExportSlots};
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
    /// many run at once, and who holds one.
    pub exports: export::ExportSlots,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// WebSocket limits, and the sockets open now.
    pub sockets: Sockets,
}

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

async fn graphql(
    state: web::Data<AppState>,
    http: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    if let Some(refusal) = refuse_unless_json(&http) {
        return refusal;
    }
    let viewer = match authenticate(&state, &http) {
        Ok(viewer) => viewer,
        Err(why) => return unauthenticated(&why),
    };
    let body = match read_body(&state, payload).await {
        Ok(body) => body,
        Err(refusal) => return *refusal,
    };
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(&state, viewer, request).await,
        Err(error) => not_a_request(&error.to_string()),
    }
}

/// A POST must say it carries JSON. A browser sends `text/plain`, form data and
/// `multipart/form-data` to another site without asking (no CORS preflight), so executing
/// those would let any web page post mutations with a signed-in user's cookies or run
/// queries on a user's network: they get 415 and run nothing.
fn refuse_unless_json(http: &HttpRequest) -> Option<HttpResponse> {
    let essence = http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json" | "application/graphql-response+json") => None,
        other => Some(HttpResponse::UnsupportedMediaType().json(error_body(
            "BAD_USER_INPUT",
            &format!(
                "a GraphQL request is sent as Content-Type: application/json, not {}",
                other.unwrap_or("without a Content-Type")
            ),
        ))),
    }
}

/// The request body, at most `max_body_bytes`, arriving within `body_timeout`: a client
/// that announces a body and never sends it (or trickles it) gets 408 and frees its worker.
async fn read_body(
    state: &AppState,
    payload: web::Payload,
) -> Result<web::Bytes, Box<HttpResponse>> {
    let refusal = match tokio::time::timeout(
        state.body_timeout,
        payload.to_bytes_limited(state.max_body_bytes),
    )
    .await
    {
        Ok(Ok(Ok(body))) => return Ok(body),
        Ok(Ok(Err(error))) => HttpResponse::BadRequest().json(error_body(
            "BAD_USER_INPUT",
            &format!("the request body could not be read: {error}"),
        )),
        Ok(Err(_)) => HttpResponse::PayloadTooLarge().json(error_body(
            "BAD_USER_INPUT",
            &format!(
                "the request body is larger than {} bytes",
                state.max_body_bytes
            ),
        )),
        Err(_) => HttpResponse::RequestTimeout()
            .insert_header((header::CONNECTION, "close"))
            .json(error_body(
                "BAD_USER_INPUT",
                &format!(
                    "the request body did not arrive within {} s",
                    state.body_timeout.as_secs()
                ),
            )),
    };
    Err(Box::new(refusal))
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

/// How long `/ready` waits for the database before it says 503: a load balancer's probe
/// must get an answer well within its own timeout.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "database not reachable");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
        Err(_) => {
            tracing::warn!("database did not answer within the readiness timeout");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
    }
}
