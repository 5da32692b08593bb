//! The Relay `Node` interface.

use async_graphql::{ID, Interface};

use crate::graphql::types::proposal::Proposal;
use crate::graphql::types::reference::{BudgetRound, Committee, PolicyArea};

/// An object with a global id, fetchable with `node(id:)`.
#[allow(clippy::large_enum_variant)] // built once per node, never stored in bulk
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    /// A budget round.
    BudgetRound(BudgetRound),
    /// A committee.
    Committee(Committee),
    /// A policy area.
    PolicyArea(PolicyArea),
    /// A proposal.
    Proposal(Proposal),
}
