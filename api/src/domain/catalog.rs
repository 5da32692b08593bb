//! Catalog totals: exact sums of budget lines grouped by any of committee, policy area,
//! year, kind and status, counting only what the caller may see.
//!
//! The database sums BIGINT øre as two integer sums, of the amounts' high and low parts
//! (`amount / 10^9` and `amount % 10^9`), each cast back to BIGINT (PostgreSQL's
//! `SUM(bigint)` is `numeric`). Neither part can overflow 64 bits for any round that fits in
//! a database (a billion maximal lines), while one plain sum of maximal lines overflows
//! after 92,000 of them (SQLite raises "integer overflow", PostgreSQL "bigint out of
//! range"); the parts are joined exactly in `i128`.

use async_graphql::Enum;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, NullOrdering, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait};

use crate::auth::Viewer;
use crate::domain::model::{BudgetLineKind, ProposalStatus};
use crate::domain::proposal::{ProposalFilter, filter_condition};
use crate::error::{ApiError, ApiResult};
use entity::{budget_line, proposal};

/// A dimension totals can be grouped by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TotalsDimension {
    /// Udvalg.
    Committee,
    /// Politikområde (proposals without one form their own group, listed last).
    PolicyArea,
    /// Budget year.
    Year,
    /// Line kind (effektivisering, besparelse, udvidelse).
    Kind,
    /// Proposal status.
    Status,
}

/// The most groups totals grouped by `dimensions` can have, from the maxima in
/// [`crate::domain::bounds`]: what the complexity model multiplies a group's cost by.
pub fn max_groups(dimensions: &[TotalsDimension]) -> usize {
    use crate::domain::bounds::{
        MAX_COMMITTEES, MAX_LINE_KINDS, MAX_POLICY_AREAS, MAX_ROUND_YEARS,
    };
    let has = |dimension| dimensions.contains(&dimension);
    // A policy area belongs to one committee; proposals without one form a group per
    // committee (or one group).
    let places = match (
        has(TotalsDimension::Committee),
        has(TotalsDimension::PolicyArea),
    ) {
        (true, true) => MAX_POLICY_AREAS + MAX_COMMITTEES,
        (true, false) => MAX_COMMITTEES,
        (false, true) => MAX_POLICY_AREAS + 1,
        (false, false) => 1,
    };
    let factor = |dimension, values: usize| if has(dimension) { values } else { 1 };
    places
        * factor(TotalsDimension::Year, MAX_ROUND_YEARS)
        * factor(TotalsDimension::Kind, MAX_LINE_KINDS)
        * factor(
            TotalsDimension::Status,
            crate::domain::model::ProposalStatus::ALL.len(),
        )
}

/// One group of the totals; a dimension not grouped by is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalRow {
    /// Committee id when grouped by committee.
    pub committee_id: Option<i32>,
    /// Policy area id when grouped by it (and the proposals have one).
    pub policy_area_id: Option<i32>,
    /// Year when grouped by year.
    pub year: Option<i32>,
    /// Kind when grouped by kind.
    pub kind: Option<BudgetLineKind>,
    /// Status when grouped by status.
    pub status: Option<ProposalStatus>,
    /// Sum of the lines, øre (beyond 64 bits when it must be).
    pub amount_ore: i128,
    /// Proposals with lines in the group.
    pub proposal_count: i64,
}

/// Line-level restrictions of the totals on top of the proposal filter.
#[derive(Clone, Debug, Default)]
pub struct LineFilter {
    /// Only these kinds.
    pub kinds: Vec<BudgetLineKind>,
    /// Only these years.
    pub years: Vec<i32>,
}

/// Where amounts are split for summing: both databases truncate integer division toward
/// zero and give `%` the sign of the dividend, so `amount = high * SPLIT + low` exactly.
const SPLIT: i64 = 1_000_000_000;

/// Sums of the visible proposals' lines in a round.
pub async fn totals(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ProposalFilter,
    lines: &LineFilter,
    group_by: &[TotalsDimension],
) -> ApiResult<Vec<TotalRow>> {
    let condition = filter_condition(db, viewer, filter).await?;
    let mut query: SelectStatement = Query::select();
    query
        .from(budget_line::Entity)
        .inner_join(
            proposal::Entity,
            Expr::col((proposal::Entity, proposal::Column::Id))
                .equals((budget_line::Entity, budget_line::Column::ProposalId)),
        )
        .cond_where(condition);
    if !lines.kinds.is_empty() {
        query.and_where(budget_line::Column::Kind.is_in(lines.kinds.iter().map(|k| k.as_str())));
    }
    if !lines.years.is_empty() {
        query.and_where(budget_line::Column::Year.is_in(lines.years.clone()));
    }

    let mut dims = group_by.to_vec();
    dims.dedup();
    for dimension in &dims {
        let (table, column): (Alias, Alias) = match dimension {
            TotalsDimension::Committee => (Alias::new("proposal"), Alias::new("committee_id")),
            TotalsDimension::PolicyArea => (Alias::new("proposal"), Alias::new("policy_area_id")),
            TotalsDimension::Status => (Alias::new("proposal"), Alias::new("status")),
            TotalsDimension::Year => (Alias::new("budget_line"), Alias::new("year")),
            TotalsDimension::Kind => (Alias::new("budget_line"), Alias::new("kind")),
        };
        query
            .expr_as(
                Expr::col((table.clone(), column.clone())),
                dimension_alias(*dimension),
            )
            .add_group_by([Expr::col((table.clone(), column.clone()))])
            .order_by_with_nulls((table, column), Order::Asc, NullOrdering::Last);
    }
    query
        .expr_as(
            Expr::cust(format!(
                "CAST(COALESCE(SUM(budget_line.amount_ore / {SPLIT}), 0) AS BIGINT)"
            )),
            Alias::new("amount_high"),
        )
        .expr_as(
            Expr::cust(format!(
                "CAST(COALESCE(SUM(budget_line.amount_ore % {SPLIT}), 0) AS BIGINT)"
            )),
            Alias::new("amount_low"),
        )
        .expr_as(
            Expr::cust("CAST(COUNT(DISTINCT budget_line.proposal_id) AS BIGINT)"),
            Alias::new("proposal_count"),
        );

    let rows = db.query_all(&query).await?;
    let mut totals = Vec::with_capacity(rows.len());
    for row in rows {
        let mut total = TotalRow {
            committee_id: None,
            policy_area_id: None,
            year: None,
            kind: None,
            status: None,
            amount_ore: i128::from(row.try_get::<i64>("", "amount_high")?) * i128::from(SPLIT)
                + i128::from(row.try_get::<i64>("", "amount_low")?),
            proposal_count: row.try_get("", "proposal_count")?,
        };
        for dimension in &dims {
            let alias = dimension_name(*dimension);
            match dimension {
                TotalsDimension::Committee => total.committee_id = row.try_get("", alias)?,
                TotalsDimension::PolicyArea => {
                    total.policy_area_id = row.try_get::<Option<i32>>("", alias)?
                }
                TotalsDimension::Year => total.year = row.try_get("", alias)?,
                TotalsDimension::Kind => {
                    let stored: String = row.try_get("", alias)?;
                    total.kind = Some(BudgetLineKind::parse(&stored).ok_or(ApiError::Internal)?);
                }
                TotalsDimension::Status => {
                    let stored: String = row.try_get("", alias)?;
                    total.status = Some(ProposalStatus::parse(&stored).ok_or(ApiError::Internal)?);
                }
            }
        }
        totals.push(total);
    }
    Ok(totals)
}

fn dimension_alias(dimension: TotalsDimension) -> Alias {
    Alias::new(dimension_name(dimension))
}

fn dimension_name(dimension: TotalsDimension) -> &'static str {
    match dimension {
        TotalsDimension::Committee => "g_committee",
        TotalsDimension::PolicyArea => "g_policy_area",
        TotalsDimension::Year => "g_year",
        TotalsDimension::Kind => "g_kind",
        TotalsDimension::Status => "g_status",
    }
}
