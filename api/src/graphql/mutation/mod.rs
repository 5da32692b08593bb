//! Mutation roots, split by aggregate and merged. Input problems come back in the payload's
//! `userErrors`, all at once; not allowed, not found and stale writes are GraphQL errors.

pub mod proposal;
mod round;
mod workflow;

use async_graphql::{MergedObject, SimpleObject};

use crate::domain::editing;

/// All mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    proposal::ProposalMutation,
    proposal::ImportMutation,
    workflow::WorkflowMutation,
    round::RoundMutation,
    round::ReferenceMutation,
);

/// A problem with the input of a mutation; nothing was written.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// Path of the input field, e.g. `["years", "2", "lines", "0", "amount"]`.
    pub field: Vec<String>,
    /// Stable code: REQUIRED, OUT_OF_RANGE, WRONG_SIGN, TOO_PRECISE, DUPLICATE, UNKNOWN,
    /// TOO_LONG, TOO_MANY (a list longer than its documented maximum).
    pub code: String,
    /// For a person.
    pub message: String,
}

/// A domain write as a payload's two halves: the written object (wrapped for the API), or
/// nothing and the input problems.
pub(crate) fn written<T, U>(
    written: editing::Written<T>,
    wrap: impl FnOnce(T) -> U,
) -> (Option<U>, Vec<UserError>) {
    match written {
        editing::Written::Done(value) => (Some(wrap(value)), vec![]),
        editing::Written::Invalid(errors) => {
            (None, errors.into_iter().map(UserError::from).collect())
        }
    }
}

impl From<editing::UserError> for UserError {
    fn from(error: editing::UserError) -> Self {
        Self {
            field: error.field,
            code: error.code.to_owned(),
            message: error.message,
        }
    }
}
