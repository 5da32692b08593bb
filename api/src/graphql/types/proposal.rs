//! A proposal (prioriteringsforslag) and its sheet.

use crate::graphql::types::Decimal;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::{can_view_history, can_view_hu_remarks};
use crate::domain::editing::{ProposalAction, allowed_actions};
use crate::domain::history;
use crate::domain::model::{BudgetLineKind, ExpenseType, ProposalStatus, RoundPhase};
use crate::domain::proposal::{self as domain, YearFigures, complete_years};
use crate::domain::reference::round_years;
use crate::error::ApiError;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{
    CommitteeById, DecisionsOf, DocumentsOf, FiguresOf, InvestmentNeedsOf, PolicyAreaById,
    RelatedOf, RemarksOf, RoundById,
};
use crate::graphql::types::kroner;
use crate::graphql::types::reference::{BudgetRound, Committee, PolicyArea};
use crate::graphql::types::workflow::{Decision, HuRemark};
use crate::graphql::types::{PageInfo, StatedTotalMismatch, YearAmount};
use crate::graphql::{loader, pooled, viewer};
use crate::money::{centi_to_decimal, sum_ore};
use entity::proposal;

/// A proposal: one sheet of the catalog, numbered by committee (`SU01`).
pub struct Proposal(pub proposal::Model);

impl Proposal {
    /// The figures of every year of the round (and any stored year outside it).
    async fn figures(&self, ctx: &Context<'_>) -> Result<Vec<YearFigures>> {
        let loader = loader(ctx)?;
        let (figures, round) = tokio::join!(
            loader.load_one(FiguresOf(self.0.id)),
            loader.load_one(RoundById(self.0.round_id)),
        );
        let figures = figures?.unwrap_or_default();
        let years = round?.map(|round| round_years(&round)).unwrap_or_default();
        Ok(complete_years(figures, &years))
    }
}

/// A proposal's round and committee, which the access rules need.
async fn round_and_committee(
    ctx: &Context<'_>,
    row: &proposal::Model,
) -> Result<(entity::budget_round::Model, entity::committee::Model)> {
    let loader = loader(ctx)?;
    let (round, committee) = tokio::join!(
        loader.load_one(RoundById(row.round_id)),
        loader.load_one(CommitteeById(row.committee_id))
    );
    match (round?, committee?) {
        (Some(round), Some(committee)) => Ok((round, committee)),
        _ => Err(ApiError::Internal.into()),
    }
}

/// A proposal: one sheet of the catalog, numbered by committee (`SU01`).
#[Object]
impl Proposal {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Proposal, self.0.id)
    }

    /// Number, unique within the round: committee code and two digits ("SU01").
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// Overskrift.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Forslagsstiller: who proposes it ("Administrationen", a party, a committee).
    async fn proposer(&self) -> &str {
        &self.0.proposer
    }

    /// Udgiftstype.
    async fn expense_type(&self) -> Option<ExpenseType> {
        ExpenseType::parse(&self.0.expense_type)
    }

    /// Udgiftstype in Danish ("Serviceudgifter").
    async fn expense_type_label(&self) -> Option<&'static str> {
        ExpenseType::parse(&self.0.expense_type).map(ExpenseType::label)
    }

    /// Where the proposal is in its workflow.
    async fn status(&self) -> Result<ProposalStatus> {
        Ok(domain::status(&self.0)?)
    }

    /// The status in Danish ("Indsendt").
    async fn status_label(&self) -> Result<&'static str> {
        Ok(domain::status(&self.0)?.label())
    }

    /// Increases with every change; updates carry the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The budget round.
    async fn round(&self, ctx: &Context<'_>) -> Result<BudgetRound> {
        loader(ctx)?
            .load_one(RoundById(self.0.round_id))
            .await?
            .map(BudgetRound)
            .ok_or_else(|| ApiError::Internal.into())
    }

    /// The committee (udvalg) the proposal belongs to.
    async fn committee(&self, ctx: &Context<'_>) -> Result<Committee> {
        loader(ctx)?
            .load_one(CommitteeById(self.0.committee_id))
            .await?
            .map(Committee)
            .ok_or_else(|| ApiError::Internal.into())
    }

    /// The policy area (politikområde) the proposal touches, when given.
    async fn policy_area(&self, ctx: &Context<'_>) -> Result<Option<PolicyArea>> {
        let Some(id) = self.0.policy_area_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(PolicyAreaById(id))
            .await?
            .map(PolicyArea))
    }

    /// The sheet's figures, one entry per budget year of the round.
    /// At most 10 entries (a round has at most 10 years).
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    async fn years(&self, ctx: &Context<'_>) -> Result<Vec<ProposalYear>> {
        Ok(self
            .figures(ctx)
            .await?
            .into_iter()
            .map(ProposalYear)
            .collect())
    }

    /// All budget lines (budgetændring – drift), by year then kind; optionally one kind.
    /// At most 30 entries (one per kind and year).
    #[graphql(complexity = "crate::domain::bounds::MAX_LINES * child_complexity + 1")]
    async fn lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only lines of this kind.")] kind: Option<BudgetLineKind>,
    ) -> Result<Vec<BudgetLine>> {
        Ok(self
            .figures(ctx)
            .await?
            .into_iter()
            .flat_map(|year| year.lines)
            .filter(|line| kind.is_none_or(|kind| line.kind == kind))
            .map(BudgetLine)
            .collect())
    }

    /// Samlet ændring (netto) per year: always the sum of the lines, never typed.
    /// At most 10 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    async fn net_changes(&self, ctx: &Context<'_>) -> Result<Vec<YearAmount>> {
        Ok(self
            .figures(ctx)
            .await?
            .iter()
            .map(|year| YearAmount::from_ore(year.year, year.net_change_ore()))
            .collect())
    }

    /// Samlet ændring (netto) of one year, computed from the lines; null outside the round.
    async fn net_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Calendar year.")] year: i32,
    ) -> Result<Option<Decimal>> {
        Ok(self
            .figures(ctx)
            .await?
            .iter()
            .find(|figures| figures.year == year)
            .map(|figures| kroner(figures.net_change_ore())))
    }

    /// Every year where the net change stated on the sheet differs from the sum of its
    /// lines. SU01 as printed has one for 2024-2026: stated -7.125, computed -8.825
    /// (1.000 kr.).
    /// At most 10 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    async fn net_change_mismatches(&self, ctx: &Context<'_>) -> Result<Vec<StatedTotalMismatch>> {
        Ok(self
            .figures(ctx)
            .await?
            .iter()
            .filter_map(|year| {
                let stated = i128::from(year.stated_net_ore?);
                let computed = year.net_change_ore();
                (stated != computed)
                    .then(|| StatedTotalMismatch::from_ore(year.year, stated, computed))
            })
            .collect())
    }

    /// Investeringsbehov: what the proposal needs money for, per year.
    /// At most 20 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_INVESTMENT_NEEDS * child_complexity + 1")]
    async fn investment_needs(&self, ctx: &Context<'_>) -> Result<Vec<InvestmentNeed>> {
        Ok(loader(ctx)?
            .load_one(InvestmentNeedsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(InvestmentNeed)
            .collect())
    }

    /// Per year: the investment needs against the expansion (udvidelse) line that should
    /// finance them.
    /// At most 10 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    async fn investment_coverage(&self, ctx: &Context<'_>) -> Result<Vec<InvestmentCoverage>> {
        investment_coverage(self, ctx).await
    }

    /// Whether the investment needs add up to the expansion line in every year.
    async fn investment_needs_match_expansion(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(investment_coverage(self, ctx)
            .await?
            .iter()
            .all(|year| year.matches))
    }

    /// The seven text sections of the sheet.
    async fn sections(&self) -> ProposalSections<'_> {
        ProposalSections(&self.0)
    }

    /// Proposals this one is related to (sammenhæng til andre bidrag) that the caller may see.
    /// At most 20 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_RELATED * child_complexity + 1")]
    async fn related_proposals(&self, ctx: &Context<'_>) -> Result<Vec<Proposal>> {
        Ok(loader(ctx)?
            .load_one(RelatedOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Proposal)
            .collect())
    }

    /// Documents the proposal refers to (relevante dokumenter).
    /// At most 20 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_DOCUMENTS * child_complexity + 1")]
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        Ok(loader(ctx)?
            .load_one(DocumentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|document| Document {
                title: document.title,
                date: document.document_date,
                reference: document.reference,
            })
            .collect())
    }

    /// HU remarks (bemærkninger fra HU) with their versions; null for a caller who may not
    /// read HU remarks yet (see `sections.huRemarks`).
    /// At most 20 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_REMARKS * child_complexity + 1")]
    async fn remarks(&self, ctx: &Context<'_>) -> Result<Option<Vec<HuRemark>>> {
        let (round, committee) = round_and_committee(ctx, &self.0).await?;
        let phase = RoundPhase::parse(&round.phase).ok_or(ApiError::Internal)?;
        if !can_view_hu_remarks(viewer(ctx)?, phase, &committee.code) {
            return Ok(None);
        }
        Ok(Some(
            loader(ctx)?
                .load_one(RemarksOf(self.0.id))
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(HuRemark)
                .collect(),
        ))
    }

    /// Decisions on the proposal, oldest first: body, date, outcome, votes, amendments.
    /// At most 10 entries (enforced when written).
    #[graphql(complexity = "crate::domain::bounds::MAX_DECISIONS * child_complexity + 1")]
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<Decision>> {
        Ok(loader(ctx)?
            .load_one(DecisionsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Decision)
            .collect())
    }

    /// The workflow steps the caller may take now, so a frontend shows the right buttons.
    async fn allowed_actions(&self, ctx: &Context<'_>) -> Result<Vec<ProposalAction>> {
        let (round, committee) = round_and_committee(ctx, &self.0).await?;
        Ok(allowed_actions(
            viewer(ctx)?,
            domain::status(&self.0)?,
            &committee.code,
            &round,
        ))
    }

    /// Every recorded change, newest first: who, when, which transition and what changed.
    /// Null except for the budget office and the committee's coordinators (the history
    /// holds draft-era text).
    /// Costs a query of its own per proposal.
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + crate::graphql::limits::QUERY_COST"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, up to 100 (20 when absent).")] first: Option<i32>,
        #[graphql(desc = "Continue after this many entries (`pageInfo.endCursor`).")] after: Option<
            String,
        >,
    ) -> Result<Option<ProposalChangeConnection>> {
        let (_, committee) = round_and_committee(ctx, &self.0).await?;
        if !can_view_history(viewer(ctx)?, &committee.code) {
            return Ok(None);
        }
        let first = first.unwrap_or(20);
        if !(0..=100).contains(&first) {
            return Err(ApiError::bad_input(&["first"], "first must be between 0 and 100").into());
        }
        let offset: u64 = match after {
            Some(cursor) => cursor
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= i32::MAX as u64)
                .ok_or_else(|| ApiError::bad_input(&["after"], "not a cursor of this list"))?,
            None => 0,
        };
        let (rows, total) = history::page(
            &*pooled(ctx).await?,
            self.0.id,
            offset,
            u64::try_from(first).unwrap_or(0),
        )
        .await?;
        let end = offset + rows.len() as u64;
        Ok(Some(ProposalChangeConnection {
            page_info: PageInfo {
                has_next_page: end < total,
                has_previous_page: offset > 0,
                start_cursor: Some(offset.to_string()),
                end_cursor: Some(end.to_string()),
            },
            nodes: rows.into_iter().map(history_entry).collect(),
            total_count: total,
        }))
    }

    /// The proposal as it was at `at` (its lines and net changes included); null before it
    /// existed, and null for callers who may not read the history.
    /// Costs a reconstruction from the history per proposal.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST + child_complexity")]
    async fn as_of(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The time to look back to.")] at: DateTime<Utc>,
    ) -> Result<Option<ProposalVersion>> {
        let (_, committee) = round_and_committee(ctx, &self.0).await?;
        if !can_view_history(viewer(ctx)?, &committee.code) {
            return Ok(None);
        }
        let Some((row, snapshot)) =
            history::as_of(&*pooled(ctx).await?, viewer(ctx)?, self.0.id, at).await?
        else {
            return Ok(None);
        };
        Ok(Some(ProposalVersion {
            version: row.version,
            at: row.occurred_at,
            number: snapshot.number,
            title: snapshot.title,
            proposer: snapshot.proposer,
            status: ProposalStatus::parse(&snapshot.status),
            years: snapshot
                .years
                .into_iter()
                .map(|(year, figures)| ProposalVersionYear {
                    year,
                    current_budget: figures.current_budget.map(Decimal),
                    staff_impact: figures.staff_impact.map(Decimal),
                    stated_net_change: figures.stated_net.map(Decimal),
                    net_change: Decimal(figures.lines.values().copied().sum()),
                    lines: figures
                        .lines
                        .into_iter()
                        .map(|(kind, amount)| ProposalVersionLine {
                            kind: BudgetLineKind::parse(&kind),
                            amount: Decimal(amount),
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    /// When the proposal was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the proposal last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

async fn investment_coverage(
    proposal: &Proposal,
    ctx: &Context<'_>,
) -> Result<Vec<InvestmentCoverage>> {
    let figures = proposal.figures(ctx).await?;
    let needs = loader(ctx)?
        .load_one(InvestmentNeedsOf(proposal.0.id))
        .await?
        .unwrap_or_default();
    // Every year with figures or needs: a need outside the round's years must show up as a
    // mismatch, not vanish.
    let mut years: Vec<i32> = figures.iter().map(|year| year.year).collect();
    years.extend(needs.iter().flat_map(|need| need.amounts.keys().copied()));
    years.sort_unstable();
    years.dedup();
    Ok(years
        .into_iter()
        .map(|year| {
            let needed = sum_ore(
                needs
                    .iter()
                    .filter_map(|need| need.amounts.get(&year).copied()),
            );
            let expansion = figures
                .iter()
                .find(|figures| figures.year == year)
                .map_or(0, |figures| {
                    figures.kind_total_ore(BudgetLineKind::Expansion)
                });
            InvestmentCoverage {
                year,
                investment_needs: kroner(needed),
                expansion: kroner(expansion),
                difference: kroner(needed - expansion),
                matches: needed == expansion,
            }
        })
        .collect())
}

/// The figures of one budget year of a proposal.
pub struct ProposalYear(YearFigures);

/// The figures of one budget year of a proposal.
#[Object]
impl ProposalYear {
    /// Calendar year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Nuværende budget: the current budget of what the proposal touches, kroner.
    async fn current_budget(&self) -> Option<Decimal> {
        self.0.current_budget_ore.map(kroner)
    }

    /// Personalekonsekvenser: change in full-time equivalents (årsværk); null when blank.
    async fn staff_impact(&self) -> Option<Decimal> {
        self.0
            .staff_impact_centi
            .map(|centi| Decimal(centi_to_decimal(centi)))
    }

    /// The year's budget lines, in kind order.
    /// At most 3 entries (one per kind).
    #[graphql(complexity = "crate::domain::bounds::MAX_LINE_KINDS * child_complexity + 1")]
    async fn lines(&self) -> Vec<BudgetLine> {
        self.0.lines.iter().cloned().map(BudgetLine).collect()
    }

    /// The sum of the year's lines of one kind, kroner (zero when there are none).
    async fn amount(&self, #[graphql(desc = "Line kind.")] kind: BudgetLineKind) -> Decimal {
        kroner(self.0.kind_total_ore(kind))
    }

    /// Samlet ændring (netto): the sum of the lines, kroner.
    async fn net_change(&self) -> Decimal {
        kroner(self.0.net_change_ore())
    }

    /// The net change as stated on the sheet, kroner; kept as printed, never the truth.
    async fn stated_net_change(&self) -> Option<Decimal> {
        self.0.stated_net_ore.map(kroner)
    }

    /// Whether a stated net change exists and differs from the computed one.
    async fn net_change_mismatch(&self) -> bool {
        self.0
            .stated_net_ore
            .is_some_and(|stated| i128::from(stated) != self.0.net_change_ore())
    }
}

/// One operating budget line: a kind, a year and an amount.
pub struct BudgetLine(domain::Line);

/// One operating budget line: a kind, a year and an amount.
#[Object]
impl BudgetLine {
    /// Calendar year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Kind of line.
    async fn kind(&self) -> BudgetLineKind {
        self.0.kind
    }

    /// The kind in Danish ("Effektivisering").
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label()
    }

    /// Kroner; (-) = mindreudgift/merindtægt, (+) = merudgift/mindreindtægt.
    async fn amount(&self) -> Decimal {
        kroner(self.0.amount_ore)
    }
}

/// An investment need (investeringsbehov): a purpose and its amounts per year.
pub struct InvestmentNeed(domain::InvestmentNeed);

/// An investment need (investeringsbehov): a purpose and its amounts per year.
#[Object]
impl InvestmentNeed {
    /// What the money is for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// Amounts per year, kroner.
    /// At most 10 entries (one per year).
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    async fn amounts(&self) -> Vec<YearAmount> {
        self.0
            .amounts
            .iter()
            .map(|(year, ore)| YearAmount::from_ore(*year, *ore))
            .collect()
    }

    /// The sum over all years, kroner.
    async fn total(&self) -> Decimal {
        kroner(sum_ore(self.0.amounts.values().copied()))
    }
}

/// Investment needs against the expansion line in one year.
#[derive(SimpleObject, Clone, Debug)]
pub struct InvestmentCoverage {
    /// Calendar year.
    pub year: i32,
    /// Sum of the investment needs, kroner.
    pub investment_needs: Decimal,
    /// Sum of the expansion (udvidelse) lines, kroner.
    pub expansion: Decimal,
    /// `investmentNeeds - expansion`, kroner.
    pub difference: Decimal,
    /// Whether they are equal.
    pub matches: bool,
}

/// The seven text sections of a sheet, as text the client renders (paragraphs separated by
/// blank lines, lists as lines starting with "- ").
pub struct ProposalSections<'a>(&'a proposal::Model);

/// The seven text sections of a sheet, as text the client renders (paragraphs separated by
/// blank lines, lists as lines starting with "- ").
#[Object]
impl ProposalSections<'_> {
    /// 1. Resumé.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// 2. Status.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn status(&self) -> &str {
        &self.0.status_text
    }

    /// 3. Ændringsforslag: what the proposal changes.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn proposed_change(&self) -> &str {
        &self.0.proposed_change
    }

    /// 4. Konsekvens.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn consequences(&self) -> &str {
        &self.0.consequences
    }

    /// 5. Investeringsbehov, as text.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn investment_needs(&self) -> &str {
        &self.0.investment_text
    }

    /// 6. Relevante dokumenter eller sammenhæng til andre bidrag, as text.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn related_documents(&self) -> &str {
        &self.0.related_text
    }

    /// 7. Bemærkninger fra HU (the main works council), as printed on the sheet. Null for a
    /// caller who may not read HU remarks yet: anonymous callers once the consultation has
    /// closed, readers from the consultation on, HU members, the committee's coordinators
    /// and the budget office always, integrations never.
    #[graphql(complexity = "crate::graphql::limits::text_cost(crate::domain::editing::MAX_TEXT)")]
    async fn hu_remarks(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let (round, committee) = round_and_committee(ctx, self.0).await?;
        let phase = RoundPhase::parse(&round.phase).ok_or(ApiError::Internal)?;
        Ok(can_view_hu_remarks(viewer(ctx)?, phase, &committee.code)
            .then_some(self.0.hu_remarks_text.as_str()))
    }
}

/// A document a proposal refers to.
#[derive(SimpleObject, Clone, Debug)]
pub struct Document {
    /// Title as printed.
    pub title: String,
    /// Date of the document.
    pub date: Option<NaiveDate>,
    /// Case number, link or other reference.
    pub reference: Option<String>,
}

/// An edge of a proposal list.
#[derive(SimpleObject)]
pub struct ProposalEdge {
    /// Where this edge is; pass as `after` to continue after it.
    pub cursor: String,
    /// The proposal.
    pub node: Proposal,
}

/// A page of proposals.
#[derive(SimpleObject)]
pub struct ProposalConnection {
    /// The edges of the page.
    pub edges: Vec<ProposalEdge>,
    /// Page information.
    pub page_info: PageInfo,
    /// How many proposals match in all (that the caller may see).
    pub total_count: u64,
}

/// One recorded change of a proposal.
#[derive(SimpleObject)]
pub struct ProposalChange {
    /// The version the change produced.
    pub version: i32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (the token's subject).
    pub actor: Option<String>,
    /// Who, by name.
    pub actor_name: Option<String>,
    /// created, updated, submitted, withdrawn, returned_to_draft, corrected.
    pub action: String,
    /// The status before a transition.
    pub from_status: Option<ProposalStatus>,
    /// The status after a transition.
    pub to_status: Option<ProposalStatus>,
    /// The reason given.
    pub reason: Option<String>,
    /// Every field that changed.
    /// At most 100 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_FIELD_CHANGES * child_complexity + 1")]
    pub changes: Vec<FieldChange>,
}

/// A changed field: its path and the values before and after, as text (amounts in exact
/// kroner); null where the field was absent.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// Dotted path: `title`, `status`, `years.2024.lines.efficiency`, `sections.summary`.
    pub field: String,
    /// Before.
    pub before: Option<String>,
    /// After.
    pub after: Option<String>,
}

/// A page of a proposal's history, newest first.
#[derive(SimpleObject)]
pub struct ProposalChangeConnection {
    /// The changes of the page.
    pub nodes: Vec<ProposalChange>,
    /// Page information.
    pub page_info: PageInfo,
    /// How many changes there are.
    pub total_count: u64,
}

/// A proposal as it was at some time, from its history.
#[derive(SimpleObject)]
pub struct ProposalVersion {
    /// The version it was at.
    pub version: i32,
    /// When that version was made.
    pub at: DateTime<Utc>,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Proposer.
    pub proposer: String,
    /// Status.
    pub status: Option<ProposalStatus>,
    /// Figures per year, with the net change computed from the lines as they were.
    /// At most 10 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_ROUND_YEARS * child_complexity + 1")]
    pub years: Vec<ProposalVersionYear>,
}

/// One year of a past version.
#[derive(SimpleObject)]
pub struct ProposalVersionYear {
    /// Calendar year.
    pub year: i32,
    /// Nuværende budget, kroner.
    pub current_budget: Option<Decimal>,
    /// Staff impact, FTE.
    pub staff_impact: Option<Decimal>,
    /// Stated net change, kroner.
    pub stated_net_change: Option<Decimal>,
    /// The lines.
    /// At most 3 entries.
    #[graphql(complexity = "crate::domain::bounds::MAX_LINE_KINDS * child_complexity + 1")]
    pub lines: Vec<ProposalVersionLine>,
    /// Samlet ændring (netto) from the lines, kroner.
    pub net_change: Decimal,
}

/// One line of a past version.
#[derive(SimpleObject)]
pub struct ProposalVersionLine {
    /// Kind.
    pub kind: Option<BudgetLineKind>,
    /// Kroner.
    pub amount: Decimal,
}

fn history_entry(row: entity::proposal_history::Model) -> ProposalChange {
    let changes: Vec<crate::domain::history::FieldChange> =
        serde_json::from_str(&row.diff).unwrap_or_default();
    ProposalChange {
        version: row.version,
        at: row.occurred_at,
        actor: row.actor_subject,
        actor_name: row.actor_name,
        action: row.action,
        from_status: row.from_status.as_deref().and_then(ProposalStatus::parse),
        to_status: row.to_status.as_deref().and_then(ProposalStatus::parse),
        reason: row.reason,
        changes: changes
            .into_iter()
            .take(crate::domain::bounds::MAX_FIELD_CHANGES)
            .map(|c| FieldChange {
                field: c.field,
                before: c.before,
                after: c.after,
            })
            .collect(),
    }
}
