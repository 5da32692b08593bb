//! Subscriptions over WebSocket (graphql-transport-ws on `/graphql`): feed items as they are
//! appended, and proposal changes, each filtered by the subscriber's visibility.

use std::collections::VecDeque;

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::auth::{self, Viewer};
use crate::domain::feed;
use crate::domain::model::{ProposalStatus, RoundPhase};
use crate::domain::proposal;
use crate::error::ApiError;
use crate::events::{Event, FEED_POLL, ProposalChangeKind};
use crate::graphql::ids::{self, Kind};
use crate::graphql::types::feed::ApprovedChange;
use crate::graphql::types::proposal::Proposal;
use crate::graphql::types::reference::load_round;
use crate::graphql::{db, events, viewer};
use entity::{approved_change, budget_round, committee};

/// All subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

/// A change of a proposal, as a subscriber receives it.
#[derive(SimpleObject)]
pub struct ProposalChangedEvent {
    /// Global id of the proposal.
    pub proposal_id: ID,
    /// Its version after the change (0 when it was deleted).
    pub version: i32,
    /// What changed.
    pub changes: Vec<ProposalChangeKind>,
    /// When.
    pub at: DateTime<Utc>,
    /// The proposal as it is now; null when it was deleted.
    pub proposal: Option<Proposal>,
}

/// Live changes over WebSocket (graphql-transport-ws on `/graphql`; the token goes in
/// `connection_init` as `{"Authorization": "Bearer …"}`).
#[Subscription]
impl SubscriptionRoot {
    /// Items of a round's approved-changes feed as they are appended, in sequence order.
    /// With `after` (the sequence of the last item you booked) it first sends what you
    /// missed, then continues live: a reconnecting subscriber resumes without gaps or
    /// repeats. Without `after` it starts with the next item appended. Takes a sign-in.
    async fn approved_change_appended(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the budget round.")] round: ID,
        #[graphql(desc = "Resume after this sequence (a feed cursor); absent: from now.")]
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<ApprovedChange>> + use<>> {
        auth::require_feed_reader(viewer(ctx)?)?;
        let after = after
            .as_deref()
            .map(|cursor| feed::parse_cursor(Some(cursor), "after"))
            .transpose()?;
        let round = load_round(ctx, &round).await?;
        let db = db(ctx)?.clone();
        // Listen before reading where to start, so nothing falls between the two.
        let wake = events(ctx)?.subscribe();
        let last = match after {
            Some(after) => after,
            None => feed::head(&db, round.id).await?,
        };
        let state = FeedFollower {
            db,
            expires: Expiry::of(viewer(ctx)?),
            round_id: round.id,
            last,
            wake,
            pending: VecDeque::new(),
        };
        Ok(follow(state))
    }

    /// Changes of proposals (status, content and lines, decisions, HU remarks) as they are
    /// committed on any replica, limited to the proposals you may see now; a change of HU
    /// remarks only if you may read them. Narrow it by round, proposal or committee.
    async fn proposal_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only proposals of this budget round.")] round: Option<ID>,
        #[graphql(desc = "Only this proposal.")] proposal: Option<ID>,
        #[graphql(desc = "Only proposals of this committee (code, any case).")] committee: Option<
            String,
        >,
    ) -> Result<impl Stream<Item = Result<ProposalChangedEvent>> + use<>> {
        let round_id = round
            .as_ref()
            .map(|id| ids::decode(id, Kind::BudgetRound, &["round"]))
            .transpose()?;
        let proposal_id = proposal
            .as_ref()
            .map(|id| ids::decode(id, Kind::Proposal, &["proposal"]))
            .transpose()?;
        let db = db(ctx)?.clone();
        let committee_id = match committee {
            Some(code) => Some(
                crate::domain::reference::committee_by_code(&db, &code)
                    .await?
                    .id,
            ),
            None => None,
        };
        let state = ChangeFollower {
            db,
            expires: Expiry::of(viewer(ctx)?),
            viewer: viewer(ctx)?.clone(),
            wake: events(ctx)?.subscribe(),
            round_id,
            proposal_id,
            committee_id,
        };
        Ok(follow(state))
    }
}

/// What a subscription follows: the next message, an error that ends the subscription
/// (the token expired), or `None` when the server is stopping.
trait Follower {
    /// What the subscriber receives.
    type Item;
    /// The next message.
    async fn next(&mut self) -> Option<Result<Self::Item, ApiError>>;
}

/// A subscription's stream: the follower's messages; an error is the last message.
fn follow<F: Follower>(follower: F) -> impl Stream<Item = Result<F::Item>> {
    futures_util::stream::unfold(Some(follower), |follower| async move {
        let mut follower = follower?;
        match follower.next().await? {
            Ok(item) => Some((Ok(item), Some(follower))),
            Err(ended) => Some((Err(ended.into()), None)),
        }
    })
}

/// When a subscriber's token expires: its subscriptions end then, with UNAUTHENTICATED, and
/// it reconnects with a fresh token (resuming the feed from its cursor). The socket itself
/// closes with 4403 at the same moment (http/websocket.rs); this ends a subscription on its
/// own wherever the schema is served without that socket.
#[derive(Clone, Copy)]
struct Expiry(Option<tokio::time::Instant>);

impl Expiry {
    fn of(viewer: &Viewer) -> Self {
        Self(viewer.expires_at.map(|exp| {
            let left = exp.saturating_sub(Utc::now().timestamp()).max(0);
            tokio::time::Instant::now()
                + std::time::Duration::from_secs(u64::try_from(left).unwrap_or(0))
        }))
    }

    fn passed(self) -> bool {
        self.0.is_some_and(|at| tokio::time::Instant::now() >= at)
    }

    /// Waits for `work`, or returns `None` when the token expires first.
    async fn before<T>(self, work: impl std::future::Future<Output = T>) -> Option<T> {
        match self.0 {
            Some(at) => tokio::time::timeout_at(at, work).await.ok(),
            None => Some(work.await),
        }
    }

    fn error() -> ApiError {
        ApiError::Unauthenticated(
            "the token expired; reconnect with a fresh token (resume the feed with `after`)"
                .to_owned(),
        )
    }
}

/// Follows a round's feed from `last`: reads what follows, waits for a wake-up, repeats.
struct FeedFollower {
    db: DatabaseConnection,
    expires: Expiry,
    round_id: i32,
    last: i64,
    wake: broadcast::Receiver<Event>,
    pending: VecDeque<approved_change::Model>,
}

impl Follower for FeedFollower {
    type Item = ApprovedChange;

    async fn next(&mut self) -> Option<Result<ApprovedChange, ApiError>> {
        loop {
            if self.expires.passed() {
                return Some(Err(Expiry::error()));
            }
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(ApprovedChange(item)));
            }
            match feed::page(&self.db, self.round_id, self.last, 100).await {
                Ok(items) if !items.is_empty() => {
                    self.last = items.last().map_or(self.last, |item| item.sequence);
                    self.pending.extend(items);
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(code = error.code(), "cannot read the feed; retrying");
                }
            }
            // Wait for a notification about this round, a resync, or the poll interval.
            let wait = tokio::time::timeout(FEED_POLL, async {
                loop {
                    match self.wake.recv().await {
                        Ok(Event::Feed { round_id, .. }) if round_id == self.round_id => {
                            return true;
                        }
                        Ok(Event::Resync) | Err(RecvError::Lagged(_)) => return true,
                        Ok(_) => {}
                        Err(RecvError::Closed) => return false,
                    }
                }
            });
            match self.expires.before(wait).await {
                None => return Some(Err(Expiry::error())),
                Some(Ok(false)) => return None,
                Some(_) => {}
            }
        }
    }
}

/// Follows proposal changes for one subscriber.
struct ChangeFollower {
    db: DatabaseConnection,
    expires: Expiry,
    viewer: Viewer,
    wake: broadcast::Receiver<Event>,
    round_id: Option<i32>,
    proposal_id: Option<i32>,
    committee_id: Option<i32>,
}

impl Follower for ChangeFollower {
    type Item = ProposalChangedEvent;

    /// The next change this subscriber may see.
    async fn next(&mut self) -> Option<Result<ProposalChangedEvent, ApiError>> {
        loop {
            let Some(received) = self.expires.before(self.wake.recv()).await else {
                return Some(Err(Expiry::error()));
            };
            let event = match received {
                Ok(event) => event,
                // Missed changes cannot be replayed; the subscriber re-reads when it matters.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a proposal subscriber fell behind");
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            let Event::Proposal {
                proposal_id,
                round_id,
                committee_id,
                status,
                version,
                changes,
                at,
            } = event
            else {
                continue;
            };
            if self.round_id.is_some_and(|id| id != round_id)
                || self.proposal_id.is_some_and(|id| id != proposal_id)
                || self.committee_id.is_some_and(|id| id != committee_id)
            {
                continue;
            }
            match self
                .visible(proposal_id, round_id, committee_id, &status, &changes)
                .await
            {
                Ok(Some(proposal)) => {
                    return Some(Ok(ProposalChangedEvent {
                        proposal_id: ids::encode(Kind::Proposal, proposal_id),
                        version,
                        changes,
                        at,
                        proposal: proposal.map(Proposal),
                    }));
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(code = error.code(), "cannot check a change's visibility");
                }
            }
        }
    }
}

impl ChangeFollower {
    /// Whether the subscriber may see this change: `Some(proposal as it is now)`, or
    /// `Some(None)` for a deleted draft it could see.
    async fn visible(
        &self,
        proposal_id: i32,
        round_id: i32,
        committee_id: i32,
        status: &str,
        changes: &[ProposalChangeKind],
    ) -> Result<Option<Option<entity::proposal::Model>>, ApiError> {
        let code = || async {
            Ok::<_, ApiError>(
                committee::Entity::find_by_id(committee_id)
                    .one(&self.db)
                    .await?
                    .map(|c| c.code)
                    .unwrap_or_default(),
            )
        };
        // Visible as it was when it changed (a subscriber that is behind must not learn of
        // a draft's change once the proposal is published) and as it is now.
        let code = code().await?;
        let then = ProposalStatus::parse(status).unwrap_or(ProposalStatus::Draft);
        if !auth::can_view_proposal(&self.viewer, then, &code) {
            return Ok(None);
        }
        if changes.contains(&ProposalChangeKind::Deleted) {
            return Ok(Some(None));
        }
        let Some(found) = proposal::by_ids(&self.db, &self.viewer, &[proposal_id])
            .await?
            .remove(&proposal_id)
        else {
            return Ok(None);
        };
        if changes == [ProposalChangeKind::Remarks] {
            let phase = budget_round::Entity::find_by_id(round_id)
                .one(&self.db)
                .await?
                .and_then(|round| RoundPhase::parse(&round.phase))
                .unwrap_or(RoundPhase::Preparation);
            if !auth::can_view_hu_remarks(&self.viewer, phase, &code) {
                return Ok(None);
            }
        }
        Ok(Some(Some(found)))
    }
}
