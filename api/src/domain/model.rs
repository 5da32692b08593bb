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

stored_enum! {
    /// The outcome of a decision (beslutning), as the minutes word it.
    DecisionOutcome {
        /// Godkendt: approved; the proposal is approved.
        Approved = "approved" / "Godkendt",
        /// Anbefales: recommended.
        Recommended = "recommended" / "Anbefales",
        /// Anbefales ikke: not recommended.
        NotRecommended = "not_recommended" / "Anbefales ikke",
        /// Taget til efterretning: noted; the status does not change.
        Noted = "noted" / "Taget til efterretning",
        /// Afvist: rejected; the proposal is rejected.
        Rejected = "rejected" / "Afvist",
    }
}

impl DecisionOutcome {
    /// The status a decision with this outcome gives a proposal, if it changes it.
    pub fn resulting_status(self) -> Option<ProposalStatus> {
        match self {
            Self::Approved => Some(ProposalStatus::Approved),
            Self::Recommended => Some(ProposalStatus::Recommended),
            Self::NotRecommended => Some(ProposalStatus::NotRecommended),
            Self::Rejected => Some(ProposalStatus::Rejected),
            Self::Noted => None,
        }
    }
}

stored_enum! {
    /// How a party's members voted.
    VotePosition {
        /// Stemte for.
        For = "for" / "stemte for",
        /// Stemte imod.
        Against = "against" / "stemte imod",
        /// Undlod at stemme.
        Abstained = "abstained" / "undlod at stemme",
    }
}

stored_enum! {
    /// What became of an amendment (ændringsforslag).
    AmendmentOutcome {
        /// Vedtaget.
        Adopted = "adopted" / "Vedtaget",
        /// Forkastet.
        Rejected = "rejected" / "Forkastet",
        /// Trukket tilbage.
        Withdrawn = "withdrawn" / "Trukket tilbage",
    }
}

stored_enum! {
    /// Why an item entered the approved-changes feed.
    ChangeEntry {
        /// Godkendelse: the proposal was approved; its lines are booked.
        Approval = "approval" / "Godkendelse",
        /// Korrektion: what is approved changed; the item adjusts earlier ones.
        Correction = "correction" / "Korrektion",
        /// Tilbageførsel: the approval was reversed; the item cancels earlier ones.
        Reversal = "reversal" / "Tilbageførsel",
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
/// Unicode NFC first, so `Å` typed as `A` + ring is `Å`; then each letter that has a plain
/// capital whose small letter is itself becomes that capital. Letters that only fold into
/// another letter stay as they are: the long s of `ſu` is not the `S` of `SU`, nor the
/// dotless ı an `I`. A token's committee claim is compared exactly, without even this.
pub fn normalize_committee_code(code: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    code.trim()
        .nfc()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(capital), None) if capital.to_lowercase().eq(c.to_lowercase()) => capital,
                _ => c,
            }
        })
        .nfc()
        .collect()
}

/// A key that orders text the Danish way under any database collation: case-insensitive,
/// digits before letters, and æ, ø, å after z (ä and ö with æ and ø). Each character becomes
/// five decimal digits, and digits collate alike in SQLite and every PostgreSQL locale (hex
/// would not: a Danish collation reads "aa" as å). The first 120 characters count.
pub fn danish_sort_key(text: &str) -> String {
    let mut key = String::new();
    for c in text.trim().to_lowercase().chars().take(120) {
        let letter = |index: u32| 1_000 + index;
        let rank: u32 = match c {
            c if c.is_whitespace() => 1,
            '0'..='9' => 500 + (u32::from(c) - u32::from('0')),
            'a'..='z' => letter(u32::from(c) - u32::from('a')),
            'á' | 'à' | 'â' => letter(0),
            'é' | 'è' | 'ê' | 'ë' => letter(4),
            'í' | 'ï' => letter(8),
            'ó' | 'ô' => letter(14),
            'ú' | 'ü' => letter(20),
            'æ' | 'ä' => letter(26),
            'ø' | 'ö' => letter(27),
            'å' => letter(28),
            c if u32::from(c) < 0x80 => u32::from(c),
            c => 2_000 + u32::from(c).min(97_999),
        };
        key.push_str(&format!("{rank:05}"));
    }
    key
}

/// The text proposals are searched in: number and title, lower-cased in Rust so that Æ/Ø/Å
/// match case-insensitively on both databases.
pub fn search_text(number: &str, title: &str) -> String {
    format!("{number} {title}").to_lowercase()
}

/// The first year a date in the API may fall in. Dates far outside the budget's world are
/// typos (`0202` for `2022`), and PostgreSQL refuses dates before 4713 BC outright.
pub const FIRST_DATE_YEAR: i32 = 1900;

/// The last year a date in the API may fall in.
pub const LAST_DATE_YEAR: i32 = 2200;

/// Whether `date` lies in the years the API accepts ([`FIRST_DATE_YEAR`] to
/// [`LAST_DATE_YEAR`]); the same on both databases.
pub fn date_in_range(date: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (FIRST_DATE_YEAR..=LAST_DATE_YEAR).contains(&date.year())
}

/// The message for a date out of range.
pub fn date_range_message() -> String {
    format!("a date between {FIRST_DATE_YEAR} and {LAST_DATE_YEAR}")
}

/// A point in time given as input, checked like a date: BAD_USER_INPUT on `field` outside
/// the accepted years.
pub fn check_time(
    field: &[&str],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::error::ApiError> {
    if date_in_range(at.date_naive()) {
        Ok(())
    } else {
        Err(crate::error::ApiError::bad_input(
            field,
            date_range_message(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_sort_the_danish_way() {
        let mut titles = vec![
            "Åben dialog",
            "øget effekt",
            "Ældre",
            "zoneterapi",
            "Aflastning",
            "10 borgere",
            "aarhus-aftalen",
        ];
        titles.sort_by_key(|title| danish_sort_key(title));
        assert_eq!(
            titles,
            [
                "10 borgere",
                "aarhus-aftalen",
                "Aflastning",
                "zoneterapi",
                "Ældre",
                "øget effekt",
                "Åben dialog"
            ]
        );
        assert!(danish_sort_key("Åben").chars().all(|c| c.is_ascii_digit()));
    }
}
