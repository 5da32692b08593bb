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

/// A new round's settings.
#[derive(Clone, Debug)]
pub struct NewRound {
    /// "Budget 2027-2030".
    pub name: String,
    /// First budget year.
    pub first_year: i32,
    /// Number of years.
    pub year_count: i32,
    /// Price level year.
    pub price_level_year: i32,
}

/// Changes to a round; `None` leaves a setting, `Some(None)` clears a deadline.
#[derive(Clone, Debug, Default)]
pub struct RoundChanges {
    /// New phase.
    pub phase: Option<crate::domain::model::RoundPhase>,
    /// Submission deadline.
    pub submission_deadline: Option<Option<chrono::DateTime<chrono::Utc>>>,
    /// Consultation deadline.
    pub consultation_deadline: Option<Option<chrono::DateTime<chrono::Utc>>>,
}

/// Creates a round in preparation (the budget office only). Input problems come back as
/// field errors; a taken first year is a CONFLICT.
pub async fn create_round(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    input: &NewRound,
) -> ApiResult<crate::domain::editing::Written<budget_round::Model>> {
    use crate::domain::editing::{UserError, Written};
    use sea_orm::ActiveValue::Set;
    crate::auth::require_signed_in(viewer)?;
    if !crate::auth::can_manage_rounds(viewer) {
        return Err(ApiError::Forbidden(
            "rounds are the budget office's".to_owned(),
        ));
    }
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: &str| {
        problems.push(UserError {
            field: vec![field.to_owned()],
            code,
            message: message.to_owned(),
        })
    };
    if input.name.trim().is_empty() {
        problem("name", "REQUIRED", "a round needs a name");
    }
    if !(2000..=2200).contains(&input.first_year) {
        problem(
            "firstYear",
            "OUT_OF_RANGE",
            "a budget year between 2000 and 2200",
        );
    }
    if !(1..=10).contains(&input.year_count) {
        problem("yearCount", "OUT_OF_RANGE", "between 1 and 10 years");
    }
    if (input.price_level_year - input.first_year).abs() > 5 {
        problem(
            "priceLevelYear",
            "OUT_OF_RANGE",
            "the price level is a year near the round's",
        );
    }
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let now = chrono::Utc::now();
    let created = budget_round::Entity::insert(budget_round::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        first_year: Set(input.first_year),
        year_count: Set(input.year_count),
        price_level_year: Set(input.price_level_year),
        phase: Set(crate::domain::model::RoundPhase::Preparation
            .as_str()
            .to_owned()),
        submission_deadline: Set(None),
        consultation_deadline: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(Written::Done(created))
}

/// Sets a round's phase and deadlines (the budget office only).
pub async fn update_round(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    id: i32,
    changes: &RoundChanges,
) -> ApiResult<budget_round::Model> {
    use sea_orm::ActiveValue::Set;
    crate::auth::require_signed_in(viewer)?;
    if !crate::auth::can_manage_rounds(viewer) {
        return Err(ApiError::Forbidden(
            "rounds are the budget office's".to_owned(),
        ));
    }
    let current = round(db, id).await?;
    let mut active: budget_round::ActiveModel = current.into();
    if let Some(phase) = changes.phase {
        active.phase = Set(phase.as_str().to_owned());
    }
    if let Some(deadline) = changes.submission_deadline {
        active.submission_deadline = Set(deadline);
    }
    if let Some(deadline) = changes.consultation_deadline {
        active.consultation_deadline = Set(deadline);
    }
    active.updated_at = Set(chrono::Utc::now());
    Ok(sea_orm::ActiveModelTrait::update(active, db).await?)
}
