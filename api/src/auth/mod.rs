//! Who is asking, and the small named rules of what they may see.
//!
//! Until tokens land (the access-control issue) every caller is anonymous and sees the
//! published catalog: every proposal that is not a draft.

use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use crate::domain::model::ProposalStatus;
use entity::proposal;

/// The caller of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials.
    #[default]
    Anonymous,
}

/// Whether `viewer` may see a proposal in `status`.
pub fn can_view_proposal(viewer: &Viewer, status: ProposalStatus) -> bool {
    match viewer {
        Viewer::Anonymous => status != ProposalStatus::Draft,
    }
}

/// The same rule as [`can_view_proposal`], as a condition on the `proposal` table, so lists,
/// counts and totals apply it in the database.
pub fn visible_proposals(viewer: &Viewer) -> Condition {
    match viewer {
        Viewer::Anonymous => Condition::all().add(
            Expr::col((proposal::Entity, proposal::Column::Status))
                .ne(ProposalStatus::Draft.as_str()),
        ),
    }
}
