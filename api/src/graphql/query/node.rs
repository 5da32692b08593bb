//! `node(id:)` and `nodes(ids:)`.

use async_graphql::{Context, ID, Object, Result};

use crate::domain::proposal::MAX_PAGE_SIZE;
use crate::error::ApiError;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loader;
use crate::graphql::loaders::{CommitteeById, PolicyAreaById, ProposalById, RoundById};
use crate::graphql::types::node::Node;
use crate::graphql::types::proposal::Proposal;
use crate::graphql::types::reference::{BudgetRound, Committee, PolicyArea};

#[derive(Default)]
pub struct NodeQuery;

async fn load_node(ctx: &Context<'_>, kind: Kind, id: i32) -> Result<Option<Node>> {
    let loader = loader(ctx)?;
    Ok(match kind {
        Kind::BudgetRound => loader
            .load_one(RoundById(id))
            .await?
            .map(|row| Node::BudgetRound(BudgetRound(row))),
        Kind::Committee => loader
            .load_one(CommitteeById(id))
            .await?
            .map(|row| Node::Committee(Committee(row))),
        Kind::PolicyArea => loader
            .load_one(PolicyAreaById(id))
            .await?
            .map(|row| Node::PolicyArea(PolicyArea(row))),
        // Remarks are reached through their proposal, not as nodes.
        Kind::HuRemark => None,
        Kind::Proposal => loader
            .load_one(ProposalById(id))
            .await?
            .map(|row| Node::Proposal(Proposal(row))),
    })
}

#[Object]
impl NodeQuery {
    /// Any object by its global id. An object the caller may not see is NOT_FOUND, exactly
    /// like one that does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Node> {
        let (kind, row_id) = ids::decode_any(&id, &["id"])?;
        load_node(ctx, kind, row_id)
            .await?
            .ok_or_else(|| ApiError::not_found("object").into())
    }

    /// Several objects by global id, in the order asked; null where an object does not
    /// exist or may not be seen. At most 100 ids.
    #[graphql(complexity = "ids.len() * child_complexity + 1")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() as u64 > MAX_PAGE_SIZE {
            return Err(ApiError::bad_input(&["ids"], "at most 100 ids at a time").into());
        }
        let mut decoded = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            decoded.push(ids::decode_any(id, &["ids", &index.to_string()])?);
        }
        let loads = decoded
            .into_iter()
            .map(|(kind, row_id)| load_node(ctx, kind, row_id));
        futures_util::future::try_join_all(loads).await
    }
}
