//! `api bench`: a rerunnable benchmark of the read API. It loads the demo data and a
//! synthetic round into a fresh database, runs representative queries through the schema
//! (DataLoaders and all, without HTTP) and prints the median and 90th percentile time and
//! the SQL statements per query. Compare runs by their medians; the machines are shared.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_graphql::Variables;
use serde_json::json;

use crate::auth::Viewer;
use crate::config::Config;
use crate::graphql::{build_schema, request_data};

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Proposals in the synthetic round.
    pub proposals: usize,
    /// Runs per query (after one warm-up run).
    pub iterations: usize,
}

/// The integration's feed page: 500 items after the middle of the synthetic round's feed.
const FEED_PAGE: (&str, &str) = (
    "feed page (500 items, as integration)",
    r#"query($round: ID!) { approvedChanges(round: $round, after: "1000", first: 500) {
        edges { node { sequence entry proposalNumber committee expenseType year kind amount
          priceLevelYear reason } } pageInfo { hasNextPage endCursor } headCursor } }"#,
);

/// A write as the budget office: a new proposal with one line, numbered and recorded in its
/// history, committed (on SQLite with `synchronous=FULL`: set
/// `PRIORITERING_SQLITE_SYNCHRONOUS=normal` to measure what durability costs).
const WRITE: (&str, &str) = (
    "write: create a proposal (as admin)",
    r#"mutation($round: ID!) { createProposal(round: $round, committee: "SU", input: {
        title: "Benchmark", years: [{ year: 2031, lines: [{ kind: EFFICIENCY, amount: "-1000" }] }] })
        { proposal { number } userErrors { code } } }"#,
);

const QUERIES: &[(&str, &str)] = &[
    (
        "catalog page (100, nested sheet)",
        r#"query($round: ID!) { proposals(filter: { round: $round }, first: 100) { totalCount
            edges { node { number title status committee { code } round { priceLevel }
              years { year netChange statedNetChange lines { kind amount } }
              netChangeMismatches { year } investmentNeedsMatchExpansion relatedProposals { number } } } } }"#,
    ),
    (
        "catalog totals (committee × year × kind)",
        r#"query($round: ID!) { catalogTotals(round: $round, groupBy: [COMMITTEE, YEAR, KIND]) {
            committee { code } year kind amount proposalCount } }"#,
    ),
    (
        "order by net change 2031 (50)",
        r#"query($round: ID!) { proposals(filter: { round: $round }, first: 50,
            orderBy: { field: NET_CHANGE, year: 2031 }) { edges { node { number netChange(year: 2031) } } } }"#,
    ),
    (
        "search in titles",
        r#"query($round: ID!) { proposals(filter: { round: $round, search: "område 42" }, first: 20) {
            totalCount edges { node { number title } } } }"#,
    ),
    (
        "filter committee + kind + year",
        r#"query($round: ID!) { proposals(filter: { round: $round, committees: ["ØU"],
            lineKind: SERVICE_REDUCTION, lineYear: 2032 }, first: 20) { totalCount } }"#,
    ),
    (
        "one full sheet by number",
        r#"query($round: ID!) { proposal(round: $round, number: "SU07") { number title proposer
            years { year currentBudget staffImpact netChange statedNetChange lines { kind amount } }
            netChangeMismatches { year stated computed difference } investmentCoverage { year matches }
            sections { summary status proposedChange consequences } documents { title } } }"#,
    ),
];

/// Runs the benchmark against `config.database_url` (which should be empty) and returns the
/// report as text.
pub async fn run(config: &Config, options: &BenchOptions) -> Result<String, String> {
    let mut db = crate::db::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    crate::db::migrate(&db)
        .await
        .map_err(|e| format!("cannot migrate: {e}"))?;
    crate::domain::demo::load(&db)
        .await
        .map_err(|e| e.message())?;
    let started = Instant::now();
    let generated = crate::domain::synthetic::generate(&db, 2030, options.proposals, 1)
        .await
        .map_err(|e| e.message())?;
    let seeding = started.elapsed();

    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let schema = build_schema(db.clone(), config, crate::events::Events::new());
    let round =
        crate::graphql::ids::encode(crate::graphql::ids::Kind::BudgetRound, generated.round_id);

    let mut report = format!(
        "backend {:?}, {} proposals / {} lines generated in {:.1} s, {} iterations per query\n\n\
         {:<42} {:>10} {:>10} {:>11}\n",
        sea_orm::ConnectionTrait::get_database_backend(&db),
        generated.proposals,
        generated.lines,
        seeding.as_secs_f64(),
        options.iterations,
        "query",
        "median ms",
        "p90 ms",
        "statements"
    );
    for (name, query) in QUERIES.iter().chain([&FEED_PAGE, &WRITE]) {
        let mut times = Vec::with_capacity(options.iterations);
        let mut per_query = 0;
        for iteration in 0..=options.iterations {
            let role = if std::ptr::eq(*query, FEED_PAGE.1) {
                Some(crate::auth::Role::Integration)
            } else if std::ptr::eq(*query, WRITE.1) {
                Some(crate::auth::Role::Admin)
            } else {
                None
            };
            let viewer = Viewer {
                subject: role.map(|_| "bench".to_owned()),
                roles: role.into_iter().collect(),
                ..Viewer::anonymous()
            };
            let (viewer, loader) = request_data(&db, viewer);
            let request = async_graphql::Request::new(*query)
                .variables(Variables::from_json(json!({ "round": round.as_str() })))
                .data(viewer)
                .data(loader);
            let before = statements.load(Ordering::Relaxed);
            let started = Instant::now();
            let response = schema.execute(request).await;
            let elapsed = started.elapsed();
            if !response.errors.is_empty() {
                return Err(format!("{name}: {:?}", response.errors));
            }
            let user_errors = &response.data.clone().into_json().unwrap_or_default()["createProposal"]
                ["userErrors"];
            if user_errors
                .as_array()
                .is_some_and(|errors| !errors.is_empty())
            {
                return Err(format!("{name}: {user_errors}"));
            }
            per_query = statements.load(Ordering::Relaxed) - before;
            if iteration > 0 {
                times.push(elapsed);
            }
        }
        times.sort();
        report.push_str(&format!(
            "{:<42} {:>10.2} {:>10.2} {:>11}\n",
            name,
            millis(percentile(&times, 50)),
            millis(percentile(&times, 90)),
            per_query
        ));
    }
    Ok(report)
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() - 1) * percent / 100]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
