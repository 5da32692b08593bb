//! How long each list the API answers with can be. Every list that is not paged has a
//! maximum here, enforced where the list is written (a user error past it) or, where it
//! grows by itself, by answering only the newest entries. The GraphQL complexity model
//! multiplies a list's children by the same number, so the cost of a query is known before
//! it runs: without these, 11 proposals related to each other made a 215-byte query answer
//! 205 MB.

use crate::domain::editing::UserError;
use crate::domain::model::BudgetLineKind;

/// Years of a round (checked when a round is created). A proposal's `years`, `netChanges`
/// and `netChangeMismatches` have one entry per year at most.
pub const MAX_ROUND_YEARS: usize = 10;
/// A printed budget has the round's years and the year before.
pub const MAX_BUDGET_YEARS: usize = MAX_ROUND_YEARS + 1;
/// Line kinds per year (one line per kind).
pub const MAX_LINE_KINDS: usize = BudgetLineKind::ALL.len();
/// A proposal's lines: one per kind and year.
pub const MAX_LINES: usize = MAX_ROUND_YEARS * MAX_LINE_KINDS;
/// Related proposals (sammenhæng til andre bidrag) per proposal.
pub const MAX_RELATED: usize = 20;
/// Documents (relevante dokumenter) per proposal.
pub const MAX_DOCUMENTS: usize = 20;
/// Investment needs per proposal.
pub const MAX_INVESTMENT_NEEDS: usize = 20;
/// Decisions per proposal: each body (committee, ØU, BR) decides once or twice.
pub const MAX_DECISIONS: usize = 10;
/// Votes per decision: one per party.
pub const MAX_VOTES: usize = 30;
/// Amendments (ændringsforslag) per decision.
pub const MAX_AMENDMENTS: usize = 20;
/// HU remarks per proposal.
pub const MAX_REMARKS: usize = 20;
/// Versions of an HU remark that are answered: the newest. Edits are not limited.
pub const MAX_REMARK_VERSIONS: usize = 20;
/// Committees (udvalg) of the municipality.
pub const MAX_COMMITTEES: usize = 30;
/// Policy areas (politikområder) per committee.
pub const MAX_POLICY_AREAS_PER_COMMITTEE: usize = 15;
/// Policy areas of the municipality.
pub const MAX_POLICY_AREAS: usize = 100;
/// Budget rounds.
pub const MAX_ROUNDS: usize = 50;
/// Printed parts (breakdown lines) of a policy area's budget per year.
pub const MAX_BUDGET_ITEMS: usize = 20;
/// Quantities and assumptions of a policy area in a round that are answered (they come
/// from the budget notes, not from the API).
pub const MAX_QUANTITIES: usize = 50;
/// Field changes answered per history entry.
pub const MAX_FIELD_CHANGES: usize = 100;

/// A user error on the list at `field` when it has more than `max` entries.
pub fn at_most(field: &[&str], given: usize, max: usize, what: &str) -> Option<UserError> {
    (given > max).then(|| {
        UserError::new(
            field,
            "TOO_MANY",
            format!("at most {max} {what}, got {given}"),
        )
    })
}
