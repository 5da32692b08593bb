//! The domain's vocabulary: statuses, phases, kinds. Stored as short English strings so new
//! values need no schema change; labelled in Danish for the people who read the sheet.

use async_graphql::Enum;

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $stored:literal / $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value as stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $stored,)+ }
            }

            /// The Danish label a user reads.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)+ }
            }

            /// Reads a stored value.
            pub fn parse(stored: &str) -> Option<Self> {
                match stored { $($stored => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

stored_enum! {
    /// Where a proposal is in its workflow.
    ProposalStatus {
        /// Kladde: being written; internal to its committee and the budget office.
        Draft = "draft" / "Kladde",
        /// Indsendt: submitted to the catalog.
        Submitted = "submitted" / "Indsendt",
        /// I høring: in consultation (HU and others comment).
        InConsultation = "in_consultation" / "I høring",
        /// Anbefalet: recommended by the committee.
        Recommended = "recommended" / "Anbefalet",
        /// Ikke anbefalet: not recommended by the committee.
        NotRecommended = "not_recommended" / "Ikke anbefalet",
        /// Godkendt: approved; worked into the budget.
        Approved = "approved" / "Godkendt",
        /// Afvist: rejected.
        Rejected = "rejected" / "Afvist",
        /// Trukket tilbage: withdrawn by its committee.
        Withdrawn = "withdrawn" / "Trukket tilbage",
    }
}

stored_enum! {
    /// The phase of a budget round.
    RoundPhase {
        /// Forberedelse: proposals are written and submitted.
        Preparation = "preparation" / "Forberedelse",
        /// Høring: the catalog is in consultation.
        Consultation = "consultation" / "Høring",
        /// Forhandling: the political negotiations.
        Negotiation = "negotiation" / "Forhandling",
        /// Vedtaget: the budget is adopted.
        Adopted = "adopted" / "Vedtaget",
    }
}

stored_enum! {
    /// Udgiftstype: the kind of expense a proposal concerns.
    ExpenseType {
        /// Serviceudgifter.
        ServiceExpenses = "service" / "Serviceudgifter",
        /// Overførselsudgifter.
        TransferExpenses = "transfer" / "Overførselsudgifter",
        /// Anlæg (capital).
        Capital = "capital" / "Anlæg",
        /// Finansiering.
        Financing = "financing" / "Finansiering",
    }
}

stored_enum! {
    /// The kind of an operating budget line (budgetændring – drift).
    BudgetLineKind {
        /// Effektivisering: a saving by doing the same for less; zero or negative.
        Efficiency = "efficiency" / "Effektivisering",
        /// Besparelse / servicereduktion: a saving by doing less; zero or negative.
        ServiceReduction = "service_reduction" / "Besparelse/servicereduktion",
        /// Udvidelse: more spending; zero or positive.
        Expansion = "expansion" / "Udvidelse",
    }
}

impl BudgetLineKind {
    /// Whether lines of this kind save money, and so must not be positive.
    pub fn is_saving(self) -> bool {
        matches!(self, Self::Efficiency | Self::ServiceReduction)
    }
}

/// Formats a proposal number: committee code and at least two digits (`SU01`, `ØU12`).
pub fn proposal_number(committee_code: &str, sequence: i32) -> String {
    format!("{committee_code}{sequence:02}")
}

/// Normalises a committee code as typed by a person (`øu` → `ØU`); Danish letters included.
pub fn normalize_committee_code(code: &str) -> String {
    code.trim().to_uppercase()
}

/// The text proposals are searched in: number and title, lower-cased in Rust so that Æ/Ø/Å
/// match case-insensitively on both databases.
pub fn search_text(number: &str, title: &str) -> String {
    format!("{number} {title}").to_lowercase()
}
