//! Prioritering: a GraphQL API for a Danish municipality's budget proposals
//! (prioriteringsforslag), from first draft to the approved changes finance systems book.

pub mod auth;
pub mod bench;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod money;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;

use crate::config::{Config, LogFormat};
use crate::http::{AppState, request_id, routes};

pub use crate::graphql::{build_schema, sdl};

/// Connects, migrates, loads the demo data when configured, and serves on `listener`.
pub async fn run(config: Config, listener: TcpListener) -> Result<Server, String> {
    if config.auth.is_development() {
        tracing::warn!(
            "tokens are verified with the public development secret: anyone can sign in as \
             anyone. Configure AUTH_JWKS_FILE (or PRIORITERING_PRODUCTION=true) for real use"
        );
    }
    let db = db::connect(&config.database_url)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    db::migrate(&db)
        .await
        .map_err(|error| format!("cannot migrate the database: {error}"))?;
    if config.demo_data {
        domain::demo::load(&db)
            .await
            .map_err(|error| format!("cannot load the demo data: {}", error.message()))?;
    }
    serve(db, &config, listener).map_err(|error| format!("cannot serve: {error}"))
}

/// Serves an already migrated database on `listener`.
pub fn serve(
    db: DatabaseConnection,
    config: &Config,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let events = events::Events::new();
    events.listen(&db);
    let state = web::Data::new(AppState {
        schema: build_schema(db.clone(), config, events),
        db,
        graphiql: config.graphiql,
        auth: config.auth.clone(),
        exports: http::ExportSlots::new(
            config.export_slots,
            config.export_slot_wait,
            config.export_write_timeout,
        ),
        max_body_bytes: config.max_body_bytes,
        body_timeout: config.body_timeout,
        sockets: http::Sockets::new(config),
    });
    let max_body = config.max_body_bytes;
    let cors = http::cors::Cors::new(&config.cors_origins);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(cors.clone())
            .wrap(Compress::default())
            .wrap(from_fn(request_id))
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .configure(routes)
            .default_service(web::to(|| async {
                HttpResponse::NotFound().json(serde_json::json!({ "error": "no such route" }))
            }))
    })
    .workers(config.workers)
    // A client that never finishes its headers is answered 408 and closed; the body has a
    // timeout of its own (`http::read_body`).
    .client_request_timeout(config.header_timeout)
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .listen(listener)?
    .run();
    Ok(server)
}

/// Starts logging in the configured format; `RUST_LOG` sets the level (default `info`).
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr: stdout belongs to commands' output (`token`, `schema`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
