//! Writing proposals: per-committee number counters (gap-free under concurrency) and the
//! history of every change, with a field-level diff and a snapshot for reading a proposal
//! as it was.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProposalSequence {
    Table,
    RoundId,
    CommitteeId,
    LastSequence,
}

#[derive(DeriveIden)]
enum ProposalHistory {
    Table,
    Id,
    ProposalId,
    Version,
    OccurredAt,
    ActorSubject,
    ActorName,
    Action,
    FromStatus,
    ToStatus,
    Reason,
    Diff,
    Snapshot,
}

#[derive(DeriveIden)]
enum Proposal {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum BudgetRound {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Committee {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProposalSequence::Table)
                    .col(integer(ProposalSequence::RoundId))
                    .col(integer(ProposalSequence::CommitteeId))
                    .col(integer(ProposalSequence::LastSequence))
                    .primary_key(
                        Index::create()
                            .col(ProposalSequence::RoundId)
                            .col(ProposalSequence::CommitteeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalSequence::Table, ProposalSequence::RoundId)
                            .to(BudgetRound::Table, BudgetRound::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalSequence::Table, ProposalSequence::CommitteeId)
                            .to(Committee::Table, Committee::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProposalHistory::Table)
                    .col(pk_auto(ProposalHistory::Id))
                    .col(integer(ProposalHistory::ProposalId))
                    .col(integer(ProposalHistory::Version))
                    .col(timestamp_with_time_zone(ProposalHistory::OccurredAt))
                    .col(string_len_null(ProposalHistory::ActorSubject, 200))
                    .col(string_len_null(ProposalHistory::ActorName, 200))
                    .col(string_len(ProposalHistory::Action, 32))
                    .col(string_len_null(ProposalHistory::FromStatus, 32))
                    .col(string_len_null(ProposalHistory::ToStatus, 32))
                    .col(text_null(ProposalHistory::Reason))
                    .col(text(ProposalHistory::Diff))
                    .col(text(ProposalHistory::Snapshot))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalHistory::Table, ProposalHistory::ProposalId)
                            .to(Proposal::Table, Proposal::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_proposal_history_proposal_version")
                    .table(ProposalHistory::Table)
                    .col(ProposalHistory::ProposalId)
                    .col(ProposalHistory::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProposalHistory::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProposalSequence::Table).to_owned())
            .await
    }
}
