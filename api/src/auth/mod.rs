//! Who is asking (authentication, in [`token`]) and what they may see and do: the rules live
//! here as small named functions, so resolvers never decide access themselves.
//!
//! | role | sees |
//! |---|---|
//! | anonymous | the published catalog: every proposal but drafts; HU remarks once the consultation has closed |
//! | reader (politicians) | as anonymous, plus HU remarks from the consultation on |
//! | coordinator | everything of its committees, drafts and HU remarks included; others as a reader |
//! | HU member | proposals from submission on, and every HU remark |
//! | admin (the budget office) | everything |
//! | integration | approved proposals only; no HU remarks |

pub mod token;

use async_graphql::Enum;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};

use crate::domain::model::{ProposalStatus, RoundPhase, normalize_committee_code};
use entity::{committee, proposal};

/// A role a token can carry.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Politicians and other readers of the catalog.
    Reader,
    /// A budget coordinator of one or more committees.
    Coordinator,
    /// A member of the main works council (HovedMED-udvalget).
    HuMember,
    /// The budget office (budgetafdelingen).
    Admin,
    /// A finance or budget system pulling approved changes.
    Integration,
}

impl Role {
    /// Every role, in the order the built-in names are listed.
    pub const ALL: [Self; 5] = [
        Self::Reader,
        Self::Coordinator,
        Self::HuMember,
        Self::Admin,
        Self::Integration,
    ];

    /// The role with exactly this built-in name (`admin`, not `Admin` nor `budget_office`).
    /// Loose aliases are gone on purpose: a token's `"Skole admin"` must not make its holder
    /// the budget office. Identity providers' own group names are mapped by configuration
    /// (`AUTH_ROLE_MAP`, see [`token::RoleNames`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The name used in tokens this server issues.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Coordinator => "coordinator",
            Self::HuMember => "hu_member",
            Self::Admin => "admin",
            Self::Integration => "integration",
        }
    }
}

/// The caller of a request. No token: anonymous (no subject, no roles).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The token's subject.
    pub subject: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Roles; several give the union of their rights.
    pub roles: Vec<Role>,
    /// Committee codes a coordinator works for, exactly as the token names them (in NFC):
    /// `ØU`, not `øu`; a string claim is one code, never split into words.
    pub committees: Vec<String>,
    /// When the token expires (seconds since 1970); long-lived subscriptions end then.
    pub expires_at: Option<i64>,
}

impl Viewer {
    /// The caller without a token.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Who a record says acted: the display name, else the subject.
    pub fn recorded_as(&self) -> Option<String> {
        self.name.clone().or_else(|| self.subject.clone())
    }

    /// Whether the caller has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller coordinates the committee with `code` (a stored code, or one a
    /// person typed, normalised as stored codes are); the token's codes must equal it.
    pub fn coordinates(&self, code: &str) -> bool {
        self.has(Role::Coordinator)
            && self
                .committees
                .iter()
                .any(|c| c == &normalize_committee_code(code))
    }

    /// Whether the caller is nothing but an integration (which sees approved proposals only).
    fn integration_only(&self) -> bool {
        self.roles.iter().all(|role| *role == Role::Integration) && !self.roles.is_empty()
    }
}

/// The budget office may do anything.
pub fn is_admin(viewer: &Viewer) -> bool {
    viewer.has(Role::Admin)
}

/// Whether `viewer` may see a proposal in `status` of the committee with `committee_code`.
pub fn can_view_proposal(viewer: &Viewer, status: ProposalStatus, committee_code: &str) -> bool {
    if is_admin(viewer) || viewer.coordinates(committee_code) {
        return true;
    }
    if viewer.integration_only() {
        return status == ProposalStatus::Approved;
    }
    status != ProposalStatus::Draft
}

/// The same rule as [`can_view_proposal`] as a condition on the `proposal` table, so lists,
/// counts, totals and loaders apply it in the database.
pub fn visible_proposals(viewer: &Viewer) -> Condition {
    let status = || Expr::col((proposal::Entity, proposal::Column::Status));
    if is_admin(viewer) {
        return Condition::all();
    }
    let published = if viewer.integration_only() {
        status().eq(ProposalStatus::Approved.as_str())
    } else {
        status().ne(ProposalStatus::Draft.as_str())
    };
    let mut visible = Condition::any().add(published);
    if viewer.has(Role::Coordinator) && !viewer.committees.is_empty() {
        visible = visible.add(
            Expr::col((proposal::Entity, proposal::Column::CommitteeId)).in_subquery(
                Query::select()
                    .column(committee::Column::Id)
                    .from(committee::Entity)
                    .and_where(Expr::col(committee::Column::Code).is_in(viewer.committees.clone()))
                    .to_owned(),
            ),
        );
    }
    visible
}

/// Whether `viewer` may read the HU remarks (bemærkninger fra HU) of a proposal of the
/// committee `committee_code` in a round in `phase`.
pub fn can_view_hu_remarks(viewer: &Viewer, phase: RoundPhase, committee_code: &str) -> bool {
    if is_admin(viewer) || viewer.has(Role::HuMember) || viewer.coordinates(committee_code) {
        return true;
    }
    let consultation_started = phase != RoundPhase::Preparation;
    let consultation_closed = matches!(phase, RoundPhase::Negotiation | RoundPhase::Adopted);
    if viewer.has(Role::Reader) || viewer.has(Role::Coordinator) {
        return consultation_started;
    }
    if viewer.integration_only() {
        return false;
    }
    consultation_closed
}

/// Writing requires a token: anonymous callers are told to sign in, not that they may not.
pub fn require_signed_in(viewer: &Viewer) -> Result<(), crate::error::ApiError> {
    if viewer.roles.is_empty() {
        return Err(crate::error::ApiError::Unauthenticated(
            "sign in to change anything".to_owned(),
        ));
    }
    Ok(())
}

/// Reading the approved-changes feed and the exports takes a sign-in, any role: the approved
/// budget is public record, but who reads it (and how much) is not anonymous.
pub fn require_feed_reader(viewer: &Viewer) -> Result<(), crate::error::ApiError> {
    if viewer.roles.is_empty() {
        return Err(crate::error::ApiError::Unauthenticated(
            "sign in to read the approved changes".to_owned(),
        ));
    }
    Ok(())
}

/// Whether a coordinator's writing window of a round is open: the round is in preparation
/// and its submission deadline (if any) has not passed.
pub fn coordinator_window_open(
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    RoundPhase::parse(&round.phase) == Some(RoundPhase::Preparation)
        && round
            .submission_deadline
            .is_none_or(|deadline| now <= deadline)
}

/// Whether `viewer` may create a proposal for the committee `committee_code` in `round`:
/// its coordinators while the window is open, the budget office until adoption.
pub fn can_create_proposal(
    viewer: &Viewer,
    committee_code: &str,
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if is_admin(viewer) {
        return RoundPhase::parse(&round.phase) != Some(RoundPhase::Adopted);
    }
    viewer.coordinates(committee_code) && coordinator_window_open(round, now)
}

/// Whether `viewer` may change a proposal's content: its committee's coordinators edit
/// drafts while the window is open; the budget office edits anything, and after adoption
/// its edits are recorded as corrections.
pub fn can_edit_proposal(
    viewer: &Viewer,
    committee_code: &str,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if is_admin(viewer) {
        return true;
    }
    status == ProposalStatus::Draft
        && viewer.coordinates(committee_code)
        && coordinator_window_open(round, now)
}

/// Whether `viewer` may submit a draft: as for editing it.
pub fn can_submit_proposal(
    viewer: &Viewer,
    committee_code: &str,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    status == ProposalStatus::Draft
        && !adopted(round)
        && (is_admin(viewer)
            || (viewer.coordinates(committee_code) && coordinator_window_open(round, now)))
}

/// After adoption nothing moves: only the budget office's corrections of content.
fn adopted(round: &entity::budget_round::Model) -> bool {
    RoundPhase::parse(&round.phase) == Some(RoundPhase::Adopted)
}

/// Whether `viewer` may withdraw a proposal: drafts and submitted ones, by its committee's
/// coordinators while their window is open, or by the budget office until adoption.
pub fn can_withdraw_proposal(
    viewer: &Viewer,
    committee_code: &str,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    matches!(status, ProposalStatus::Draft | ProposalStatus::Submitted)
        && !adopted(round)
        && (is_admin(viewer)
            || (viewer.coordinates(committee_code) && coordinator_window_open(round, now)))
}

/// Whether `viewer` may return a proposal to draft (with a reason): the budget office, for
/// anything submitted and not yet decided, until adoption.
pub fn can_return_to_draft(
    viewer: &Viewer,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
) -> bool {
    is_admin(viewer)
        && !adopted(round)
        && matches!(
            status,
            ProposalStatus::Submitted
                | ProposalStatus::InConsultation
                | ProposalStatus::Recommended
                | ProposalStatus::NotRecommended
                | ProposalStatus::Withdrawn
        )
}

/// Whether `viewer` may delete a proposal: drafts only, by whoever may edit them.
pub fn can_delete_proposal(
    viewer: &Viewer,
    committee_code: &str,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    status == ProposalStatus::Draft && can_edit_proposal(viewer, committee_code, status, round, now)
}

/// Rounds, committees and policy areas are the budget office's.
pub fn can_manage_rounds(viewer: &Viewer) -> bool {
    is_admin(viewer)
}

/// Whether `viewer` may add an HU remark to a proposal: HU members, while the round is in
/// consultation and before its consultation deadline, on proposals in the catalog.
pub fn can_write_hu_remark(
    viewer: &Viewer,
    round: &entity::budget_round::Model,
    status: ProposalStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    viewer.has(Role::HuMember)
        && RoundPhase::parse(&round.phase) == Some(RoundPhase::Consultation)
        && round
            .consultation_deadline
            .is_none_or(|deadline| now <= deadline)
        && !matches!(status, ProposalStatus::Draft | ProposalStatus::Withdrawn)
}

/// Whether `viewer` may edit an HU remark: its author, while writing remarks is allowed.
pub fn can_edit_hu_remark(
    viewer: &Viewer,
    author_subject: Option<&str>,
    round: &entity::budget_round::Model,
    status: ProposalStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    can_write_hu_remark(viewer, round, status, now)
        && viewer.subject.is_some()
        && viewer.subject.as_deref() == author_subject
}

/// Decisions are recorded by the budget office, until the round is adopted.
pub fn can_record_decision(viewer: &Viewer, round: &entity::budget_round::Model) -> bool {
    is_admin(viewer) && !adopted(round)
}

/// Whether `viewer` may open the consultation of a submitted proposal.
pub fn can_start_consultation(
    viewer: &Viewer,
    status: ProposalStatus,
    round: &entity::budget_round::Model,
) -> bool {
    is_admin(viewer) && status == ProposalStatus::Submitted && !adopted(round)
}

/// Whether `viewer` may read a proposal's history and past versions: they hold draft-era
/// text, HU remarks and who changed what, so only the budget office and the committee's
/// coordinators read them.
pub fn can_view_history(viewer: &Viewer, committee_code: &str) -> bool {
    is_admin(viewer) || viewer.coordinates(committee_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(roles: &[Role], committees: &[&str]) -> Viewer {
        Viewer {
            roles: roles.to_vec(),
            committees: committees.iter().map(|c| (*c).to_owned()).collect(),
            ..Viewer::default()
        }
    }

    #[test]
    fn drafts_are_for_their_committee_and_the_budget_office() {
        let draft = ProposalStatus::Draft;
        assert!(!can_view_proposal(&Viewer::anonymous(), draft, "ÆSU"));
        assert!(!can_view_proposal(
            &viewer(&[Role::Reader], &[]),
            draft,
            "ÆSU"
        ));
        assert!(!can_view_proposal(
            &viewer(&[Role::HuMember], &[]),
            draft,
            "ÆSU"
        ));
        assert!(!can_view_proposal(
            &viewer(&[Role::Coordinator], &["SU"]),
            draft,
            "ÆSU"
        ));
        assert!(can_view_proposal(
            &viewer(&[Role::Coordinator], &["ÆSU"]),
            draft,
            "æsu"
        ));
        assert!(can_view_proposal(
            &viewer(&[Role::Admin], &[]),
            draft,
            "ÆSU"
        ));
    }

    #[test]
    fn integrations_see_approved_proposals_only() {
        let integration = viewer(&[Role::Integration], &[]);
        assert!(can_view_proposal(
            &integration,
            ProposalStatus::Approved,
            "SU"
        ));
        assert!(!can_view_proposal(
            &integration,
            ProposalStatus::Submitted,
            "SU"
        ));
        assert!(!can_view_hu_remarks(
            &integration,
            RoundPhase::Adopted,
            "SU"
        ));
    }

    #[test]
    fn hu_remarks_open_up_with_the_phases() {
        let anonymous = Viewer::anonymous();
        let reader = viewer(&[Role::Reader], &[]);
        let hu = viewer(&[Role::HuMember], &[]);
        assert!(!can_view_hu_remarks(
            &anonymous,
            RoundPhase::Consultation,
            "SU"
        ));
        assert!(can_view_hu_remarks(
            &anonymous,
            RoundPhase::Negotiation,
            "SU"
        ));
        assert!(!can_view_hu_remarks(&reader, RoundPhase::Preparation, "SU"));
        assert!(can_view_hu_remarks(&reader, RoundPhase::Consultation, "SU"));
        assert!(can_view_hu_remarks(&hu, RoundPhase::Preparation, "SU"));
    }
}
