//! The approved-changes feed (godkendte budgetændringer): what finance systems book.
//!
//! When a proposal is approved, its budget lines become feed items. The feed is append-only:
//! when what is approved changes (a decision overturned, an admin correction of an approved
//! line, a proposal moved to another policy area), [`reconcile`] appends compensating items,
//! so that the items of a proposal always sum to what is approved now, per year, kind,
//! committee, policy area and expense type.
//!
//! Ordering: every item has a sequence number from the single `feed_counter` row, which the
//! appending transaction increments just before it commits. The row lock is held until
//! commit, so a second writer waits for the first to commit before it gets its numbers:
//! items become visible in sequence order on PostgreSQL (any number of writers and
//! replicas) and on SQLite (one writer at a time anyway). A consumer that stores the last
//! sequence it processed and asks for what follows never misses an item and never gets one
//! twice.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::auth::Viewer;
use crate::domain::model::{BudgetLineKind, ChangeEntry, ProposalStatus};
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, Events};
use entity::{approved_change, budget_line, budget_round, committee, feed_counter, proposal};

/// The largest page of the feed a client may ask for.
pub const MAX_FEED_PAGE: u64 = 500;

/// How many rows one INSERT carries (SQLite limits bound variables per statement).
const INSERT_CHUNK: usize = 500;

/// Who and what an append is attributed to.
#[derive(Clone, Debug)]
pub struct Booking<'a> {
    /// The decision that caused it, if any.
    pub decision_id: Option<i32>,
    /// Why, for a person (the decision's wording, the correction's reason).
    pub reason: Option<&'a str>,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a booking is keyed by: an item of a proposal moves money for this key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    proposal_id: i32,
    year: i32,
    kind_position: usize,
    kind: String,
    committee_id: i32,
    policy_area_id: Option<i32>,
    expense_type: String,
}

/// The place of a stored line kind in display order (unknown kinds last).
pub fn kind_position(kind: &str) -> usize {
    BudgetLineKind::ALL
        .iter()
        .position(|k| k.as_str() == kind)
        .unwrap_or(usize::MAX)
}

/// Appends the items that make the feed book exactly what is approved now for `proposal_ids`:
/// the lines of an approved proposal, nothing for any other. Returns the appended items
/// (none when nothing changed). Call it inside the writing transaction, after the
/// proposal's row has been updated (its lock serialises writers of one proposal), as the
/// last statement before commit (the counter's lock is held until then).
pub async fn reconcile(
    txn: &DatabaseTransaction,
    proposal_ids: &[i32],
    booking: &Booking<'_>,
) -> ApiResult<Vec<approved_change::Model>> {
    if proposal_ids.is_empty() {
        return Ok(Vec::new());
    }
    let proposals: HashMap<i32, proposal::Model> = proposal::Entity::find()
        .filter(proposal::Column::Id.is_in(proposal_ids.to_vec()))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let approved: Vec<i32> = proposals
        .values()
        .filter(|p| p.status == ProposalStatus::Approved.as_str())
        .map(|p| p.id)
        .collect();

    // What should be booked now.
    let mut desired: BTreeMap<Key, i64> = BTreeMap::new();
    if !approved.is_empty() {
        for line in budget_line::Entity::find()
            .filter(budget_line::Column::ProposalId.is_in(approved))
            .filter(budget_line::Column::AmountOre.ne(0))
            .all(txn)
            .await?
        {
            let Some(p) = proposals.get(&line.proposal_id) else {
                continue;
            };
            let key = Key {
                proposal_id: p.id,
                year: line.year,
                kind_position: kind_position(&line.kind),
                kind: line.kind,
                committee_id: p.committee_id,
                policy_area_id: p.policy_area_id,
                expense_type: p.expense_type.clone(),
            };
            *desired.entry(key).or_default() += line.amount_ore;
        }
    }

    // What is booked now: the sums of the items so far.
    let mut booked: BTreeMap<Key, i64> = BTreeMap::new();
    let mut query = Query::select();
    query
        .from(approved_change::Entity)
        .columns([
            approved_change::Column::ProposalId,
            approved_change::Column::Year,
            approved_change::Column::Kind,
            approved_change::Column::CommitteeId,
            approved_change::Column::PolicyAreaId,
            approved_change::Column::ExpenseType,
        ])
        .expr_as(
            Expr::cust("CAST(SUM(approved_change.amount_ore) AS BIGINT)"),
            Alias::new("booked_ore"),
        )
        .and_where(approved_change::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .group_by_columns([
            approved_change::Column::ProposalId,
            approved_change::Column::Year,
            approved_change::Column::Kind,
            approved_change::Column::CommitteeId,
            approved_change::Column::PolicyAreaId,
            approved_change::Column::ExpenseType,
        ]);
    for row in txn.query_all(&query).await? {
        let kind: String = row.try_get("", "kind")?;
        let key = Key {
            proposal_id: row.try_get("", "proposal_id")?,
            year: row.try_get("", "year")?,
            kind_position: kind_position(&kind),
            kind,
            committee_id: row.try_get("", "committee_id")?,
            policy_area_id: row.try_get("", "policy_area_id")?,
            expense_type: row.try_get("", "expense_type")?,
        };
        let amount: i64 = row.try_get("", "booked_ore")?;
        if amount != 0 {
            booked.insert(key, amount);
        }
    }

    // The differences, in a stable order: proposal, year, kind, then the rest.
    let mut deltas: BTreeMap<Key, i64> = BTreeMap::new();
    for (key, amount) in &desired {
        let delta = amount - booked.get(key).copied().unwrap_or(0);
        if delta != 0 {
            deltas.insert(key.clone(), delta);
        }
    }
    for (key, amount) in &booked {
        if !desired.contains_key(key) {
            deltas.insert(key.clone(), -amount);
        }
    }
    if deltas.is_empty() {
        return Ok(Vec::new());
    }

    // Labels of the moment: the round's price level, the committee's code.
    let round_ids: Vec<i32> = proposals.values().map(|p| p.round_id).collect();
    let price_levels: HashMap<i32, i32> = budget_round::Entity::find()
        .filter(budget_round::Column::Id.is_in(round_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.price_level_year))
        .collect();
    let committee_ids: Vec<i32> = deltas.keys().map(|k| k.committee_id).collect();
    let committee_codes: HashMap<i32, String> = committee::Entity::find()
        .filter(committee::Column::Id.is_in(committee_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect();

    let count = i64::try_from(deltas.len()).map_err(|_| ApiError::Internal)?;
    let first = take_sequences(txn, count).await?;
    let mut items = Vec::with_capacity(deltas.len());
    for (offset, (key, amount)) in (0_i64..).zip(deltas) {
        let p = proposals.get(&key.proposal_id).ok_or(ApiError::Internal)?;
        let books_now = desired.keys().any(|k| k.proposal_id == p.id);
        let booked_before = booked.keys().any(|k| k.proposal_id == p.id);
        let entry = match (booked_before, books_now) {
            (false, _) => ChangeEntry::Approval,
            (true, false) => ChangeEntry::Reversal,
            (true, true) => ChangeEntry::Correction,
        };
        items.push(approved_change::Model {
            sequence: first + offset,
            round_id: p.round_id,
            proposal_id: p.id,
            proposal_number: p.number.clone(),
            committee_id: key.committee_id,
            committee_code: committee_codes
                .get(&key.committee_id)
                .cloned()
                .unwrap_or_default(),
            policy_area_id: key.policy_area_id,
            expense_type: key.expense_type,
            year: key.year,
            kind: key.kind,
            amount_ore: amount,
            price_level_year: price_levels.get(&p.round_id).copied().unwrap_or(key.year),
            decision_id: booking.decision_id,
            entry: entry.as_str().to_owned(),
            reason: booking.reason.map(str::to_owned),
            recorded_at: booking.at,
            recorded_by: booking.recorded_by.clone(),
        });
    }
    for chunk in items.chunks(INSERT_CHUNK) {
        approved_change::Entity::insert_many(chunk.iter().cloned().map(|item| {
            approved_change::ActiveModel {
                sequence: Set(item.sequence),
                round_id: Set(item.round_id),
                proposal_id: Set(item.proposal_id),
                proposal_number: Set(item.proposal_number),
                committee_id: Set(item.committee_id),
                committee_code: Set(item.committee_code),
                policy_area_id: Set(item.policy_area_id),
                expense_type: Set(item.expense_type),
                year: Set(item.year),
                kind: Set(item.kind),
                amount_ore: Set(item.amount_ore),
                price_level_year: Set(item.price_level_year),
                decision_id: Set(item.decision_id),
                entry: Set(item.entry),
                reason: Set(item.reason),
                recorded_at: Set(item.recorded_at),
                recorded_by: Set(item.recorded_by),
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(items)
}

/// Commits a write to `row`: announces `announce`, and when `booking` is given (the write
/// may change what is approved) also the feed of its round, then books what is approved
/// now for `row` (the counter's lock is taken last, just before the commit).
pub async fn commit_booking(
    txn: DatabaseTransaction,
    events: &Events,
    row: &proposal::Model,
    mut announce: Vec<Event>,
    booking: Option<Booking<'_>>,
) -> ApiResult<()> {
    if booking.is_some() {
        announce.push(Event::feed(row));
    }
    let announced = events.announce(&txn, announce).await?;
    if let Some(booking) = booking {
        reconcile(&txn, &[row.id], &booking).await?;
    }
    events.commit(txn, announced).await
}

/// Takes `count` sequence numbers from the counter and returns the first. The counter row
/// stays locked until the transaction ends: that is what keeps the feed in commit order.
async fn take_sequences(txn: &impl ConnectionTrait, count: i64) -> ApiResult<i64> {
    let mut update = Query::update();
    update
        .table(feed_counter::Entity)
        .value(
            feed_counter::Column::LastSequence,
            Expr::col(feed_counter::Column::LastSequence).add(count),
        )
        .and_where(feed_counter::Column::Id.eq(1))
        .returning_col(feed_counter::Column::LastSequence);
    let Some(row) = txn.query_one(&update).await? else {
        tracing::error!("the feed counter row is missing");
        return Err(ApiError::Internal);
    };
    let last: i64 = row.try_get("", "last_sequence")?;
    Ok(last - count + 1)
}

/// The `reason` of an item as `viewer` may read it, given whether `viewer` may see the
/// item's proposal now. The reason quotes the decision (its body, date, outcome and
/// wording) or the budget office's note on a correction: text about the proposal, which
/// is read through the proposal, as its decisions are. Whoever may not see the proposal now
/// (an integration, once the approval was reversed) gets the amounts and no words, so the
/// reason never shows what the item's `decision` hides. The API and the exports ask this.
pub fn readable_reason(item: &approved_change::Model, proposal_visible: bool) -> Option<&str> {
    if proposal_visible {
        item.reason.as_deref()
    } else {
        None
    }
}

/// Which of the items' proposals `viewer` may see now: the `proposal_visible` of
/// [`readable_reason`] for a batch of items, in one query.
pub async fn visible_proposals_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    items: &[approved_change::Model],
) -> ApiResult<HashSet<i32>> {
    let mut ids: Vec<i32> = items.iter().map(|item| item.proposal_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(crate::domain::proposal::by_ids(db, viewer, &ids)
        .await?
        .into_keys()
        .collect())
}

/// The items of a round after `after` (a sequence), in sequence order; at most `limit`.
pub async fn page(
    db: &impl ConnectionTrait,
    round_id: i32,
    after: i64,
    limit: u64,
) -> ApiResult<Vec<approved_change::Model>> {
    window(db, round_id, after, i64::MAX, limit).await
}

/// The items of a round after `after`, up to and including `up_to`, at most `limit`: a
/// bounded window, for exports that must not grow while they stream.
pub async fn window(
    db: &impl ConnectionTrait,
    round_id: i32,
    after: i64,
    up_to: i64,
    limit: u64,
) -> ApiResult<Vec<approved_change::Model>> {
    Ok(approved_change::Entity::find()
        .filter(approved_change::Column::RoundId.eq(round_id))
        .filter(approved_change::Column::Sequence.gt(after))
        .filter(approved_change::Column::Sequence.lte(up_to))
        .order_by_asc(approved_change::Column::Sequence)
        .limit(limit)
        .all(db)
        .await?)
}

/// The last sequence of a round's feed (0 while it is empty).
pub async fn head(db: &impl ConnectionTrait, round_id: i32) -> ApiResult<i64> {
    let last: Option<i64> = approved_change::Entity::find()
        .select_only()
        .column_as(approved_change::Column::Sequence.max(), "last")
        .filter(approved_change::Column::RoundId.eq(round_id))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(last.unwrap_or(0))
}

/// Parses a feed cursor: the decimal sequence of the last item processed ("0" or none:
/// from the start).
pub fn parse_cursor(cursor: Option<&str>, field: &str) -> ApiResult<i64> {
    match cursor.map(str::trim) {
        None | Some("") => Ok(0),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|sequence| *sequence >= 0)
            .ok_or_else(|| {
                ApiError::bad_input(
                    &[field],
                    "not a feed cursor: pass the endCursor (a sequence number) of a page",
                )
            }),
    }
}
