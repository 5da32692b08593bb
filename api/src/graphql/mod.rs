//! The GraphQL schema: adapters between the domain and the wire. Knows nothing of HTTP.

pub mod ids;
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

/// Builds the schema with its limits. Does no I/O.
pub fn build_schema(
    db: DatabaseConnection,
    config: &Config,
    events: crate::events::Events,
) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(db)
    .data(events)
    .extension(text_input::NoNulCharacters)
    .limit_depth(config.max_depth)
    .limit_complexity(config.max_complexity)
    .limit_recursive_depth(32)
    .limit_directives(50)
    .finish()
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

pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection, ApiError> {
    context_data(ctx, "database")
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
