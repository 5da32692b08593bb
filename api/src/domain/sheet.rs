//! A proposal sheet as one JSON document: the format demo data is loaded from and that the
//! import (a later issue) accepts. Amounts are kroner as strings (`"-7300000"`), exact.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::domain::model::{
    BudgetLineKind, ExpenseType, ProposalStatus, danish_sort_key, normalize_committee_code,
    proposal_number, search_text,
};
use crate::error::{ApiError, ApiResult};
use crate::money::{decimal_to_centi, kroner_to_ore};
use entity::{
    budget_line, budget_round, committee, investment_need, investment_need_amount, policy_area,
    proposal, proposal_document, proposal_relation, proposal_year,
};

/// A whole sheet.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProposalSheet {
    /// `SU01`; the committee's next number when absent.
    pub number: Option<String>,
    /// Committee code (`SU`).
    pub committee: String,
    /// Policy area name within the committee.
    pub policy_area: Option<String>,
    /// Overskrift.
    pub title: String,
    /// Forslagsstiller.
    pub proposer: String,
    /// Udgiftstype, stored form (`service`).
    pub expense_type: String,
    /// Status, stored form (`submitted`); the demo loader uses it, the import ignores it
    /// (an imported sheet is a draft).
    #[serde(default)]
    pub status: Option<String>,
    /// The figures per year.
    pub years: Vec<SheetYear>,
    /// Investeringsbehov.
    #[serde(default)]
    pub investment_needs: Vec<SheetInvestmentNeed>,
    /// The seven text sections.
    #[serde(default)]
    pub sections: SheetSections,
    /// Numbers of related proposals in the same round.
    #[serde(default)]
    pub related_proposals: Vec<String>,
    /// Documents referred to.
    #[serde(default)]
    pub documents: Vec<SheetDocument>,
}

/// One year of a sheet.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SheetYear {
    /// Calendar year.
    pub year: i32,
    /// Nuværende budget, kroner.
    pub current_budget: Option<Decimal>,
    /// Ændring i antal årsværk.
    pub staff_impact: Option<Decimal>,
    /// Samlet ændring as printed, kroner.
    pub stated_net: Option<Decimal>,
    /// Lines by kind (stored form) → kroner.
    #[serde(default)]
    pub lines: BTreeMap<String, Decimal>,
}

/// One investment need of a sheet.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SheetInvestmentNeed {
    /// What for.
    pub purpose: String,
    /// Year → kroner.
    pub amounts: BTreeMap<i32, Decimal>,
}

/// The seven text sections.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SheetSections {
    /// 1. Resumé.
    pub summary: String,
    /// 2. Status.
    pub status: String,
    /// 3. Ændringsforslag.
    pub proposed_change: String,
    /// 4. Konsekvens.
    pub consequences: String,
    /// 5. Investeringsbehov.
    pub investment_needs: String,
    /// 6. Relevante dokumenter eller sammenhæng til andre bidrag.
    pub related_documents: String,
    /// 7. Bemærkninger fra HU.
    pub hu_remarks: String,
}

/// A document a sheet refers to.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SheetDocument {
    /// Title as printed.
    pub title: String,
    /// Date of the document.
    pub date: Option<NaiveDate>,
    /// Case number, link or other reference.
    pub reference: Option<String>,
}

fn bad(field: &[&str], message: impl Into<String>) -> ApiError {
    ApiError::bad_input(field, message)
}

fn ore(value: Decimal, field: &[&str]) -> ApiResult<i64> {
    kroner_to_ore(value).map_err(|error| bad(field, error.message()))
}

/// Inserts a sheet into a round and returns the new proposal. Call inside a transaction:
/// on an error part of it may have been written.
pub async fn insert(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    round: &budget_round::Model,
    sheet: &ProposalSheet,
) -> ApiResult<proposal::Model> {
    let code = normalize_committee_code(&sheet.committee);
    let committee = committee::Entity::find()
        .filter(committee::Column::Code.eq(code.clone()))
        .one(db)
        .await?
        .ok_or_else(|| bad(&["committee"], format!("there is no committee {code:?}")))?;
    let policy_area_id = match &sheet.policy_area {
        None => None,
        Some(name) => Some(
            policy_area::Entity::find()
                .filter(policy_area::Column::CommitteeId.eq(committee.id))
                .filter(policy_area::Column::Name.eq(name.clone()))
                .one(db)
                .await?
                .ok_or_else(|| bad(&["policyArea"], format!("no policy area {name:?}")))?
                .id,
        ),
    };
    let expense_type = ExpenseType::parse(&sheet.expense_type)
        .ok_or_else(|| bad(&["expenseType"], "unknown expense type"))?;
    let status = ProposalStatus::parse(sheet.status.as_deref().unwrap_or("draft"))
        .ok_or_else(|| bad(&["status"], "unknown status"))?;

    let sequence = match &sheet.number {
        Some(number) => number
            .trim()
            .to_uppercase()
            .strip_prefix(&committee.code)
            .and_then(|digits| digits.parse::<i32>().ok())
            .filter(|sequence| *sequence >= 1)
            .ok_or_else(|| {
                bad(
                    &["number"],
                    format!("a number of {code} looks like {code}01"),
                )
            })?,
        None => crate::domain::editing::next_sequence(db, round.id, committee.id).await?,
    };
    if sheet.number.is_some() {
        // An explicit number moves the committee's counter past it, if it is behind.
        entity::proposal_sequence::Entity::update_many()
            .col_expr(
                entity::proposal_sequence::Column::LastSequence,
                sea_orm::sea_query::Expr::value(sequence),
            )
            .filter(entity::proposal_sequence::Column::RoundId.eq(round.id))
            .filter(entity::proposal_sequence::Column::CommitteeId.eq(committee.id))
            .filter(entity::proposal_sequence::Column::LastSequence.lt(sequence))
            .exec(db)
            .await?;
    }
    let number = proposal_number(&committee.code, sequence);
    let now = Utc::now();
    let sections = &sheet.sections;
    let inserted = proposal::Entity::insert(proposal::ActiveModel {
        round_id: Set(round.id),
        committee_id: Set(committee.id),
        policy_area_id: Set(policy_area_id),
        sequence: Set(sequence),
        number: Set(number.clone()),
        title: Set(sheet.title.trim().to_owned()),
        proposer: Set(sheet.proposer.trim().to_owned()),
        expense_type: Set(expense_type.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        version: Set(1),
        summary: Set(sections.summary.clone()),
        status_text: Set(sections.status.clone()),
        proposed_change: Set(sections.proposed_change.clone()),
        consequences: Set(sections.consequences.clone()),
        investment_text: Set(sections.investment_needs.clone()),
        related_text: Set(sections.related_documents.clone()),
        hu_remarks_text: Set(sections.hu_remarks.clone()),
        search_text: Set(search_text(&number, sheet.title.trim())),
        title_sort: Set(danish_sort_key(sheet.title.trim())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;

    let mut years = Vec::new();
    let mut lines = Vec::new();
    for (index, year) in sheet.years.iter().enumerate() {
        let index = index.to_string();
        let at = |field: &'static str| ["years", index.as_str(), field];
        years.push(proposal_year::ActiveModel {
            proposal_id: Set(inserted.id),
            year: Set(year.year),
            current_budget_ore: Set(year
                .current_budget
                .map(|v| ore(v, &at("currentBudget")))
                .transpose()?),
            staff_impact_centi: Set(year
                .staff_impact
                .map(|v| decimal_to_centi(v).map_err(|e| bad(&at("staffImpact"), e.message())))
                .transpose()?),
            stated_net_ore: Set(year
                .stated_net
                .map(|v| ore(v, &at("statedNet")))
                .transpose()?),
            ..Default::default()
        });
        for (kind, amount) in &year.lines {
            let kind = BudgetLineKind::parse(kind)
                .ok_or_else(|| bad(&at("lines"), format!("unknown line kind {kind:?}")))?;
            lines.push(budget_line::ActiveModel {
                proposal_id: Set(inserted.id),
                year: Set(year.year),
                kind: Set(kind.as_str().to_owned()),
                amount_ore: Set(ore(*amount, &at("lines"))?),
                ..Default::default()
            });
        }
    }
    if !years.is_empty() {
        proposal_year::Entity::insert_many(years).exec(db).await?;
    }
    if !lines.is_empty() {
        budget_line::Entity::insert_many(lines).exec(db).await?;
    }

    for (position, need) in sheet.investment_needs.iter().enumerate() {
        let saved = investment_need::Entity::insert(investment_need::ActiveModel {
            proposal_id: Set(inserted.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            purpose: Set(need.purpose.clone()),
            ..Default::default()
        })
        .exec(db)
        .await?;
        let mut amounts = Vec::new();
        for (year, amount) in &need.amounts {
            amounts.push(investment_need_amount::ActiveModel {
                investment_need_id: Set(saved.last_insert_id),
                year: Set(*year),
                amount_ore: Set(ore(*amount, &["investmentNeeds", &position.to_string()])?),
                ..Default::default()
            });
        }
        if !amounts.is_empty() {
            investment_need_amount::Entity::insert_many(amounts)
                .exec(db)
                .await?;
        }
    }

    for (index, related) in sheet.related_proposals.iter().enumerate() {
        let related_number = related.trim().to_uppercase();
        let found = proposal::Entity::find()
            .filter(proposal::Column::RoundId.eq(round.id))
            .filter(proposal::Column::Number.eq(related_number.clone()))
            .one(db)
            .await?
            .ok_or_else(|| {
                bad(
                    &["relatedProposals", &index.to_string()],
                    format!("there is no proposal {related_number} in this round"),
                )
            })?;
        proposal_relation::Entity::insert(proposal_relation::ActiveModel {
            proposal_id: Set(inserted.id),
            related_proposal_id: Set(found.id),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }

    for (position, document) in sheet.documents.iter().enumerate() {
        proposal_document::Entity::insert(proposal_document::ActiveModel {
            proposal_id: Set(inserted.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            title: Set(document.title.clone()),
            document_date: Set(document.date),
            reference: Set(document.reference.clone()),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    let importer = crate::auth::Viewer {
        name: Some("Import".to_owned()),
        ..crate::auth::Viewer::default()
    };
    crate::domain::history::record(
        db,
        &importer,
        &inserted,
        None,
        crate::domain::history::Change {
            action: "imported",
            from_status: None,
            reason: None,
        },
        now,
    )
    .await?;
    if status == ProposalStatus::Approved {
        // Booked in a transaction of its own (a savepoint inside a caller's): the feed
        // counter must stay locked until the items commit.
        let booking = db.begin().await?;
        crate::domain::feed::reconcile(
            &booking,
            &[inserted.id],
            &crate::domain::feed::Booking {
                decision_id: None,
                reason: Some("Indlæst som godkendt"),
                recorded_by: importer.name.clone(),
                at: now,
            },
        )
        .await?;
        sea_orm::TransactionSession::commit(booking).await?;
    }
    Ok(inserted)
}

/// A year where the sheet's stated net change differs from the sum of its lines (øre).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetMismatch {
    /// Calendar year.
    pub year: i32,
    /// As stated on the sheet.
    pub stated_ore: i64,
    /// The sum of the sheet's lines.
    pub computed_ore: i128,
}

fn sheet_error(
    path: &[&str],
    code: &'static str,
    message: impl Into<String>,
) -> crate::domain::editing::UserError {
    let mut error = crate::domain::editing::UserError::new(path, code, message);
    error.field.insert(0, "sheet".to_owned());
    error
}

/// Imports a sheet document as a new draft in `round` (who may create proposals for its
/// committee). The number is assigned as for any new proposal. The sheet's stated net per
/// year is kept, and every year where it differs from the sum of the lines is reported:
/// the import is accepted, not silently fixed.
pub async fn import(
    db: &sea_orm::DatabaseConnection,
    events: &crate::events::Events,
    viewer: &crate::auth::Viewer,
    round_id: i32,
    document: serde_json::Value,
) -> ApiResult<crate::domain::editing::Written<(proposal::Model, Vec<NetMismatch>)>> {
    use crate::domain::editing::{
        self, DocumentInput, NeedInput, ProposalInput, SectionsInput, Written, YearInput,
    };
    crate::auth::require_signed_in(viewer)?;
    let sheet: ProposalSheet = match serde_json::from_value(document) {
        Ok(sheet) => sheet,
        Err(error) => {
            return Ok(Written::Invalid(vec![sheet_error(
                &[],
                "INVALID",
                format!("not a proposal sheet: {error}"),
            )]));
        }
    };
    let round = budget_round::Entity::find_by_id(round_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))?;
    let code = normalize_committee_code(&sheet.committee);
    let committee = committee::Entity::find()
        .filter(committee::Column::Code.eq(code.clone()))
        .one(db)
        .await?;
    // Who may not create proposals for the committee hears that first, not the sheet's problems.
    if committee.as_ref().is_some_and(|committee| {
        !crate::auth::can_create_proposal(viewer, &committee.code, &round, Utc::now())
    }) {
        return Err(ApiError::Forbidden(format!(
            "you may not create proposals for {code} in {} now",
            round.name
        )));
    }
    let mut problems = Vec::new();
    let expense_type = ExpenseType::parse(&sheet.expense_type);
    if expense_type.is_none() {
        problems.push(sheet_error(
            &["expenseType"],
            "UNKNOWN",
            "service, transfer, capital or financing",
        ));
    }
    let policy_area_id = match (&sheet.policy_area, &committee) {
        (Some(name), Some(committee)) => {
            let found = policy_area::Entity::find()
                .filter(policy_area::Column::CommitteeId.eq(committee.id))
                .filter(policy_area::Column::Name.eq(name.clone()))
                .one(db)
                .await?;
            if found.is_none() {
                problems.push(sheet_error(
                    &["policyArea"],
                    "UNKNOWN",
                    format!("{code} has no policy area {name:?}"),
                ));
            }
            found.map(|area| area.id)
        }
        _ => None,
    };
    let mut years = Vec::new();
    let mut mismatches = Vec::new();
    for (index, year) in sheet.years.iter().enumerate() {
        let i = index.to_string();
        let mut lines = Vec::new();
        for (kind, amount) in &year.lines {
            match BudgetLineKind::parse(kind) {
                Some(kind) => lines.push((kind, *amount)),
                None => problems.push(sheet_error(
                    &["years", &i, "lines", kind],
                    "UNKNOWN",
                    "efficiency, service_reduction or expansion",
                )),
            }
        }
        if let Some(stated) = year.stated_net.and_then(|s| kroner_to_ore(s).ok()) {
            let computed: i128 = lines
                .iter()
                .filter_map(|(_, a)| kroner_to_ore(*a).ok())
                .map(i128::from)
                .sum();
            if i128::from(stated) != computed {
                mismatches.push(NetMismatch {
                    year: year.year,
                    stated_ore: stated,
                    computed_ore: computed,
                });
            }
        }
        years.push(YearInput {
            year: year.year,
            current_budget: year.current_budget,
            staff_impact: year.staff_impact,
            stated_net: year.stated_net,
            lines,
        });
    }
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let sections = &sheet.sections;
    let input = ProposalInput {
        title: Some(sheet.title.clone()),
        proposer: Some(sheet.proposer.clone()),
        expense_type,
        policy_area_id: Some(policy_area_id),
        years: Some(years),
        investment_needs: Some(
            sheet
                .investment_needs
                .iter()
                .map(|need| NeedInput {
                    purpose: need.purpose.clone(),
                    amounts: need.amounts.iter().map(|(y, a)| (*y, *a)).collect(),
                })
                .collect(),
        ),
        sections: SectionsInput {
            summary: Some(sections.summary.clone()),
            status: Some(sections.status.clone()),
            proposed_change: Some(sections.proposed_change.clone()),
            consequences: Some(sections.consequences.clone()),
            investment_needs: Some(sections.investment_needs.clone()),
            related_documents: Some(sections.related_documents.clone()),
        },
        related: Some(sheet.related_proposals.clone()),
        documents: Some(
            sheet
                .documents
                .iter()
                .map(|d| DocumentInput {
                    title: d.title.clone(),
                    date: d.date,
                    reference: d.reference.clone(),
                })
                .collect(),
        ),
    };
    Ok(
        match editing::create(db, events, viewer, round_id, &code, &input).await? {
            Written::Done(created) => Written::Done((created, mismatches)),
            Written::Invalid(errors) => Written::Invalid(
                errors
                    .into_iter()
                    .map(|mut error| {
                        error.field.insert(0, "sheet".to_owned());
                        error
                    })
                    .collect(),
            ),
        },
    )
}
