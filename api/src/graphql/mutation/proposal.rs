//! Writing proposals.

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::domain::editing::{
    self, DocumentInput as DomainDocument, NeedInput, ProposalAction, ProposalInput as Domain,
    SectionsInput, Written, YearInput,
};
use crate::domain::model::{BudgetLineKind, ExpenseType};
use crate::domain::sheet as sheets;
use crate::graphql::ids::{self, Kind};
use crate::graphql::mutation::{UserError, written};
use crate::graphql::types::proposal::Proposal;
use crate::graphql::types::{Decimal, StatedTotalMismatch};
use crate::graphql::{db, events, viewer};

#[derive(Default)]
pub struct ProposalMutation;

/// One budget line.
#[derive(InputObject, Clone)]
pub struct BudgetLineInput {
    /// Kind.
    pub kind: BudgetLineKind,
    /// Kroner, at most two decimals; savings zero or negative, expansions zero or positive.
    pub amount: Decimal,
}

/// The figures of one budget year.
#[derive(InputObject, Clone)]
pub struct ProposalYearInput {
    /// Calendar year within the round.
    pub year: i32,
    /// Nuværende budget, kroner.
    pub current_budget: Option<Decimal>,
    /// Change in full-time equivalents (årsværk).
    pub staff_impact: Option<Decimal>,
    /// The net change as stated on a sheet; kept and compared, never the truth.
    pub stated_net_change: Option<Decimal>,
    /// The lines of the year, at most one per kind.
    pub lines: Vec<BudgetLineInput>,
}

/// An amount in one year.
#[derive(InputObject, Clone)]
pub struct YearAmountInput {
    /// Calendar year.
    pub year: i32,
    /// Kroner.
    pub amount: Decimal,
}

/// An investment need.
#[derive(InputObject, Clone)]
pub struct InvestmentNeedInput {
    /// What the money is for.
    pub purpose: String,
    /// Amounts per year.
    pub amounts: Vec<YearAmountInput>,
}

/// The text sections; absent ones stay as they are. HU remarks are written by HU.
#[derive(InputObject, Clone, Default)]
pub struct ProposalSectionsInput {
    /// 1. Resumé.
    pub summary: Option<String>,
    /// 2. Status.
    pub status: Option<String>,
    /// 3. Ændringsforslag.
    pub proposed_change: Option<String>,
    /// 4. Konsekvens.
    pub consequences: Option<String>,
    /// 5. Investeringsbehov.
    pub investment_needs: Option<String>,
    /// 6. Relevante dokumenter eller sammenhæng til andre bidrag.
    pub related_documents: Option<String>,
}

/// A document reference.
#[derive(InputObject, Clone)]
pub struct DocumentInput {
    /// Title.
    pub title: String,
    /// Date of the document.
    pub date: Option<NaiveDate>,
    /// Case number or link.
    pub reference: Option<String>,
}

/// A proposal's content. Absent fields stay as they are; lists given replace the old ones.
#[derive(InputObject, Clone, Default)]
pub struct ProposalInput {
    /// Overskrift (required when creating).
    pub title: Option<String>,
    /// Forslagsstiller ("Administrationen" when absent on create).
    pub proposer: Option<String>,
    /// Udgiftstype (serviceudgifter when absent on create).
    pub expense_type: Option<ExpenseType>,
    /// Policy area of the committee; null clears it.
    pub policy_area: MaybeUndefined<ID>,
    /// Every year's figures and lines.
    pub years: Option<Vec<ProposalYearInput>>,
    /// Every investment need.
    pub investment_needs: Option<Vec<InvestmentNeedInput>>,
    /// Text sections.
    pub sections: Option<ProposalSectionsInput>,
    /// Numbers of related proposals in the same round ("ØU01").
    pub related_proposals: Option<Vec<String>>,
    /// Documents referred to.
    pub documents: Option<Vec<DocumentInput>>,
}

impl ProposalInput {
    fn into_domain(self) -> Result<Domain> {
        let policy_area_id = match self.policy_area {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(ids::decode(
                &id,
                Kind::PolicyArea,
                &["input", "policyArea"],
            )?)),
        };
        let sections = self.sections.unwrap_or_default();
        Ok(Domain {
            title: self.title,
            proposer: self.proposer,
            expense_type: self.expense_type,
            policy_area_id,
            years: self.years.map(|years| {
                years
                    .into_iter()
                    .map(|year| YearInput {
                        year: year.year,
                        current_budget: year.current_budget.map(|d| d.0),
                        staff_impact: year.staff_impact.map(|d| d.0),
                        stated_net: year.stated_net_change.map(|d| d.0),
                        lines: year
                            .lines
                            .into_iter()
                            .map(|line| (line.kind, line.amount.0))
                            .collect(),
                    })
                    .collect()
            }),
            investment_needs: self.investment_needs.map(|needs| {
                needs
                    .into_iter()
                    .map(|need| NeedInput {
                        purpose: need.purpose,
                        amounts: need
                            .amounts
                            .into_iter()
                            .map(|a| (a.year, a.amount.0))
                            .collect(),
                    })
                    .collect()
            }),
            sections: SectionsInput {
                summary: sections.summary,
                status: sections.status,
                proposed_change: sections.proposed_change,
                consequences: sections.consequences,
                investment_needs: sections.investment_needs,
                related_documents: sections.related_documents,
            },
            related: self.related_proposals,
            documents: self.documents.map(|documents| {
                documents
                    .into_iter()
                    .map(|d| DomainDocument {
                        title: d.title,
                        date: d.date,
                        reference: d.reference,
                    })
                    .collect()
            }),
        })
    }
}

/// The result of a proposal mutation.
#[derive(SimpleObject)]
pub struct ProposalPayload {
    /// The proposal after the change; null when nothing was written.
    pub proposal: Option<Proposal>,
    /// Every input problem; empty when written.
    pub user_errors: Vec<UserError>,
}

impl From<Written<entity::proposal::Model>> for ProposalPayload {
    fn from(result: Written<entity::proposal::Model>) -> Self {
        let (proposal, user_errors) = written(result, Proposal);
        Self {
            proposal,
            user_errors,
        }
    }
}

/// The result of deleting a draft.
#[derive(SimpleObject)]
pub struct DeleteProposalPayload {
    /// Global id of the deleted draft.
    pub deleted_id: ID,
}

fn proposal_id(id: &ID) -> Result<i32> {
    Ok(ids::decode(id, Kind::Proposal, &["id"])?)
}

#[Object]
impl ProposalMutation {
    /// Creates a draft for a committee; its number is the committee's next (`SU02` after
    /// `SU01`). Coordinators of the committee while the round is in preparation and before
    /// the submission deadline; the budget office until adoption.
    async fn create_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the round.")] round: ID,
        #[graphql(desc = "Committee code (\"SU\", \"ØU\").")] committee: String,
        #[graphql(desc = "The content; a title is required.")] input: ProposalInput,
    ) -> Result<ProposalPayload> {
        let round = ids::decode(&round, Kind::BudgetRound, &["round"])?;
        let input = input.into_domain()?;
        Ok(editing::create(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            round,
            &committee,
            &input,
        )
        .await?
        .into())
    }

    /// Changes a proposal's content. `expectedVersion` is the version the change is based
    /// on: if the proposal changed since, the answer is CONFLICT and nothing is written.
    async fn update_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the change is based on.")] expected_version: i32,
        #[graphql(desc = "The changes.")] input: ProposalInput,
        #[graphql(desc = "Why, for corrections after adoption.")] reason: Option<String>,
    ) -> Result<ProposalPayload> {
        let input = input.into_domain()?;
        Ok(editing::update(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            proposal_id(&id)?,
            expected_version,
            &input,
            reason.as_deref(),
        )
        .await?
        .into())
    }

    /// Submits a draft to the catalog (draft → submitted).
    async fn submit_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
    ) -> Result<ProposalPayload> {
        Ok(editing::transition(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            proposal_id(&id)?,
            expected_version,
            ProposalAction::Submit,
            None,
        )
        .await?
        .into())
    }

    /// Withdraws a draft or submitted proposal (→ withdrawn).
    async fn withdraw_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "Why it is withdrawn.")] reason: Option<String>,
    ) -> Result<ProposalPayload> {
        Ok(editing::transition(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            proposal_id(&id)?,
            expected_version,
            ProposalAction::Withdraw,
            reason.as_deref(),
        )
        .await?
        .into())
    }

    /// Returns a proposal to draft, with a reason (budget office).
    async fn return_proposal_to_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "Why it goes back; required.")] reason: String,
    ) -> Result<ProposalPayload> {
        Ok(editing::transition(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            proposal_id(&id)?,
            expected_version,
            ProposalAction::ReturnToDraft,
            Some(&reason),
        )
        .await?
        .into())
    }

    /// Deletes a draft. Anything submitted is withdrawn instead, never deleted.
    async fn delete_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the draft.")] id: ID,
        #[graphql(desc = "The version the deletion is based on.")] expected_version: i32,
    ) -> Result<DeleteProposalPayload> {
        let deleted = editing::delete(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            proposal_id(&id)?,
            expected_version,
        )
        .await?;
        Ok(DeleteProposalPayload {
            deleted_id: ids::encode(Kind::Proposal, deleted),
        })
    }
}

/// The result of importing a sheet.
#[derive(SimpleObject)]
pub struct ImportSheetPayload {
    /// The new draft; null when nothing was written.
    pub proposal: Option<Proposal>,
    /// Every year where the sheet's stated net change differs from the sum of its lines.
    /// The sheet is imported as it is; this is what a person should look at.
    pub net_change_mismatches: Vec<StatedTotalMismatch>,
    /// Input problems; empty when written.
    pub user_errors: Vec<UserError>,
}

/// The import mutation.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a whole sheet (the JSON format in the README, SU01 as its example) as a new
    /// draft, numbered as any new proposal. Who may create proposals for the sheet's
    /// committee may import. Stated nets are kept and their differences reported.
    async fn import_proposal_sheet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the round.")] round: ID,
        #[graphql(desc = "The sheet document.")] sheet: Json<serde_json::Value>,
    ) -> Result<ImportSheetPayload> {
        let round = ids::decode(&round, Kind::BudgetRound, &["round"])?;
        let (imported, user_errors) = written(
            sheets::import(db(ctx)?, events(ctx)?, viewer(ctx)?, round, sheet.0).await?,
            |(row, mismatches): (_, Vec<sheets::NetMismatch>)| {
                let mismatches = mismatches
                    .into_iter()
                    .map(|m| {
                        StatedTotalMismatch::from_ore(
                            m.year,
                            i128::from(m.stated_ore),
                            m.computed_ore,
                        )
                    })
                    .collect();
                (Proposal(row), mismatches)
            },
        );
        let (proposal, net_change_mismatches) = match imported {
            Some((proposal, mismatches)) => (Some(proposal), mismatches),
            None => (None, vec![]),
        };
        Ok(ImportSheetPayload {
            proposal,
            net_change_mismatches,
            user_errors,
        })
    }
}
