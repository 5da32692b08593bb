//! HU remarks and decisions on a proposal.

use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::bounds::MAX_REMARK_VERSIONS;
use crate::domain::decisions::{CITY_COUNCIL, DecisionRecord, votes_text};
use crate::domain::model::{AmendmentOutcome, DecisionOutcome, VotePosition};
use crate::domain::remarks::Remark;
use crate::graphql::ids::{self, Kind};

/// A remark by an HU member (bemærkning fra HU); every edit is kept as a version.
pub struct HuRemark(pub Remark);

/// A remark by an HU member (bemærkning fra HU); every edit is kept as a version.
#[Object]
impl HuRemark {
    /// Id, for editing.
    async fn id(&self) -> ID {
        ids::encode(Kind::HuRemark, self.0.remark.id)
    }

    /// Who wrote it.
    async fn author(&self) -> Option<&str> {
        self.0.remark.author_name.as_deref()
    }

    /// The current version number; edits carry it.
    async fn version(&self) -> i32 {
        self.0.remark.version
    }

    /// The current text.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::remarks::MAX_REMARK)")]
    async fn body(&self) -> &str {
        self.0.versions.last().map_or("", |v| v.body.as_str())
    }

    /// When it was first written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.remark.created_at
    }

    /// When it was last edited.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.remark.updated_at
    }

    /// The versions, oldest first: the newest 20 at most, older ones are left out (edits are
    /// not limited, the answer is).
    #[graphql(complexity = "MAX_REMARK_VERSIONS * child_complexity + 1")]
    async fn versions(&self) -> Vec<HuRemarkVersion> {
        let versions = &self.0.versions;
        versions
            .iter()
            .skip(versions.len().saturating_sub(MAX_REMARK_VERSIONS))
            .map(|v| HuRemarkVersion {
                version: v.version,
                body: v.body.clone(),
                edited_at: v.edited_at,
                editor: v.editor_name.clone(),
            })
            .collect()
    }
}

/// One version of an HU remark.
#[derive(SimpleObject)]
pub struct HuRemarkVersion {
    /// Version number.
    pub version: i32,
    /// The text of this version.
    #[graphql(
        complexity = "crate::graphql::limits::text_cost(crate::domain::remarks::MAX_REMARK)"
    )]
    pub body: String,
    /// When it was written.
    pub edited_at: DateTime<Utc>,
    /// Who wrote it.
    pub editor: Option<String>,
}

/// A decision (beslutning) on a proposal.
pub struct Decision(pub DecisionRecord);

/// A decision (beslutning) on a proposal.
#[Object]
impl Decision {
    /// The deciding body: a committee code, or BR for Byrådet.
    async fn body(&self) -> &str {
        &self.0.decision.body
    }

    /// Whether the city council decided.
    async fn by_city_council(&self) -> bool {
        self.0.decision.body == CITY_COUNCIL
    }

    /// The meeting date.
    async fn decided_on(&self) -> NaiveDate {
        self.0.decision.decided_on
    }

    /// Outcome.
    async fn outcome(&self) -> Option<DecisionOutcome> {
        DecisionOutcome::parse(&self.0.decision.outcome)
    }

    /// Outcome as the minutes word it ("Godkendt").
    async fn outcome_label(&self) -> Option<&'static str> {
        DecisionOutcome::parse(&self.0.decision.outcome).map(DecisionOutcome::label)
    }

    /// The decision's text.
    #[graphql(
        complexity = "crate::graphql::limits::text_cost(crate::domain::decisions::MAX_DECISION_TEXT)"
    )]
    async fn text(&self) -> &str {
        &self.0.decision.text
    }

    /// Votes per party.
    /// At most 30 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_VOTES * child_complexity + 1")]
    async fn votes(&self) -> Vec<Vote> {
        self.0
            .votes
            .iter()
            .map(|v| Vote {
                party: v.party.clone(),
                members: v.members,
                position: VotePosition::parse(&v.position),
            })
            .collect()
    }

    /// The votes as the minutes write them: "Ø (1) stemte imod. A (1) undlod at stemme."
    async fn votes_text(&self) -> String {
        votes_text(&self.0.votes)
    }

    /// Amendments (ændringsforslag) put forward.
    /// At most 20 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_AMENDMENTS * child_complexity + 1")]
    async fn amendments(&self) -> Vec<Amendment> {
        self.0
            .amendments
            .iter()
            .map(|a| Amendment {
                proposer: a.proposer.clone(),
                text: a.text.clone(),
                outcome: AmendmentOutcome::parse(&a.outcome),
            })
            .collect()
    }

    /// Who recorded it.
    async fn recorded_by(&self) -> Option<&str> {
        self.0.decision.recorded_by.as_deref()
    }
}

/// How a party's members voted.
#[derive(SimpleObject)]
pub struct Vote {
    /// Party letter ("Ø", "A").
    pub party: String,
    /// How many members.
    pub members: i32,
    /// For, against, or abstained.
    pub position: Option<VotePosition>,
}

/// An amendment (ændringsforslag).
#[derive(SimpleObject)]
pub struct Amendment {
    /// Who put it forward (a party, a member).
    pub proposer: String,
    /// Its text.
    pub text: String,
    /// What became of it.
    pub outcome: Option<AmendmentOutcome>,
}
