//! Schema migrations for Prioritering. One change per file, each with a `down`.
//!
//! Money columns are `BIGINT` holding whole øre (hundredths of a krone): SQLite stores
//! sea-orm's `Decimal` as a float, so only integers keep sums exact on both databases.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_reference_tables;
mod m20261124_000002_create_budget_tables;
mod m20261124_000003_create_proposal_tables;
mod m20261124_000004_create_history_tables;
mod m20261124_000005_create_remarks_and_decisions;
mod m20261124_000006_create_approved_changes;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_reference_tables::Migration),
            Box::new(m20261124_000002_create_budget_tables::Migration),
            Box::new(m20261124_000003_create_proposal_tables::Migration),
            Box::new(m20261124_000004_create_history_tables::Migration),
            Box::new(m20261124_000005_create_remarks_and_decisions::Migration),
            Box::new(m20261124_000006_create_approved_changes::Migration),
        ]
    }
}
