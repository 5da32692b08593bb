//! Catalog totals.

use crate::graphql::types::Decimal;
use async_graphql::{Context, Object, Result};

use crate::domain::catalog::TotalRow;
use crate::domain::model::{BudgetLineKind, ProposalStatus};
use crate::graphql::loader;
use crate::graphql::loaders::{CommitteeById, PolicyAreaById};
use crate::graphql::types::kroner;
use crate::graphql::types::reference::{Committee, PolicyArea};

/// One group of catalog totals. Fields of dimensions not grouped by are null.
pub struct CatalogTotal(pub TotalRow);

/// One group of catalog totals. Fields of dimensions not grouped by are null.
#[Object]
impl CatalogTotal {
    /// The committee, when grouped by committee.
    async fn committee(&self, ctx: &Context<'_>) -> Result<Option<Committee>> {
        let Some(id) = self.0.committee_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(CommitteeById(id))
            .await?
            .map(Committee))
    }

    /// The policy area, when grouped by policy area (null also for proposals without one).
    async fn policy_area(&self, ctx: &Context<'_>) -> Result<Option<PolicyArea>> {
        let Some(id) = self.0.policy_area_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(PolicyAreaById(id))
            .await?
            .map(PolicyArea))
    }

    /// The year, when grouped by year.
    async fn year(&self) -> Option<i32> {
        self.0.year
    }

    /// The line kind, when grouped by kind.
    async fn kind(&self) -> Option<BudgetLineKind> {
        self.0.kind
    }

    /// The line kind in Danish, when grouped by kind.
    async fn kind_label(&self) -> Option<&'static str> {
        self.0.kind.map(BudgetLineKind::label)
    }

    /// The proposal status, when grouped by status.
    async fn status(&self) -> Option<ProposalStatus> {
        self.0.status
    }

    /// The status in Danish, when grouped by status.
    async fn status_label(&self) -> Option<&'static str> {
        self.0.status.map(ProposalStatus::label)
    }

    /// The exact sum of the group's budget lines, kroner (net: savings are negative).
    async fn amount(&self) -> Decimal {
        kroner(self.0.amount_ore)
    }

    /// How many proposals have lines in the group.
    async fn proposal_count(&self) -> i64 {
        self.0.proposal_count
    }
}
