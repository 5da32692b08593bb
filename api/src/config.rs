//! One typed configuration, read once at start-up from the environment.

use std::env;
use std::time::Duration;

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
    /// How long a client may take to send a request's headers (then 408 and closed).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body (then 408 and closed).
    pub body_timeout: Duration,
    /// How long a download may stall (the client reading nothing) before it is cut off and
    /// its export slot and database snapshot are freed.
    pub export_write_timeout: Duration,
    /// How long a catalog export waits for one of the server's export slots before it is
    /// answered 503 with `Retry-After`.
    pub export_slot_wait: Duration,
    /// How many catalog exports stream at once per server.
    pub export_slots: usize,
    /// Origins of browser pages that may call the API (CORS), exactly as browsers send
    /// them (`https://budget.example`); none by default.
    pub cors_origins: Vec<String>,

    // Query cost (issue 10): what one request may ask of the server.
    /// Answer introspection (`__schema`, `__type`); an operator may turn it off
    /// (`PRIORITERING_INTROSPECTION=false`). GraphiQL and code generators need it.
    pub introspection: bool,
    /// Most root fields in one operation, aliases included: each is a query of its own.
    pub max_root_fields: u64,
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
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            export_write_timeout: Duration::from_secs(30),
            export_slot_wait: Duration::from_secs(5),
            export_slots: crate::http::CONCURRENT_SNAPSHOT_EXPORTS,
            cors_origins: Vec::new(),
            introspection: true,
            max_root_fields: 20,
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
        let seconds = |name: &str, default: Duration| -> Result<Duration, String> {
            Ok(number(name)?.map_or(default, |s| Duration::from_secs(s.max(1) as u64)))
        };
        config.header_timeout =
            seconds("PRIORITERING_HEADER_TIMEOUT_SECONDS", config.header_timeout)?;
        config.body_timeout = seconds("PRIORITERING_BODY_TIMEOUT_SECONDS", config.body_timeout)?;
        config.export_write_timeout = seconds(
            "PRIORITERING_EXPORT_WRITE_TIMEOUT_SECONDS",
            config.export_write_timeout,
        )?;
        config.export_slot_wait = seconds(
            "PRIORITERING_EXPORT_SLOT_WAIT_SECONDS",
            config.export_slot_wait,
        )?;
        config.export_slots = number("PRIORITERING_EXPORT_SLOTS")?
            .unwrap_or(config.export_slots)
            .max(1);
        config.cors_origins =
            crate::http::cors::parse_origins(var("PRIORITERING_CORS_ORIGINS").as_deref())?;
        // Query cost (issue 10).
        config.introspection = flag("PRIORITERING_INTROSPECTION")?.unwrap_or(true);
        config.max_root_fields =
            number("PRIORITERING_MAX_ROOT_FIELDS")?.map_or(config.max_root_fields, |n| n as u64);
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
