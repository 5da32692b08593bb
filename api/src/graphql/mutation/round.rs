//! Rounds (the budget office).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::model::RoundPhase;
use crate::domain::reference::{self, AreaBudgetYear, NewRound, RoundChanges};
use crate::graphql::ids::{self, Kind};
use crate::graphql::mutation::{UserError, written};
use crate::graphql::types::Decimal;
use crate::graphql::types::reference::{BudgetRound, Committee, PolicyArea};
use crate::graphql::{db, viewer};

#[derive(Default)]
pub struct RoundMutation;

/// A new budget round.
#[derive(InputObject)]
pub struct CreateRoundInput {
    /// Name, e.g. "Budget 2027-2030".
    pub name: String,
    /// The first budget year.
    pub first_year: i32,
    /// How many years (4 when absent).
    pub year_count: Option<i32>,
    /// The price level year (the first year when absent).
    pub price_level_year: Option<i32>,
}

/// Changes to a round; absent fields stay as they are, null clears a deadline.
#[derive(InputObject)]
pub struct UpdateRoundInput {
    /// The new phase.
    pub phase: Option<RoundPhase>,
    /// Deadline for coordinators to edit and submit.
    pub submission_deadline: MaybeUndefined<DateTime<Utc>>,
    /// End of the consultation.
    pub consultation_deadline: MaybeUndefined<DateTime<Utc>>,
}

/// The result of a round mutation.
#[derive(SimpleObject)]
pub struct RoundPayload {
    /// The round, when written.
    pub round: Option<BudgetRound>,
    /// Input problems; empty when written.
    pub user_errors: Vec<UserError>,
}

fn maybe<T: Copy>(value: &MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(*v)),
    }
}

#[Object]
impl RoundMutation {
    /// Creates a budget round in preparation (budget office).
    async fn create_round(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The round.")] input: CreateRoundInput,
    ) -> Result<RoundPayload> {
        let new = NewRound {
            name: input.name,
            first_year: input.first_year,
            year_count: input.year_count.unwrap_or(4),
            price_level_year: input.price_level_year.unwrap_or(input.first_year),
        };
        let (round, user_errors) = written(
            reference::create_round(db(ctx)?, viewer(ctx)?, &new).await?,
            BudgetRound,
        );
        Ok(RoundPayload { round, user_errors })
    }

    /// Sets a round's phase and deadlines (budget office). The phase gates the workflow:
    /// coordinators write in preparation until the submission deadline; HU remarks during
    /// consultation; after adoption only corrections by the budget office.
    async fn update_round(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the round.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateRoundInput,
    ) -> Result<RoundPayload> {
        let id = ids::decode(&id, Kind::BudgetRound, &["id"])?;
        let changes = RoundChanges {
            phase: input.phase,
            submission_deadline: maybe(&input.submission_deadline),
            consultation_deadline: maybe(&input.consultation_deadline),
        };
        let round = reference::update_round(db(ctx)?, viewer(ctx)?, id, &changes).await?;
        Ok(RoundPayload {
            round: Some(BudgetRound(round)),
            user_errors: vec![],
        })
    }
}

/// The result of writing a committee.
#[derive(SimpleObject)]
pub struct CommitteePayload {
    /// The committee, when written.
    pub committee: Option<Committee>,
    /// Input problems; empty when written.
    pub user_errors: Vec<UserError>,
}

/// The result of writing a policy area or its budget.
#[derive(SimpleObject)]
pub struct PolicyAreaPayload {
    /// The policy area, when written.
    pub policy_area: Option<PolicyArea>,
    /// Input problems; empty when written.
    pub user_errors: Vec<UserError>,
}

/// A line of a policy area's budget breakdown.
#[derive(InputObject)]
pub struct BudgetItemInput {
    /// As printed ("Boligstøtte").
    pub label: String,
    /// Kroner.
    pub amount: Decimal,
}

/// One year of a policy area's printed budget.
#[derive(InputObject)]
pub struct PolicyAreaBudgetYearInput {
    /// Calendar year: one of the round's, or the year before ("Oprindeligt budget").
    pub year: i32,
    /// "I alt" as printed, kroner.
    pub stated_total: Option<Decimal>,
    /// "Heraf serviceudgifter", kroner.
    pub service_expenses: Option<Decimal>,
    /// The breakdown lines as printed.
    pub items: Option<Vec<BudgetItemInput>>,
}

/// Committees and policy areas (the budget office).
#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    /// Creates a committee (budget office); codes may hold Danish letters.
    async fn create_committee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code, e.g. \"ÆSU\".")] code: String,
        #[graphql(desc = "Name, e.g. \"Ældre- og Sundhedsudvalget\".")] name: String,
    ) -> Result<CommitteePayload> {
        let (committee, user_errors) = written(
            reference::create_committee(db(ctx)?, viewer(ctx)?, &code, &name).await?,
            Committee,
        );
        Ok(CommitteePayload {
            committee,
            user_errors,
        })
    }

    /// Creates a policy area of a committee (budget office).
    async fn create_policy_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code of the committee.")] committee: String,
        #[graphql(desc = "Name.")] name: String,
    ) -> Result<PolicyAreaPayload> {
        let (policy_area, user_errors) = written(
            reference::create_policy_area(db(ctx)?, viewer(ctx)?, &committee, &name).await?,
            PolicyArea,
        );
        Ok(PolicyAreaPayload {
            policy_area,
            user_errors,
        })
    }

    /// Replaces a policy area's printed budget in a round (budget office), exactly as given.
    async fn set_policy_area_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the policy area.")] policy_area: ID,
        #[graphql(desc = "Global id of the round.")] round: ID,
        #[graphql(desc = "Every year of the budget.")] years: Vec<PolicyAreaBudgetYearInput>,
    ) -> Result<PolicyAreaPayload> {
        let area = ids::decode(&policy_area, Kind::PolicyArea, &["policyArea"])?;
        let round = ids::decode(&round, Kind::BudgetRound, &["round"])?;
        let years: Vec<AreaBudgetYear> = years
            .into_iter()
            .map(|year| AreaBudgetYear {
                year: year.year,
                stated_total: year.stated_total.map(|d| d.0),
                service_expenses: year.service_expenses.map(|d| d.0),
                items: year
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|item| (item.label, item.amount.0))
                    .collect(),
            })
            .collect();
        let (policy_area, user_errors) = written(
            reference::set_policy_area_budget(db(ctx)?, viewer(ctx)?, area, round, &years).await?,
            PolicyArea,
        );
        Ok(PolicyAreaPayload {
            policy_area,
            user_errors,
        })
    }
}
