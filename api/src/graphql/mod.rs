//! The GraphQL schema: adapters between the domain and the wire. Knows nothing of HTTP.

pub mod document;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod text_input;
pub mod types;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, Schema};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

use crate::auth::Viewer;
use crate::config::Config;
use crate::error::ApiError;
use loaders::AppLoader;
use mutation::MutationRoot;
use query::QueryRoot;
use subscription::SubscriptionRoot;

/// The schema type.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest nesting below `__schema` or `__type`: graphql-js 16's standard introspection
/// query reaches 13 (`__schema types fields args type` and seven `ofType`), newer tools ask
/// for a few more `ofType` levels. Its answer is bounded by the schema's size (see
/// [`document`]), not by this depth.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;
/// Most selections in a document once its fragments are inlined: a bound on what the
/// library's own checks walk.
pub const MAX_SELECTIONS: u64 = 50_000;

/// Builds the schema with its limits. Does no I/O.
pub fn build_schema(
    db: DatabaseConnection,
    config: &Config,
    events: crate::events::Events,
) -> AppSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(db)
    .data(events)
    // Sized first, in linear time: depth (introspection has its own), root fields, fragment
    // cycles and fan-out. The library's checks below then walk a bounded expansion.
    .extension(limits::RequestLimits(document::DocumentLimits {
        max_depth: config.max_depth,
        max_introspection_depth: MAX_INTROSPECTION_DEPTH,
        max_root_fields: config.max_root_fields,
        max_selections: MAX_SELECTIONS,
    }))
    .extension(text_input::NoNulCharacters)
    .limit_depth(config.max_depth.max(MAX_INTROSPECTION_DEPTH))
    .limit_complexity(config.max_complexity)
    .limit_recursive_depth(32)
    .limit_directives(50);
    if config.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(
        DatabaseConnection::default(),
        &Config::default(),
        crate::events::Events::new(),
    )
    .sdl()
}

/// The DataLoader of one request.
pub type RequestLoader = DataLoader<AppLoader, HashMapCache>;

/// The per-request data: who asks, and the request's DataLoader.
pub fn request_data(db: &DatabaseConnection, viewer: Viewer) -> (Viewer, RequestLoader) {
    // Cached for the request only: a proposal's figures feed several fields, loaded once.
    let loader = DataLoader::with_cache(
        AppLoader::new(db.clone(), viewer.clone()),
        // Batches run as tasks of their own: keep the request's span (and request id) on them.
        |batch| tokio::spawn(batch.in_current_span()),
        HashMapCache::default(),
    );
    (viewer, loader)
}

/// The database for mutations (which run one at a time) and subscriptions. Queries read
/// through [`pooled`].
pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection, ApiError> {
    context_data(ctx, "database")
}

/// The database, within the request's share of the pool ([`loaders::REQUEST_CONNECTIONS`]):
/// query resolvers run concurrently, so each holds it for its statements only.
pub(crate) async fn pooled<'a>(ctx: &Context<'a>) -> Result<loaders::Pooled<'a>, ApiError> {
    loader(ctx)?.loader().connection().await
}

pub(crate) fn events<'a>(ctx: &Context<'a>) -> Result<&'a crate::events::Events, ApiError> {
    context_data(ctx, "events")
}

pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer, ApiError> {
    context_data(ctx, "viewer")
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> Result<&'a RequestLoader, ApiError> {
    context_data(ctx, "loader")
}

/// Data every request must carry; missing is a wiring bug, logged as such.
fn context_data<'a, T: std::any::Any + Send + Sync>(
    ctx: &Context<'a>,
    what: &str,
) -> Result<&'a T, ApiError> {
    ctx.data_opt::<T>().ok_or_else(|| {
        tracing::error!(what, "request context is missing data");
        ApiError::Internal
    })
}
