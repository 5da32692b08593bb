//! Rounds (the budget office).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::editing::Written;
use crate::domain::model::RoundPhase;
use crate::domain::reference::{self, NewRound, RoundChanges};
use crate::graphql::ids::{self, Kind};
use crate::graphql::mutation::UserError;
use crate::graphql::types::reference::BudgetRound;
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
        Ok(
            match reference::create_round(db(ctx)?, viewer(ctx)?, &new).await? {
                Written::Done(round) => RoundPayload {
                    round: Some(BudgetRound(round)),
                    user_errors: vec![],
                },
                Written::Invalid(errors) => RoundPayload {
                    round: None,
                    user_errors: errors.into_iter().map(UserError::from).collect(),
                },
            },
        )
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
