//! Rounds, committees and policy areas.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::budget;
use crate::domain::model::RoundPhase;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loader;
use crate::graphql::loaders::{
    AreaBudget, AreaQuantities, CommitteeBudget, CommitteeById, PolicyAreasOfCommittee,
};
use crate::graphql::types::budget::{BudgetDifference, BudgetYear, Quantity};
use entity::{budget_round, committee, policy_area};

/// A budget round ("Budget 2023-2026"): four budget years at one price level.
pub struct BudgetRound(pub budget_round::Model);

/// A budget round ("Budget 2023-2026"): four budget years at one price level.
#[Object]
impl BudgetRound {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::BudgetRound, self.0.id)
    }

    /// Name, e.g. "Budget 2023-2026".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The first budget year.
    async fn first_year(&self) -> i32 {
        self.0.first_year
    }

    /// The last budget year.
    async fn last_year(&self) -> i32 {
        self.0.first_year + self.0.year_count - 1
    }

    /// How many budget years the round covers (usually 4).
    async fn year_count(&self) -> i32 {
        self.0.year_count
    }

    /// The budget years, first to last.
    async fn years(&self) -> Vec<i32> {
        crate::domain::reference::round_years(&self.0)
    }

    /// The year of the price level amounts are stated in.
    async fn price_level_year(&self) -> i32 {
        self.0.price_level_year
    }

    /// The price level as printed on sheets, e.g. "2023-priser".
    async fn price_level(&self) -> String {
        format!("{}-priser", self.0.price_level_year)
    }

    /// The round's phase.
    async fn phase(&self) -> Option<RoundPhase> {
        RoundPhase::parse(&self.0.phase)
    }

    /// The phase in Danish ("Høring").
    async fn phase_label(&self) -> Option<&'static str> {
        RoundPhase::parse(&self.0.phase).map(RoundPhase::label)
    }

    /// Deadline for submitting proposals (indsendelsesfrist).
    async fn submission_deadline(&self) -> Option<DateTime<Utc>> {
        self.0.submission_deadline
    }

    /// Deadline of the consultation (høringsfrist).
    async fn consultation_deadline(&self) -> Option<DateTime<Utc>> {
        self.0.consultation_deadline
    }

    /// When the round was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the round last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A committee (udvalg) such as Socialudvalget (SU) or Økonomiudvalget (ØU).
pub struct Committee(pub committee::Model);

/// A committee (udvalg) such as Socialudvalget (SU) or Økonomiudvalget (ØU).
#[Object]
impl Committee {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Committee, self.0.id)
    }

    /// Code used in proposal numbers ("SU", "ÆSU", "ØU").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name ("Socialudvalget").
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The committee's policy areas (politikområder).
    /// At most 15 entries (enforced when written).
    #[graphql(
        complexity = "crate::domain::bounds::MAX_POLICY_AREAS_PER_COMMITTEE * child_complexity + 1"
    )]
    async fn policy_areas(&self, ctx: &Context<'_>) -> Result<Vec<PolicyArea>> {
        Ok(loader(ctx)?
            .load_one(PolicyAreasOfCommittee(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(PolicyArea)
            .collect())
    }

    /// The committee's budget in a round as printed in the budget notes: per year the total
    /// ("I alt"), its policy areas as parts, and "heraf serviceudgifter".
    /// At most 11 entries (the round's years and the year before).
    #[graphql(complexity = "crate::domain::bounds::MAX_BUDGET_YEARS * child_complexity + 1")]
    async fn budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the budget round.")] round: ID,
    ) -> Result<Vec<BudgetYear>> {
        let round = load_round(ctx, &round).await?;
        let years = committee_budget(ctx, self.0.id, round.id).await?;
        Ok(years
            .into_iter()
            .map(|year| BudgetYear::new(year, round.first_year))
            .collect())
    }

    /// Every year where a printed total of the committee differs from the sum of its
    /// printed parts (rounding differences, "afrundingsdifferencer").
    /// At most 22 entries (two lines per year).
    #[graphql(complexity = "crate::domain::bounds::MAX_BUDGET_YEARS * child_complexity + 1 * 2")]
    async fn budget_differences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the budget round.")] round: ID,
    ) -> Result<Vec<BudgetDifference>> {
        let round = load_round(ctx, &round).await?;
        let years = committee_budget(ctx, self.0.id, round.id).await?;
        Ok(budget::differences(&years)
            .into_iter()
            .map(BudgetDifference::from)
            .collect())
    }
}

/// A policy area (politikområde) of one committee.
pub struct PolicyArea(pub policy_area::Model);

/// A policy area (politikområde) of one committee.
#[Object]
impl PolicyArea {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::PolicyArea, self.0.id)
    }

    /// Name ("Sociale serviceydelser").
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The committee the area belongs to.
    async fn committee(&self, ctx: &Context<'_>) -> Result<Option<Committee>> {
        Ok(loader(ctx)?
            .load_one(CommitteeById(self.0.committee_id))
            .await?
            .map(Committee))
    }

    /// The area's budget in a round as printed: per year the total, the breakdown lines
    /// as parts, and "heraf serviceudgifter".
    /// At most 11 entries (the round's years and the year before).
    #[graphql(complexity = "crate::domain::bounds::MAX_BUDGET_YEARS * child_complexity + 1")]
    async fn budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the budget round.")] round: ID,
    ) -> Result<Vec<BudgetYear>> {
        let round = load_round(ctx, &round).await?;
        let years = loader(ctx)?
            .load_one(AreaBudget {
                area: self.0.id,
                round: round.id,
            })
            .await?
            .unwrap_or_default();
        Ok(years
            .into_iter()
            .map(|year| BudgetYear::new(year, round.first_year))
            .collect())
    }

    /// Every year where the printed total differs from the sum of the printed breakdown.
    /// At most 22 entries (two lines per year).
    #[graphql(complexity = "crate::domain::bounds::MAX_BUDGET_YEARS * child_complexity + 1 * 2")]
    async fn budget_differences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the budget round.")] round: ID,
    ) -> Result<Vec<BudgetDifference>> {
        let round = load_round(ctx, &round).await?;
        let years = loader(ctx)?
            .load_one(AreaBudget {
                area: self.0.id,
                round: round.id,
            })
            .await?
            .unwrap_or_default();
        Ok(budget::differences(&years)
            .into_iter()
            .map(BudgetDifference::from)
            .collect())
    }

    /// Quantities and assumptions (mængder og forudsætninger), e.g. recipients per year.
    /// The first 50 at most (they come from the budget notes).
    #[graphql(complexity = "crate::domain::bounds::MAX_QUANTITIES * child_complexity + 1")]
    async fn quantities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the budget round.")] round: ID,
    ) -> Result<Vec<Quantity>> {
        let round = load_round(ctx, &round).await?;
        Ok(loader(ctx)?
            .load_one(AreaQuantities {
                area: self.0.id,
                round: round.id,
            })
            .await?
            .unwrap_or_default()
            .into_iter()
            .take(crate::domain::bounds::MAX_QUANTITIES)
            .map(Quantity::from)
            .collect())
    }
}

async fn committee_budget(
    ctx: &Context<'_>,
    committee: i32,
    round: i32,
) -> Result<Vec<budget::BudgetYear>> {
    Ok(loader(ctx)?
        .load_one(CommitteeBudget { committee, round })
        .await?
        .unwrap_or_default())
}

/// Loads a round by global id; unknown is NOT_FOUND.
pub(crate) async fn load_round(ctx: &Context<'_>, id: &ID) -> Result<budget_round::Model> {
    let round_id = ids::decode(id, Kind::BudgetRound, &["round"])?;
    Ok(loader(ctx)?
        .load_one(crate::graphql::loaders::RoundById(round_id))
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("budget round"))?)
}
