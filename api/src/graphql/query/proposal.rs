//! The proposal list and single proposals.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::model::{BudgetLineKind, ProposalStatus};
use crate::domain::proposal::{
    self as domain, MAX_FILTER_VALUES, MAX_OFFSET, MAX_PAGE_SIZE, ProposalFilter as DomainFilter,
    ProposalOrder as DomainOrder, ProposalOrderField as DomainField,
};
use crate::error::ApiError;
use crate::graphql::ids::{self, Kind};
use crate::graphql::types::PageInfo;
use crate::graphql::types::proposal::{Proposal, ProposalConnection, ProposalEdge};
use crate::graphql::{pooled, viewer};

#[derive(Default)]
pub struct ProposalQuery;

/// Which proposals to list; every given criterion must hold.
#[derive(InputObject, Default)]
pub struct ProposalFilter {
    /// Only this budget round.
    pub round: Option<ID>,
    /// Committee codes ("SU", "ØU"); any case.
    pub committees: Option<Vec<String>>,
    /// Policy area ids.
    pub policy_areas: Option<Vec<ID>>,
    /// Statuses.
    pub statuses: Option<Vec<ProposalStatus>>,
    /// Only proposals with a non-zero line of this kind (in `lineYear`, when given).
    pub line_kind: Option<BudgetLineKind>,
    /// Only proposals with a non-zero line in this year (of `lineKind`, when given).
    pub line_year: Option<i32>,
    /// Words that must all occur in the number or title, case-insensitively.
    pub search: Option<String>,
}

impl ProposalFilter {
    pub(crate) fn into_domain(self) -> Result<DomainFilter, ApiError> {
        check_list_len("committees", self.committees.as_ref())?;
        check_list_len("policyAreas", self.policy_areas.as_ref())?;
        check_list_len("statuses", self.statuses.as_ref())?;
        let round_id = self
            .round
            .map(|id| ids::decode(&id, Kind::BudgetRound, &["filter", "round"]))
            .transpose()?;
        let mut policy_area_ids = Vec::new();
        for (index, id) in self.policy_areas.unwrap_or_default().iter().enumerate() {
            policy_area_ids.push(ids::decode(
                id,
                Kind::PolicyArea,
                &["filter", "policyAreas", &index.to_string()],
            )?);
        }
        Ok(DomainFilter {
            round_id,
            committee_codes: self.committees.unwrap_or_default(),
            policy_area_ids,
            statuses: self.statuses.unwrap_or_default(),
            line_kind: self.line_kind,
            line_year: self.line_year,
            search: self.search,
        })
    }
}

/// What a proposal list is ordered by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalOrderField {
    /// Catalog order: committee, then number (SU01, SU02, …).
    Number,
    /// Title, in Danish alphabetical order (æ, ø, å after z), ignoring case.
    Title,
    /// The computed net change of `year` (largest saving first when ascending).
    NetChange,
    /// Last change.
    UpdatedAt,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// Order of a proposal list.
#[derive(InputObject)]
pub struct ProposalOrder {
    /// The key.
    pub field: ProposalOrderField,
    /// The year, required with `NET_CHANGE`.
    pub year: Option<i32>,
    /// Direction.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// A list filter with more values than any real question needs is refused, not sent on.
pub(crate) fn check_list_len<T>(field: &str, values: Option<&Vec<T>>) -> Result<(), ApiError> {
    match values {
        Some(values) if values.len() > MAX_FILTER_VALUES => Err(ApiError::bad_input(
            &["filter", field],
            format!("at most {MAX_FILTER_VALUES} values"),
        )),
        _ => Ok(()),
    }
}

fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<u64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .filter(|offset| *offset <= MAX_OFFSET)
        .ok_or_else(|| ApiError::bad_input(&["after"], "not a cursor of this list"))
}

#[Object]
impl ProposalQuery {
    /// The proposals the caller may see, filtered, ordered and paged (Relay connection).
    /// Costs a query and a count, and a scan more with `filter.search`.
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + crate::graphql::limits::QUERY_COST + filter.as_ref().map_or(0, |filter| filter.search.as_ref().map_or(0, |_| crate::graphql::limits::SCAN_COST))"
    )]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which proposals.")] filter: Option<ProposalFilter>,
        #[graphql(desc = "Order; catalog order (by number) when absent.")] order_by: Option<
            ProposalOrder,
        >,
        #[graphql(desc = "Page size, 0 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (`pageInfo.endCursor`).")] after: Option<
            String,
        >,
    ) -> Result<ProposalConnection> {
        let first = first.unwrap_or(20);
        if !(0..=MAX_PAGE_SIZE as i32).contains(&first) {
            return Err(ApiError::bad_input(
                &["first"],
                format!("first must be between 0 and {MAX_PAGE_SIZE}"),
            )
            .into());
        }
        let offset = match after.as_deref() {
            Some(cursor) => decode_cursor(cursor)?
                .checked_add(1)
                .ok_or_else(|| ApiError::bad_input(&["after"], "not a cursor of this list"))?,
            None => 0,
        };
        let order = match order_by {
            None => DomainOrder::default(),
            Some(order) => DomainOrder {
                field: match (order.field, order.year) {
                    (ProposalOrderField::Number, _) => DomainField::Number,
                    (ProposalOrderField::Title, _) => DomainField::Title,
                    (ProposalOrderField::UpdatedAt, _) => DomainField::UpdatedAt,
                    (ProposalOrderField::NetChange, Some(year)) => DomainField::NetChange(year),
                    (ProposalOrderField::NetChange, None) => {
                        return Err(ApiError::bad_input(
                            &["orderBy", "year"],
                            "ordering by net change needs a year",
                        )
                        .into());
                    }
                },
                descending: order.direction == SortDirection::Desc,
            },
        };
        let filter = filter.unwrap_or_default().into_domain()?;
        let limit = u64::try_from(first).unwrap_or(0);
        let page = domain::list(
            &*pooled(ctx).await?,
            viewer(ctx)?,
            &filter,
            order,
            offset,
            limit,
        )
        .await?;
        let count = page.proposals.len() as u64;
        let edges: Vec<ProposalEdge> = page
            .proposals
            .into_iter()
            .enumerate()
            .map(|(index, row)| ProposalEdge {
                cursor: encode_cursor(offset + index as u64),
                node: Proposal(row),
            })
            .collect();
        Ok(ProposalConnection {
            page_info: PageInfo {
                has_next_page: offset + count < page.total_count,
                has_previous_page: offset > 0,
                start_cursor: edges.first().map(|edge| edge.cursor.clone()),
                end_cursor: edges.last().map(|edge| edge.cursor.clone()),
            },
            edges,
            total_count: page.total_count,
        })
    }

    /// One proposal, by id or by round and number ("SU01").
    #[graphql(complexity = "child_complexity + crate::graphql::limits::QUERY_COST")]
    async fn proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the proposal.")] id: Option<ID>,
        #[graphql(desc = "Global id of the round (with `number`).")] round: Option<ID>,
        #[graphql(desc = "Number within the round, e.g. \"SU01\" (with `round`).")] number: Option<
            String,
        >,
    ) -> Result<Proposal> {
        let connection = pooled(ctx).await?;
        let db = &*connection;
        let viewer = viewer(ctx)?;
        let found = match (id, round, number) {
            (Some(id), None, None) => {
                domain::get(db, viewer, ids::decode(&id, Kind::Proposal, &["id"])?).await?
            }
            (None, Some(round), Some(number)) => {
                let round = ids::decode(&round, Kind::BudgetRound, &["round"])?;
                domain::get_by_number(db, viewer, round, &number).await?
            }
            _ => {
                return Err(
                    ApiError::bad_input(&["id"], "give either id, or round and number").into(),
                );
            }
        };
        Ok(Proposal(found))
    }
}
