//! Connecting and migrating. SQLite gets WAL and a busy timeout so readers and the one
//! writer do not block each other, and `synchronous=FULL` so an acknowledged write survives
//! a power loss (with WAL, `NORMAL` may lose the last commits). PostgreSQL needs nothing
//! special.
//!
//! A connection is waited for at most [`ACQUIRE_TIMEOUT`]: while the database is down a
//! request fails within seconds with `UNAVAILABLE` (see [`is_outage`]) instead of hanging,
//! and the pool reconnects by itself when the database is back.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// How long a request waits for a pooled connection before it fails with `UNAVAILABLE`.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(4);

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 16 })
        .connect_timeout(ACQUIRE_TIMEOUT)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sqlite_synchronous())
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// `FULL`, unless `PRIORITERING_SQLITE_SYNCHRONOUS=normal` trades the durability of the last
/// commits on power loss for write latency (the bench measures both).
fn sqlite_synchronous() -> SqliteSynchronous {
    match std::env::var("PRIORITERING_SQLITE_SYNCHRONOUS").as_deref() {
        Ok("normal") => SqliteSynchronous::Normal,
        _ => SqliteSynchronous::Full,
    }
}

/// Whether `error` means the database cannot be reached (down, restarting, the network
/// gone, or no connection free within [`ACQUIRE_TIMEOUT`]) rather than a fault of the
/// statement: such a request is answered `UNAVAILABLE`, and may be retried.
pub fn is_outage(error: &DbErr) -> bool {
    use sea_orm::{ConnAcquireErr, RuntimeErr, sqlx};
    let sqlx_outage = |runtime: &RuntimeErr| match runtime {
        RuntimeErr::SqlxError(error) => match error.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping)
            sqlx::Error::Database(database) => {
                matches!(
                    database.code().as_deref(),
                    Some("57P01" | "57P02" | "57P03")
                )
            }
            _ => false,
        },
        _ => false,
    };
    match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            true
        }
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => sqlx_outage(runtime),
        _ => false,
    }
}

/// Any fixed number: the key of the advisory lock of start-up work.
const STARTUP_LOCK: i64 = 0x7072_696f_7269;

/// Begins a transaction that only one process at a time can hold: on PostgreSQL through an
/// advisory lock, on SQLite as an immediate (write) transaction. Start-up work that several
/// replicas may attempt at once (migrating, loading demo data) runs inside it, so one does
/// the work and the others find it done.
pub async fn begin_exclusive(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let backend = db.get_database_backend();
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: (backend == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    if backend == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({STARTUP_LOCK})"),
        ))
        .await?;
    }
    Ok(txn)
}

/// Brings the schema up to date; safe when several replicas start at once.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = begin_exclusive(db).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}
