//! The approved-changes feed (godkendte budgetændringer): an append-only ledger of what
//! finance systems book, and the one counter its sequence numbers come from.
//!
//! The counter is a single row. Appending to the feed increments it inside the writing
//! transaction, so its row lock is held until commit: a second writer waits, and sequence
//! numbers become visible in the order they were given out. A consumer that has read item
//! 12 can therefore never later find an item 11.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedCounter {
    Table,
    Id,
    LastSequence,
}

#[derive(DeriveIden)]
enum ApprovedChange {
    Table,
    Sequence,
    RoundId,
    ProposalId,
    ProposalNumber,
    CommitteeId,
    CommitteeCode,
    PolicyAreaId,
    ExpenseType,
    Year,
    Kind,
    AmountOre,
    PriceLevelYear,
    DecisionId,
    Entry,
    Reason,
    RecordedAt,
    RecordedBy,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedCounter::Table)
                    .col(integer(FeedCounter::Id).primary_key())
                    .col(big_integer(FeedCounter::LastSequence))
                    .to_owned(),
            )
            .await?;
        let mut counter = Query::insert();
        counter
            .into_table(FeedCounter::Table)
            .columns([FeedCounter::Id, FeedCounter::LastSequence])
            .values([1.into(), 0i64.into()])
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        manager.exec_stmt(counter).await?;
        manager
            .create_table(
                Table::create()
                    .table(ApprovedChange::Table)
                    .col(big_integer(ApprovedChange::Sequence).primary_key())
                    .col(integer(ApprovedChange::RoundId))
                    .col(integer(ApprovedChange::ProposalId))
                    .col(string_len(ApprovedChange::ProposalNumber, 32))
                    .col(integer(ApprovedChange::CommitteeId))
                    .col(string_len(ApprovedChange::CommitteeCode, 16))
                    .col(integer_null(ApprovedChange::PolicyAreaId))
                    .col(string_len(ApprovedChange::ExpenseType, 32))
                    .col(integer(ApprovedChange::Year))
                    .col(string_len(ApprovedChange::Kind, 32))
                    .col(big_integer(ApprovedChange::AmountOre))
                    .col(integer(ApprovedChange::PriceLevelYear))
                    .col(integer_null(ApprovedChange::DecisionId))
                    .col(string_len(ApprovedChange::Entry, 16))
                    .col(text_null(ApprovedChange::Reason))
                    .col(timestamp_with_time_zone(ApprovedChange::RecordedAt))
                    .col(string_len_null(ApprovedChange::RecordedBy, 200))
                    // No cascade: the ledger outlives nothing it refers to, and approved
                    // proposals are never deleted.
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApprovedChange::Table, ApprovedChange::ProposalId)
                            .to(Proposal::Table, Proposal::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApprovedChange::Table, ApprovedChange::RoundId)
                            .to(BudgetRound::Table, BudgetRound::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The feed of a round, in order: `WHERE round_id = ? AND sequence > ? ORDER BY sequence`.
        manager
            .create_index(
                Index::create()
                    .name("ix_approved_change_round_sequence")
                    .table(ApprovedChange::Table)
                    .col(ApprovedChange::RoundId)
                    .col(ApprovedChange::Sequence)
                    .to_owned(),
            )
            .await?;
        // What is booked for a proposal now (the sum of its items), read on every approval.
        manager
            .create_index(
                Index::create()
                    .name("ix_approved_change_proposal")
                    .table(ApprovedChange::Table)
                    .col(ApprovedChange::ProposalId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApprovedChange::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FeedCounter::Table).to_owned())
            .await
    }
}
