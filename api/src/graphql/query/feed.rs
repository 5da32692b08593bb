//! The approved-changes feed.

use async_graphql::{Context, ID, Object, Result};

use crate::auth;
use crate::domain::feed::{self, MAX_FEED_PAGE};
use crate::error::ApiError;
use crate::graphql::types::PageInfo;
use crate::graphql::types::feed::{ApprovedChange, ApprovedChangeConnection, ApprovedChangeEdge};
use crate::graphql::types::reference::load_round;
use crate::graphql::{pooled, viewer};

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// The approved changes of a round (godkendte budgetændringer) in sequence order: what
    /// finance systems book. Store `pageInfo.endCursor` after booking a page and pass it as
    /// `after` next time: no item is missed or repeated, even while approvals commit.
    /// Anyone signed in may read it.
    #[graphql(
        complexity = "first.unwrap_or(100).clamp(0, 500) as usize * child_complexity + crate::graphql::limits::QUERY_COST"
    )]
    async fn approved_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the budget round.")] round: ID,
        #[graphql(
            desc = "Continue after this cursor: the sequence of the last item booked \
                          (`pageInfo.endCursor`). Absent: from the start."
        )]
        after: Option<String>,
        #[graphql(desc = "Page size, 0 to 500; 100 when absent.")] first: Option<i32>,
    ) -> Result<ApprovedChangeConnection> {
        auth::require_feed_reader(viewer(ctx)?)?;
        let first = first.unwrap_or(100);
        let limit = u64::try_from(first)
            .ok()
            .filter(|n| *n <= MAX_FEED_PAGE)
            .ok_or_else(|| {
                ApiError::bad_input(
                    &["first"],
                    format!("first must be between 0 and {MAX_FEED_PAGE}"),
                )
            })?;
        let after = feed::parse_cursor(after.as_deref(), "after")?;
        let round = load_round(ctx, &round).await?;
        let connection = pooled(ctx).await?;
        let db = &*connection;
        // The head first: an item committed after it may be in the page, never missing
        // from a page that claims to reach it.
        let head = feed::head(db, round.id).await?;
        let mut items = feed::page(db, round.id, after, limit + 1).await?;
        let has_next_page = items.len() as u64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let end = items.last().map_or(after, |item| item.sequence);
        Ok(ApprovedChangeConnection {
            page_info: PageInfo {
                has_next_page,
                has_previous_page: after > 0,
                start_cursor: items.first().map(|item| item.sequence.to_string()),
                end_cursor: Some(end.to_string()),
            },
            head_cursor: head.max(end).to_string(),
            edges: items
                .into_iter()
                .map(|item| ApprovedChangeEdge {
                    cursor: item.sequence.to_string(),
                    node: ApprovedChange(item),
                })
                .collect(),
        })
    }
}
