//! HU remarks (bemærkninger fra HU): written by HU members during the consultation; every
//! edit is a new version and the earlier ones stay readable.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::auth::{self, Viewer};
use crate::domain::bounds::MAX_REMARKS;
use crate::domain::editing::{UserError, Written, begin_write};
use crate::domain::model::ProposalStatus;
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, Events, ProposalChangeKind};
use entity::{budget_round, hu_remark, hu_remark_version, proposal};

/// The longest HU remark, in characters.
pub const MAX_REMARK: usize = 20_000;

/// A remark with all its versions, oldest first.
#[derive(Clone, Debug)]
pub struct Remark {
    /// The remark.
    pub remark: hu_remark::Model,
    /// Its versions.
    pub versions: Vec<hu_remark_version::Model>,
}

fn check_body(body: &str) -> Option<UserError> {
    if body.trim().is_empty() {
        return Some(UserError::new(&["body"], "REQUIRED", "a remark needs text"));
    }
    (body.chars().count() > MAX_REMARK).then(|| {
        UserError::new(
            &["body"],
            "TOO_LONG",
            format!("at most {MAX_REMARK} characters"),
        )
    })
}

async fn proposal_state(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    proposal_id: i32,
) -> ApiResult<(proposal::Model, budget_round::Model, ProposalStatus)> {
    let row = proposal::Entity::find_by_id(proposal_id)
        .filter(auth::visible_proposals(viewer))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("proposal"))?;
    let round = budget_round::Entity::find_by_id(row.round_id)
        .one(db)
        .await?
        .ok_or(ApiError::Internal)?;
    let status = ProposalStatus::parse(&row.status).ok_or(ApiError::Internal)?;
    Ok((row, round, status))
}

/// Adds a remark (HU members, during consultation).
pub async fn add(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    proposal_id: i32,
    body: &str,
) -> ApiResult<Written<Remark>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let (row, round, status) = proposal_state(&txn, viewer, proposal_id).await?;
    if !auth::can_write_hu_remark(viewer, &round, status, Utc::now()) {
        return Err(ApiError::Forbidden(
            "HU members write remarks while the round is in consultation".to_owned(),
        ));
    }
    if let Some(problem) = check_body(body) {
        return Ok(Written::Invalid(vec![problem]));
    }
    let remarks = hu_remark::Entity::find()
        .filter(hu_remark::Column::ProposalId.eq(proposal_id))
        .count(&txn)
        .await?;
    if usize::try_from(remarks).unwrap_or(usize::MAX) >= MAX_REMARKS {
        return Ok(Written::Invalid(vec![UserError::new(
            &["proposal"],
            "TOO_MANY",
            format!("a proposal has at most {MAX_REMARKS} HU remarks: edit one instead"),
        )]));
    }
    let now = Utc::now();
    let remark = hu_remark::Entity::insert(hu_remark::ActiveModel {
        proposal_id: Set(proposal_id),
        author_subject: Set(viewer.subject.clone()),
        author_name: Set(viewer.name.clone()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let version = hu_remark_version::Entity::insert(hu_remark_version::ActiveModel {
        remark_id: Set(remark.id),
        version: Set(1),
        body: Set(body.trim().to_owned()),
        edited_at: Set(now),
        editor_name: Set(viewer.name.clone()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let changed = Event::proposal(&row, &[ProposalChangeKind::Remarks], now);
    events.announce_and_commit(txn, vec![changed]).await?;
    Ok(Written::Done(Remark {
        remark,
        versions: vec![version],
    }))
}

/// Edits a remark (its author, during consultation): a new version; `expected_version` is
/// the version the edit is based on.
pub async fn edit(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    remark_id: i32,
    expected_version: i32,
    body: &str,
) -> ApiResult<Written<Remark>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let remark = hu_remark::Entity::find_by_id(remark_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("remark"))?;
    let (row, round, status) = proposal_state(&txn, viewer, remark.proposal_id).await?;
    if !auth::can_edit_hu_remark(
        viewer,
        remark.author_subject.as_deref(),
        &round,
        status,
        Utc::now(),
    ) {
        return Err(ApiError::Forbidden(
            "only its author edits a remark, during consultation".to_owned(),
        ));
    }
    if remark.version != expected_version {
        return Err(ApiError::Conflict(format!(
            "the remark is at version {}; reload and try again",
            remark.version
        )));
    }
    if let Some(problem) = check_body(body) {
        return Ok(Written::Invalid(vec![problem]));
    }
    let now = Utc::now();
    let next = remark.version + 1;
    let result = hu_remark::Entity::update_many()
        .set(hu_remark::ActiveModel {
            version: Set(next),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(hu_remark::Column::Id.eq(remark_id))
        .filter(hu_remark::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "the remark changed meanwhile; reload and try again".to_owned(),
        ));
    }
    hu_remark_version::Entity::insert(hu_remark_version::ActiveModel {
        remark_id: Set(remark_id),
        version: Set(next),
        body: Set(body.trim().to_owned()),
        edited_at: Set(now),
        editor_name: Set(viewer.name.clone()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    // Read back inside the transaction: once committed, the answer must not fail.
    let remarks = of_proposals(&txn, &[remark.proposal_id]).await?;
    let found = remarks
        .get(&remark.proposal_id)
        .and_then(|all| all.iter().find(|r| r.remark.id == remark_id))
        .cloned()
        .ok_or(ApiError::Internal)?;
    let changed = Event::proposal(&row, &[ProposalChangeKind::Remarks], now);
    events.announce_and_commit(txn, vec![changed]).await?;
    Ok(Written::Done(found))
}

/// The remarks on proposals with their versions, keyed by proposal id, oldest first.
pub async fn of_proposals(
    db: &impl ConnectionTrait,
    proposal_ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<Remark>>> {
    let remarks = hu_remark::Entity::find()
        .filter(hu_remark::Column::ProposalId.is_in(proposal_ids.to_vec()))
        .order_by_asc(hu_remark::Column::CreatedAt)
        .order_by_asc(hu_remark::Column::Id)
        .all(db)
        .await?;
    let mut versions: HashMap<i32, Vec<hu_remark_version::Model>> = HashMap::new();
    for version in hu_remark_version::Entity::find()
        .filter(
            hu_remark_version::Column::RemarkId
                .is_in(remarks.iter().map(|r| r.id).collect::<Vec<_>>()),
        )
        .order_by_asc(hu_remark_version::Column::Version)
        .all(db)
        .await?
    {
        versions.entry(version.remark_id).or_default().push(version);
    }
    let mut by_proposal: HashMap<i32, Vec<Remark>> = HashMap::new();
    for remark in remarks {
        let id = remark.id;
        by_proposal
            .entry(remark.proposal_id)
            .or_default()
            .push(Remark {
                remark,
                versions: versions.remove(&id).unwrap_or_default(),
            });
    }
    Ok(by_proposal)
}
