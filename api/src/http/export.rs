//! File exports of a round, for spreadsheets and finance systems:
//!
//! - `GET /export/catalog?round=…&format=csv|jsonl[&dialect=excel-da]`: one row per budget
//!   line of every proposal the caller may see, in catalog order;
//! - `GET /export/approved-changes?round=…&format=csv|jsonl[&dialect=excel-da][&after=…]`:
//!   the approved-changes feed of the round, in sequence order, up to its head when the
//!   request came in (sent as `X-Feed-Head`).
//!
//! Both take a sign-in, like the feed. They stream in constant memory: the catalog in chunks
//! of proposals with their lines, read in one read-only transaction so the file is a
//! consistent snapshot (REPEATABLE READ on PostgreSQL); the feed in windows bounded by the
//! head read once, so the file is a consistent prefix of the append-only feed. A database
//! failure mid-stream is logged and breaks the transfer: a client never gets a silently
//! short file.
//!
//! CSV is RFC 4180 (UTF-8, header row, CRLF, quoting only where needed, dot decimals). The
//! `excel-da` dialect is for Danish Excel: a UTF-8 byte-order mark, `;` between fields,
//! decimal commas, and text that Excel would run as a formula (`=`, `+`, `-`, `@` first)
//! prefixed with `'`. JSON Lines has one object per line with camelCase keys; amounts are
//! strings with exact decimals, never floats.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::ID;
use chrono::SecondsFormat;
use futures_util::stream;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::{self, Viewer};
use crate::domain::feed;
use crate::domain::model::{BudgetLineKind, ChangeEntry, ProposalStatus};
use crate::domain::proposal::{ProposalFilter, filter_condition};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{self, Kind};
use crate::http::{AppState, authenticate, error_body, unauthenticated};
use crate::money::ore_to_kroner;
use entity::{approved_change, budget_line, budget_round, committee, policy_area, proposal};

/// Proposals read per query of the catalog export (with all their lines).
const CATALOG_CHUNK: u64 = 200;

/// Feed items read per query of the approved-changes export.
const FEED_CHUNK: u64 = 1000;

/// The committee's position, for ordering proposals in catalog order (as in the list).
const COMMITTEE_POSITION: &str =
    "(SELECT committee.position FROM committee WHERE committee.id = proposal.committee_id)";

const CATALOG_COLUMNS: &[&str] = &[
    "round",
    "number",
    "title",
    "committee",
    "policyArea",
    "expenseType",
    "status",
    "statusLabel",
    "year",
    "kind",
    "kindLabel",
    "amount",
    "net",
];

const FEED_COLUMNS: &[&str] = &[
    "sequence",
    "round",
    "proposalNumber",
    "committee",
    "policyArea",
    "expenseType",
    "year",
    "kind",
    "kindLabel",
    "amount",
    "priceLevelYear",
    "entry",
    "entryLabel",
    "decisionId",
    "reason",
    "recordedAt",
    "recordedBy",
];

/// How many catalog exports stream at once per server.
pub const CONCURRENT_SNAPSHOT_EXPORTS: usize = 4;

/// The server's catalog-export slots. A catalog export holds a pooled connection and a
/// snapshot while it streams, so: a few at once per server; one at a time per caller (one
/// reader cannot take every slot); a bounded wait for a slot, then 503 with `Retry-After`;
/// and a download whose client stops reading is cut off after the write timeout, which
/// frees its slot and ends its snapshot.
#[derive(Clone)]
pub struct ExportSlots {
    slots: Arc<Semaphore>,
    holders: Arc<Mutex<HashSet<String>>>,
    wait: Duration,
    write_timeout: Duration,
}

impl ExportSlots {
    /// `count` slots; a caller waits at most `wait` for one; a stalled download is cut off
    /// after `write_timeout`.
    pub fn new(count: usize, wait: Duration, write_timeout: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(count)),
            holders: Arc::default(),
            wait,
            write_timeout,
        }
    }

    /// A slot for `viewer`'s export, or the response that says why not.
    async fn take(&self, viewer: &Viewer) -> Result<ExportHold, Box<HttpResponse>> {
        // Who the token says it is; the display name is not unique.
        let caller = viewer
            .subject
            .clone()
            .or_else(|| viewer.name.clone())
            .unwrap_or_default();
        let placed = self
            .holders
            .lock()
            .map(|mut holders| holders.insert(caller.clone()))
            .unwrap_or(false);
        if !placed {
            return Err(Box::new(busy(
                HttpResponse::TooManyRequests(),
                "CONFLICT",
                "you have a catalog export under way: one at a time per caller",
            )));
        }
        // From here the caller's place is given back whatever happens, by the guard's drop.
        let place = CallerPlace {
            holders: self.holders.clone(),
            caller,
        };
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(ExportHold {
                _permit: permit,
                _place: place,
            }),
            Ok(Err(_)) => Err(Box::new(error_response(&ApiError::Internal))),
            Err(_) => Err(Box::new(busy(
                HttpResponse::ServiceUnavailable(),
                "UNAVAILABLE",
                "every catalog export slot is taken; try again shortly",
            ))),
        }
    }
}

/// 429 or 503 with `Retry-After`.
fn busy(mut builder: actix_web::HttpResponseBuilder, code: &str, message: &str) -> HttpResponse {
    builder
        .insert_header((header::RETRY_AFTER, "5"))
        .json(error_body(code, message))
}

/// A caller's place among those exporting, given back when dropped.
struct CallerPlace {
    holders: Arc<Mutex<HashSet<String>>>,
    caller: String,
}

impl Drop for CallerPlace {
    fn drop(&mut self) {
        if let Ok(mut holders) = self.holders.lock() {
            holders.remove(&self.caller);
        }
    }
}

/// What a running catalog export holds: its slot and its caller's place.
struct ExportHold {
    _permit: OwnedSemaphorePermit,
    _place: CallerPlace,
}

/// `GET /export/catalog`: every budget line of the proposals the caller may see in a round.
/// Sign-in and the parameters are checked before a slot is taken, so a bad request never
/// waits and never holds one.
pub(crate) async fn catalog(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    let viewer = match authenticate(&state, &http) {
        Ok(viewer) => viewer,
        Err(why) => return unauthenticated(&why),
    };
    let request = match CatalogRequest::parse(&viewer, http.query_string()) {
        Ok(request) => request,
        Err(error) => return error_response(&error),
    };
    let hold = match state.exports.take(&viewer).await {
        Ok(hold) => hold,
        Err(refusal) => return *refusal,
    };
    match start_catalog(
        &state.db,
        &viewer,
        request,
        hold,
        state.exports.write_timeout,
    )
    .await
    {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

/// `GET /export/approved-changes`: the round's approved-changes feed up to its head.
pub(crate) async fn approved_changes(
    state: web::Data<AppState>,
    http: HttpRequest,
) -> HttpResponse {
    let viewer = match authenticate(&state, &http) {
        Ok(viewer) => viewer,
        Err(why) => return unauthenticated(&why),
    };
    match start_feed(
        &state.db,
        &viewer,
        http.query_string(),
        state.exports.write_timeout,
    )
    .await
    {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

/// An error before the first byte of the file: a JSON body like GraphQL's errors, with the
/// HTTP status its code implies.
fn error_response(error: &ApiError) -> HttpResponse {
    let mut body = error_body(error.code(), &error.message());
    if let ApiError::BadUserInput { field, .. } = error {
        body["errors"][0]["extensions"]["field"] = json!(field);
    }
    let mut response = match error {
        ApiError::BadUserInput { .. } => HttpResponse::BadRequest(),
        ApiError::Unauthenticated(_) => {
            let mut builder = HttpResponse::Unauthorized();
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            builder
        }
        ApiError::Forbidden(_) => HttpResponse::Forbidden(),
        ApiError::NotFound(_) => HttpResponse::NotFound(),
        ApiError::Conflict(_) => HttpResponse::Conflict(),
        ApiError::Unavailable => {
            let mut builder = HttpResponse::ServiceUnavailable();
            builder.insert_header((header::RETRY_AFTER, "5"));
            builder
        }
        ApiError::Internal => HttpResponse::InternalServerError(),
    };
    response.json(body)
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// RFC 4180 CSV, or its `excel-da` dialect.
    Csv { excel_da: bool },
    /// JSON Lines.
    Jsonl,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv { .. } => "csv",
            Self::Jsonl => "jsonl",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Csv { .. } => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }
}

/// The query string's parameters, each at most once, none but `allowed`.
struct Params(HashMap<String, String>);

impl Params {
    fn parse(query: &str, allowed: &[&str]) -> ApiResult<Self> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map_err(|_| ApiError::bad_input(&[], "the query string is not valid"))?
            .into_inner();
        let mut params = HashMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_input(
                    &[name.as_str()],
                    format!("unknown parameter; expected {}", allowed.join(", ")),
                ));
            }
            if params.contains_key(&name) {
                return Err(ApiError::bad_input(
                    &[name.as_str()],
                    "give the parameter once",
                ));
            }
            params.insert(name, value);
        }
        Ok(Self(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The round's row id from `round`, a global id.
    fn round_id(&self) -> ApiResult<i32> {
        let round = self.get("round").map(str::trim).unwrap_or_default();
        if round.is_empty() {
            return Err(ApiError::bad_input(
                &["round"],
                "round is required: the global id of the budget round",
            ));
        }
        ids::decode(&ID(round.to_owned()), Kind::BudgetRound, &["round"])
    }

    /// `format` (required) and `dialect` (CSV only).
    fn format(&self) -> ApiResult<Format> {
        let format = match self.get("format").map(str::trim) {
            Some("csv") => Format::Csv { excel_da: false },
            Some("jsonl") => Format::Jsonl,
            _ => {
                return Err(ApiError::bad_input(
                    &["format"],
                    "format must be csv or jsonl",
                ));
            }
        };
        match (self.get("dialect").map(str::trim), format) {
            (None, _) => Ok(format),
            (Some("excel-da"), Format::Csv { .. }) => Ok(Format::Csv { excel_da: true }),
            (Some("excel-da"), Format::Jsonl) => Err(ApiError::bad_input(
                &["dialect"],
                "a dialect applies to CSV only",
            )),
            (Some(_), _) => Err(ApiError::bad_input(
                &["dialect"],
                "dialect must be excel-da (or absent for RFC 4180 CSV)",
            )),
        }
    }
}

/// An ASCII file name for the round: `katalog-budget-2023-2026.csv`.
fn file_name(what: &str, round: &budget_round::Model, format: Format) -> String {
    let last_year = round.first_year + std::cmp::max(round.year_count, 1) - 1;
    format!(
        "{what}-budget-{}-{last_year}.{}",
        round.first_year,
        format.extension()
    )
}

fn file_response(file_name: &str, format: Format) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// An export under way: the pieces of its file, one at a time.
trait Export {
    /// The next piece of the file; `None` at its end.
    async fn next(&mut self) -> ApiResult<Option<Bytes>>;
}

/// Where an export's body stands.
enum Progress<E> {
    /// Streaming.
    Running(E),
    /// The client read nothing for the write timeout: the export was dropped (its slot and
    /// snapshot freed); the transfer breaks off at the next write.
    CutOff,
    /// Done.
    Ended,
}

/// The body of an export. A failure is logged and breaks the transfer off (the client sees
/// a broken transfer, never a short file that looks complete); the export is dropped with
/// it, and its snapshot, if any, ends.
///
/// A watchdog cuts off a client that stops reading: when no piece has been asked for within
/// `write_timeout` of the last one handed over (and none is being read), it drops the
/// export, which gives back its slot and rolls back its snapshot.
fn file_body<E: Export + 'static>(
    export: E,
    what: &'static str,
    write_timeout: Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let progress = Rc::new(tokio::sync::Mutex::new(Progress::Running(export)));
    let handed = Rc::new(Cell::new(Instant::now()));
    actix_web::rt::spawn(watchdog(
        Rc::downgrade(&progress),
        handed.clone(),
        write_timeout,
        what,
    ));
    stream::unfold((progress, handed), move |(progress, handed)| async move {
        let mut state = progress.lock().await;
        let item = match &mut *state {
            Progress::Running(export) => match export.next().await {
                Ok(Some(bytes)) => {
                    handed.set(Instant::now());
                    return {
                        drop(state);
                        Some((Ok(bytes), (progress, handed)))
                    };
                }
                Ok(None) => None,
                Err(error) => {
                    tracing::error!(code = error.code(), export = what, "an export broke off");
                    Some(std::io::Error::other("the export failed"))
                }
            },
            Progress::CutOff => Some(std::io::Error::other("the client stopped reading")),
            Progress::Ended => None,
        };
        *state = Progress::Ended;
        drop(state);
        item.map(|error| (Err(error), (progress, handed)))
    })
}

/// Drops a running export whose client has read nothing for `write_timeout`.
async fn watchdog<E>(
    progress: std::rc::Weak<tokio::sync::Mutex<Progress<E>>>,
    handed: Rc<Cell<Instant>>,
    write_timeout: Duration,
    what: &'static str,
) {
    let tick = std::cmp::max(write_timeout / 4, Duration::from_millis(50));
    loop {
        tokio::time::sleep(tick).await;
        // The body is gone (finished, or the client disconnected): nothing to watch.
        let Some(progress) = progress.upgrade() else {
            return;
        };
        // A piece is being read from the database: the client is waiting on us.
        let Ok(mut state) = progress.try_lock() else {
            continue;
        };
        match &*state {
            Progress::Running(_) if handed.get().elapsed() >= write_timeout => {
                tracing::warn!(
                    export = what,
                    seconds = write_timeout.as_secs(),
                    "the client stopped reading: export cut off, its slot and snapshot freed"
                );
                *state = Progress::CutOff;
                return;
            }
            Progress::Running(_) => {}
            Progress::CutOff | Progress::Ended => return,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rows

/// One value of a row.
#[derive(Clone, Copy, Debug)]
enum Field<'a> {
    /// Text, written as is (and quoted in CSV where needed).
    Text(&'a str),
    /// An integer.
    Int(i64),
    /// An exact amount in kroner: a string in JSON, a decimal in CSV.
    Amount(Decimal),
    /// Nothing: empty in CSV, `null` in JSON.
    Null,
}

impl<'a> Field<'a> {
    fn text_or_null(value: Option<&'a str>) -> Self {
        value.map_or(Self::Null, Self::Text)
    }
}

/// Writes rows in one format.
#[derive(Clone, Copy, Debug)]
struct Writer {
    format: Format,
    columns: &'static [&'static str],
}

impl Writer {
    /// What the file begins with: the byte-order mark and header row of CSV.
    fn start(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Format::Csv { excel_da } = self.format {
            if excel_da {
                out.extend_from_slice("\u{feff}".as_bytes());
            }
            let fields: Vec<Field<'_>> = self.columns.iter().map(|c| Field::Text(c)).collect();
            self.row(&mut out, &fields);
        }
        out
    }

    /// Appends one row.
    fn row(&self, out: &mut Vec<u8>, fields: &[Field<'_>]) {
        match self.format {
            Format::Csv { excel_da } => {
                let separator = if excel_da { ';' } else { ',' };
                let mut line = String::new();
                for (index, field) in fields.iter().enumerate() {
                    if index > 0 {
                        line.push(separator);
                    }
                    match field {
                        Field::Text(text) => csv_text(&mut line, text, separator, excel_da),
                        Field::Int(value) => line.push_str(&value.to_string()),
                        Field::Amount(amount) => {
                            let text = amount.to_string();
                            if excel_da {
                                line.push_str(&text.replace('.', ","));
                            } else {
                                line.push_str(&text);
                            }
                        }
                        Field::Null => {}
                    }
                }
                line.push_str("\r\n");
                out.extend_from_slice(line.as_bytes());
            }
            Format::Jsonl => {
                let mut line = String::from("{");
                for (index, (name, field)) in self.columns.iter().zip(fields).enumerate() {
                    if index > 0 {
                        line.push(',');
                    }
                    line.push_str(&serde_json::Value::from(*name).to_string());
                    line.push(':');
                    let value = match field {
                        Field::Text(text) => serde_json::Value::from(*text),
                        Field::Int(value) => serde_json::Value::from(*value),
                        Field::Amount(amount) => serde_json::Value::from(amount.to_string()),
                        Field::Null => serde_json::Value::Null,
                    };
                    line.push_str(&value.to_string());
                }
                line.push_str("}\n");
                out.extend_from_slice(line.as_bytes());
            }
        }
    }
}

/// One CSV text field: quoted when it holds the separator, a quote, CR or LF, with quotes
/// doubled. For Excel, text that would be read as a formula gets a leading `'`.
fn csv_text(line: &mut String, text: &str, separator: char, excel_da: bool) {
    let formula = excel_da && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = text.contains([separator, '"', '\r', '\n']);
    if quote {
        line.push('"');
    }
    if formula {
        line.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    if quote {
        line.push('"');
    }
}

/// Names of the policy areas among `ids`.
async fn policy_area_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> ApiResult<HashMap<i32, String>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(policy_area::Entity::find()
        .filter(policy_area::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|area| (area.id, area.name))
        .collect())
}

// ---------------------------------------------------------------------------------------
// The catalog

/// Begins the read transaction of a catalog export: one snapshot for the whole file.
async fn begin_snapshot(db: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    Ok(if db.get_database_backend() == DbBackend::Postgres {
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?;
        // A client that stops reading must not hold the snapshot (and vacuum) forever.
        txn.execute_unprepared("SET LOCAL idle_in_transaction_session_timeout = '10min'")
            .await?;
        txn
    } else {
        db.begin().await?
    })
}

/// A catalog export's parameters, checked before a slot is taken.
struct CatalogRequest {
    round_id: i32,
    format: Format,
}

impl CatalogRequest {
    fn parse(viewer: &Viewer, query: &str) -> ApiResult<Self> {
        auth::require_feed_reader(viewer)?;
        let params = Params::parse(query, &["round", "format", "dialect"])?;
        Ok(Self {
            round_id: params.round_id()?,
            format: params.format()?,
        })
    }
}

async fn start_catalog(
    db: &DatabaseConnection,
    viewer: &Viewer,
    request: CatalogRequest,
    hold: ExportHold,
    write_timeout: Duration,
) -> ApiResult<HttpResponse> {
    let CatalogRequest { round_id, format } = request;
    let txn = begin_snapshot(db).await?;
    let round = budget_round::Entity::find_by_id(round_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))?;
    let condition = filter_condition(
        &txn,
        viewer,
        &ProposalFilter {
            round_id: Some(round.id),
            ..Default::default()
        },
    )
    .await?;
    let committees = committee::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();

    let writer = Writer {
        format,
        columns: CATALOG_COLUMNS,
    };
    let export = CatalogExport {
        _hold: hold,
        txn: Some(txn),
        condition,
        round_name: round.name.clone(),
        committees,
        after: None,
        writer,
        started: false,
    };
    Ok(
        file_response(&file_name("katalog", &round, format), format).streaming(file_body(
            export,
            "catalog",
            write_timeout,
        )),
    )
}

/// A catalog export under way.
struct CatalogExport {
    /// Its slot among the concurrent exports and its caller's place, given back when the
    /// export ends (or is cut off).
    _hold: ExportHold,
    /// The snapshot; `None` once the export has ended.
    txn: Option<DatabaseTransaction>,
    /// The proposals of the round the caller may see.
    condition: Condition,
    round_name: String,
    committees: HashMap<i32, committee::Model>,
    /// The last proposal written: committee position, sequence, id.
    after: Option<(i32, i32, i32)>,
    writer: Writer,
    started: bool,
}

impl Export for CatalogExport {
    async fn next(&mut self) -> ApiResult<Option<Bytes>> {
        if !self.started {
            self.started = true;
            return Ok(Some(Bytes::from(self.writer.start())));
        }
        loop {
            let Some(txn) = self.txn.as_ref() else {
                return Ok(None);
            };
            let proposals = self.proposals(txn).await?;
            if proposals.is_empty() {
                if let Some(txn) = self.txn.take() {
                    // Read only: nothing to keep, but end it cleanly.
                    txn.rollback().await?;
                }
                return Ok(None);
            }
            let out = self.write(txn, &proposals).await?;
            if let Some(last) = proposals.last() {
                self.after = Some((self.position(last)?, last.sequence, last.id));
            }
            if !out.is_empty() {
                return Ok(Some(Bytes::from(out)));
            }
            // Proposals without lines write nothing: read on.
        }
    }
}

impl CatalogExport {
    fn position(&self, found: &proposal::Model) -> ApiResult<i32> {
        match self.committees.get(&found.committee_id) {
            Some(committee) => Ok(committee.position),
            None => {
                tracing::error!(proposal = found.id, "a proposal's committee is missing");
                Err(ApiError::Internal)
            }
        }
    }

    /// The next chunk of proposals in catalog order: keyset pagination after the last one.
    async fn proposals(&self, txn: &DatabaseTransaction) -> ApiResult<Vec<proposal::Model>> {
        let position = || Expr::cust(COMMITTEE_POSITION);
        let mut query = proposal::Entity::find().filter(self.condition.clone());
        if let Some((after_position, after_sequence, after_id)) = self.after {
            query = query.filter(
                Condition::any()
                    .add(position().gt(after_position))
                    .add(
                        Condition::all()
                            .add(position().eq(after_position))
                            .add(proposal::Column::Sequence.gt(after_sequence)),
                    )
                    .add(
                        Condition::all()
                            .add(position().eq(after_position))
                            .add(proposal::Column::Sequence.eq(after_sequence))
                            .add(proposal::Column::Id.gt(after_id)),
                    ),
            );
        }
        Ok(query
            .order_by(position(), Order::Asc)
            .order_by_asc(proposal::Column::Sequence)
            .order_by_asc(proposal::Column::Id)
            .limit(CATALOG_CHUNK)
            .all(txn)
            .await?)
    }

    /// The rows of `proposals`: their lines by year, then kind.
    async fn write(
        &self,
        txn: &DatabaseTransaction,
        proposals: &[proposal::Model],
    ) -> ApiResult<Vec<u8>> {
        let ids: Vec<i32> = proposals.iter().map(|p| p.id).collect();
        let mut lines_of: HashMap<i32, Vec<budget_line::Model>> = HashMap::new();
        for line in budget_line::Entity::find()
            .filter(budget_line::Column::ProposalId.is_in(ids))
            .all(txn)
            .await?
        {
            lines_of.entry(line.proposal_id).or_default().push(line);
        }
        let areas =
            policy_area_names(txn, proposals.iter().filter_map(|p| p.policy_area_id)).await?;

        let mut out = Vec::new();
        for found in proposals {
            let Some(lines) = lines_of.get_mut(&found.id) else {
                continue;
            };
            lines.sort_by_key(|line| {
                (
                    line.year,
                    crate::domain::feed::kind_position(&line.kind),
                    line.id,
                )
            });
            let mut net: HashMap<i32, i128> = HashMap::new();
            for line in lines.iter() {
                *net.entry(line.year).or_default() += i128::from(line.amount_ore);
            }
            let committee = self
                .committees
                .get(&found.committee_id)
                .map_or("", |c| c.code.as_str());
            let area = found
                .policy_area_id
                .and_then(|id| areas.get(&id))
                .map(String::as_str);
            let status = ProposalStatus::parse(&found.status);
            for line in lines.iter() {
                let kind = BudgetLineKind::parse(&line.kind);
                self.writer.row(
                    &mut out,
                    &[
                        Field::Text(&self.round_name),
                        Field::Text(&found.number),
                        Field::Text(&found.title),
                        Field::Text(committee),
                        Field::text_or_null(area),
                        Field::Text(&found.expense_type),
                        Field::Text(&found.status),
                        Field::Text(status.map_or("", ProposalStatus::label)),
                        Field::Int(i64::from(line.year)),
                        Field::Text(&line.kind),
                        Field::Text(kind.map_or("", BudgetLineKind::label)),
                        Field::Amount(ore_to_kroner(line.amount_ore)),
                        Field::Amount(ore_to_kroner(
                            net.get(&line.year).copied().unwrap_or_default(),
                        )),
                    ],
                );
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// The approved-changes feed

async fn start_feed(
    db: &DatabaseConnection,
    viewer: &Viewer,
    query: &str,
    write_timeout: Duration,
) -> ApiResult<HttpResponse> {
    auth::require_feed_reader(viewer)?;
    let params = Params::parse(query, &["round", "format", "dialect", "after"])?;
    let round_id = params.round_id()?;
    let format = params.format()?;
    let after = feed::parse_cursor(params.get("after"), "after")?;

    let round = budget_round::Entity::find_by_id(round_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("budget round"))?;
    // The head once, first: the file ends there, however many items are appended meanwhile.
    let head = feed::head(db, round.id).await?;
    let writer = Writer {
        format,
        columns: FEED_COLUMNS,
    };
    let export = FeedExport {
        db: db.clone(),
        round_id: round.id,
        round_name: round.name.clone(),
        viewer: viewer.clone(),
        after,
        head,
        writer,
        started: false,
        done: false,
    };
    let body = file_body(export, "approved-changes", write_timeout);
    let name = file_name("godkendte-aendringer", &round, format);
    Ok(file_response(&name, format)
        // What to pass as `after` next time; as `endCursor`, never behind the `after` given.
        .insert_header(("X-Feed-Head", std::cmp::max(head, after).to_string()))
        .streaming(body))
}

/// An approved-changes export under way.
struct FeedExport {
    db: DatabaseConnection,
    round_id: i32,
    round_name: String,
    /// Who downloads: reasons follow what they may see ([`feed::readable_reason`]).
    viewer: Viewer,
    /// The last sequence written.
    after: i64,
    /// The last sequence the file holds.
    head: i64,
    writer: Writer,
    started: bool,
    done: bool,
}

impl Export for FeedExport {
    async fn next(&mut self) -> ApiResult<Option<Bytes>> {
        if !self.started {
            self.started = true;
            return Ok(Some(Bytes::from(self.writer.start())));
        }
        if self.done || self.after >= self.head {
            return Ok(None);
        }
        let items =
            feed::window(&self.db, self.round_id, self.after, self.head, FEED_CHUNK).await?;
        let Some(last) = items.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = last.sequence;
        if (items.len() as u64) < FEED_CHUNK {
            self.done = true;
        }
        let areas =
            policy_area_names(&self.db, items.iter().filter_map(|i| i.policy_area_id)).await?;
        let visible = feed::visible_proposals_of(&self.db, &self.viewer, &items).await?;
        let mut out = Vec::new();
        for item in &items {
            let reason = feed::readable_reason(item, visible.contains(&item.proposal_id));
            self.write(&mut out, item, reason, &areas);
        }
        Ok(Some(Bytes::from(out)))
    }
}

impl FeedExport {
    fn write(
        &self,
        out: &mut Vec<u8>,
        item: &approved_change::Model,
        reason: Option<&str>,
        areas: &HashMap<i32, String>,
    ) {
        let area = item
            .policy_area_id
            .and_then(|id| areas.get(&id))
            .map(String::as_str);
        let kind = BudgetLineKind::parse(&item.kind);
        let entry = ChangeEntry::parse(&item.entry);
        let recorded_at = item
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true);
        self.writer.row(
            out,
            &[
                Field::Int(item.sequence),
                Field::Text(&self.round_name),
                Field::Text(&item.proposal_number),
                Field::Text(&item.committee_code),
                Field::text_or_null(area),
                Field::Text(&item.expense_type),
                Field::Int(i64::from(item.year)),
                Field::Text(&item.kind),
                Field::Text(kind.map_or("", BudgetLineKind::label)),
                Field::Amount(ore_to_kroner(item.amount_ore)),
                Field::Int(i64::from(item.price_level_year)),
                Field::Text(&item.entry),
                Field::Text(entry.map_or("", ChangeEntry::label)),
                item.decision_id
                    .map_or(Field::Null, |id| Field::Int(i64::from(id))),
                Field::text_or_null(reason),
                Field::Text(&recorded_at),
                Field::text_or_null(item.recorded_by.as_deref()),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(excel_da: bool, fields: &[Field<'_>]) -> String {
        let writer = Writer {
            format: Format::Csv { excel_da },
            columns: &["a", "b", "c"],
        };
        let mut out = Vec::new();
        writer.row(&mut out, fields);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn csv_quotes_only_where_needed_and_doubles_quotes() {
        let fields = [
            Field::Text("Æbler; \"søde\"\r\nog pærer"),
            Field::Amount(ore_to_kroner(-40_000_000)),
            Field::Null,
        ];
        assert_eq!(
            csv(false, &fields),
            "\"Æbler; \"\"søde\"\"\r\nog pærer\",-400000.00,\r\n"
        );
        assert_eq!(
            csv(true, &fields),
            "\"Æbler; \"\"søde\"\"\r\nog pærer\";-400000,00;\r\n"
        );
        assert_eq!(
            csv(
                false,
                &[Field::Text("a;b"), Field::Int(7), Field::Text("x,y")]
            ),
            "a;b,7,\"x,y\"\r\n"
        );
    }

    #[test]
    fn excel_never_runs_text_as_a_formula() {
        let fields = [
            Field::Text("=HYPERLINK(\"x\")"),
            Field::Amount(ore_to_kroner(-1)),
            Field::Text("-20 % på rengøring"),
        ];
        assert_eq!(
            csv(true, &fields),
            "\"'=HYPERLINK(\"\"x\"\")\";-0,01;'-20 % på rengøring\r\n"
        );
        assert_eq!(
            csv(false, &fields),
            "\"=HYPERLINK(\"\"x\"\")\",-0.01,-20 % på rengøring\r\n"
        );
    }

    #[test]
    fn json_lines_keep_column_order_and_exact_amounts() {
        let writer = Writer {
            format: Format::Jsonl,
            columns: &["title", "amount", "policyArea"],
        };
        let mut out = Vec::new();
        writer.row(
            &mut out,
            &[
                Field::Text("Ø \"x\"\n"),
                Field::Amount(ore_to_kroner(5_000_025)),
                Field::Null,
            ],
        );
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "{\"title\":\"Ø \\\"x\\\"\\n\",\"amount\":\"50000.25\",\"policyArea\":null}\n"
        );
    }

    #[test]
    fn parameters_are_checked_by_name() {
        let field = |result: ApiResult<Params>| match result {
            Err(ApiError::BadUserInput { field, .. }) => field,
            _ => Vec::new(),
        };
        assert_eq!(
            field(Params::parse("format=csv&format=jsonl", &["format"])),
            ["format"]
        );
        assert_eq!(field(Params::parse("after=3", &["format"])), ["after"]);
        let params = Params::parse("format=jsonl&dialect=excel-da", &["format", "dialect"]);
        assert!(matches!(
            params.map(|p| p.format()),
            Ok(Err(ApiError::BadUserInput { .. }))
        ));
    }
}
