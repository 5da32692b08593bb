//! Rounds, committees and policy areas: the reference data everything else hangs on.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::model::normalize_committee_code;
use crate::error::{ApiError, ApiResult};
use entity::{budget_round, committee, policy_area};

/// All rounds, newest first.
pub async fn rounds(db: &impl ConnectionTrait) -> ApiResult<Vec<budget_round::Model>> {
    Ok(budget_round::Entity::find()
        .order_by_desc(budget_round::Column::FirstYear)
        .all(db)
        .await?)
}

/// One round by id.
pub async fn round(db: &impl ConnectionTrait, id: i32) -> ApiResult<budget_round::Model> {
    budget_round::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))
}

/// One round by its first year (`2023` for Budget 2023-2026).
pub async fn round_by_first_year(
    db: &impl ConnectionTrait,
    first_year: i32,
) -> ApiResult<budget_round::Model> {
    budget_round::Entity::find()
        .filter(budget_round::Column::FirstYear.eq(first_year))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))
}

/// All committees in catalog order.
pub async fn committees(db: &impl ConnectionTrait) -> ApiResult<Vec<committee::Model>> {
    Ok(committee::Entity::find()
        .order_by_asc(committee::Column::Position)
        .order_by_asc(committee::Column::Id)
        .all(db)
        .await?)
}

/// One committee by code, as a person types it (`øu` finds `ØU`).
pub async fn committee_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<committee::Model> {
    committee::Entity::find()
        .filter(committee::Column::Code.eq(normalize_committee_code(code)))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("committee {}", code.trim())))
}

/// Resolves committee codes to ids; an unknown code is an input error on `field`.
pub async fn committee_ids_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
    field: &[&str],
) -> ApiResult<Vec<i32>> {
    let wanted: Vec<String> = codes.iter().map(|c| normalize_committee_code(c)).collect();
    let found = committee::Entity::find()
        .filter(committee::Column::Code.is_in(wanted.clone()))
        .all(db)
        .await?;
    for (index, code) in wanted.iter().enumerate() {
        if !found.iter().any(|committee| &committee.code == code) {
            let index = index.to_string();
            let mut path = field.to_vec();
            path.push(&index);
            return Err(ApiError::bad_input(
                &path,
                format!("there is no committee with the code {code:?}"),
            ));
        }
    }
    Ok(found.into_iter().map(|committee| committee.id).collect())
}

/// Policy areas, optionally of one committee, in display order.
pub async fn policy_areas(
    db: &impl ConnectionTrait,
    committee_id: Option<i32>,
) -> ApiResult<Vec<policy_area::Model>> {
    let mut query = policy_area::Entity::find();
    if let Some(committee_id) = committee_id {
        query = query.filter(policy_area::Column::CommitteeId.eq(committee_id));
    }
    Ok(query
        .order_by_asc(policy_area::Column::CommitteeId)
        .order_by_asc(policy_area::Column::Position)
        .order_by_asc(policy_area::Column::Id)
        .all(db)
        .await?)
}

/// The years of a round, first to last.
pub fn round_years(round: &budget_round::Model) -> Vec<i32> {
    (round.first_year..round.first_year + round.year_count).collect()
}
