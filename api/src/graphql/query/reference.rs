//! Rounds, committees and policy areas.

use async_graphql::{Context, ID, Object, Result};

use crate::domain::reference;
use crate::error::ApiError;
use crate::graphql::pooled;
use crate::graphql::types::reference::{BudgetRound, Committee, PolicyArea, load_round};

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// All budget rounds, newest first.
    /// At most 50 (enforced when created).
    #[graphql(
        complexity = "crate::domain::bounds::MAX_ROUNDS * child_complexity + crate::graphql::limits::QUERY_COST"
    )]
    async fn rounds(&self, ctx: &Context<'_>) -> Result<Vec<BudgetRound>> {
        Ok(reference::rounds(&*pooled(ctx).await?)
            .await?
            .into_iter()
            .map(BudgetRound)
            .collect())
    }

    /// One budget round, by id or by its first year (2023 for "Budget 2023-2026").
    #[graphql(complexity = "child_complexity + crate::graphql::limits::QUERY_COST")]
    async fn round(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the round.")] id: Option<ID>,
        #[graphql(desc = "The round's first budget year.")] first_year: Option<i32>,
    ) -> Result<BudgetRound> {
        match (id, first_year) {
            (Some(id), None) => Ok(BudgetRound(load_round(ctx, &id).await?)),
            (None, Some(year)) => Ok(BudgetRound(
                reference::round_by_first_year(&*pooled(ctx).await?, year).await?,
            )),
            _ => Err(ApiError::bad_input(&["id"], "give either id or firstYear").into()),
        }
    }

    /// All committees (udvalg), in catalog order.
    /// At most 30 (enforced when created).
    #[graphql(
        complexity = "crate::domain::bounds::MAX_COMMITTEES * child_complexity + crate::graphql::limits::QUERY_COST"
    )]
    async fn committees(&self, ctx: &Context<'_>) -> Result<Vec<Committee>> {
        Ok(reference::committees(&*pooled(ctx).await?)
            .await?
            .into_iter()
            .map(Committee)
            .collect())
    }

    /// One committee by code; Danish letters and any case work ("ØU", "øu", "ÆSU").
    #[graphql(complexity = "child_complexity + crate::graphql::limits::QUERY_COST")]
    async fn committee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Committee code.")] code: String,
    ) -> Result<Committee> {
        Ok(Committee(
            reference::committee_by_code(&*pooled(ctx).await?, &code).await?,
        ))
    }

    /// Policy areas (politikområder), optionally of one committee.
    /// At most 100 (enforced when created).
    #[graphql(
        complexity = "crate::domain::bounds::MAX_POLICY_AREAS * child_complexity + crate::graphql::limits::QUERY_COST"
    )]
    async fn policy_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Committee code; all committees when absent.")] committee: Option<String>,
    ) -> Result<Vec<PolicyArea>> {
        let connection = pooled(ctx).await?;
        let db = &*connection;
        let committee_id = match committee {
            Some(code) => Some(reference::committee_by_code(db, &code).await?.id),
            None => None,
        };
        Ok(reference::policy_areas(db, committee_id)
            .await?
            .into_iter()
            .map(PolicyArea)
            .collect())
    }
}
