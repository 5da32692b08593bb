//! Printed budget tables of committees and policy areas.

use crate::graphql::types::Decimal;
use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use crate::domain::budget::{self as domain, TotalDifference, TotalLine};
use crate::graphql::loader;
use crate::graphql::loaders::PolicyAreaById;
use crate::graphql::types::kroner;
use crate::graphql::types::reference::PolicyArea;
use crate::money::centi_to_decimal;

/// One year of a printed budget table.
pub struct BudgetYear {
    year: domain::BudgetYear,
    first_year: i32,
}

impl BudgetYear {
    pub(crate) fn new(year: domain::BudgetYear, first_year: i32) -> Self {
        Self { year, first_year }
    }
}

/// One year of a printed budget table.
#[Object]
impl BudgetYear {
    /// Calendar year.
    async fn year(&self) -> i32 {
        self.year.year
    }

    /// Whether this is the previous year's original budget shown for reference
    /// ("Oprindeligt budget 2021"), before the round's first budget year.
    async fn is_original_budget(&self) -> bool {
        self.year.year < self.first_year
    }

    /// Column heading as printed ("Oprindeligt budget 2021", "Budget 2022").
    async fn label(&self) -> String {
        if self.year.year < self.first_year {
            format!("Oprindeligt budget {}", self.year.year)
        } else {
            format!("Budget {}", self.year.year)
        }
    }

    /// "I alt" as printed, kroner.
    async fn stated_total(&self) -> Option<Decimal> {
        self.year.stated_total_ore.map(kroner)
    }

    /// The sum of the printed parts, kroner.
    async fn computed_total(&self) -> Option<Decimal> {
        self.year.computed_total_ore().map(kroner)
    }

    /// `computedTotal - statedTotal` when both exist, kroner; non-zero is a rounding
    /// difference of the printed table.
    async fn total_difference(&self) -> Option<Decimal> {
        match (self.year.stated_total_ore, self.year.computed_total_ore()) {
            (Some(stated), Some(computed)) => Some(kroner(computed - i128::from(stated))),
            _ => None,
        }
    }

    /// The parts of the total, in printed order.
    /// At most 20 entries (a policy area's printed parts, enforced when written; a committee's policy areas).
    #[graphql(
        complexity = "crate::domain::bounds::MAX_BUDGET_ITEMS.max(crate::domain::bounds::MAX_POLICY_AREAS_PER_COMMITTEE) * child_complexity + 1"
    )]
    async fn parts(&self) -> Vec<BudgetPart> {
        self.year.parts.iter().cloned().map(BudgetPart).collect()
    }

    /// "Heraf serviceudgifter" as printed, kroner.
    async fn service_expenses(&self) -> Option<Decimal> {
        self.year.service_expenses_ore.map(kroner)
    }

    /// The sum of the parts' printed service expenses (committees only), kroner.
    async fn computed_service_expenses(&self) -> Option<Decimal> {
        self.year.computed_service_expenses_ore.map(kroner)
    }
}

/// One part of a printed total: a breakdown line, or a policy area of a committee.
pub struct BudgetPart(domain::BudgetPart);

/// One part of a printed total: a breakdown line, or a policy area of a committee.
#[Object]
impl BudgetPart {
    /// As printed ("Boligstøtte").
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Kroner, exact.
    async fn amount(&self) -> Decimal {
        kroner(self.0.amount_ore)
    }

    /// The policy area, when the part is one.
    async fn policy_area(&self, ctx: &Context<'_>) -> Result<Option<PolicyArea>> {
        let Some(id) = self.0.policy_area_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(PolicyAreaById(id))
            .await?
            .map(PolicyArea))
    }
}

/// Which printed line a difference is on.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetTotalLine {
    /// "I alt".
    Total,
    /// "Heraf serviceudgifter".
    ServiceExpenses,
}

/// A printed total that differs from the sum of its printed parts.
#[derive(SimpleObject, Clone, Debug)]
pub struct BudgetDifference {
    /// The line concerned.
    pub line: BudgetTotalLine,
    /// The line as printed ("I alt", "Heraf serviceudgifter").
    pub line_label: &'static str,
    /// Calendar year.
    pub year: i32,
    /// As printed, kroner.
    pub stated: Decimal,
    /// Sum of the parts, kroner.
    pub computed: Decimal,
    /// `computed - stated`, kroner.
    pub difference: Decimal,
}

impl From<TotalDifference> for BudgetDifference {
    fn from(found: TotalDifference) -> Self {
        let (line, line_label) = match found.line {
            TotalLine::Total => (BudgetTotalLine::Total, "I alt"),
            TotalLine::ServiceExpenses => {
                (BudgetTotalLine::ServiceExpenses, "Heraf serviceudgifter")
            }
        };
        Self {
            line,
            line_label,
            year: found.year,
            stated: kroner(found.stated_ore),
            computed: kroner(found.computed_ore),
            difference: kroner(found.computed_ore - found.stated_ore),
        }
    }
}

/// A quantity or assumption (mængde/forudsætning) for one year.
#[derive(SimpleObject, Clone, Debug)]
pub struct Quantity {
    /// As printed ("Boligydelse").
    pub label: String,
    /// What is counted ("antal modtagere").
    pub unit: String,
    /// Calendar year.
    pub year: i32,
    /// The value, exact.
    pub value: Decimal,
}

impl From<domain::Quantity> for Quantity {
    fn from(found: domain::Quantity) -> Self {
        Self {
            label: found.label,
            unit: found.unit,
            year: found.year,
            value: Decimal(centi_to_decimal(found.value_centi).normalize()),
        }
    }
}
