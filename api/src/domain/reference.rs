//! Rounds, committees and policy areas: the reference data everything else hangs on.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::domain::bounds::{
    MAX_BUDGET_ITEMS, MAX_BUDGET_YEARS, MAX_COMMITTEES, MAX_POLICY_AREAS,
    MAX_POLICY_AREAS_PER_COMMITTEE, MAX_ROUND_YEARS, MAX_ROUNDS,
};
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
    admin_only(viewer)?;
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: &str| {
        problems.push(UserError::new(&[field], code, message))
    };
    if input.name.trim().is_empty() {
        problem("name", "REQUIRED", "a round needs a name");
    } else if input.name.chars().count() > 100 {
        problem("name", "TOO_LONG", "at most 100 characters");
    }
    if !(2000..=2200).contains(&input.first_year) {
        problem(
            "firstYear",
            "OUT_OF_RANGE",
            "a budget year between 2000 and 2200",
        );
    }
    if !(1..=MAX_ROUND_YEARS as i32).contains(&input.year_count) {
        problem(
            "yearCount",
            "OUT_OF_RANGE",
            &format!("between 1 and {MAX_ROUND_YEARS} years"),
        );
    }
    if (input.price_level_year - input.first_year).abs() > 5 {
        problem(
            "priceLevelYear",
            "OUT_OF_RANGE",
            "the price level is a year near the round's",
        );
    }
    let rounds = budget_round::Entity::find().count(db).await?;
    if usize::try_from(rounds).unwrap_or(usize::MAX) >= MAX_ROUNDS {
        problems.push(UserError::new(
            &["firstYear"],
            "TOO_MANY",
            format!("at most {MAX_ROUNDS} budget rounds"),
        ));
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

/// Inserts a round in `phase`, without deadlines.
pub async fn insert_round(
    db: &impl ConnectionTrait,
    input: &NewRound,
    phase: crate::domain::model::RoundPhase,
) -> ApiResult<budget_round::Model> {
    use sea_orm::ActiveValue::Set;
    let now = chrono::Utc::now();
    Ok(budget_round::Entity::insert(budget_round::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        first_year: Set(input.first_year),
        year_count: Set(input.year_count),
        price_level_year: Set(input.price_level_year),
        phase: Set(phase.as_str().to_owned()),
        submission_deadline: Set(None),
        consultation_deadline: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// Sets a round's phase and deadlines (the budget office only).
pub async fn update_round(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    id: i32,
    changes: &RoundChanges,
) -> ApiResult<budget_round::Model> {
    use sea_orm::ActiveValue::Set;
    admin_only(viewer)?;
    for (field, deadline) in [
        ("input.submissionDeadline", changes.submission_deadline),
        ("input.consultationDeadline", changes.consultation_deadline),
    ] {
        if let Some(Some(at)) = deadline {
            let path: Vec<&str> = field.split('.').collect();
            crate::domain::model::check_time(&path, at)?;
        }
    }
    let current = round(db, id).await?;
    let closed = crate::domain::model::RoundPhase::parse(&current.phase)
        == Some(crate::domain::model::RoundPhase::Adopted);
    if closed
        && changes
            .phase
            .is_some_and(|p| p != crate::domain::model::RoundPhase::Adopted)
    {
        return Err(ApiError::Forbidden(
            "an adopted round is closed; it does not go back to an earlier phase".to_owned(),
        ));
    }
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

/// One year of a policy area's budget as the budget notes print it.
#[derive(Clone, Debug)]
pub struct AreaBudgetYear {
    /// Calendar year (the round's years, or the year before for the original budget).
    pub year: i32,
    /// "I alt" as printed, kroner.
    pub stated_total: Option<rust_decimal::Decimal>,
    /// "Heraf serviceudgifter", kroner.
    pub service_expenses: Option<rust_decimal::Decimal>,
    /// Breakdown: label and kroner.
    pub items: Vec<(String, rust_decimal::Decimal)>,
}

fn admin_only(viewer: &crate::auth::Viewer) -> ApiResult<()> {
    crate::auth::require_signed_in(viewer)?;
    if !crate::auth::can_manage_rounds(viewer) {
        return Err(ApiError::Forbidden(
            "rounds, committees, policy areas and budgets are the budget office's".to_owned(),
        ));
    }
    Ok(())
}

/// Creates a committee (the budget office); a taken code is a CONFLICT.
pub async fn create_committee(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    code: &str,
    name: &str,
) -> ApiResult<crate::domain::editing::Written<committee::Model>> {
    use crate::domain::editing::Written;
    use sea_orm::ActiveValue::Set;
    admin_only(viewer)?;
    let code = normalize_committee_code(code);
    let mut problems = Vec::new();
    if code.is_empty() || code.chars().count() > 8 || !code.chars().all(char::is_alphabetic) {
        problems.push(crate::domain::editing::UserError::new(
            &["code"],
            "INVALID",
            "one to eight letters, Danish letters too (ÆSU)",
        ));
    }
    if code == crate::domain::decisions::CITY_COUNCIL {
        problems.push(crate::domain::editing::UserError::new(
            &["code"],
            "INVALID",
            "BR is Byrådet, the city council",
        ));
    }
    if name.trim().is_empty() {
        problems.push(crate::domain::editing::UserError::new(
            &["name"],
            "REQUIRED",
            "a committee needs a name",
        ));
    } else if name.chars().count() > 200 {
        problems.push(crate::domain::editing::UserError::new(
            &["name"],
            "TOO_LONG",
            "at most 200 characters",
        ));
    }
    let position = committee::Entity::find().count(db).await?;
    if usize::try_from(position).unwrap_or(usize::MAX) >= MAX_COMMITTEES {
        problems.push(crate::domain::editing::UserError::new(
            &["code"],
            "TOO_MANY",
            format!("at most {MAX_COMMITTEES} committees"),
        ));
    }
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    Ok(Written::Done(
        committee::Entity::insert(committee::ActiveModel {
            code: Set(code),
            name: Set(name.trim().to_owned()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?,
    ))
}

/// Creates a policy area of a committee (the budget office).
pub async fn create_policy_area(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    committee_code: &str,
    name: &str,
) -> ApiResult<crate::domain::editing::Written<policy_area::Model>> {
    use crate::domain::editing::Written;
    use sea_orm::ActiveValue::Set;
    admin_only(viewer)?;
    let committee = match committee_by_code(db, committee_code).await {
        Ok(committee) => committee,
        Err(ApiError::NotFound(_)) => {
            return Ok(Written::Invalid(vec![
                crate::domain::editing::UserError::new(
                    &["committee"],
                    "UNKNOWN",
                    "no such committee",
                ),
            ]));
        }
        Err(other) => return Err(other),
    };
    if name.chars().count() > 200 {
        return Ok(Written::Invalid(vec![
            crate::domain::editing::UserError::new(&["name"], "TOO_LONG", "at most 200 characters"),
        ]));
    }
    if name.trim().is_empty() {
        return Ok(Written::Invalid(vec![
            crate::domain::editing::UserError::new(
                &["name"],
                "REQUIRED",
                "a policy area needs a name",
            ),
        ]));
    }
    let position = policy_area::Entity::find()
        .filter(policy_area::Column::CommitteeId.eq(committee.id))
        .count(db)
        .await?;
    let all = policy_area::Entity::find().count(db).await?;
    if usize::try_from(position).unwrap_or(usize::MAX) >= MAX_POLICY_AREAS_PER_COMMITTEE
        || usize::try_from(all).unwrap_or(usize::MAX) >= MAX_POLICY_AREAS
    {
        return Ok(Written::Invalid(vec![
            crate::domain::editing::UserError::new(
                &["committee"],
                "TOO_MANY",
                format!(
                    "at most {MAX_POLICY_AREAS_PER_COMMITTEE} policy areas per committee and {MAX_POLICY_AREAS} in all"
                ),
            ),
        ]));
    }
    Ok(Written::Done(
        policy_area::Entity::insert(policy_area::ActiveModel {
            committee_id: Set(committee.id),
            name: Set(name.trim().to_owned()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?,
    ))
}

/// Replaces a policy area's printed budget in a round (the budget office): totals, service
/// expenses and breakdown per year, kept exactly as given.
pub async fn set_policy_area_budget(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    area_id: i32,
    round_id: i32,
    years: &[AreaBudgetYear],
) -> ApiResult<crate::domain::editing::Written<policy_area::Model>> {
    use crate::domain::editing::Written;
    use crate::money::kroner_to_ore;
    use entity::{policy_area_budget, policy_area_budget_item};
    use sea_orm::ActiveValue::Set;
    admin_only(viewer)?;
    let area = policy_area::Entity::find_by_id(area_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("policy area"))?;
    let round = round(db, round_id).await?;
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if let Some(problem) = crate::domain::bounds::at_most(
        &["years"],
        years.len(),
        MAX_BUDGET_YEARS,
        "years (the round's and the year before)",
    ) {
        problems.push(problem);
    }
    for (index, year) in years.iter().take(MAX_BUDGET_YEARS).enumerate() {
        let i = index.to_string();
        if year.year < round.first_year - 1 || year.year >= round.first_year + round.year_count {
            problems.push(crate::domain::editing::UserError::new(
                &["years", &i, "year"],
                "OUT_OF_RANGE",
                "a year of the round, or the year before",
            ));
        }
        if !seen.insert(year.year) {
            problems.push(crate::domain::editing::UserError::new(
                &["years", &i, "year"],
                "DUPLICATE",
                "given twice",
            ));
        }
        for (name, value) in [
            ("statedTotal", year.stated_total),
            ("serviceExpenses", year.service_expenses),
        ] {
            if let Some(Err(error)) = value.map(kroner_to_ore) {
                problems.push(crate::domain::editing::UserError::amount(
                    &["years", &i, name],
                    error,
                ));
            }
        }
        if let Some(problem) = crate::domain::bounds::at_most(
            &["years", &i, "items"],
            year.items.len(),
            MAX_BUDGET_ITEMS,
            "printed parts per year",
        ) {
            problems.push(problem);
        }
        for (item_index, (label, amount)) in year.items.iter().take(MAX_BUDGET_ITEMS).enumerate() {
            let j = item_index.to_string();
            if label.chars().count() > 200 {
                problems.push(crate::domain::editing::UserError::new(
                    &["years", &i, "items", &j, "label"],
                    "TOO_LONG",
                    "at most 200 characters",
                ));
            }
            if label.trim().is_empty() {
                problems.push(crate::domain::editing::UserError::new(
                    &["years", &i, "items", &j, "label"],
                    "REQUIRED",
                    "a label as printed",
                ));
            }
            if let Err(error) = kroner_to_ore(*amount) {
                problems.push(crate::domain::editing::UserError::amount(
                    &["years", &i, "items", &j, "amount"],
                    error,
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let txn = crate::domain::editing::begin_write(db).await?;
    policy_area_budget::Entity::delete_many()
        .filter(policy_area_budget::Column::PolicyAreaId.eq(area_id))
        .filter(policy_area_budget::Column::RoundId.eq(round_id))
        .exec(&txn)
        .await?;
    policy_area_budget_item::Entity::delete_many()
        .filter(policy_area_budget_item::Column::PolicyAreaId.eq(area_id))
        .filter(policy_area_budget_item::Column::RoundId.eq(round_id))
        .exec(&txn)
        .await?;
    let ore = |value: rust_decimal::Decimal| kroner_to_ore(value).map_err(|_| ApiError::Internal);
    for year in years {
        policy_area_budget::Entity::insert(policy_area_budget::ActiveModel {
            round_id: Set(round_id),
            policy_area_id: Set(area_id),
            year: Set(year.year),
            stated_total_ore: Set(year.stated_total.map(ore).transpose()?),
            service_expenses_ore: Set(year.service_expenses.map(ore).transpose()?),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        for (position, (label, amount)) in year.items.iter().enumerate() {
            policy_area_budget_item::Entity::insert(policy_area_budget_item::ActiveModel {
                round_id: Set(round_id),
                policy_area_id: Set(area_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                label: Set(label.trim().to_owned()),
                year: Set(year.year),
                amount_ore: Set(ore(*amount)?),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(Written::Done(area))
}
