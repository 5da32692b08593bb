//! HU remarks with their versions, and decisions with votes and amendments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HuRemark {
    Table,
    Id,
    ProposalId,
    AuthorSubject,
    AuthorName,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HuRemarkVersion {
    Table,
    Id,
    RemarkId,
    Version,
    Body,
    EditedAt,
    EditorName,
}

#[derive(DeriveIden)]
enum Decision {
    Table,
    Id,
    ProposalId,
    Body,
    DecidedOn,
    Outcome,
    Text,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum DecisionVote {
    Table,
    Id,
    DecisionId,
    Party,
    Members,
    Position,
}

#[derive(DeriveIden)]
enum Amendment {
    Table,
    Id,
    DecisionId,
    Position,
    Proposer,
    Text,
    Outcome,
}

#[derive(DeriveIden)]
enum Proposal {
    Table,
    Id,
}

fn cascade(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HuRemark::Table)
                    .col(pk_auto(HuRemark::Id))
                    .col(integer(HuRemark::ProposalId))
                    .col(string_len_null(HuRemark::AuthorSubject, 200))
                    .col(string_len_null(HuRemark::AuthorName, 200))
                    .col(integer(HuRemark::Version))
                    .col(timestamp_with_time_zone(HuRemark::CreatedAt))
                    .col(timestamp_with_time_zone(HuRemark::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (HuRemark::Table, HuRemark::ProposalId),
                        (Proposal::Table, Proposal::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_hu_remark_proposal")
                    .table(HuRemark::Table)
                    .col(HuRemark::ProposalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HuRemarkVersion::Table)
                    .col(pk_auto(HuRemarkVersion::Id))
                    .col(integer(HuRemarkVersion::RemarkId))
                    .col(integer(HuRemarkVersion::Version))
                    .col(text(HuRemarkVersion::Body))
                    .col(timestamp_with_time_zone(HuRemarkVersion::EditedAt))
                    .col(string_len_null(HuRemarkVersion::EditorName, 200))
                    .foreign_key(&mut cascade(
                        (HuRemarkVersion::Table, HuRemarkVersion::RemarkId),
                        (HuRemark::Table, HuRemark::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_hu_remark_version_remark_version")
                    .table(HuRemarkVersion::Table)
                    .col(HuRemarkVersion::RemarkId)
                    .col(HuRemarkVersion::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Decision::Table)
                    .col(pk_auto(Decision::Id))
                    .col(integer(Decision::ProposalId))
                    .col(string_len(Decision::Body, 16))
                    .col(date(Decision::DecidedOn))
                    .col(string_len(Decision::Outcome, 32))
                    .col(text(Decision::Text))
                    .col(string_len_null(Decision::RecordedBy, 200))
                    .col(timestamp_with_time_zone(Decision::RecordedAt))
                    .foreign_key(&mut cascade(
                        (Decision::Table, Decision::ProposalId),
                        (Proposal::Table, Proposal::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_decision_proposal")
                    .table(Decision::Table)
                    .col(Decision::ProposalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DecisionVote::Table)
                    .col(pk_auto(DecisionVote::Id))
                    .col(integer(DecisionVote::DecisionId))
                    .col(string_len(DecisionVote::Party, 16))
                    .col(integer(DecisionVote::Members))
                    .col(string_len(DecisionVote::Position, 16))
                    .foreign_key(&mut cascade(
                        (DecisionVote::Table, DecisionVote::DecisionId),
                        (Decision::Table, Decision::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_decision_vote_decision")
                    .table(DecisionVote::Table)
                    .col(DecisionVote::DecisionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Amendment::Table)
                    .col(pk_auto(Amendment::Id))
                    .col(integer(Amendment::DecisionId))
                    .col(integer(Amendment::Position))
                    .col(string_len(Amendment::Proposer, 200))
                    .col(text(Amendment::Text))
                    .col(string_len(Amendment::Outcome, 32))
                    .foreign_key(&mut cascade(
                        (Amendment::Table, Amendment::DecisionId),
                        (Decision::Table, Decision::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_amendment_decision")
                    .table(Amendment::Table)
                    .col(Amendment::DecisionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Amendment::Table.into_iden(),
            DecisionVote::Table.into_iden(),
            Decision::Table.into_iden(),
            HuRemarkVersion::Table.into_iden(),
            HuRemark::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
