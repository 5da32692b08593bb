//! Budgets of committees and policy areas as printed in the budget notes, with every place
//! where a printed total differs from the sum of its printed parts.
//!
//! The notes print rounded mio. kr. ("Afrundingsdifferencer kan forekomme"), so an "I alt"
//! can differ from its parts by 0,1. Both are kept exactly as printed and the difference is
//! reported, never hidden.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::ApiResult;
use crate::money::sum_ore;
use entity::{
    committee_budget, policy_area, policy_area_budget, policy_area_budget_item,
    policy_area_quantity,
};

/// One part of a total: a breakdown line of a policy area, or a policy area of a committee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetPart {
    /// As printed ("Boligstøtte", "Pension og boligstøtte").
    pub label: String,
    /// Øre.
    pub amount_ore: i64,
    /// The policy area when the part is one.
    pub policy_area_id: Option<i32>,
}

/// One year of a printed budget table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetYear {
    /// Calendar year.
    pub year: i32,
    /// "I alt" as printed, øre.
    pub stated_total_ore: Option<i64>,
    /// The parts of the total.
    pub parts: Vec<BudgetPart>,
    /// "Heraf serviceudgifter" as printed, øre.
    pub service_expenses_ore: Option<i64>,
    /// The sum of the parts' service expenses, where the parts have them (committees).
    pub computed_service_expenses_ore: Option<i128>,
}

impl BudgetYear {
    fn empty(year: i32) -> Self {
        Self {
            year,
            stated_total_ore: None,
            parts: Vec::new(),
            service_expenses_ore: None,
            computed_service_expenses_ore: None,
        }
    }

    /// The sum of the parts, or `None` when no parts were printed.
    pub fn computed_total_ore(&self) -> Option<i128> {
        (!self.parts.is_empty()).then(|| sum_ore(self.parts.iter().map(|part| part.amount_ore)))
    }
}

/// Which printed line a difference is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotalLine {
    /// "I alt".
    Total,
    /// "Heraf serviceudgifter".
    ServiceExpenses,
}

/// A printed total that differs from the sum of its printed parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalDifference {
    /// The line concerned.
    pub line: TotalLine,
    /// Calendar year.
    pub year: i32,
    /// As printed, øre.
    pub stated_ore: i128,
    /// Sum of the parts, øre.
    pub computed_ore: i128,
}

/// Every year where a printed total and the sum of its parts differ.
pub fn differences(years: &[BudgetYear]) -> Vec<TotalDifference> {
    let mut found = Vec::new();
    for year in years {
        if let (Some(stated), Some(computed)) = (
            year.stated_total_ore.map(i128::from),
            year.computed_total_ore(),
        ) && stated != computed
        {
            found.push(TotalDifference {
                line: TotalLine::Total,
                year: year.year,
                stated_ore: stated,
                computed_ore: computed,
            });
        }
        if let (Some(stated), Some(computed)) = (
            year.service_expenses_ore.map(i128::from),
            year.computed_service_expenses_ore,
        ) && stated != computed
        {
            found.push(TotalDifference {
                line: TotalLine::ServiceExpenses,
                year: year.year,
                stated_ore: stated,
                computed_ore: computed,
            });
        }
    }
    found
}

/// The printed budgets of policy areas in a round, keyed by area id, years ascending.
pub async fn policy_area_budgets(
    db: &impl ConnectionTrait,
    round_id: i32,
    area_ids: &[i32],
) -> ApiResult<BTreeMap<i32, Vec<BudgetYear>>> {
    let totals = policy_area_budget::Entity::find()
        .filter(policy_area_budget::Column::RoundId.eq(round_id))
        .filter(policy_area_budget::Column::PolicyAreaId.is_in(area_ids.to_vec()))
        .all(db)
        .await?;
    let items = policy_area_budget_item::Entity::find()
        .filter(policy_area_budget_item::Column::RoundId.eq(round_id))
        .filter(policy_area_budget_item::Column::PolicyAreaId.is_in(area_ids.to_vec()))
        .order_by_asc(policy_area_budget_item::Column::Position)
        .order_by_asc(policy_area_budget_item::Column::Id)
        .all(db)
        .await?;

    let mut years: BTreeMap<(i32, i32), BudgetYear> = BTreeMap::new();
    for total in totals {
        let year = years
            .entry((total.policy_area_id, total.year))
            .or_insert_with(|| BudgetYear::empty(total.year));
        year.stated_total_ore = total.stated_total_ore;
        year.service_expenses_ore = total.service_expenses_ore;
    }
    for item in items {
        years
            .entry((item.policy_area_id, item.year))
            .or_insert_with(|| BudgetYear::empty(item.year))
            .parts
            .push(BudgetPart {
                label: item.label,
                amount_ore: item.amount_ore,
                policy_area_id: None,
            });
    }

    let mut by_area: BTreeMap<i32, Vec<BudgetYear>> =
        area_ids.iter().map(|id| (*id, Vec::new())).collect();
    for ((area, _), year) in years {
        by_area.entry(area).or_default().push(year);
    }
    Ok(by_area)
}

/// The printed budgets of committees in a round (Tabel 1), keyed by committee id: their
/// totals and service expenses as printed, and their policy areas' printed totals as parts.
pub async fn committee_budgets(
    db: &impl ConnectionTrait,
    round_id: i32,
    committee_ids: &[i32],
) -> ApiResult<BTreeMap<i32, Vec<BudgetYear>>> {
    let areas = policy_area::Entity::find()
        .filter(policy_area::Column::CommitteeId.is_in(committee_ids.to_vec()))
        .order_by_asc(policy_area::Column::Position)
        .order_by_asc(policy_area::Column::Id)
        .all(db)
        .await?;
    let area_ids: Vec<i32> = areas.iter().map(|area| area.id).collect();
    let area_years = policy_area_budgets(db, round_id, &area_ids).await?;
    let stated = committee_budget::Entity::find()
        .filter(committee_budget::Column::RoundId.eq(round_id))
        .filter(committee_budget::Column::CommitteeId.is_in(committee_ids.to_vec()))
        .all(db)
        .await?;

    let mut years: BTreeMap<(i32, i32), BudgetYear> = BTreeMap::new();
    for row in stated {
        let year = years
            .entry((row.committee_id, row.year))
            .or_insert_with(|| BudgetYear::empty(row.year));
        year.stated_total_ore = row.stated_total_ore;
        year.service_expenses_ore = row.service_expenses_ore;
    }
    for area in &areas {
        for area_year in area_years.get(&area.id).into_iter().flatten() {
            let year = years
                .entry((area.committee_id, area_year.year))
                .or_insert_with(|| BudgetYear::empty(area_year.year));
            if let Some(total) = area_year.stated_total_ore.or_else(|| {
                area_year
                    .computed_total_ore()
                    .and_then(|total| i64::try_from(total).ok())
            }) {
                year.parts.push(BudgetPart {
                    label: area.name.clone(),
                    amount_ore: total,
                    policy_area_id: Some(area.id),
                });
            }
            if let Some(service) = area_year.service_expenses_ore {
                year.computed_service_expenses_ore =
                    Some(year.computed_service_expenses_ore.unwrap_or(0) + i128::from(service));
            }
        }
    }
    let mut by_committee: BTreeMap<i32, Vec<BudgetYear>> =
        committee_ids.iter().map(|id| (*id, Vec::new())).collect();
    for ((committee, _), year) in years {
        by_committee.entry(committee).or_default().push(year);
    }
    Ok(by_committee)
}

/// One quantity or assumption (Tabel 3) for one year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    /// As printed ("Boligydelse").
    pub label: String,
    /// What is counted ("antal modtagere").
    pub unit: String,
    /// Calendar year.
    pub year: i32,
    /// Hundredths, so that assumptions with decimals fit too.
    pub value_centi: i64,
}

/// Policy areas' quantities and assumptions in a round, keyed by area id, in printed order.
pub async fn policy_area_quantities(
    db: &impl ConnectionTrait,
    round_id: i32,
    area_ids: &[i32],
) -> ApiResult<BTreeMap<i32, Vec<Quantity>>> {
    let mut by_area: BTreeMap<i32, Vec<Quantity>> =
        area_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in policy_area_quantity::Entity::find()
        .filter(policy_area_quantity::Column::RoundId.eq(round_id))
        .filter(policy_area_quantity::Column::PolicyAreaId.is_in(area_ids.to_vec()))
        .order_by_asc(policy_area_quantity::Column::Position)
        .order_by_asc(policy_area_quantity::Column::Year)
        .order_by_asc(policy_area_quantity::Column::Id)
        .all(db)
        .await?
    {
        by_area
            .entry(row.policy_area_id)
            .or_default()
            .push(Quantity {
                label: row.label,
                unit: row.unit,
                year: row.year,
                value_centi: row.value_centi,
            });
    }
    Ok(by_area)
}
