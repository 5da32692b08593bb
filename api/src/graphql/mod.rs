//! The GraphQL schema: adapters between the domain and the wire. Knows nothing of HTTP.

pub mod ids;
pub mod loaders;
pub mod query;
pub mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::config::Config;
use crate::error::ApiError;
use loaders::AppLoader;
use query::QueryRoot;

/// The schema type.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema with its limits. Does no I/O.
pub fn build_schema(db: DatabaseConnection, config: &Config) -> AppSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(db)
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(50)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(DatabaseConnection::default(), &Config::default()).sdl()
}

/// The per-request data: who asks, and the request's DataLoader.
pub fn request_data(db: &DatabaseConnection, viewer: Viewer) -> (Viewer, DataLoader<AppLoader>) {
    let loader = DataLoader::new(AppLoader::new(db.clone(), viewer.clone()), tokio::spawn);
    (viewer, loader)
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection, ApiError> {
    ctx.data_opt::<DatabaseConnection>()
        .ok_or(ApiError::Internal)
}

pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer, ApiError> {
    ctx.data_opt::<Viewer>().ok_or(ApiError::Internal)
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<AppLoader>, ApiError> {
    ctx.data_opt::<DataLoader<AppLoader>>()
        .ok_or(ApiError::Internal)
}
