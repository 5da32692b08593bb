//! Writing proposals: create (numbered gap-free per committee), update with optimistic
//! concurrency, workflow transitions, delete drafts. Every write is validated in full first
//! (all problems reported at once, nothing written), runs in one transaction and is
//! recorded in the history.

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};

use crate::auth::{self, Viewer};
use crate::domain::bounds::{MAX_DOCUMENTS, MAX_INVESTMENT_NEEDS, MAX_RELATED, at_most};
use crate::domain::feed;
use crate::domain::history::{self, Change, Snapshot};
use crate::domain::model::{
    BudgetLineKind, ExpenseType, ProposalStatus, RoundPhase, danish_sort_key, date_in_range,
    date_range_message, proposal_number, search_text,
};
use crate::domain::reference::round_years;
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, Events, ProposalChangeKind};
use crate::money::{AmountError, MAX_ABS_KRONER, decimal_to_centi, kroner_to_ore};
use entity::{
    budget_line, budget_round, committee, investment_need, investment_need_amount, policy_area,
    proposal, proposal_document, proposal_relation, proposal_sequence, proposal_year,
};

/// A problem with the input, reported in the mutation's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// Path of the input field (`["years", "2", "lines", "0", "amount"]`).
    pub field: Vec<String>,
    /// Stable code (`REQUIRED`, `OUT_OF_RANGE`, `WRONG_SIGN`, `TOO_PRECISE`, `DUPLICATE`,
    /// `UNKNOWN`, `TOO_LONG`, `TOO_MANY`).
    pub code: &'static str,
    /// For a person.
    pub message: String,
}

impl UserError {
    /// A problem with the input field at `field`.
    pub fn new(field: &[&str], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.iter().map(|part| (*part).to_owned()).collect(),
            code,
            message: message.into(),
        }
    }

    /// Why a number cannot be an amount, as a problem of the field at `field`.
    pub fn amount(field: &[&str], error: AmountError) -> Self {
        match error {
            AmountError::TooManyDecimals => Self::new(
                field,
                "TOO_PRECISE",
                "kroner have at most two decimals (øre)",
            ),
            AmountError::TooLarge => Self::new(
                field,
                "OUT_OF_RANGE",
                format!("more than {MAX_ABS_KRONER} kroner is not a municipal amount"),
            ),
        }
    }
}

/// The result of a write: done, or refused for input problems (nothing written).
#[derive(Clone, Debug)]
pub enum Written<T> {
    /// Written and committed.
    Done(T),
    /// Not written: every problem found.
    Invalid(Vec<UserError>),
}

/// A proposal's content as a client sends it; `None` leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct ProposalInput {
    /// Overskrift.
    pub title: Option<String>,
    /// Forslagsstiller.
    pub proposer: Option<String>,
    /// Udgiftstype.
    pub expense_type: Option<ExpenseType>,
    /// Policy area: `Some(None)` clears it.
    pub policy_area_id: Option<Option<i32>>,
    /// All per-year figures and lines (replaces them).
    pub years: Option<Vec<YearInput>>,
    /// All investment needs (replaces them).
    pub investment_needs: Option<Vec<NeedInput>>,
    /// Text sections; each `None` is left as it is.
    pub sections: SectionsInput,
    /// Numbers of related proposals in the round (replaces them).
    pub related: Option<Vec<String>>,
    /// Documents (replaces them).
    pub documents: Option<Vec<DocumentInput>>,
}

/// One year of figures.
#[derive(Clone, Debug)]
pub struct YearInput {
    /// Calendar year, within the round.
    pub year: i32,
    /// Nuværende budget, kroner.
    pub current_budget: Option<Decimal>,
    /// Staff impact, FTE.
    pub staff_impact: Option<Decimal>,
    /// Net change as stated on a sheet, kroner.
    pub stated_net: Option<Decimal>,
    /// The lines.
    pub lines: Vec<(BudgetLineKind, Decimal)>,
}

/// One investment need.
#[derive(Clone, Debug)]
pub struct NeedInput {
    /// What for.
    pub purpose: String,
    /// Year and kroner.
    pub amounts: Vec<(i32, Decimal)>,
}

/// The text sections (HU remarks are HU's, not written here).
#[derive(Clone, Debug, Default)]
pub struct SectionsInput {
    /// Resumé.
    pub summary: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Ændringsforslag.
    pub proposed_change: Option<String>,
    /// Konsekvens.
    pub consequences: Option<String>,
    /// Investeringsbehov (text).
    pub investment_needs: Option<String>,
    /// Relevante dokumenter (text).
    pub related_documents: Option<String>,
}

/// A document reference.
#[derive(Clone, Debug)]
pub struct DocumentInput {
    /// Title.
    pub title: String,
    /// Date.
    pub date: Option<NaiveDate>,
    /// Reference.
    pub reference: Option<String>,
}

/// The longest text section of a sheet, in characters.
pub const MAX_TEXT: usize = 100_000;
const MAX_STAFF_IMPACT: i64 = 100_000;

struct Problems(Vec<UserError>);

impl Problems {
    fn add(&mut self, field: &[&str], code: &'static str, message: impl Into<String>) {
        self.0.push(UserError::new(field, code, message));
    }

    fn amount(&mut self, field: &[&str], value: Decimal) {
        if let Err(error) = kroner_to_ore(value) {
            self.0.push(UserError::amount(field, error));
        }
    }

    fn text(&mut self, field: &[&str], value: &str, required: bool, max: usize) {
        if required && value.trim().is_empty() {
            self.add(field, "REQUIRED", "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, "TOO_LONG", format!("at most {max} characters"));
        }
    }
}

/// Checks everything a budget office would catch, and reports all of it.
async fn validate(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    round: &budget_round::Model,
    committee_id: i32,
    own_number: Option<&str>,
    input: &ProposalInput,
    creating: bool,
) -> ApiResult<Vec<UserError>> {
    let mut problems = Problems(Vec::new());
    match &input.title {
        Some(title) => problems.text(&["title"], title, true, 500),
        None if creating => problems.add(&["title"], "REQUIRED", "a proposal needs a title"),
        None => {}
    }
    if let Some(proposer) = &input.proposer {
        problems.text(&["proposer"], proposer, true, 200);
    }
    if let Some(Some(area)) = input.policy_area_id {
        let belongs = policy_area::Entity::find_by_id(area)
            .filter(policy_area::Column::CommitteeId.eq(committee_id))
            .one(db)
            .await?
            .is_some();
        if !belongs {
            problems.add(
                &["policyArea"],
                "UNKNOWN",
                "not a policy area of the proposal's committee",
            );
        }
    }
    let years = round_years(round);
    if let Some(input_years) = &input.years {
        // More years than the round has, or lines than kinds, are duplicates or out of
        // range: refused below, so they stay within bounds::MAX_ROUND_YEARS and MAX_LINES.
        let mut seen = HashSet::new();
        for (index, year) in input_years.iter().enumerate() {
            let i = index.to_string();
            if !years.contains(&year.year) {
                problems.add(
                    &["years", &i, "year"],
                    "OUT_OF_RANGE",
                    format!(
                        "{} is outside {} ({}-{})",
                        year.year,
                        round.name,
                        years.first().copied().unwrap_or_default(),
                        years.last().copied().unwrap_or_default()
                    ),
                );
            }
            if !seen.insert(year.year) {
                problems.add(
                    &["years", &i, "year"],
                    "DUPLICATE",
                    format!("{} is given twice", year.year),
                );
            }
            if let Some(value) = year.current_budget {
                problems.amount(&["years", &i, "currentBudget"], value);
            }
            if let Some(value) = year.stated_net {
                problems.amount(&["years", &i, "statedNetChange"], value);
            }
            if let Some(value) = year.staff_impact {
                match decimal_to_centi(value) {
                    Err(AmountError::TooManyDecimals) => problems.add(
                        &["years", &i, "staffImpact"],
                        "TOO_PRECISE",
                        "at most two decimals",
                    ),
                    Ok(centi) if centi.abs() > MAX_STAFF_IMPACT * 100 => problems.add(
                        &["years", &i, "staffImpact"],
                        "OUT_OF_RANGE",
                        "not a plausible number of full-time equivalents",
                    ),
                    Err(AmountError::TooLarge) => problems.add(
                        &["years", &i, "staffImpact"],
                        "OUT_OF_RANGE",
                        "not a plausible number of full-time equivalents",
                    ),
                    Ok(_) => {}
                }
            }
            let mut kinds = HashSet::new();
            for (line_index, (kind, amount)) in year.lines.iter().enumerate() {
                let l = line_index.to_string();
                let at = ["years", i.as_str(), "lines", l.as_str(), "amount"];
                if !kinds.insert(*kind) {
                    problems.add(
                        &["years", &i, "lines", &l, "kind"],
                        "DUPLICATE",
                        format!("{} {} is given twice", kind.label(), year.year),
                    );
                }
                problems.amount(&at, *amount);
                if kind.is_saving() && amount.is_sign_positive() && !amount.is_zero() {
                    problems.add(
                        &at,
                        "WRONG_SIGN",
                        format!(
                            "{} is a saving: zero or negative (-) = mindreudgift",
                            kind.label()
                        ),
                    );
                }
                if !kind.is_saving() && amount.is_sign_negative() && !amount.is_zero() {
                    problems.add(
                        &at,
                        "WRONG_SIGN",
                        format!("{} is more spending: zero or positive", kind.label()),
                    );
                }
            }
        }
    }
    if let Some(needs) = &input.investment_needs {
        problems.0.extend(at_most(
            &["investmentNeeds"],
            needs.len(),
            MAX_INVESTMENT_NEEDS,
            "investment needs",
        ));
        for (index, need) in needs.iter().take(MAX_INVESTMENT_NEEDS).enumerate() {
            let i = index.to_string();
            problems.text(
                &["investmentNeeds", &i, "purpose"],
                &need.purpose,
                true,
                500,
            );
            let mut seen = HashSet::new();
            for (amount_index, (year, amount)) in need.amounts.iter().enumerate() {
                let a = amount_index.to_string();
                if !years.contains(year) {
                    problems.add(
                        &["investmentNeeds", &i, "amounts", &a, "year"],
                        "OUT_OF_RANGE",
                        format!("{year} is outside the round"),
                    );
                }
                if !seen.insert(*year) {
                    problems.add(
                        &["investmentNeeds", &i, "amounts", &a, "year"],
                        "DUPLICATE",
                        format!("{year} is given twice"),
                    );
                }
                problems.amount(&["investmentNeeds", &i, "amounts", &a, "amount"], *amount);
                if amount.is_sign_negative() && !amount.is_zero() {
                    problems.add(
                        &["investmentNeeds", &i, "amounts", &a, "amount"],
                        "WRONG_SIGN",
                        "an investment need is a cost: zero or positive",
                    );
                }
            }
        }
    }
    let sections = &input.sections;
    for (name, text) in [
        ("summary", &sections.summary),
        ("status", &sections.status),
        ("proposedChange", &sections.proposed_change),
        ("consequences", &sections.consequences),
        ("investmentNeeds", &sections.investment_needs),
        ("relatedDocuments", &sections.related_documents),
    ] {
        if let Some(text) = text {
            problems.text(&["sections", name], text, false, MAX_TEXT);
        }
    }
    if let Some(related) = &input.related {
        problems.0.extend(at_most(
            &["relatedProposals"],
            related.len(),
            MAX_RELATED,
            "related proposals",
        ));
        // Each is looked up: past the maximum, the rest are not.
        for (index, number) in related.iter().take(MAX_RELATED).enumerate() {
            let i = index.to_string();
            let number = number.trim().to_uppercase();
            if own_number == Some(number.as_str()) {
                problems.add(
                    &["relatedProposals", &i],
                    "UNKNOWN",
                    "a proposal cannot relate to itself",
                );
                continue;
            }
            // Only proposals the writer can see: existence of others' drafts is not told.
            let exists = proposal::Entity::find()
                .filter(proposal::Column::RoundId.eq(round.id))
                .filter(proposal::Column::Number.eq(number.clone()))
                .filter(auth::visible_proposals(viewer))
                .one(db)
                .await?
                .is_some();
            if !exists {
                problems.add(
                    &["relatedProposals", &i],
                    "UNKNOWN",
                    format!("there is no proposal {number} in {}", round.name),
                );
            }
        }
    }
    if let Some(documents) = &input.documents {
        problems.0.extend(at_most(
            &["documents"],
            documents.len(),
            MAX_DOCUMENTS,
            "documents",
        ));
        for (index, document) in documents.iter().take(MAX_DOCUMENTS).enumerate() {
            if let Some(reference) = &document.reference {
                problems.text(
                    &["documents", &index.to_string(), "reference"],
                    reference,
                    false,
                    500,
                );
            }
            problems.text(
                &["documents", &index.to_string(), "title"],
                &document.title,
                true,
                500,
            );
            if document.date.is_some_and(|date| !date_in_range(date)) {
                problems.add(
                    &["documents", &index.to_string(), "date"],
                    "OUT_OF_RANGE",
                    date_range_message(),
                );
            }
        }
    }
    Ok(problems.0)
}

/// Begins a writing transaction. SQLite takes the write lock at once (an immediate
/// transaction), so concurrent writers queue instead of failing on a lock upgrade.
pub async fn begin_write(db: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    use sea_orm::{DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?)
}

/// The committee's next number in a round: a counter row per committee and round, created
/// from the highest number in use and incremented inside the transaction, so concurrent
/// creates queue on its row lock and a rolled-back create leaves no gap.
pub async fn next_sequence(
    txn: &impl ConnectionTrait,
    round_id: i32,
    committee_id: i32,
) -> ApiResult<i32> {
    let highest: Option<i32> = proposal::Entity::find()
        .select_only()
        .column_as(proposal::Column::Sequence.max(), "highest")
        .filter(proposal::Column::RoundId.eq(round_id))
        .filter(proposal::Column::CommitteeId.eq(committee_id))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    proposal_sequence::Entity::insert(proposal_sequence::ActiveModel {
        round_id: Set(round_id),
        committee_id: Set(committee_id),
        last_sequence: Set(highest.unwrap_or(0)),
    })
    .on_conflict_do_nothing_on([
        proposal_sequence::Column::RoundId,
        proposal_sequence::Column::CommitteeId,
    ])
    .exec(txn)
    .await?;
    proposal_sequence::Entity::update_many()
        .col_expr(
            proposal_sequence::Column::LastSequence,
            Expr::col(proposal_sequence::Column::LastSequence).add(1),
        )
        .filter(proposal_sequence::Column::RoundId.eq(round_id))
        .filter(proposal_sequence::Column::CommitteeId.eq(committee_id))
        .exec(txn)
        .await?;
    let counter = proposal_sequence::Entity::find_by_id((round_id, committee_id))
        .one(txn)
        .await?
        .ok_or(ApiError::Internal)?;
    Ok(counter.last_sequence)
}

/// Replaces the parts of a proposal's content that `input` gives.
async fn write_children(
    txn: &DatabaseTransaction,
    round_id: i32,
    proposal_id: i32,
    input: &ProposalInput,
) -> ApiResult<()> {
    if let Some(years) = &input.years {
        proposal_year::Entity::delete_many()
            .filter(proposal_year::Column::ProposalId.eq(proposal_id))
            .exec(txn)
            .await?;
        budget_line::Entity::delete_many()
            .filter(budget_line::Column::ProposalId.eq(proposal_id))
            .exec(txn)
            .await?;
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for year in years {
            rows.push(proposal_year::ActiveModel {
                proposal_id: Set(proposal_id),
                year: Set(year.year),
                current_budget_ore: Set(year
                    .current_budget
                    .map(kroner_to_ore)
                    .transpose()
                    .map_err(|_| ApiError::Internal)?),
                staff_impact_centi: Set(year
                    .staff_impact
                    .map(decimal_to_centi)
                    .transpose()
                    .map_err(|_| ApiError::Internal)?),
                stated_net_ore: Set(year
                    .stated_net
                    .map(kroner_to_ore)
                    .transpose()
                    .map_err(|_| ApiError::Internal)?),
                ..Default::default()
            });
            for (kind, amount) in &year.lines {
                lines.push(budget_line::ActiveModel {
                    proposal_id: Set(proposal_id),
                    year: Set(year.year),
                    kind: Set(kind.as_str().to_owned()),
                    amount_ore: Set(kroner_to_ore(*amount).map_err(|_| ApiError::Internal)?),
                    ..Default::default()
                });
            }
        }
        if !rows.is_empty() {
            proposal_year::Entity::insert_many(rows).exec(txn).await?;
        }
        if !lines.is_empty() {
            budget_line::Entity::insert_many(lines).exec(txn).await?;
        }
    }
    if let Some(needs) = &input.investment_needs {
        investment_need::Entity::delete_many()
            .filter(investment_need::Column::ProposalId.eq(proposal_id))
            .exec(txn)
            .await?;
        for (position, need) in needs.iter().enumerate() {
            let saved = investment_need::Entity::insert(investment_need::ActiveModel {
                proposal_id: Set(proposal_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                purpose: Set(need.purpose.trim().to_owned()),
                ..Default::default()
            })
            .exec(txn)
            .await?;
            let amounts: Vec<_> = need
                .amounts
                .iter()
                .map(|(year, amount)| {
                    Ok(investment_need_amount::ActiveModel {
                        investment_need_id: Set(saved.last_insert_id),
                        year: Set(*year),
                        amount_ore: Set(kroner_to_ore(*amount).map_err(|_| ApiError::Internal)?),
                        ..Default::default()
                    })
                })
                .collect::<ApiResult<_>>()?;
            if !amounts.is_empty() {
                investment_need_amount::Entity::insert_many(amounts)
                    .exec(txn)
                    .await?;
            }
        }
    }
    if let Some(related) = &input.related {
        proposal_relation::Entity::delete_many()
            .filter(proposal_relation::Column::ProposalId.eq(proposal_id))
            .exec(txn)
            .await?;
        let mut seen = HashSet::new();
        for number in related {
            let number = number.trim().to_uppercase();
            if !seen.insert(number.clone()) {
                continue;
            }
            let target = proposal::Entity::find()
                .filter(proposal::Column::RoundId.eq(round_id))
                .filter(proposal::Column::Number.eq(number))
                .one(txn)
                .await?
                .ok_or(ApiError::Internal)?;
            proposal_relation::Entity::insert(proposal_relation::ActiveModel {
                proposal_id: Set(proposal_id),
                related_proposal_id: Set(target.id),
                ..Default::default()
            })
            .exec(txn)
            .await?;
        }
    }
    if let Some(documents) = &input.documents {
        proposal_document::Entity::delete_many()
            .filter(proposal_document::Column::ProposalId.eq(proposal_id))
            .exec(txn)
            .await?;
        for (position, document) in documents.iter().enumerate() {
            proposal_document::Entity::insert(proposal_document::ActiveModel {
                proposal_id: Set(proposal_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                title: Set(document.title.trim().to_owned()),
                document_date: Set(document.date),
                reference: Set(document.reference.clone()),
                ..Default::default()
            })
            .exec(txn)
            .await?;
        }
    }
    Ok(())
}

async fn committee_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<committee::Model>> {
    Ok(committee::Entity::find()
        .filter(committee::Column::Code.eq(crate::domain::model::normalize_committee_code(code)))
        .one(db)
        .await?)
}

/// Creates a draft in `round` for the committee `committee_code`; the number is assigned.
pub async fn create(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    round_id: i32,
    committee_code: &str,
    input: &ProposalInput,
) -> ApiResult<Written<proposal::Model>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let round = budget_round::Entity::find_by_id(round_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))?;
    let Some(committee) = committee_by_code(&txn, committee_code).await? else {
        return Ok(Written::Invalid(vec![UserError::new(
            &["committee"],
            "UNKNOWN",
            format!("there is no committee {:?}", committee_code.trim()),
        )]));
    };
    let now = Utc::now();
    if !auth::can_create_proposal(viewer, &committee.code, &round, now) {
        return Err(ApiError::Forbidden(format!(
            "you may not create proposals for {} in {} now",
            committee.code, round.name
        )));
    }
    let problems = validate(&txn, viewer, &round, committee.id, None, input, true).await?;
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let sequence = next_sequence(&txn, round.id, committee.id).await?;
    let number = proposal_number(&committee.code, sequence);
    let title = input.title.clone().unwrap_or_default().trim().to_owned();
    let sections = &input.sections;
    let created = proposal::Entity::insert(proposal::ActiveModel {
        round_id: Set(round.id),
        committee_id: Set(committee.id),
        policy_area_id: Set(input.policy_area_id.flatten()),
        sequence: Set(sequence),
        number: Set(number.clone()),
        title: Set(title.clone()),
        proposer: Set(input
            .proposer
            .clone()
            .map(|p| p.trim().to_owned())
            .unwrap_or_else(|| "Administrationen".to_owned())),
        expense_type: Set(input
            .expense_type
            .unwrap_or(ExpenseType::ServiceExpenses)
            .as_str()
            .to_owned()),
        status: Set(ProposalStatus::Draft.as_str().to_owned()),
        version: Set(1),
        summary: Set(sections.summary.clone().unwrap_or_default()),
        status_text: Set(sections.status.clone().unwrap_or_default()),
        proposed_change: Set(sections.proposed_change.clone().unwrap_or_default()),
        consequences: Set(sections.consequences.clone().unwrap_or_default()),
        investment_text: Set(sections.investment_needs.clone().unwrap_or_default()),
        related_text: Set(sections.related_documents.clone().unwrap_or_default()),
        hu_remarks_text: Set(String::new()),
        search_text: Set(search_text(&number, &title)),
        title_sort: Set(danish_sort_key(&title)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    write_children(&txn, round.id, created.id, input).await?;
    history::record(
        &txn,
        viewer,
        &created,
        None,
        Change {
            action: "created",
            from_status: None,
            reason: None,
        },
        now,
    )
    .await?;
    let changed = Event::proposal(&created, &[ProposalChangeKind::Created], now);
    events.announce_and_commit(txn, vec![changed]).await?;
    Ok(Written::Done(created))
}

/// What a write needs to know about the proposal it changes.
pub struct Target {
    /// The row as read in the transaction.
    pub row: proposal::Model,
    /// Its round.
    pub round: budget_round::Model,
    /// Its committee's code.
    pub committee_code: String,
    /// Its status.
    pub status: ProposalStatus,
}

/// Reads a proposal for a change: invisible is NOT_FOUND, another version is CONFLICT.
pub async fn load_for_change(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
) -> ApiResult<Target> {
    let row = proposal::Entity::find_by_id(id)
        .filter(auth::visible_proposals(viewer))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found("proposal"))?;
    if row.version != expected_version {
        return Err(ApiError::Conflict(format!(
            "the proposal changed since version {expected_version}: it is at version {}; reload and try again",
            row.version
        )));
    }
    let round = budget_round::Entity::find_by_id(row.round_id)
        .one(txn)
        .await?
        .ok_or(ApiError::Internal)?;
    let committee = committee::Entity::find_by_id(row.committee_id)
        .one(txn)
        .await?
        .ok_or(ApiError::Internal)?;
    let status = ProposalStatus::parse(&row.status).ok_or(ApiError::Internal)?;
    Ok(Target {
        row,
        round,
        committee_code: committee.code,
        status,
    })
}

/// Bumps the version if it is still the one read (the optimistic lock), with other columns.
pub async fn bump_version(
    txn: &DatabaseTransaction,
    target: &Target,
    mut changes: proposal::ActiveModel,
    now: chrono::DateTime<Utc>,
) -> ApiResult<proposal::Model> {
    changes.version = Set(target.row.version + 1);
    changes.updated_at = Set(now);
    let result = proposal::Entity::update_many()
        .set(changes)
        .filter(proposal::Column::Id.eq(target.row.id))
        .filter(proposal::Column::Version.eq(target.row.version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "the proposal changed meanwhile; reload and try again".to_owned(),
        ));
    }
    proposal::Entity::find_by_id(target.row.id)
        .one(txn)
        .await?
        .ok_or(ApiError::Internal)
}

/// Changes a proposal's content; `expected_version` is the version the change is based on.
pub async fn update(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
    input: &ProposalInput,
    reason: Option<&str>,
) -> ApiResult<Written<proposal::Model>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let target = load_for_change(&txn, viewer, id, expected_version).await?;
    let now = Utc::now();
    if !auth::can_edit_proposal(
        viewer,
        &target.committee_code,
        target.status,
        &target.round,
        now,
    ) {
        return Err(ApiError::Forbidden(
            "you may not change this proposal now".to_owned(),
        ));
    }
    let problems = validate(
        &txn,
        viewer,
        &target.round,
        target.row.committee_id,
        Some(&target.row.number),
        input,
        false,
    )
    .await?;
    if !problems.is_empty() {
        return Ok(Written::Invalid(problems));
    }
    let adopted = RoundPhase::parse(&target.round.phase) == Some(RoundPhase::Adopted);
    if adopted && reason.is_none_or(|r| r.trim().is_empty()) {
        return Ok(Written::Invalid(vec![UserError::new(
            &["reason"],
            "REQUIRED",
            "a correction after adoption says why",
        )]));
    }
    let before: Snapshot = history::snapshot(&txn, &target.row).await?;
    let mut changes = proposal::ActiveModel::default();
    if let Some(title) = &input.title {
        changes.title = Set(title.trim().to_owned());
        changes.search_text = Set(search_text(&target.row.number, title.trim()));
        changes.title_sort = Set(danish_sort_key(title.trim()));
    }
    if let Some(proposer) = &input.proposer {
        changes.proposer = Set(proposer.trim().to_owned());
    }
    if let Some(expense_type) = input.expense_type {
        changes.expense_type = Set(expense_type.as_str().to_owned());
    }
    if let Some(area) = input.policy_area_id {
        changes.policy_area_id = Set(area);
    }
    let sections = &input.sections;
    if let Some(text) = &sections.summary {
        changes.summary = Set(text.clone());
    }
    if let Some(text) = &sections.status {
        changes.status_text = Set(text.clone());
    }
    if let Some(text) = &sections.proposed_change {
        changes.proposed_change = Set(text.clone());
    }
    if let Some(text) = &sections.consequences {
        changes.consequences = Set(text.clone());
    }
    if let Some(text) = &sections.investment_needs {
        changes.investment_text = Set(text.clone());
    }
    if let Some(text) = &sections.related_documents {
        changes.related_text = Set(text.clone());
    }
    let updated = bump_version(&txn, &target, changes, now).await?;
    write_children(&txn, target.round.id, id, input).await?;
    let action = if adopted { "corrected" } else { "updated" };
    history::record(
        &txn,
        viewer,
        &updated,
        Some(&before),
        Change {
            action,
            from_status: None,
            reason,
        },
        now,
    )
    .await?;
    // A change of an approved proposal's lines (or policy area, or expense type) is booked
    // as compensating items.
    let booking = (target.status == ProposalStatus::Approved).then(|| feed::Booking {
        decision_id: None,
        reason: reason
            .map(str::trim)
            .or(Some("Rettelse af et godkendt forslag")),
        recorded_by: viewer.recorded_as(),
        at: now,
    });
    let changed = Event::proposal(&updated, &[ProposalChangeKind::Content], now);
    feed::commit_booking(txn, events, &updated, vec![changed], booking).await?;
    Ok(Written::Done(updated))
}

/// A workflow step a caller can take on a proposal.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalAction {
    /// Change the content (`updateProposal`).
    Edit,
    /// Draft → submitted (`submitProposal`).
    Submit,
    /// Draft or submitted → withdrawn (`withdrawProposal`).
    Withdraw,
    /// Back to draft, with a reason (`returnProposalToDraft`).
    ReturnToDraft,
    /// Delete a draft (`deleteProposal`).
    Delete,
    /// Submitted → in consultation (`startConsultation`).
    StartConsultation,
    /// Record a decision (`recordDecision`).
    Decide,
}

/// The steps `viewer` may take on a proposal now, for showing the right buttons.
pub fn allowed_actions(
    viewer: &Viewer,
    status: ProposalStatus,
    committee_code: &str,
    round: &budget_round::Model,
) -> Vec<ProposalAction> {
    let now = Utc::now();
    let mut actions = Vec::new();
    if auth::can_edit_proposal(viewer, committee_code, status, round, now) {
        actions.push(ProposalAction::Edit);
    }
    if auth::can_submit_proposal(viewer, committee_code, status, round, now) {
        actions.push(ProposalAction::Submit);
    }
    if auth::can_withdraw_proposal(viewer, committee_code, status, round, now) {
        actions.push(ProposalAction::Withdraw);
    }
    if auth::can_return_to_draft(viewer, status, round) {
        actions.push(ProposalAction::ReturnToDraft);
    }
    if auth::can_delete_proposal(viewer, committee_code, status, round, now) {
        actions.push(ProposalAction::Delete);
    }
    if auth::can_start_consultation(viewer, status, round) {
        actions.push(ProposalAction::StartConsultation);
    }
    if auth::can_record_decision(viewer, round)
        && !matches!(status, ProposalStatus::Draft | ProposalStatus::Withdrawn)
    {
        actions.push(ProposalAction::Decide);
    }
    actions
}

/// Takes a workflow step other than editing or deleting.
pub async fn transition(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
    action: ProposalAction,
    reason: Option<&str>,
) -> ApiResult<Written<proposal::Model>> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let target = load_for_change(&txn, viewer, id, expected_version).await?;
    let now = Utc::now();
    let (allowed, to, name) = match action {
        ProposalAction::Submit => (
            auth::can_submit_proposal(
                viewer,
                &target.committee_code,
                target.status,
                &target.round,
                now,
            ),
            ProposalStatus::Submitted,
            "submitted",
        ),
        ProposalAction::Withdraw => (
            auth::can_withdraw_proposal(
                viewer,
                &target.committee_code,
                target.status,
                &target.round,
                now,
            ),
            ProposalStatus::Withdrawn,
            "withdrawn",
        ),
        ProposalAction::ReturnToDraft => (
            auth::can_return_to_draft(viewer, target.status, &target.round),
            ProposalStatus::Draft,
            "returned_to_draft",
        ),
        ProposalAction::StartConsultation => (
            auth::can_start_consultation(viewer, target.status, &target.round),
            ProposalStatus::InConsultation,
            "consultation_started",
        ),
        ProposalAction::Edit | ProposalAction::Delete | ProposalAction::Decide => {
            return Err(ApiError::Internal);
        }
    };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "a {} proposal cannot be {} by you now",
            target.status.label().to_lowercase(),
            name.replace('_', " ")
        )));
    }
    if action == ProposalAction::ReturnToDraft && reason.is_none_or(|r| r.trim().is_empty()) {
        return Ok(Written::Invalid(vec![UserError::new(
            &["reason"],
            "REQUIRED",
            "say why the proposal goes back to draft",
        )]));
    }
    let before = history::snapshot(&txn, &target.row).await?;
    let changes = proposal::ActiveModel {
        status: Set(to.as_str().to_owned()),
        ..Default::default()
    };
    let updated = bump_version(&txn, &target, changes, now).await?;
    history::record(
        &txn,
        viewer,
        &updated,
        Some(&before),
        Change {
            action: name,
            from_status: Some(target.status.as_str()),
            reason,
        },
        now,
    )
    .await?;
    // No workflow step reaches or leaves Approved today (decisions do); should one, the
    // feed follows.
    let booking = (target.status == ProposalStatus::Approved || to == ProposalStatus::Approved)
        .then(|| feed::Booking {
            decision_id: None,
            reason,
            recorded_by: viewer.recorded_as(),
            at: now,
        });
    let changed = Event::proposal(&updated, &[ProposalChangeKind::Status], now);
    feed::commit_booking(txn, events, &updated, vec![changed], booking).await?;
    Ok(Written::Done(updated))
}

/// Deletes a draft (everything else is withdrawn, never deleted).
pub async fn delete(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
) -> ApiResult<i32> {
    auth::require_signed_in(viewer)?;
    let txn = begin_write(db).await?;
    let target = load_for_change(&txn, viewer, id, expected_version).await?;
    if !auth::can_delete_proposal(
        viewer,
        &target.committee_code,
        target.status,
        &target.round,
        Utc::now(),
    ) {
        return Err(ApiError::Forbidden(
            "only drafts can be deleted, by who may edit them; withdraw it instead".to_owned(),
        ));
    }
    // A draft that was submitted once has a public record (remarks, decisions, history):
    // it is withdrawn, never deleted.
    let once_submitted = entity::proposal_history::Entity::find()
        .filter(entity::proposal_history::Column::ProposalId.eq(id))
        .filter(entity::proposal_history::Column::FromStatus.ne(ProposalStatus::Draft.as_str()))
        .one(&txn)
        .await?
        .is_some();
    if once_submitted {
        return Err(ApiError::Forbidden(
            "this draft was submitted once; withdraw it instead".to_owned(),
        ));
    }
    // The version and status are checked again in the statement itself, so a submit that
    // commits meanwhile is not deleted.
    let deleted = proposal::Entity::delete_many()
        .filter(proposal::Column::Id.eq(id))
        .filter(proposal::Column::Version.eq(expected_version))
        .filter(proposal::Column::Status.eq(ProposalStatus::Draft.as_str()))
        .exec(&txn)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "the proposal changed meanwhile; reload and try again".to_owned(),
        ));
    }
    let mut gone = target.row.clone();
    gone.version = 0;
    let changed = Event::proposal(&gone, &[ProposalChangeKind::Deleted], Utc::now());
    events.announce_and_commit(txn, vec![changed]).await?;
    Ok(id)
}
