//! Query roots, split by aggregate and merged.

mod catalog;
mod feed;
mod node;
mod proposal;
mod reference;
mod viewer;

use async_graphql::MergedObject;

/// All queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    node::NodeQuery,
    reference::ReferenceQuery,
    proposal::ProposalQuery,
    catalog::CatalogQuery,
    feed::FeedQuery,
    viewer::ViewerQuery,
);
