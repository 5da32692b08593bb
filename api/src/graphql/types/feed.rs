//! Items of the approved-changes feed.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::feed;
use crate::domain::model::{BudgetLineKind, ChangeEntry, ExpenseType};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loader;
use crate::graphql::loaders::{DecisionsOf, PolicyAreaById, ProposalById, RoundById};
use crate::graphql::types::proposal::Proposal;
use crate::graphql::types::reference::{BudgetRound, PolicyArea};
use crate::graphql::types::workflow::Decision;
use crate::graphql::types::{Decimal, PageInfo, kroner};
use entity::approved_change;

/// One booked change (godkendt budgetændring): an exact amount for a proposal, year and line
/// kind. Items are never changed or deleted; reversals and corrections are new items.
pub struct ApprovedChange(pub approved_change::Model);

/// One booked change (godkendt budgetændring): an exact amount for a proposal, year and line
/// kind. Items are never changed or deleted; reversals and corrections are new items.
#[Object]
impl ApprovedChange {
    /// The item's place in the feed: increasing, never reused. Store the last one you
    /// booked and ask for what comes after it.
    async fn sequence(&self) -> i64 {
        self.0.sequence
    }

    /// The sequence as a cursor (`after` of `approvedChanges`).
    async fn cursor(&self) -> String {
        self.0.sequence.to_string()
    }

    /// Why the item exists: an approval, a correction or a reversal.
    async fn entry(&self) -> ChangeEntry {
        ChangeEntry::parse(&self.0.entry).unwrap_or(ChangeEntry::Correction)
    }

    /// The entry in Danish (Godkendelse, Korrektion, Tilbageførsel).
    async fn entry_label(&self) -> &'static str {
        ChangeEntry::parse(&self.0.entry).map_or("", ChangeEntry::label)
    }

    /// The budget round.
    async fn round(&self, ctx: &Context<'_>) -> Result<Option<BudgetRound>> {
        Ok(loader(ctx)?
            .load_one(RoundById(self.0.round_id))
            .await?
            .map(BudgetRound))
    }

    /// Global id of the proposal (also when the proposal is no longer visible to you).
    async fn proposal_id(&self) -> ID {
        ids::encode(Kind::Proposal, self.0.proposal_id)
    }

    /// The proposal number, e.g. SU01.
    async fn proposal_number(&self) -> &str {
        &self.0.proposal_number
    }

    /// The proposal, if you may see it now (an integration sees approved proposals only, so
    /// not one whose approval was reversed).
    async fn proposal(&self, ctx: &Context<'_>) -> Result<Option<Proposal>> {
        Ok(loader(ctx)?
            .load_one(ProposalById(self.0.proposal_id))
            .await?
            .map(Proposal))
    }

    /// The committee's code (udvalg) the amount is booked on.
    async fn committee(&self) -> &str {
        &self.0.committee_code
    }

    /// Global id of the policy area (politikområde) the amount is booked on, if any.
    async fn policy_area_id(&self) -> Option<ID> {
        self.0
            .policy_area_id
            .map(|id| ids::encode(Kind::PolicyArea, id))
    }

    /// The policy area the amount is booked on, if any.
    async fn policy_area(&self, ctx: &Context<'_>) -> Result<Option<PolicyArea>> {
        let Some(id) = self.0.policy_area_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(PolicyAreaById(id))
            .await?
            .map(PolicyArea))
    }

    /// The expense type (udgiftstype) the amount is booked as.
    async fn expense_type(&self) -> Option<ExpenseType> {
        ExpenseType::parse(&self.0.expense_type)
    }

    /// The budget year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The line kind (effektivisering, besparelse, udvidelse).
    async fn kind(&self) -> Option<BudgetLineKind> {
        BudgetLineKind::parse(&self.0.kind)
    }

    /// The line kind in Danish.
    async fn kind_label(&self) -> &'static str {
        BudgetLineKind::parse(&self.0.kind).map_or("", BudgetLineKind::label)
    }

    /// The exact amount to book, kroner: negative saves, positive spends. A reversal is the
    /// negative of what it cancels.
    async fn amount(&self) -> Decimal {
        kroner(self.0.amount_ore)
    }

    /// The price level (prisniveau) of the amount: the round's price-level year.
    async fn price_level_year(&self) -> i32 {
        self.0.price_level_year
    }

    /// The decision that caused the item; null for corrections by the budget office, and
    /// when you may not see the proposal now (as its decisions are read through it).
    async fn decision(&self, ctx: &Context<'_>) -> Result<Option<Decision>> {
        let Some(decision_id) = self.0.decision_id else {
            return Ok(None);
        };
        if !self.proposal_visible(ctx).await? {
            return Ok(None);
        }
        Ok(loader(ctx)?
            .load_one(DecisionsOf(self.0.proposal_id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .find(|record| record.decision.id == decision_id)
            .map(Decision))
    }

    /// Why, in words: the decision as minuted, or the reason given for a correction. Null
    /// when you may not see the proposal now, as its `decision` is.
    async fn reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let visible = self.proposal_visible(ctx).await?;
        Ok(feed::readable_reason(&self.0, visible))
    }

    /// When the item was appended.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }

    /// Who recorded the decision or correction.
    async fn recorded_by(&self) -> Option<&str> {
        self.0.recorded_by.as_deref()
    }
}

impl ApprovedChange {
    /// Whether the caller may see the item's proposal now (batched by the loader).
    async fn proposal_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(loader(ctx)?
            .load_one(ProposalById(self.0.proposal_id))
            .await?
            .is_some())
    }
}

/// An edge of the feed.
#[derive(SimpleObject)]
pub struct ApprovedChangeEdge {
    /// The item's sequence; pass it as `after` to continue after it.
    pub cursor: String,
    /// The item.
    pub node: ApprovedChange,
}

/// A page of the approved-changes feed, in sequence order.
#[derive(SimpleObject)]
pub struct ApprovedChangeConnection {
    /// The items of the page.
    pub edges: Vec<ApprovedChangeEdge>,
    /// Page information; `endCursor` is what to store after booking the page (it stays the
    /// `after` you passed when the page is empty, so storing it is always safe).
    pub page_info: PageInfo,
    /// The round's last sequence when the page was read: how far the feed goes now.
    pub head_cursor: String,
}
