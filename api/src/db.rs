//! Connecting and migrating. SQLite gets WAL and a busy timeout so readers and the one
//! writer do not block each other; PostgreSQL needs nothing special.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    Database::connect(options).await
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
