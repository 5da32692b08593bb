//! Consultation, HU remarks and decisions.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::domain::decisions::{self, NewDecision};
use crate::domain::editing::{self, ProposalAction, Written};
use crate::domain::model::{AmendmentOutcome, DecisionOutcome, VotePosition};
use crate::domain::remarks;
use crate::graphql::ids::{self, Kind};
use crate::graphql::mutation::proposal::ProposalPayload;
use crate::graphql::mutation::{UserError, written};
use crate::graphql::types::workflow::HuRemark;
use crate::graphql::{db, events, viewer};

#[derive(Default)]
pub struct WorkflowMutation;

/// How a party's members voted.
#[derive(InputObject)]
pub struct VoteInput {
    /// Party letter ("Ø").
    pub party: String,
    /// How many members (1 when absent).
    pub members: Option<i32>,
    /// For, against, or abstained.
    pub position: VotePosition,
}

/// An amendment (ændringsforslag).
#[derive(InputObject)]
pub struct AmendmentInput {
    /// Who put it forward.
    pub proposer: String,
    /// Its text.
    pub text: String,
    /// What became of it.
    pub outcome: AmendmentOutcome,
}

/// A decision as the minutes record it.
#[derive(InputObject)]
pub struct DecisionInput {
    /// The deciding body: a committee code ("SU", "ØU"), or "BR" for Byrådet.
    pub body: String,
    /// The meeting date.
    pub decided_on: NaiveDate,
    /// Outcome; APPROVED approves the proposal, REJECTED rejects it.
    pub outcome: DecisionOutcome,
    /// The decision's text.
    pub text: Option<String>,
    /// Votes per party.
    pub votes: Option<Vec<VoteInput>>,
    /// Amendments put forward.
    pub amendments: Option<Vec<AmendmentInput>>,
}

/// The result of writing an HU remark.
#[derive(SimpleObject)]
pub struct HuRemarkPayload {
    /// The remark with its versions; null when nothing was written.
    pub remark: Option<HuRemark>,
    /// Input problems; empty when written.
    pub user_errors: Vec<UserError>,
}

impl From<Written<remarks::Remark>> for HuRemarkPayload {
    fn from(result: Written<remarks::Remark>) -> Self {
        let (remark, user_errors) = written(result, HuRemark);
        Self {
            remark,
            user_errors,
        }
    }
}

#[Object]
impl WorkflowMutation {
    /// Opens the consultation of a submitted proposal (budget office): submitted → in
    /// consultation.
    async fn start_consultation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
    ) -> Result<ProposalPayload> {
        let id = ids::decode(&id, Kind::Proposal, &["id"])?;
        Ok(editing::transition(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            id,
            expected_version,
            ProposalAction::StartConsultation,
            None,
        )
        .await?
        .into())
    }

    /// Records a decision on a proposal (budget office): body, date, outcome, text, votes
    /// and amendments. APPROVED, REJECTED, RECOMMENDED and NOT_RECOMMENDED set the status.
    async fn record_decision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: ID,
        #[graphql(desc = "The version the decision is based on.")] expected_version: i32,
        #[graphql(desc = "The decision.")] input: DecisionInput,
    ) -> Result<ProposalPayload> {
        let id = ids::decode(&id, Kind::Proposal, &["id"])?;
        let decision = NewDecision {
            body: input.body,
            decided_on: input.decided_on,
            outcome: input.outcome,
            text: input.text.unwrap_or_default(),
            votes: input
                .votes
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.party, v.members.unwrap_or(1), v.position))
                .collect(),
            amendments: input
                .amendments
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.proposer, a.text, a.outcome))
                .collect(),
        };
        Ok(decisions::record(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            id,
            expected_version,
            &decision,
        )
        .await?
        .into())
    }

    /// Adds an HU remark (HU members, while the round is in consultation).
    async fn add_hu_remark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] proposal: ID,
        #[graphql(desc = "The remark.")] body: String,
    ) -> Result<HuRemarkPayload> {
        let proposal = ids::decode(&proposal, Kind::Proposal, &["proposal"])?;
        Ok(
            remarks::add(db(ctx)?, events(ctx)?, viewer(ctx)?, proposal, &body)
                .await?
                .into(),
        )
    }

    /// Edits an HU remark (its author, during consultation); the earlier text stays as a
    /// version.
    async fn edit_hu_remark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the remark.")] id: ID,
        #[graphql(desc = "The version the edit is based on.")] expected_version: i32,
        #[graphql(desc = "The new text.")] body: String,
    ) -> Result<HuRemarkPayload> {
        let id = ids::decode(&id, Kind::HuRemark, &["id"])?;
        Ok(remarks::edit(
            db(ctx)?,
            events(ctx)?,
            viewer(ctx)?,
            id,
            expected_version,
            &body,
        )
        .await?
        .into())
    }
}
