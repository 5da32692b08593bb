//! The history of a proposal: a JSON snapshot of its whole state after every change, and the
//! field-level diff between consecutive snapshots. Reading a proposal "as of" a time is
//! reading the last snapshot taken at or before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::auth::{Viewer, visible_proposals};
use crate::domain::proposal::{documents, investment_needs, related_proposals, year_figures};
use crate::error::{ApiError, ApiResult};
use crate::money::{centi_to_decimal, ore_to_kroner};
use entity::{proposal, proposal_history};

/// The whole state of a proposal at one version; amounts are exact kroner strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Proposer.
    pub proposer: String,
    /// Expense type, stored form.
    pub expense_type: String,
    /// Status, stored form.
    pub status: String,
    /// Policy area id.
    pub policy_area_id: Option<i32>,
    /// Version.
    pub version: i32,
    /// The text sections by name.
    pub sections: BTreeMap<String, String>,
    /// Figures per year.
    pub years: BTreeMap<i32, SnapshotYear>,
    /// Investment needs: purpose → year → kroner.
    pub investment_needs: Vec<(String, BTreeMap<i32, Decimal>)>,
    /// Numbers of related proposals.
    pub related: Vec<String>,
    /// Document titles.
    pub documents: Vec<String>,
}

/// One year of a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotYear {
    /// Nuværende budget.
    pub current_budget: Option<Decimal>,
    /// Staff impact, FTE.
    pub staff_impact: Option<Decimal>,
    /// Stated net change.
    pub stated_net: Option<Decimal>,
    /// Lines by kind (stored form).
    pub lines: BTreeMap<String, Decimal>,
}

/// Takes the snapshot of a proposal as it is in `db` now (inside the writing transaction).
pub async fn snapshot(db: &impl ConnectionTrait, row: &proposal::Model) -> ApiResult<Snapshot> {
    let ids = [row.id];
    let figures = year_figures(db, &ids)
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let needs = investment_needs(db, &ids)
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    // Relations as the published catalog shows them, so no reader of the history learns of
    // another committee's drafts.
    let related = related_proposals(db, &Viewer::anonymous(), &ids)
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let docs = documents(db, &ids)
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(Snapshot {
        number: row.number.clone(),
        title: row.title.clone(),
        proposer: row.proposer.clone(),
        expense_type: row.expense_type.clone(),
        status: row.status.clone(),
        policy_area_id: row.policy_area_id,
        version: row.version,
        sections: [
            ("summary", &row.summary),
            ("status", &row.status_text),
            ("proposedChange", &row.proposed_change),
            ("consequences", &row.consequences),
            ("investmentNeeds", &row.investment_text),
            ("relatedDocuments", &row.related_text),
        ]
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text.clone()))
        .collect(),
        years: figures
            .into_iter()
            .map(|year| {
                (
                    year.year,
                    SnapshotYear {
                        current_budget: year.current_budget_ore.map(ore_to_kroner),
                        staff_impact: year.staff_impact_centi.map(centi_to_decimal),
                        stated_net: year.stated_net_ore.map(ore_to_kroner),
                        lines: year
                            .lines
                            .iter()
                            .map(|line| {
                                (
                                    line.kind.as_str().to_owned(),
                                    ore_to_kroner(line.amount_ore),
                                )
                            })
                            .collect(),
                    },
                )
            })
            .collect(),
        investment_needs: needs
            .into_iter()
            .map(|need| {
                (
                    need.purpose,
                    need.amounts
                        .into_iter()
                        .map(|(y, ore)| (y, ore_to_kroner(ore)))
                        .collect(),
                )
            })
            .collect(),
        related: related.into_iter().map(|p| p.number).collect(),
        documents: docs.into_iter().map(|d| d.title).collect(),
    })
}

/// One changed field: its path and the values before and after (null: absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Dotted path, e.g. `years.2024.lines.efficiency` or `title`.
    pub field: String,
    /// The value before, as text.
    pub before: Option<String>,
    /// The value after, as text.
    pub after: Option<String>,
}

fn flatten(prefix: &str, value: &serde_json::Value, into: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, into);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{index}"), inner, into);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(text) => {
            into.insert(prefix.to_owned(), text.clone());
        }
        other => {
            into.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The fields that differ between two snapshots (the version number itself left out).
pub fn diff(before: Option<&Snapshot>, after: &Snapshot) -> Vec<FieldChange> {
    let mut old = BTreeMap::new();
    if let Some(before) = before {
        flatten(
            "",
            &serde_json::to_value(before).unwrap_or_default(),
            &mut old,
        );
    }
    let mut new = BTreeMap::new();
    flatten(
        "",
        &serde_json::to_value(after).unwrap_or_default(),
        &mut new,
    );
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|field| field.as_str() != "version")
        .filter_map(|field| {
            let (b, a) = (old.get(field), new.get(field));
            (b != a).then(|| FieldChange {
                field: field.clone(),
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect()
}

/// What happened in a change.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    /// `created`, `updated`, `submitted`, `withdrawn`, `returned_to_draft`, `corrected`, …
    pub action: &'a str,
    /// Status before, for transitions.
    pub from_status: Option<&'a str>,
    /// Reason given (returning to draft, withdrawing, corrections).
    pub reason: Option<&'a str>,
}

/// Records a change: the snapshot after it and the diff against the one before.
pub async fn record(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    row: &proposal::Model,
    before: Option<&Snapshot>,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> ApiResult<()> {
    let after = snapshot(db, row).await?;
    let changes = diff(before, &after);
    let to_status = (change.from_status.is_some_and(|from| from != row.status) || before.is_none())
        .then(|| row.status.clone());
    proposal_history::Entity::insert(proposal_history::ActiveModel {
        proposal_id: Set(row.id),
        version: Set(row.version),
        occurred_at: Set(at),
        actor_subject: Set(viewer.subject.clone()),
        actor_name: Set(viewer.name.clone()),
        action: Set(change.action.to_owned()),
        from_status: Set(change.from_status.map(str::to_owned)),
        to_status: Set(to_status),
        reason: Set(change.reason.map(str::to_owned)),
        diff: Set(serde_json::to_string(&changes).map_err(|_| ApiError::Internal)?),
        snapshot: Set(serde_json::to_string(&after).map_err(|_| ApiError::Internal)?),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A page of a proposal's history, newest first, and the number of entries.
pub async fn page(
    db: &impl ConnectionTrait,
    proposal_id: i32,
    offset: u64,
    limit: u64,
) -> ApiResult<(Vec<proposal_history::Model>, u64)> {
    let query = proposal_history::Entity::find()
        .filter(proposal_history::Column::ProposalId.eq(proposal_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(proposal_history::Column::Version)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The proposal as it was at `at`, if it existed then and the viewer may see it now.
pub async fn as_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    proposal_id: i32,
    at: DateTime<Utc>,
) -> ApiResult<Option<(proposal_history::Model, Snapshot)>> {
    crate::domain::model::check_time(&["at"], at)?;
    let visible = proposal::Entity::find_by_id(proposal_id)
        .filter(visible_proposals(viewer))
        .one(db)
        .await?;
    if visible.is_none() {
        return Err(ApiError::not_found("proposal"));
    }
    let Some(row) = proposal_history::Entity::find()
        .filter(proposal_history::Column::ProposalId.eq(proposal_id))
        .filter(proposal_history::Column::OccurredAt.lte(at))
        .order_by_desc(proposal_history::Column::Version)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let snapshot = serde_json::from_str(&row.snapshot).map_err(|error| {
        tracing::error!(%error, history = row.id, "stored snapshot does not parse");
        ApiError::Internal
    })?;
    Ok(Some((row, snapshot)))
}
