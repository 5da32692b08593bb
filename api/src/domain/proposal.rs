//! Reading proposals: the catalog list with its filters and orders, single proposals, and the
//! figures of the sheet (per-year lines, computed net change, stated net, investment needs).

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::auth::{Viewer, visible_proposals};
use crate::domain::model::{BudgetLineKind, ProposalStatus};
use crate::domain::reference;
use crate::error::{ApiError, ApiResult};
use crate::money::sum_ore;
use entity::{
    budget_line, investment_need, investment_need_amount, proposal, proposal_document,
    proposal_relation, proposal_year,
};

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The largest offset a cursor may carry.
pub const MAX_OFFSET: u64 = i32::MAX as u64;
/// The longest search text accepted.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The most words a search may have (each is one more condition).
pub const MAX_SEARCH_WORDS: usize = 10;
/// The most values one list filter may hold.
pub const MAX_FILTER_VALUES: usize = 100;

/// Which proposals to list. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct ProposalFilter {
    /// Only this round.
    pub round_id: Option<i32>,
    /// Committee codes (`SU`, `ØU`), as typed.
    pub committee_codes: Vec<String>,
    /// Policy areas.
    pub policy_area_ids: Vec<i32>,
    /// Statuses.
    pub statuses: Vec<ProposalStatus>,
    /// Only proposals with a non-zero line of this kind ...
    pub line_kind: Option<BudgetLineKind>,
    /// ... or any line in this year (with `line_kind`: a line of that kind in that year).
    pub line_year: Option<i32>,
    /// Words to find in the number or title, case-insensitively.
    pub search: Option<String>,
}

/// What to order the list by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalOrderField {
    /// Committee (catalog order), then sequence: `SU01`, `SU02`, …
    Number,
    /// Title, in Danish alphabetical order (æ, ø, å after z).
    Title,
    /// The computed net change of a year.
    NetChange(i32),
    /// Last change.
    UpdatedAt,
}

/// Order of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalOrder {
    /// The key.
    pub field: ProposalOrderField,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl Default for ProposalOrder {
    fn default() -> Self {
        Self {
            field: ProposalOrderField::Number,
            descending: false,
        }
    }
}

/// One page of proposals and the total number matching.
#[derive(Clone, Debug)]
pub struct ProposalPage {
    /// The proposals of the page, in order.
    pub proposals: Vec<proposal::Model>,
    /// How many match in all.
    pub total_count: u64,
}

/// The filter as a condition on the `proposal` table, visibility included, so that lists,
/// counts and totals agree with each other.
pub async fn filter_condition(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ProposalFilter,
) -> ApiResult<Condition> {
    // Visibility nested as one clause: everything below is ANDed to it, never ORed.
    let mut condition = Condition::all().add(visible_proposals(viewer));
    if let Some(round_id) = filter.round_id {
        condition = condition.add(proposal::Column::RoundId.eq(round_id));
    }
    if !filter.committee_codes.is_empty() {
        let ids = reference::committee_ids_by_codes(
            db,
            &filter.committee_codes,
            &["filter", "committees"],
        )
        .await?;
        condition = condition.add(proposal::Column::CommitteeId.is_in(ids));
    }
    if !filter.policy_area_ids.is_empty() {
        condition =
            condition.add(proposal::Column::PolicyAreaId.is_in(filter.policy_area_ids.clone()));
    }
    if !filter.statuses.is_empty() {
        condition = condition.add(
            proposal::Column::Status.is_in(filter.statuses.iter().map(|status| status.as_str())),
        );
    }
    if filter.line_kind.is_some() || filter.line_year.is_some() {
        let mut lines = Query::select();
        lines
            .column(budget_line::Column::ProposalId)
            .from(budget_line::Entity)
            .and_where(budget_line::Column::AmountOre.ne(0));
        if let Some(kind) = filter.line_kind {
            lines.and_where(budget_line::Column::Kind.eq(kind.as_str()));
        }
        if let Some(year) = filter.line_year {
            lines.and_where(budget_line::Column::Year.eq(year));
        }
        condition = condition.add(proposal::Column::Id.in_subquery(lines.to_owned()));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let words: Vec<&str> = search.split_whitespace().collect();
        if search.chars().count() > MAX_SEARCH_CHARS || words.len() > MAX_SEARCH_WORDS {
            return Err(ApiError::bad_input(
                &["filter", "search"],
                format!(
                    "search for at most {MAX_SEARCH_WORDS} words and {MAX_SEARCH_CHARS} characters"
                ),
            ));
        }
        for word in words {
            let escaped = word
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            condition = condition.add(
                Expr::col((proposal::Entity, proposal::Column::SearchText))
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
    }
    Ok(condition)
}

/// A page of the proposals `viewer` may see that match `filter`.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ProposalFilter,
    order: ProposalOrder,
    offset: u64,
    limit: u64,
) -> ApiResult<ProposalPage> {
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_input(&["after"], "not a cursor of this list"));
    }
    if limit > MAX_PAGE_SIZE {
        return Err(ApiError::bad_input(
            &["first"],
            format!("first may be at most {MAX_PAGE_SIZE}"),
        ));
    }
    let condition = filter_condition(db, viewer, filter).await?;
    let query = proposal::Entity::find().filter(condition);
    let total_count = query.clone().count(db).await?;

    let direction = if order.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let query = match order.field {
        ProposalOrderField::Number => query
            .order_by(
                Expr::cust(
                    "(SELECT committee.position FROM committee WHERE committee.id = proposal.committee_id)",
                ),
                direction.clone(),
            )
            .order_by(proposal::Column::Sequence, direction.clone()),
        ProposalOrderField::Title => {
            query.order_by(proposal::Column::TitleSort, direction.clone())
        }
        // The year is an integer from a typed argument, so formatting it in is safe.
        ProposalOrderField::NetChange(year) => query.order_by(
            Expr::cust(format!(
                "(SELECT COALESCE(SUM(budget_line.amount_ore), 0) FROM budget_line \
                 WHERE budget_line.proposal_id = proposal.id AND budget_line.year = {year})"
            )),
            direction.clone(),
        ),
        ProposalOrderField::UpdatedAt => {
            query.order_by(proposal::Column::UpdatedAt, direction.clone())
        }
    };
    let proposals = query
        .order_by(proposal::Column::Id, direction)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(ProposalPage {
        proposals,
        total_count,
    })
}

/// One proposal by id; an invisible one is not found, like a missing one.
pub async fn get(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i32,
) -> ApiResult<proposal::Model> {
    proposal::Entity::find_by_id(id)
        .filter(visible_proposals(viewer))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("proposal"))
}

/// One proposal by round and number (`SU01`, `øu01`).
pub async fn get_by_number(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    round_id: i32,
    number: &str,
) -> ApiResult<proposal::Model> {
    proposal::Entity::find()
        .filter(proposal::Column::RoundId.eq(round_id))
        .filter(proposal::Column::Number.eq(number.trim().to_uppercase()))
        .filter(visible_proposals(viewer))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("proposal {}", number.trim())))
}

/// Visible proposals among `ids`, keyed by id (for loaders and `nodes`).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: &[i32],
) -> ApiResult<HashMap<i32, proposal::Model>> {
    Ok(proposal::Entity::find()
        .filter(visible_proposals(viewer))
        .filter(proposal::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found))
        .collect())
}

/// The stored status of a proposal; an unknown value is a data error, not a client's.
pub fn status(found: &proposal::Model) -> ApiResult<ProposalStatus> {
    ProposalStatus::parse(&found.status).ok_or_else(|| {
        tracing::error!(proposal = found.id, status = %found.status, "unknown stored status");
        ApiError::Internal
    })
}

/// One budget line of a proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Calendar year.
    pub year: i32,
    /// Kind.
    pub kind: BudgetLineKind,
    /// Øre.
    pub amount_ore: i64,
}

/// The figures of one year of a proposal's sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearFigures {
    /// Calendar year.
    pub year: i32,
    /// Nuværende budget, øre.
    pub current_budget_ore: Option<i64>,
    /// Ændring i antal årsværk, hundredths of an FTE.
    pub staff_impact_centi: Option<i64>,
    /// The net change as printed or typed on a sheet, øre.
    pub stated_net_ore: Option<i64>,
    /// The lines of the year, in kind order.
    pub lines: Vec<Line>,
}

impl YearFigures {
    /// Samlet ændring (netto): always the sum of the lines.
    pub fn net_change_ore(&self) -> i128 {
        sum_ore(self.lines.iter().map(|line| line.amount_ore))
    }

    /// The sum of the lines of one kind.
    pub fn kind_total_ore(&self, kind: BudgetLineKind) -> i128 {
        sum_ore(
            self.lines
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.amount_ore),
        )
    }
}

/// The per-year figures of proposals, keyed by proposal id, one entry per year of `years`
/// (the round's years) plus any stored year outside them, ascending.
pub async fn year_figures(
    db: &impl ConnectionTrait,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<YearFigures>>> {
    let years = proposal_year::Entity::find()
        .filter(proposal_year::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .all(db)
        .await?;
    let lines = budget_line::Entity::find()
        .filter(budget_line::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .all(db)
        .await?;

    let mut figures: HashMap<i32, BTreeMap<i32, YearFigures>> = HashMap::new();
    let empty = |year: i32| YearFigures {
        year,
        current_budget_ore: None,
        staff_impact_centi: None,
        stated_net_ore: None,
        lines: Vec::new(),
    };
    for row in years {
        let year = figures
            .entry(row.proposal_id)
            .or_default()
            .entry(row.year)
            .or_insert_with(|| empty(row.year));
        year.current_budget_ore = row.current_budget_ore;
        year.staff_impact_centi = row.staff_impact_centi;
        year.stated_net_ore = row.stated_net_ore;
    }
    for row in lines {
        let Some(kind) = BudgetLineKind::parse(&row.kind) else {
            tracing::error!(line = row.id, kind = %row.kind, "unknown stored line kind");
            return Err(ApiError::Internal);
        };
        figures
            .entry(row.proposal_id)
            .or_default()
            .entry(row.year)
            .or_insert_with(|| empty(row.year))
            .lines
            .push(Line {
                year: row.year,
                kind,
                amount_ore: row.amount_ore,
            });
    }
    Ok(figures
        .into_iter()
        .map(|(id, years)| {
            let mut years: Vec<YearFigures> = years.into_values().collect();
            for year in &mut years {
                year.lines.sort_by_key(|line| line.kind);
            }
            (id, years)
        })
        .collect())
}

/// Fills in the round's years a proposal has no figures for, so every sheet shows them all.
pub fn complete_years(mut figures: Vec<YearFigures>, round_years: &[i32]) -> Vec<YearFigures> {
    for year in round_years {
        if !figures.iter().any(|f| f.year == *year) {
            figures.push(YearFigures {
                year: *year,
                current_budget_ore: None,
                staff_impact_centi: None,
                stated_net_ore: None,
                lines: Vec::new(),
            });
        }
    }
    figures.sort_by_key(|f| f.year);
    figures
}

/// An investment need with its amounts per year (øre).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvestmentNeed {
    /// What the money is for.
    pub purpose: String,
    /// Year → øre, ascending.
    pub amounts: BTreeMap<i32, i64>,
}

/// The investment needs of proposals, keyed by proposal id, in sheet order.
pub async fn investment_needs(
    db: &impl ConnectionTrait,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<InvestmentNeed>>> {
    let needs = investment_need::Entity::find()
        .filter(investment_need::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .order_by_asc(investment_need::Column::Position)
        .order_by_asc(investment_need::Column::Id)
        .all(db)
        .await?;
    let amounts = investment_need_amount::Entity::find()
        .filter(
            investment_need_amount::Column::InvestmentNeedId
                .is_in(needs.iter().map(|need| need.id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?;
    let mut amounts_by_need: HashMap<i32, BTreeMap<i32, i64>> = HashMap::new();
    for amount in amounts {
        amounts_by_need
            .entry(amount.investment_need_id)
            .or_default()
            .insert(amount.year, amount.amount_ore);
    }
    let mut by_proposal: HashMap<i32, Vec<InvestmentNeed>> = HashMap::new();
    for need in needs {
        by_proposal
            .entry(need.proposal_id)
            .or_default()
            .push(InvestmentNeed {
                purpose: need.purpose,
                amounts: amounts_by_need.remove(&need.id).unwrap_or_default(),
            });
    }
    Ok(by_proposal)
}

/// The related proposals `viewer` may see, keyed by proposal id.
pub async fn related_proposals(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<proposal::Model>>> {
    let relations = proposal_relation::Entity::find()
        .filter(proposal_relation::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .order_by_asc(proposal_relation::Column::Id)
        .all(db)
        .await?;
    let related_ids: Vec<i32> = relations.iter().map(|r| r.related_proposal_id).collect();
    let related = by_ids(db, viewer, &related_ids).await?;
    let mut by_proposal: HashMap<i32, Vec<proposal::Model>> = HashMap::new();
    for relation in relations {
        if let Some(found) = related.get(&relation.related_proposal_id) {
            by_proposal
                .entry(relation.proposal_id)
                .or_default()
                .push(found.clone());
        }
    }
    Ok(by_proposal)
}

/// The documents proposals refer to, keyed by proposal id, in sheet order.
pub async fn documents(
    db: &impl ConnectionTrait,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<proposal_document::Model>>> {
    let mut by_proposal: HashMap<i32, Vec<proposal_document::Model>> = HashMap::new();
    for document in proposal_document::Entity::find()
        .filter(proposal_document::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .order_by_asc(proposal_document::Column::Position)
        .order_by_asc(proposal_document::Column::Id)
        .all(db)
        .await?
    {
        by_proposal
            .entry(document.proposal_id)
            .or_default()
            .push(document);
    }
    Ok(by_proposal)
}
