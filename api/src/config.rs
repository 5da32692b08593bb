//! One typed configuration, read once at start-up from the environment.

use std::env;

use crate::auth::token::AuthConfig;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// Everything the server needs to start. Built by [`Config::from_env`] or by tests.
#[derive(Clone)]
pub struct Config {
    /// Production configuration: real key material required, no GraphiQL by default.
    pub production: bool,
    /// How tokens are verified.
    pub auth: AuthConfig,
    /// `sqlite://…` (the embedded default) or `postgres://…`.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Load the demo data (idempotently) at start-up.
    pub demo_data: bool,
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest accepted query.
    pub max_depth: usize,
    /// Most complex accepted query (each field counts 1, lists multiply by their page size).
    pub max_complexity: usize,
    /// HTTP worker threads.
    pub workers: usize,
    /// How long a WebSocket may stay open without `connection_init` (closed with 4408).
    pub ws_init_timeout: std::time::Duration,
    /// Most operations one WebSocket runs at once; one more is refused with an `error`.
    pub ws_max_subscriptions: usize,
    /// Most WebSockets one server holds open; one more is closed with 1013 (try again later).
    pub ws_max_sockets: usize,
}

/// The embedded default database: a file next to where the server runs.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://prioritering.db?mode=rwc";

impl Default for Config {
    fn default() -> Self {
        Self {
            production: false,
            auth: AuthConfig::development(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            log_format: LogFormat::Pretty,
            demo_data: true,
            graphiql: true,
            max_body_bytes: 1024 * 1024,
            max_depth: 12,
            max_complexity: 20_000,
            workers: 2,
            ws_init_timeout: std::time::Duration::from_secs(10),
            ws_max_subscriptions: 20,
            ws_max_sockets: 1000,
        }
    }
}

impl Config {
    /// Whether the database is the embedded SQLite default.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Reads the configuration from environment variables; see the README for the list.
    pub fn from_env() -> Result<Self, String> {
        let mut config = Self::default();
        if let Some(url) = var("DATABASE_URL") {
            config.database_url = url;
        }
        if !config.is_sqlite() && !config.database_url.starts_with("postgres") {
            return Err(format!(
                "DATABASE_URL must start with sqlite: or postgres:, got {:?}",
                config.database_url.split(':').next().unwrap_or_default()
            ));
        }
        // PostgreSQL means production unless said otherwise; production needs real keys.
        config.production = flag("PRIORITERING_PRODUCTION")?.unwrap_or(!config.is_sqlite());
        config.auth = AuthConfig::from_env(config.production, var)?;
        // Demo data is on by default only for the embedded default database.
        config.demo_data = flag("PRIORITERING_DEMO_DATA")?.unwrap_or(config.is_sqlite());
        config.graphiql = flag("PRIORITERING_GRAPHIQL")?.unwrap_or(!config.production);
        if let Some(bind) = var("PRIORITERING_BIND") {
            config.bind = bind;
        }
        config.log_format = match var("PRIORITERING_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(format!(
                    "PRIORITERING_LOG_FORMAT must be json or pretty, got {other:?}"
                ));
            }
        };
        config.max_body_bytes =
            number("PRIORITERING_MAX_BODY_BYTES")?.unwrap_or(config.max_body_bytes);
        config.max_depth = number("PRIORITERING_MAX_DEPTH")?.unwrap_or(config.max_depth);
        config.max_complexity =
            number("PRIORITERING_MAX_COMPLEXITY")?.unwrap_or(config.max_complexity);
        config.workers = number("PRIORITERING_WORKERS")?
            .unwrap_or(config.workers)
            .max(1);
        if let Some(seconds) = number("PRIORITERING_WS_INIT_TIMEOUT_SECONDS")? {
            config.ws_init_timeout = std::time::Duration::from_secs(seconds.max(1) as u64);
        }
        config.ws_max_subscriptions =
            number("PRIORITERING_WS_MAX_SUBSCRIPTIONS")?.unwrap_or(config.ws_max_subscriptions);
        config.ws_max_sockets =
            number("PRIORITERING_WS_MAX_SOCKETS")?.unwrap_or(config.ws_max_sockets);
        Ok(config)
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.trim().is_empty())
}

fn flag(name: &str) -> Result<Option<bool>, String> {
    match var(name).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => Err(format!("{name} must be true or false, got {other:?}")),
    }
}

fn number(name: &str) -> Result<Option<usize>, String> {
    var(name)
        .map(|value| {
            value
                .parse()
                .map_err(|_| format!("{name} must be a whole number, got {value:?}"))
        })
        .transpose()
}
