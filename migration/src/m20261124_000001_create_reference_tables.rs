//! Budget rounds, committees (udvalg) and policy areas (politikområder).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum BudgetRound {
    Table,
    Id,
    Name,
    FirstYear,
    YearCount,
    PriceLevelYear,
    Phase,
    SubmissionDeadline,
    ConsultationDeadline,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Committee {
    Table,
    Id,
    Code,
    Name,
    Position,
}

#[derive(DeriveIden)]
pub enum PolicyArea {
    Table,
    Id,
    CommitteeId,
    Name,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BudgetRound::Table)
                    .col(pk_auto(BudgetRound::Id))
                    .col(string_len_uniq(BudgetRound::Name, 100))
                    .col(integer_uniq(BudgetRound::FirstYear))
                    .col(integer(BudgetRound::YearCount))
                    .col(integer(BudgetRound::PriceLevelYear))
                    .col(string_len(BudgetRound::Phase, 32))
                    .col(timestamp_with_time_zone_null(
                        BudgetRound::SubmissionDeadline,
                    ))
                    .col(timestamp_with_time_zone_null(
                        BudgetRound::ConsultationDeadline,
                    ))
                    .col(timestamp_with_time_zone(BudgetRound::CreatedAt))
                    .col(timestamp_with_time_zone(BudgetRound::UpdatedAt))
                    .check(Expr::col(BudgetRound::YearCount).between(1, 10))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Committee::Table)
                    .col(pk_auto(Committee::Id))
                    .col(string_len_uniq(Committee::Code, 8))
                    .col(string_len(Committee::Name, 200))
                    .col(integer(Committee::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PolicyArea::Table)
                    .col(pk_auto(PolicyArea::Id))
                    .col(integer(PolicyArea::CommitteeId))
                    .col(string_len(PolicyArea::Name, 200))
                    .col(integer(PolicyArea::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PolicyArea::Table, PolicyArea::CommitteeId)
                            .to(Committee::Table, Committee::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_policy_area_committee_name")
                    .table(PolicyArea::Table)
                    .col(PolicyArea::CommitteeId)
                    .col(PolicyArea::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PolicyArea::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Committee::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(BudgetRound::Table).to_owned())
            .await
    }
}
