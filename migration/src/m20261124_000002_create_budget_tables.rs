//! The budgets of committees and policy areas as printed in the budget notes (seed 000,
//! Tabel 1-5): stated totals ("I alt"), the "heraf serviceudgifter" line, the breakdown
//! items and the quantities and assumptions (mængder og forudsætninger).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_reference_tables::{BudgetRound, Committee, PolicyArea};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CommitteeBudget {
    Table,
    Id,
    RoundId,
    CommitteeId,
    Year,
    StatedTotalOre,
    ServiceExpensesOre,
}

#[derive(DeriveIden)]
enum PolicyAreaBudget {
    Table,
    Id,
    RoundId,
    PolicyAreaId,
    Year,
    StatedTotalOre,
    ServiceExpensesOre,
}

#[derive(DeriveIden)]
enum PolicyAreaBudgetItem {
    Table,
    Id,
    RoundId,
    PolicyAreaId,
    Position,
    Label,
    Year,
    AmountOre,
}

#[derive(DeriveIden)]
enum PolicyAreaQuantity {
    Table,
    Id,
    RoundId,
    PolicyAreaId,
    Position,
    Label,
    Unit,
    Year,
    ValueCenti,
}

fn round_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(BudgetRound::Table, BudgetRound::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn area_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(PolicyArea::Table, PolicyArea::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CommitteeBudget::Table)
                    .col(pk_auto(CommitteeBudget::Id))
                    .col(integer(CommitteeBudget::RoundId))
                    .col(integer(CommitteeBudget::CommitteeId))
                    .col(integer(CommitteeBudget::Year))
                    .col(big_integer_null(CommitteeBudget::StatedTotalOre))
                    .col(big_integer_null(CommitteeBudget::ServiceExpensesOre))
                    .foreign_key(&mut round_fk(
                        CommitteeBudget::Table,
                        CommitteeBudget::RoundId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommitteeBudget::Table, CommitteeBudget::CommitteeId)
                            .to(Committee::Table, Committee::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_committee_budget_round_committee_year")
                    .table(CommitteeBudget::Table)
                    .col(CommitteeBudget::RoundId)
                    .col(CommitteeBudget::CommitteeId)
                    .col(CommitteeBudget::Year)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyAreaBudget::Table)
                    .col(pk_auto(PolicyAreaBudget::Id))
                    .col(integer(PolicyAreaBudget::RoundId))
                    .col(integer(PolicyAreaBudget::PolicyAreaId))
                    .col(integer(PolicyAreaBudget::Year))
                    .col(big_integer_null(PolicyAreaBudget::StatedTotalOre))
                    .col(big_integer_null(PolicyAreaBudget::ServiceExpensesOre))
                    .foreign_key(&mut round_fk(
                        PolicyAreaBudget::Table,
                        PolicyAreaBudget::RoundId,
                    ))
                    .foreign_key(&mut area_fk(
                        PolicyAreaBudget::Table,
                        PolicyAreaBudget::PolicyAreaId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_policy_area_budget_area_round_year")
                    .table(PolicyAreaBudget::Table)
                    .col(PolicyAreaBudget::PolicyAreaId)
                    .col(PolicyAreaBudget::RoundId)
                    .col(PolicyAreaBudget::Year)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyAreaBudgetItem::Table)
                    .col(pk_auto(PolicyAreaBudgetItem::Id))
                    .col(integer(PolicyAreaBudgetItem::RoundId))
                    .col(integer(PolicyAreaBudgetItem::PolicyAreaId))
                    .col(integer(PolicyAreaBudgetItem::Position))
                    .col(string_len(PolicyAreaBudgetItem::Label, 200))
                    .col(integer(PolicyAreaBudgetItem::Year))
                    .col(big_integer(PolicyAreaBudgetItem::AmountOre))
                    .foreign_key(&mut round_fk(
                        PolicyAreaBudgetItem::Table,
                        PolicyAreaBudgetItem::RoundId,
                    ))
                    .foreign_key(&mut area_fk(
                        PolicyAreaBudgetItem::Table,
                        PolicyAreaBudgetItem::PolicyAreaId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_policy_area_budget_item_area_round_label_year")
                    .table(PolicyAreaBudgetItem::Table)
                    .col(PolicyAreaBudgetItem::PolicyAreaId)
                    .col(PolicyAreaBudgetItem::RoundId)
                    .col(PolicyAreaBudgetItem::Label)
                    .col(PolicyAreaBudgetItem::Year)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyAreaQuantity::Table)
                    .col(pk_auto(PolicyAreaQuantity::Id))
                    .col(integer(PolicyAreaQuantity::RoundId))
                    .col(integer(PolicyAreaQuantity::PolicyAreaId))
                    .col(integer(PolicyAreaQuantity::Position))
                    .col(string_len(PolicyAreaQuantity::Label, 200))
                    .col(string_len(PolicyAreaQuantity::Unit, 100))
                    .col(integer(PolicyAreaQuantity::Year))
                    .col(big_integer(PolicyAreaQuantity::ValueCenti))
                    .foreign_key(&mut round_fk(
                        PolicyAreaQuantity::Table,
                        PolicyAreaQuantity::RoundId,
                    ))
                    .foreign_key(&mut area_fk(
                        PolicyAreaQuantity::Table,
                        PolicyAreaQuantity::PolicyAreaId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_policy_area_quantity_area_round_label_year")
                    .table(PolicyAreaQuantity::Table)
                    .col(PolicyAreaQuantity::PolicyAreaId)
                    .col(PolicyAreaQuantity::RoundId)
                    .col(PolicyAreaQuantity::Label)
                    .col(PolicyAreaQuantity::Year)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PolicyAreaQuantity::Table.into_iden(),
            PolicyAreaBudgetItem::Table.into_iden(),
            PolicyAreaBudget::Table.into_iden(),
            CommitteeBudget::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
