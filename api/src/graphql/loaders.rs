//! One DataLoader per request, so nested lists cost one query per level, not one per row.
//! Each key type names what it loads.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::auth::Viewer;
use crate::domain::budget::{self, BudgetYear, Quantity};
use crate::domain::proposal::{self, InvestmentNeed, YearFigures};
use crate::error::ApiError;
use entity::{budget_round, committee, policy_area, proposal_document};

/// How many pool connections one request (or one subscription socket) uses at once. Its
/// root fields and DataLoader batches run concurrently; without a bound, 1,000 aliases held
/// every connection of the pool while another caller's trivial query waited 29 s.
pub const REQUEST_CONNECTIONS: usize = 3;

/// The request's loader: the database and the viewer whose visibility rules apply, and the
/// request's share of the pool.
pub struct AppLoader {
    db: DatabaseConnection,
    viewer: Viewer,
    connections: Semaphore,
}

/// The database, held for one statement (or a few in sequence) within the request's share.
pub struct Pooled<'a> {
    db: &'a DatabaseConnection,
    _permit: SemaphorePermit<'a>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        self.db
    }
}

impl AppLoader {
    /// A loader for one request.
    pub fn new(db: DatabaseConnection, viewer: Viewer) -> Self {
        Self {
            db,
            viewer,
            connections: Semaphore::new(REQUEST_CONNECTIONS),
        }
    }

    /// The database once the request has a connection to spare: every query of a request
    /// (resolvers and batches alike) goes through here. Holders never wait for another
    /// permit, so this cannot deadlock.
    pub async fn connection(&self) -> Result<Pooled<'_>, ApiError> {
        let permit = self.connections.acquire().await.map_err(|_| {
            tracing::error!("the request's connection semaphore is closed");
            ApiError::Internal
        })?;
        Ok(Pooled {
            db: &self.db,
            _permit: permit,
        })
    }
}

/// A round by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RoundById(pub i32);
/// A committee by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CommitteeById(pub i32);
/// A policy area by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PolicyAreaById(pub i32);
/// The policy areas of a committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PolicyAreasOfCommittee(pub i32);
/// A visible proposal by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProposalById(pub i32);
/// The per-year figures of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FiguresOf(pub i32);
/// The investment needs of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InvestmentNeedsOf(pub i32);
/// The visible related proposals of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RelatedOf(pub i32);
/// The documents of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DocumentsOf(pub i32);
/// The printed budget of a policy area in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AreaBudget {
    /// Policy area id.
    pub area: i32,
    /// Round id.
    pub round: i32,
}

/// The HU remarks of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RemarksOf(pub i32);
/// The decisions on a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecisionsOf(pub i32);
/// The printed budget of a committee in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CommitteeBudget {
    /// Committee id.
    pub committee: i32,
    /// Round id.
    pub round: i32,
}
/// The quantities of a policy area in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AreaQuantities {
    /// Policy area id.
    pub area: i32,
    /// Round id.
    pub round: i32,
}

/// Groups `(owner, round)` keys by round: one batch query per round asked for (a request
/// asks for one round in practice).
fn by_round<K: Copy>(keys: &[K], parts: impl Fn(K) -> (i32, i32)) -> Vec<(i32, Vec<i32>)> {
    let mut rounds: Vec<(i32, Vec<i32>)> = Vec::new();
    for key in keys {
        let (owner, round) = parts(*key);
        match rounds.iter_mut().find(|(r, _)| *r == round) {
            Some((_, owners)) => owners.push(owner),
            None => rounds.push((round, vec![owner])),
        }
    }
    rounds
}

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> i32) -> Vec<i32> {
    keys.iter().map(|key| id(*key)).collect()
}

/// One entry per key, empty where nothing was found, so the request's cache also remembers
/// "nothing" and a second field asking for it costs no statement.
fn every_key<K: Copy + Eq + std::hash::Hash, V: Default>(
    keys: &[K],
    key: impl Fn(i32) -> K,
    found: HashMap<i32, V>,
) -> HashMap<K, V> {
    let mut all: HashMap<K, V> = keys.iter().map(|k| (*k, V::default())).collect();
    for (id, value) in found {
        all.insert(key(id), value);
    }
    all
}

impl Loader<RoundById> for AppLoader {
    type Value = budget_round::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[RoundById]) -> Result<HashMap<RoundById, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(budget_round::Entity::find()
            .filter(budget_round::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&*db)
            .await?
            .into_iter()
            .map(|row| (RoundById(row.id), row))
            .collect())
    }
}

impl Loader<CommitteeById> for AppLoader {
    type Value = committee::Model;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CommitteeById],
    ) -> Result<HashMap<CommitteeById, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(committee::Entity::find()
            .filter(committee::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&*db)
            .await?
            .into_iter()
            .map(|row| (CommitteeById(row.id), row))
            .collect())
    }
}

impl Loader<PolicyAreaById> for AppLoader {
    type Value = policy_area::Model;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[PolicyAreaById],
    ) -> Result<HashMap<PolicyAreaById, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(policy_area::Entity::find()
            .filter(policy_area::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&*db)
            .await?
            .into_iter()
            .map(|row| (PolicyAreaById(row.id), row))
            .collect())
    }
}

impl Loader<PolicyAreasOfCommittee> for AppLoader {
    type Value = Vec<policy_area::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[PolicyAreasOfCommittee],
    ) -> Result<HashMap<PolicyAreasOfCommittee, Self::Value>, ApiError> {
        let db = self.connection().await?;
        let mut found: HashMap<PolicyAreasOfCommittee, Self::Value> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in policy_area::Entity::find()
            .filter(policy_area::Column::CommitteeId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(policy_area::Column::Position)
            .order_by_asc(policy_area::Column::Id)
            .all(&*db)
            .await?
        {
            found
                .entry(PolicyAreasOfCommittee(row.committee_id))
                .or_default()
                .push(row);
        }
        Ok(found)
    }
}

impl Loader<ProposalById> for AppLoader {
    type Value = entity::proposal::Model;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ProposalById],
    ) -> Result<HashMap<ProposalById, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(proposal::by_ids(&*db, &self.viewer, &ids(keys, |k| k.0))
            .await?
            .into_iter()
            .map(|(id, row)| (ProposalById(id), row))
            .collect())
    }
}

impl Loader<FiguresOf> for AppLoader {
    type Value = Vec<YearFigures>;
    type Error = ApiError;

    async fn load(&self, keys: &[FiguresOf]) -> Result<HashMap<FiguresOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            FiguresOf,
            proposal::year_figures(&*db, &ids(keys, |k| k.0)).await?,
        ))
    }
}

impl Loader<InvestmentNeedsOf> for AppLoader {
    type Value = Vec<InvestmentNeed>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[InvestmentNeedsOf],
    ) -> Result<HashMap<InvestmentNeedsOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            InvestmentNeedsOf,
            proposal::investment_needs(&*db, &ids(keys, |k| k.0)).await?,
        ))
    }
}

impl Loader<RelatedOf> for AppLoader {
    type Value = Vec<entity::proposal::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[RelatedOf]) -> Result<HashMap<RelatedOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            RelatedOf,
            proposal::related_proposals(&*db, &self.viewer, &ids(keys, |k| k.0)).await?,
        ))
    }
}

impl Loader<DocumentsOf> for AppLoader {
    type Value = Vec<proposal_document::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[DocumentsOf],
    ) -> Result<HashMap<DocumentsOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            DocumentsOf,
            proposal::documents(&*db, &ids(keys, |k| k.0)).await?,
        ))
    }
}

impl Loader<AreaBudget> for AppLoader {
    type Value = Vec<BudgetYear>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AreaBudget],
    ) -> Result<HashMap<AreaBudget, Self::Value>, ApiError> {
        let db = self.connection().await?;
        let mut found = HashMap::new();
        for (round, areas) in by_round(keys, |k| (k.area, k.round)) {
            for (area, years) in budget::policy_area_budgets(&*db, round, &areas).await? {
                found.insert(AreaBudget { area, round }, years);
            }
        }
        Ok(found)
    }
}

impl Loader<CommitteeBudget> for AppLoader {
    type Value = Vec<BudgetYear>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CommitteeBudget],
    ) -> Result<HashMap<CommitteeBudget, Self::Value>, ApiError> {
        let db = self.connection().await?;
        let mut found = HashMap::new();
        for (round, committees) in by_round(keys, |k| (k.committee, k.round)) {
            for (committee, years) in budget::committee_budgets(&*db, round, &committees).await? {
                found.insert(CommitteeBudget { committee, round }, years);
            }
        }
        Ok(found)
    }
}

impl Loader<AreaQuantities> for AppLoader {
    type Value = Vec<Quantity>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AreaQuantities],
    ) -> Result<HashMap<AreaQuantities, Self::Value>, ApiError> {
        let db = self.connection().await?;
        let mut found = HashMap::new();
        for (round, areas) in by_round(keys, |k| (k.area, k.round)) {
            for (area, quantities) in budget::policy_area_quantities(&*db, round, &areas).await? {
                found.insert(AreaQuantities { area, round }, quantities);
            }
        }
        Ok(found)
    }
}

impl Loader<RemarksOf> for AppLoader {
    type Value = Vec<crate::domain::remarks::Remark>;
    type Error = ApiError;

    async fn load(&self, keys: &[RemarksOf]) -> Result<HashMap<RemarksOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            RemarksOf,
            crate::domain::remarks::of_proposals(&*db, &ids(keys, |k| k.0)).await?,
        ))
    }
}

impl Loader<DecisionsOf> for AppLoader {
    type Value = Vec<crate::domain::decisions::DecisionRecord>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[DecisionsOf],
    ) -> Result<HashMap<DecisionsOf, Self::Value>, ApiError> {
        let db = self.connection().await?;
        Ok(every_key(
            keys,
            DecisionsOf,
            crate::domain::decisions::of_proposals(&*db, &ids(keys, |k| k.0)).await?,
        ))
    }
}
