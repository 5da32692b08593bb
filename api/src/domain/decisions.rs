//! Decisions on proposals (beslutninger): by a body (a committee, or Byrådet), on a date,
//! with an outcome, text, votes per party and amendments. An approving or rejecting decision
//! moves the proposal's status in the same transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::auth::{self, Viewer};
use crate::domain::bounds::{MAX_AMENDMENTS, MAX_DECISIONS, MAX_VOTES, at_most};
use crate::domain::editing::{UserError, Written, begin_write, bump_version, load_for_change};
use crate::domain::feed;
use crate::domain::history::{self, Change};
use crate::domain::model::{
    AmendmentOutcome, DecisionOutcome, ProposalStatus, VotePosition, date_in_range,
    date_range_message, normalize_committee_code,
};
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, Events, ProposalChangeKind};
use entity::{amendment, committee, decision, decision_vote, proposal};

/// The code of the city council as a deciding body.
pub const CITY_COUNCIL: &str = "BR";

/// A decision as recorded.
#[derive(Clone, Debug)]
pub struct NewDecision {
    /// Committee code or `BR`.
    pub body: String,
    /// Meeting date.
    pub decided_on: NaiveDate,
    /// Outcome.
    pub outcome: DecisionOutcome,
    /// The decision's text.
    pub text: String,
    /// Votes: party letter, members, position.
    pub votes: Vec<(String, i32, VotePosition)>,
    /// Amendments: proposer, text, outcome.
    pub amendments: Vec<(String, String, AmendmentOutcome)>,
}

/// A decision with its votes and amendments.
#[derive(Clone, Debug)]
pub struct DecisionRecord {
    /// The decision.
    pub decision: decision::Model,
    /// Its votes.
    pub votes: Vec<decision_vote::Model>,
    /// Its amendments.
    pub amendments: Vec<amendment::Model>,
}

/// The longest decision or amendment text, as for an HU remark: minutes quote them whole,
/// and the answer's worst size depends on it.
pub const MAX_DECISION_TEXT: usize = 20_000;

fn check_text(field: &[&str], text: &str) -> Option<UserError> {
    (text.chars().count() > MAX_DECISION_TEXT).then(|| {
        UserError::new(
            field,
            "TOO_LONG",
            format!("at most {MAX_DECISION_TEXT} characters"),
        )
    })
}

/// Records a decision (the budget office); approving, rejecting and (not) recommending
/// outcomes move the proposal's status.
pub async fn record(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    proposal_id: i32,
    expected_version: i32,
    input: &NewDecision,
) -> ApiResult<Written<proposal::Model>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let target = load_for_change(&txn, viewer, proposal_id, expected_version).await?;
    if !auth::can_record_decision(viewer, &target.round) {
        return Err(ApiError::Forbidden(
            "decisions are recorded by the budget office".to_owned(),
        ));
    }
    if matches!(
        target.status,
        ProposalStatus::Draft | ProposalStatus::Withdrawn
    ) {
        return Err(ApiError::Forbidden(format!(
            "a {} proposal is not up for decision",
            target.status.label().to_lowercase()
        )));
    }
    let mut problems = Vec::new();
    if !date_in_range(input.decided_on) {
        problems.push(UserError::new(
            &["decidedOn"],
            "OUT_OF_RANGE",
            date_range_message(),
        ));
    }
    let body = normalize_committee_code(&input.body);
    let known_body = body == CITY_COUNCIL
        || committee::Entity::find()
            .filter(committee::Column::Code.eq(body.clone()))
            .one(&txn)
            .await?
            .is_some();
    if !known_body {
        problems.push(UserError::new(
            &["body"],
            "UNKNOWN",
            format!("{body:?} is neither a committee nor BR (Byrådet)"),
        ));
    }
    let recorded = decision::Entity::find()
        .filter(decision::Column::ProposalId.eq(proposal_id))
        .count(&txn)
        .await?;
    if usize::try_from(recorded).unwrap_or(usize::MAX) >= MAX_DECISIONS {
        problems.push(UserError::new(
            &[],
            "TOO_MANY",
            format!("a proposal has at most {MAX_DECISIONS} decisions"),
        ));
    }
    problems.extend(at_most(
        &["votes"],
        input.votes.len(),
        MAX_VOTES,
        "votes (one per party)",
    ));
    problems.extend(at_most(
        &["amendments"],
        input.amendments.len(),
        MAX_AMENDMENTS,
        "amendments",
    ));
    problems.extend(check_text(&["text"], &input.text));
    for (index, (party, members, _)) in input.votes.iter().take(MAX_VOTES).enumerate() {
        if party.trim().is_empty() || party.chars().count() > 16 {
            problems.push(UserError::new(
                &["votes", &index.to_string(), "party"],
                "REQUIRED",
                "a party letter, e.g. Ø",
            ));
        }
        if !(0..=100).contains(members) {
            problems.push(UserError::new(
                &["votes", &index.to_string(), "members"],
                "OUT_OF_RANGE",
                "between 0 and 100 members",
            ));
        }
    }
    for (index, (proposer, text, _)) in input.amendments.iter().take(MAX_AMENDMENTS).enumerate() {
        if proposer.chars().count() > 200 {
            problems.push(UserError::new(
                &["amendments", &index.to_string(), "proposer"],
                "TOO_LONG",
                "at most 200 characters",
            ));
        }
        if proposer.trim().is_empty() {
            problems.push(UserError::new(
                &["amendments", &index.to_string(), "proposer"],
                "REQUIRED",
                "who put the amendment forward",
            ));
        }
        if text.trim().is_empty() {
            problems.push(UserError::new(
                &["amendments", &index.to_string(), "text"],
                "REQUIRED",
                "the amendment's text",
            ));
        }
        problems.extend(check_text(
            &["amendments", &index.to_string(), "text"],
            text,
        ));
    }
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let now = Utc::now();
    let saved = decision::Entity::insert(decision::ActiveModel {
        proposal_id: Set(proposal_id),
        body: Set(body.clone()),
        decided_on: Set(input.decided_on),
        outcome: Set(input.outcome.as_str().to_owned()),
        text: Set(input.text.trim().to_owned()),
        recorded_by: Set(viewer.recorded_as()),
        recorded_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    if !input.votes.is_empty() {
        decision_vote::Entity::insert_many(input.votes.iter().map(|(party, members, position)| {
            decision_vote::ActiveModel {
                decision_id: Set(saved.id),
                party: Set(party.trim().to_owned()),
                members: Set(*members),
                position: Set(position.as_str().to_owned()),
                ..Default::default()
            }
        }))
        .exec(&txn)
        .await?;
    }
    for (position, (proposer, text, outcome)) in input.amendments.iter().enumerate() {
        amendment::Entity::insert(amendment::ActiveModel {
            decision_id: Set(saved.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            proposer: Set(proposer.trim().to_owned()),
            text: Set(text.trim().to_owned()),
            outcome: Set(outcome.as_str().to_owned()),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    let before = history::snapshot(&txn, &target.row).await?;
    let status = input.outcome.resulting_status().unwrap_or(target.status);
    let changes = proposal::ActiveModel {
        status: Set(status.as_str().to_owned()),
        ..Default::default()
    };
    let updated = bump_version(&txn, &target, changes, now).await?;
    let reason = format!(
        "{} {} {}: {}",
        body,
        input.decided_on,
        input.outcome.label(),
        input.text.trim()
    );
    history::record(
        &txn,
        viewer,
        &updated,
        Some(&before),
        Change {
            action: "decided",
            from_status: Some(target.status.as_str()),
            reason: Some(&reason),
        },
        now,
    )
    .await?;
    let mut changes = vec![ProposalChangeKind::Decision];
    if status != target.status {
        changes.push(ProposalChangeKind::Status);
    }
    let books = status == ProposalStatus::Approved || target.status == ProposalStatus::Approved;
    let booking = books.then(|| feed::Booking {
        decision_id: Some(saved.id),
        reason: Some(&reason),
        recorded_by: viewer.recorded_as(),
        at: now,
    });
    let changed = Event::proposal(&updated, &changes, now);
    feed::commit_booking(txn, events, &updated, vec![changed], booking).await?;
    Ok(Written::Done(updated))
}

/// The decisions on proposals, keyed by proposal id, oldest first.
pub async fn of_proposals(
    db: &impl ConnectionTrait,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<DecisionRecord>>> {
    let decisions = decision::Entity::find()
        .filter(decision::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .order_by_asc(decision::Column::DecidedOn)
        .order_by_asc(decision::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = decisions.iter().map(|d| d.id).collect();
    let mut votes: HashMap<i32, Vec<decision_vote::Model>> = HashMap::new();
    for vote in decision_vote::Entity::find()
        .filter(decision_vote::Column::DecisionId.is_in(ids.clone()))
        .order_by_asc(decision_vote::Column::Id)
        .all(db)
        .await?
    {
        votes.entry(vote.decision_id).or_default().push(vote);
    }
    let mut amendments: HashMap<i32, Vec<amendment::Model>> = HashMap::new();
    for item in amendment::Entity::find()
        .filter(amendment::Column::DecisionId.is_in(ids))
        .order_by_asc(amendment::Column::Position)
        .order_by_asc(amendment::Column::Id)
        .all(db)
        .await?
    {
        amendments.entry(item.decision_id).or_default().push(item);
    }
    let mut by_proposal: HashMap<i32, Vec<DecisionRecord>> = HashMap::new();
    for decision in decisions {
        let id = decision.id;
        by_proposal
            .entry(decision.proposal_id)
            .or_default()
            .push(DecisionRecord {
                decision,
                votes: votes.remove(&id).unwrap_or_default(),
                amendments: amendments.remove(&id).unwrap_or_default(),
            });
    }
    Ok(by_proposal)
}

/// The votes as the minutes write them: "Ø (1) stemte imod. A (1) undlod at stemme."
pub fn votes_text(votes: &[decision_vote::Model]) -> String {
    let parts: Vec<String> = votes
        .iter()
        .map(|vote| {
            let position = VotePosition::parse(&vote.position).map_or("", VotePosition::label);
            format!("{} ({}) {}", vote.party, vote.members, position)
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}.", parts.join(". "))
    }
}
