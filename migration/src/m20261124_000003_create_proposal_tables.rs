//! Proposals (prioriteringsforslag) and everything printed on their sheet: per-year figures,
//! budget lines, investment needs, related proposals and documents.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_reference_tables::{BudgetRound, Committee, PolicyArea};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Proposal {
    Table,
    Id,
    RoundId,
    CommitteeId,
    PolicyAreaId,
    Sequence,
    Number,
    Title,
    Proposer,
    ExpenseType,
    Status,
    Version,
    Summary,
    StatusText,
    ProposedChange,
    Consequences,
    InvestmentText,
    RelatedText,
    HuRemarksText,
    SearchText,
    TitleSort,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProposalYear {
    Table,
    Id,
    ProposalId,
    Year,
    CurrentBudgetOre,
    StaffImpactCenti,
    StatedNetOre,
}

#[derive(DeriveIden)]
enum BudgetLine {
    Table,
    Id,
    ProposalId,
    Year,
    Kind,
    AmountOre,
}

#[derive(DeriveIden)]
enum InvestmentNeed {
    Table,
    Id,
    ProposalId,
    Position,
    Purpose,
}

#[derive(DeriveIden)]
enum InvestmentNeedAmount {
    Table,
    Id,
    InvestmentNeedId,
    Year,
    AmountOre,
}

#[derive(DeriveIden)]
enum ProposalRelation {
    Table,
    Id,
    ProposalId,
    RelatedProposalId,
}

#[derive(DeriveIden)]
enum ProposalDocument {
    Table,
    Id,
    ProposalId,
    Position,
    Title,
    DocumentDate,
    Reference,
}

fn proposal_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Proposal::Table, Proposal::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index<T: IntoIden + 'static>(name: &str, table: T, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Proposal::Table)
                    .col(pk_auto(Proposal::Id))
                    .col(integer(Proposal::RoundId))
                    .col(integer(Proposal::CommitteeId))
                    .col(integer_null(Proposal::PolicyAreaId))
                    .col(integer(Proposal::Sequence))
                    .col(string_len(Proposal::Number, 16))
                    .col(string_len(Proposal::Title, 500))
                    .col(string_len(Proposal::Proposer, 200))
                    .col(string_len(Proposal::ExpenseType, 32))
                    .col(string_len(Proposal::Status, 32))
                    .col(integer(Proposal::Version))
                    .col(text(Proposal::Summary))
                    .col(text(Proposal::StatusText))
                    .col(text(Proposal::ProposedChange))
                    .col(text(Proposal::Consequences))
                    .col(text(Proposal::InvestmentText))
                    .col(text(Proposal::RelatedText))
                    .col(text(Proposal::HuRemarksText))
                    .col(string_len(Proposal::SearchText, 600))
                    .col(string_len(Proposal::TitleSort, 600))
                    .col(timestamp_with_time_zone(Proposal::CreatedAt))
                    .col(timestamp_with_time_zone(Proposal::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposal::Table, Proposal::RoundId)
                            .to(BudgetRound::Table, BudgetRound::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposal::Table, Proposal::CommitteeId)
                            .to(Committee::Table, Committee::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposal::Table, Proposal::PolicyAreaId)
                            .to(PolicyArea::Table, PolicyArea::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Expr::col(Proposal::Sequence).gte(1))
                    .check(Expr::col(Proposal::Version).gte(1))
                    .to_owned(),
            )
            .await?;
        // The number is unique within a round, and so is a committee's sequence: these two
        // constraints are what later makes concurrent numbering safe.
        for statement in [
            index(
                "ux_proposal_round_number",
                Proposal::Table,
                vec![Proposal::RoundId.into_iden(), Proposal::Number.into_iden()],
            )
            .unique()
            .to_owned(),
            index(
                "ux_proposal_round_committee_sequence",
                Proposal::Table,
                vec![
                    Proposal::RoundId.into_iden(),
                    Proposal::CommitteeId.into_iden(),
                    Proposal::Sequence.into_iden(),
                ],
            )
            .unique()
            .to_owned(),
            // One index per filter the read API offers.
            index(
                "ix_proposal_round_status",
                Proposal::Table,
                vec![Proposal::RoundId.into_iden(), Proposal::Status.into_iden()],
            ),
            index(
                "ix_proposal_round_policy_area",
                Proposal::Table,
                vec![
                    Proposal::RoundId.into_iden(),
                    Proposal::PolicyAreaId.into_iden(),
                ],
            ),
            index(
                "ix_proposal_round_title",
                Proposal::Table,
                vec![
                    Proposal::RoundId.into_iden(),
                    Proposal::TitleSort.into_iden(),
                ],
            ),
            index(
                "ix_proposal_round_updated_at",
                Proposal::Table,
                vec![
                    Proposal::RoundId.into_iden(),
                    Proposal::UpdatedAt.into_iden(),
                ],
            ),
            index(
                "ix_proposal_committee",
                Proposal::Table,
                vec![Proposal::CommitteeId.into_iden()],
            ),
        ] {
            manager.create_index(statement).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProposalYear::Table)
                    .col(pk_auto(ProposalYear::Id))
                    .col(integer(ProposalYear::ProposalId))
                    .col(integer(ProposalYear::Year))
                    .col(big_integer_null(ProposalYear::CurrentBudgetOre))
                    .col(big_integer_null(ProposalYear::StaffImpactCenti))
                    .col(big_integer_null(ProposalYear::StatedNetOre))
                    .foreign_key(&mut proposal_fk(
                        ProposalYear::Table,
                        ProposalYear::ProposalId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_proposal_year_proposal_year",
                    ProposalYear::Table,
                    vec![
                        ProposalYear::ProposalId.into_iden(),
                        ProposalYear::Year.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BudgetLine::Table)
                    .col(pk_auto(BudgetLine::Id))
                    .col(integer(BudgetLine::ProposalId))
                    .col(integer(BudgetLine::Year))
                    .col(string_len(BudgetLine::Kind, 32))
                    .col(big_integer(BudgetLine::AmountOre))
                    .foreign_key(&mut proposal_fk(BudgetLine::Table, BudgetLine::ProposalId))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index(
                "ux_budget_line_proposal_year_kind",
                BudgetLine::Table,
                vec![
                    BudgetLine::ProposalId.into_iden(),
                    BudgetLine::Year.into_iden(),
                    BudgetLine::Kind.into_iden(),
                ],
            )
            .unique()
            .to_owned(),
            // The line-kind/year filter (it finds the proposal ids from the index alone but
            // for the amount) and the totals filtered by kind and year.
            index(
                "ix_budget_line_kind_year_proposal",
                BudgetLine::Table,
                vec![
                    BudgetLine::Kind.into_iden(),
                    BudgetLine::Year.into_iden(),
                    BudgetLine::ProposalId.into_iden(),
                ],
            ),
        ] {
            manager.create_index(statement).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(InvestmentNeed::Table)
                    .col(pk_auto(InvestmentNeed::Id))
                    .col(integer(InvestmentNeed::ProposalId))
                    .col(integer(InvestmentNeed::Position))
                    .col(string_len(InvestmentNeed::Purpose, 500))
                    .foreign_key(&mut proposal_fk(
                        InvestmentNeed::Table,
                        InvestmentNeed::ProposalId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_investment_need_proposal",
                InvestmentNeed::Table,
                vec![InvestmentNeed::ProposalId.into_iden()],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvestmentNeedAmount::Table)
                    .col(pk_auto(InvestmentNeedAmount::Id))
                    .col(integer(InvestmentNeedAmount::InvestmentNeedId))
                    .col(integer(InvestmentNeedAmount::Year))
                    .col(big_integer(InvestmentNeedAmount::AmountOre))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                InvestmentNeedAmount::Table,
                                InvestmentNeedAmount::InvestmentNeedId,
                            )
                            .to(InvestmentNeed::Table, InvestmentNeed::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_investment_need_amount_need_year",
                    InvestmentNeedAmount::Table,
                    vec![
                        InvestmentNeedAmount::InvestmentNeedId.into_iden(),
                        InvestmentNeedAmount::Year.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProposalRelation::Table)
                    .col(pk_auto(ProposalRelation::Id))
                    .col(integer(ProposalRelation::ProposalId))
                    .col(integer(ProposalRelation::RelatedProposalId))
                    .foreign_key(&mut proposal_fk(
                        ProposalRelation::Table,
                        ProposalRelation::ProposalId,
                    ))
                    .foreign_key(&mut proposal_fk(
                        ProposalRelation::Table,
                        ProposalRelation::RelatedProposalId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_proposal_relation_pair",
                    ProposalRelation::Table,
                    vec![
                        ProposalRelation::ProposalId.into_iden(),
                        ProposalRelation::RelatedProposalId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProposalDocument::Table)
                    .col(pk_auto(ProposalDocument::Id))
                    .col(integer(ProposalDocument::ProposalId))
                    .col(integer(ProposalDocument::Position))
                    .col(string_len(ProposalDocument::Title, 500))
                    .col(date_null(ProposalDocument::DocumentDate))
                    .col(string_len_null(ProposalDocument::Reference, 500))
                    .foreign_key(&mut proposal_fk(
                        ProposalDocument::Table,
                        ProposalDocument::ProposalId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_proposal_document_proposal",
                ProposalDocument::Table,
                vec![ProposalDocument::ProposalId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProposalDocument::Table.into_iden(),
            ProposalRelation::Table.into_iden(),
            InvestmentNeedAmount::Table.into_iden(),
            InvestmentNeed::Table.into_iden(),
            BudgetLine::Table.into_iden(),
            ProposalYear::Table.into_iden(),
            Proposal::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
