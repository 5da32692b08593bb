//! Catalog totals.

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::catalog::{self, LineFilter, TotalsDimension};
use crate::domain::model::{BudgetLineKind, ProposalStatus};
use crate::graphql::query::proposal::{ProposalFilter, check_list_len};
use crate::graphql::types::catalog::CatalogTotal;
use crate::graphql::types::reference::load_round;
use crate::graphql::{pooled, viewer};

#[derive(Default)]
pub struct CatalogQuery;

/// Which lines the totals sum; every given criterion must hold.
#[derive(InputObject, Default)]
pub struct CatalogTotalsFilter {
    /// Committee codes ("SU", "ØU"); any case.
    pub committees: Option<Vec<String>>,
    /// Policy area ids.
    pub policy_areas: Option<Vec<ID>>,
    /// Proposal statuses.
    pub statuses: Option<Vec<ProposalStatus>>,
    /// Line kinds.
    pub kinds: Option<Vec<BudgetLineKind>>,
    /// Budget years.
    pub years: Option<Vec<i32>>,
    /// Words that must all occur in the proposal's number or title.
    pub search: Option<String>,
}

#[Object]
impl CatalogQuery {
    /// Exact sums of the budget lines of a round's proposals that the caller may see,
    /// grouped by the given dimensions (none: one grand total). Net: savings are negative.
    /// Costs a scan of the round's lines; at most one group per combination of the grouped dimensions' values (30 committees, 100 policy areas, 10 years, 3 kinds, 8 statuses).
    #[graphql(
        complexity = "crate::domain::catalog::max_groups(&group_by) * child_complexity + crate::graphql::limits::SCAN_COST + filter.as_ref().map_or(0, |filter| filter.search.as_ref().map_or(0, |_| crate::graphql::limits::SCAN_COST))"
    )]
    async fn catalog_totals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the budget round.")] round: ID,
        #[graphql(desc = "Dimensions to group by, in output order.")] group_by: Vec<
            TotalsDimension,
        >,
        #[graphql(desc = "Which lines to sum.")] filter: Option<CatalogTotalsFilter>,
    ) -> Result<Vec<CatalogTotal>> {
        let round = load_round(ctx, &round).await?;
        let filter = filter.unwrap_or_default();
        check_list_len("kinds", filter.kinds.as_ref())?;
        check_list_len("years", filter.years.as_ref())?;
        let proposal_filter = ProposalFilter {
            round: None,
            committees: filter.committees,
            policy_areas: filter.policy_areas,
            statuses: filter.statuses,
            line_kind: None,
            line_year: None,
            search: filter.search,
        };
        let mut domain_filter = proposal_filter.into_domain()?;
        domain_filter.round_id = Some(round.id);
        let lines = LineFilter {
            kinds: filter.kinds.unwrap_or_default(),
            years: filter.years.unwrap_or_default(),
        };
        Ok(catalog::totals(
            &*pooled(ctx).await?,
            viewer(ctx)?,
            &domain_filter,
            &lines,
            &group_by,
        )
        .await?
        .into_iter()
        .map(CatalogTotal)
        .collect())
    }
}
