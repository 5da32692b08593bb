//! Exports of a round as files: the catalog and the approved-changes feed, as CSV (RFC 4180
//! and Danish Excel) and JSON Lines. What a user checks: the files add up to the same
//! totals as the API, hold what the caller may see and nothing else, open correctly in a
//! Danish Excel, and refuse callers without a sign-in.

use std::collections::BTreeMap;

use api::graphql::ids::{Kind, encode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::{Download, TestApp, dec};

use crate::feed::all_items;
use crate::fixtures::{insert, sheet};
use crate::writing::DECIDE;

const TOTALS: &str = r#"query($round: ID!, $filter: CatalogTotalsFilter) {
  catalogTotals(round: $round, groupBy: [YEAR, KIND], filter: $filter) { year kind amount } }"#;

const LINES: &str = r#"query($round: ID!, $after: String) {
  proposals(filter: { round: $round }, first: 100, after: $after) {
    edges { node { number status lines { year kind amount } } }
    pageInfo { hasNextPage endCursor } } }"#;

/// One row of an export, every value as text (`null` and empty alike as "").
type Row = BTreeMap<String, String>;

/// Parses RFC 4180 CSV strictly: CRLF after every record, quotes only around whole fields.
fn parse_csv(text: &str, separator: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                    assert!(
                        matches!(chars.peek(), None | Some('\r'))
                            || chars.peek() == Some(&separator),
                        "a closing quote ends its field"
                    );
                }
            } else {
                field.push(c);
            }
        } else if c == '"' {
            assert!(
                field.is_empty(),
                "a quote inside an unquoted field: {field}"
            );
            quoted = true;
        } else if c == separator {
            record.push(std::mem::take(&mut field));
        } else if c == '\r' {
            assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        } else {
            assert_ne!(c, '\n', "a bare line feed outside quotes");
            field.push(c);
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "the file ends with CRLF"
    );
    records
}

/// The rows of a CSV export, checking the dialect's byte-order mark and header.
fn csv_rows(download: &Download, excel_da: bool, columns: &[&str]) -> Vec<Row> {
    assert_eq!(
        download.status,
        200,
        "{}",
        String::from_utf8_lossy(&download.body)
    );
    assert_eq!(
        download.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let text = download.text();
    let (text, separator) = if excel_da {
        (
            text.strip_prefix('\u{feff}')
                .expect("a byte-order mark first"),
            ';',
        )
    } else {
        assert!(
            !text.starts_with('\u{feff}'),
            "no byte-order mark in RFC 4180 CSV"
        );
        (text, ',')
    };
    let mut records = parse_csv(text, separator).into_iter();
    let header = records.next().expect("a header row");
    assert_eq!(header, columns);
    records
        .map(|record| {
            assert_eq!(record.len(), columns.len(), "{record:?}");
            header.iter().cloned().zip(record).collect()
        })
        .collect()
}

/// The rows of a JSON Lines export; amounts must be strings, never numbers.
fn jsonl_rows(download: &Download, columns: &[&str]) -> Vec<Row> {
    assert_eq!(
        download.status,
        200,
        "{}",
        String::from_utf8_lossy(&download.body)
    );
    assert_eq!(
        download.header("content-type"),
        Some("application/x-ndjson")
    );
    let text = download.text();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|line| {
            let object: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            assert_eq!(object.keys().collect::<Vec<_>>().len(), columns.len());
            columns
                .iter()
                .map(|column| {
                    let value = object
                        .get(*column)
                        .unwrap_or_else(|| panic!("{column} in {line}"));
                    if ["amount", "net"].contains(column) {
                        assert!(value.is_string(), "{column} is an exact string: {line}");
                    }
                    let text = match value {
                        Value::String(text) => text.clone(),
                        Value::Null => String::new(),
                        Value::Number(number) => number.to_string(),
                        other => panic!("{column}: unexpected {other}"),
                    };
                    ((*column).to_owned(), text)
                })
                .collect()
        })
        .collect()
}

/// An amount of a row ("-400000.00", or "-400000,00" from Danish Excel).
fn amount(row: &Row, column: &str) -> Decimal {
    row[column].replace(',', ".").parse().unwrap()
}

/// Sums per (year, kind as the API names it), zero sums left out.
fn sums(rows: &[Row]) -> BTreeMap<(i64, String), Decimal> {
    let mut sums: BTreeMap<(i64, String), Decimal> = BTreeMap::new();
    for row in rows {
        let key = (row["year"].parse().unwrap(), row["kind"].to_uppercase());
        *sums.entry(key).or_default() += amount(row, "amount");
    }
    sums.retain(|_, sum| !sum.is_zero());
    sums
}

/// `catalogTotals` by year and kind for the holder of `token`, zero sums left out.
async fn totals(
    app: &TestApp,
    token: &str,
    round: &str,
    filter: Value,
) -> BTreeMap<(i64, String), Decimal> {
    let data = app
        .data_as(
            Some(token),
            TOTALS,
            json!({ "round": round, "filter": filter }),
        )
        .await;
    data["catalogTotals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|total| {
            (
                (
                    total["year"].as_i64().unwrap(),
                    total["kind"].as_str().unwrap().to_owned(),
                ),
                dec(&total["amount"]),
            )
        })
        .filter(|(_, sum)| !sum.is_zero())
        .collect()
}

/// Every line the holder of `token` sees through the API, in catalog order, as
/// (number, year, kind, amount).
async fn api_lines(app: &TestApp, token: &str, round: &str) -> Vec<(String, i64, String, Decimal)> {
    let mut lines = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data_as(
                Some(token),
                LINES,
                json!({ "round": round, "after": after }),
            )
            .await;
        for edge in data["proposals"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            for line in node["lines"].as_array().unwrap() {
                lines.push((
                    node["number"].as_str().unwrap().to_owned(),
                    line["year"].as_i64().unwrap(),
                    line["kind"].as_str().unwrap().to_owned(),
                    dec(&line["amount"]),
                ));
            }
        }
        if !data["proposals"]["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap()
        {
            return lines;
        }
        after = data["proposals"]["pageInfo"]["endCursor"].clone();
    }
}

/// The lines of catalog rows as (number, year, kind, amount), in file order.
fn file_lines(rows: &[Row]) -> Vec<(String, i64, String, Decimal)> {
    rows.iter()
        .map(|row| {
            (
                row["number"].clone(),
                row["year"].parse().unwrap(),
                row["kind"].to_uppercase(),
                amount(row, "amount"),
            )
        })
        .collect()
}

/// Every row's `net` is the sum of its proposal's lines that year.
fn assert_net(rows: &[Row]) {
    let mut net: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for row in rows {
        *net.entry((row["number"].clone(), row["year"].clone()))
            .or_default() += amount(row, "amount");
    }
    for row in rows {
        assert_eq!(
            amount(row, "net"),
            net[&(row["number"].clone(), row["year"].clone())],
            "{row:?}"
        );
    }
}

const CATALOG: &[&str] = &[
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

const FEED: &[&str] = &[
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

/// The catalog export as every format, rows checked against each other.
async fn catalog_rows(app: &TestApp, token: &str, round: &str) -> Vec<Row> {
    let path = |format: &str| format!("/export/catalog?round={round}&{format}");
    let csv = csv_rows(
        &app.download(Some(token), &path("format=csv")).await,
        false,
        CATALOG,
    );
    let excel = csv_rows(
        &app.download(Some(token), &path("format=csv&dialect=excel-da"))
            .await,
        true,
        CATALOG,
    );
    let jsonl = jsonl_rows(
        &app.download(Some(token), &path("format=jsonl")).await,
        CATALOG,
    );
    assert_eq!(csv, jsonl, "CSV and JSON Lines hold the same rows");
    assert_eq!(
        file_lines(&excel),
        file_lines(&csv),
        "Excel's figures are the same"
    );
    csv
}

/// In Budget 2023-2026: SU01 (submitted), ØU01 (submitted, no lines), ÆSU01 (draft), FKU01
/// (approved) and SU02 (submitted).
async fn arrange(app: &TestApp) {
    insert(
        app,
        &sheet(
            "FKU",
            "Lukning af svømmehal om sommeren",
            "approved",
            json!({ "efficiency": "-100000" }),
            json!({}),
        ),
    )
    .await;
    insert(
        app,
        &sheet(
            "SU",
            "Fælles visitation",
            "submitted",
            json!({ "efficiency": "-250000", "expansion": "30000.75" }),
            json!({}),
        ),
    )
    .await;
}

#[actix_web::test]
async fn the_catalog_export_adds_up_to_the_totals_of_what_each_caller_may_see() {
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let round = app.round_id(2023).await;
    for (label, roles, committees) in [
        ("reader", &["reader"][..], &[][..]),
        ("coordinator of ÆSU", &["coordinator"][..], &["ÆSU"][..]),
        ("integration", &["integration"][..], &[][..]),
        ("admin", &["admin"][..], &[][..]),
    ] {
        let token = app.token(roles, committees);
        let rows = catalog_rows(&app, &token, &round).await;
        assert_eq!(
            sums(&rows),
            totals(&app, &token, &round, Value::Null).await,
            "{label}: the file sums to catalogTotals per year and kind"
        );
        assert_eq!(
            file_lines(&rows),
            api_lines(&app, &token, &round).await,
            "{label}: one row per line the caller sees, in catalog order"
        );
        assert_net(&rows);
        let numbers: Vec<&str> = {
            let mut numbers: Vec<&str> = rows.iter().map(|r| r["number"].as_str()).collect();
            numbers.dedup();
            numbers
        };
        let expected: &[&str] = match label {
            "reader" => &["SU01", "SU02", "FKU01"],
            "integration" => &["FKU01"],
            _ => &["SU01", "SU02", "FKU01", "ÆSU01"],
        };
        // ØU01 has no lines, so no rows.
        assert_eq!(numbers, expected, "{label}");
        assert!(rows.iter().all(|r| r["round"] == "Budget 2023-2026"));
    }

    // The draft as its coordinator reads it: Danish letters and labels intact.
    let coordinator = app.token(&["coordinator"], &["ÆSU"]);
    let rows = catalog_rows(&app, &coordinator, &round).await;
    let draft = rows.iter().find(|r| r["number"] == "ÆSU01").unwrap();
    assert_eq!(draft["committee"], "ÆSU");
    assert_eq!(
        (draft["status"].as_str(), draft["statusLabel"].as_str()),
        ("draft", "Kladde")
    );
    let su01 = rows
        .iter()
        .find(|r| r["number"] == "SU01" && r["kind"] == "efficiency")
        .unwrap();
    assert_eq!(su01["kindLabel"], "Effektivisering");
    assert_eq!(su01["statusLabel"], "Indsendt");
    assert_eq!(su01["expenseType"], "service");
}

#[actix_web::test]
async fn the_approved_changes_export_is_the_feed_and_adds_up_to_the_approved_totals() {
    let app = TestApp::spawn().await;
    arrange(&app).await;
    let admin = app.token(&["admin"], &[]);
    let reader = app.token(&["reader"], &[]);
    let round = app.round_id(2023).await;

    // Approve SU01 and SU02, then overturn SU02: approvals, then reversals.
    let version = |number: &'static str| {
        let (app, admin, round) = (&app, &admin, &round);
        async move {
            let data = app
                .data_as(
                    Some(admin),
                    r#"query($round: ID!, $n: String!) { proposal(round: $round, number: $n) { id version } }"#,
                    json!({ "round": round, "n": number }),
                )
                .await;
            (
                data["proposal"]["id"].as_str().unwrap().to_owned(),
                data["proposal"]["version"].as_i64().unwrap(),
            )
        }
    };
    for number in ["SU01", "SU02"] {
        let (id, v) = version(number).await;
        let decided = app
            .data_as(
                Some(&admin),
                DECIDE,
                json!({ "id": id, "v": v, "input": crate::writing::approval() }),
            )
            .await;
        assert_eq!(decided["recordDecision"]["proposal"]["status"], "APPROVED");
    }
    let (id, v) = version("SU02").await;
    let reject = json!({ "body": "BR", "decidedOn": "2022-10-25", "outcome": "REJECTED", "text": "Forslaget genoptaget og afvist." });
    app.data_as(
        Some(&admin),
        DECIDE,
        json!({ "id": id, "v": v, "input": reject }),
    )
    .await;

    let items = all_items(&app, &reader, &round, 500).await;
    assert!(items.iter().any(|i| i["entry"] == "REVERSAL"), "{items:#?}");
    let head = items.last().unwrap()["sequence"].as_i64().unwrap();

    let path = |query: &str| format!("/export/approved-changes?round={round}&{query}");
    let csv_download = app.download(Some(&reader), &path("format=csv")).await;
    assert_eq!(
        csv_download.header("x-feed-head"),
        Some(head.to_string().as_str())
    );
    assert_eq!(
        csv_download.header("content-disposition"),
        Some("attachment; filename=\"godkendte-aendringer-budget-2023-2026.csv\"")
    );
    let csv = csv_rows(&csv_download, false, FEED);
    let excel = csv_rows(
        &app.download(Some(&reader), &path("format=csv&dialect=excel-da"))
            .await,
        true,
        FEED,
    );
    let jsonl_download = app.download(Some(&reader), &path("format=jsonl")).await;
    assert_eq!(
        jsonl_download.header("content-disposition"),
        Some("attachment; filename=\"godkendte-aendringer-budget-2023-2026.jsonl\"")
    );
    let jsonl = jsonl_rows(&jsonl_download, FEED);
    assert_eq!(csv, jsonl, "CSV and JSON Lines hold the same rows");
    assert_eq!(excel.len(), csv.len());
    for (excel, csv) in excel.iter().zip(&csv) {
        assert_eq!(amount(excel, "amount"), amount(csv, "amount"));
        assert_eq!(excel["reason"], csv["reason"]);
    }

    // Row for row the feed the API serves.
    let expected: Vec<(i64, String, i64, String, Decimal, String, String)> = items
        .iter()
        .map(|i| {
            (
                i["sequence"].as_i64().unwrap(),
                i["proposalNumber"].as_str().unwrap().to_owned(),
                i["year"].as_i64().unwrap(),
                i["kind"].as_str().unwrap().to_owned(),
                dec(&i["amount"]),
                i["entry"].as_str().unwrap().to_owned(),
                i["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let found: Vec<(i64, String, i64, String, Decimal, String, String)> = csv
        .iter()
        .map(|r| {
            (
                r["sequence"].parse().unwrap(),
                r["proposalNumber"].clone(),
                r["year"].parse().unwrap(),
                r["kind"].to_uppercase(),
                amount(r, "amount"),
                r["entry"].to_uppercase(),
                r["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        sums(&csv),
        totals(&app, &reader, &round, json!({ "statuses": ["APPROVED"] })).await,
        "what the feed books is what is approved now"
    );
    assert_eq!(
        csv.iter().map(|r| amount(r, "amount")).sum::<Decimal>(),
        items.iter().map(|i| dec(&i["amount"])).sum::<Decimal>()
    );

    // The fields a finance system reads.
    let reversal = csv.iter().find(|r| r["entry"] == "reversal").unwrap();
    assert_eq!(reversal["entryLabel"], "Tilbageførsel");
    assert!(reversal["reason"].ends_with("Forslaget genoptaget og afvist."));
    assert_eq!(reversal["committee"], "SU");
    assert!(!reversal["decisionId"].is_empty());
    assert!(chrono::DateTime::parse_from_rfc3339(&reversal["recordedAt"]).is_ok());
    let imported = csv.iter().find(|r| r["proposalNumber"] == "FKU01").unwrap();
    assert_eq!(imported["entryLabel"], "Godkendelse");
    assert_eq!(
        imported["decisionId"], "",
        "no decision: imported as approved"
    );
    assert_eq!(imported["priceLevelYear"], "2023");
    assert!(csv.iter().all(|r| r["round"] == "Budget 2023-2026"));

    // `after`: only what is newer; at the head, nothing but the header.
    let middle = expected[2].0;
    let newer = csv_rows(
        &app.download(Some(&reader), &path(&format!("format=csv&after={middle}")))
            .await,
        false,
        FEED,
    );
    assert_eq!(newer, csv[3..]);
    let none = app
        .download(Some(&reader), &path(&format!("format=jsonl&after={head}")))
        .await;
    assert_eq!(none.status, 200);
    assert_eq!(none.text(), "");
    assert_eq!(none.header("x-feed-head"), Some(head.to_string().as_str()));

    // An integration reads every item too (its catalog holds approved proposals only), but
    // not the words about SU02, which it may no longer see (nor its decisions).
    let integration = app.token(&["integration"], &[]);
    let theirs = csv_rows(
        &app.download(Some(&integration), &path("format=csv")).await,
        false,
        FEED,
    );
    let mut without_su02_reasons = csv.clone();
    for row in &mut without_su02_reasons {
        if row["proposalNumber"] == "SU02" {
            row.insert("reason".to_owned(), String::new());
        }
    }
    assert_eq!(theirs, without_su02_reasons);
}

#[actix_web::test]
async fn the_excel_dialect_opens_in_danish_excel() {
    let app = TestApp::spawn().await;
    let title = "Øget brug af \"grønne\" indkøb; færre\nleverandører";
    insert(
        &app,
        &sheet(
            "ØU",
            title,
            "submitted",
            json!({ "efficiency": "-400000.5" }),
            json!({}),
        ),
    )
    .await;
    insert(
        &app,
        &sheet(
            "ØU",
            "=1+1 som formel",
            "submitted",
            json!({ "expansion": "12" }),
            json!({}),
        ),
    )
    .await;
    let reader = app.token(&["reader"], &[]);
    let round = app.round_id(2023).await;
    let path = |query: &str| format!("/export/catalog?round={round}&{query}");

    let excel = app
        .download(Some(&reader), &path("format=csv&dialect=excel-da"))
        .await;
    assert_eq!(
        excel.header("content-disposition"),
        Some("attachment; filename=\"katalog-budget-2023-2026.csv\"")
    );
    let text = excel.text();
    assert!(
        text.starts_with("\u{feff}round;number;title;committee;policyArea;"),
        "{text}"
    );
    assert!(
        text.contains(
            ";ØU02;\"Øget brug af \"\"grønne\"\" indkøb; færre\nleverandører\";ØU;;service;submitted;Indsendt;2023;efficiency;Effektivisering;-400000,50;-400000,50\r\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(";'=1+1 som formel;"),
        "a formula is shown, never run: {text}"
    );
    let rows = csv_rows(&excel, true, CATALOG);
    let row = rows.iter().find(|r| r["number"] == "ØU02").unwrap();
    assert_eq!(row["title"], title);
    assert_eq!(row["amount"], "-400000,50");

    let plain = app.download(Some(&reader), &path("format=csv")).await;
    let text = plain.text();
    assert!(text.starts_with("round,number,title,committee,policyArea,"));
    assert!(
        text.contains(
            ",ØU02,\"Øget brug af \"\"grønne\"\" indkøb; færre\nleverandører\",ØU,,service,submitted,Indsendt,2023,efficiency,Effektivisering,-400000.50,-400000.50\r\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(",=1+1 som formel,"),
        "RFC 4180 keeps the text exactly"
    );
    let rows = csv_rows(&plain, false, CATALOG);
    assert_eq!(
        rows.iter().find(|r| r["number"] == "ØU02").unwrap()["title"],
        title
    );

    let jsonl = app.download(Some(&reader), &path("format=jsonl")).await;
    assert_eq!(
        jsonl.header("content-disposition"),
        Some("attachment; filename=\"katalog-budget-2023-2026.jsonl\"")
    );
    let first: Value =
        serde_json::from_str(jsonl.text().lines().find(|l| l.contains("ØU02")).unwrap()).unwrap();
    assert_eq!(first["title"], title);
    assert_eq!(first["amount"], "-400000.50");
    assert_eq!(first["year"], 2023);
    assert_eq!(first["policyArea"], Value::Null);
}

#[actix_web::test]
async fn large_rounds_stream_in_chunks_and_still_add_up() {
    let app = TestApp::spawn().await;
    let generated = api::domain::synthetic::generate(&app.db, 2030, 1400, 7)
        .await
        .unwrap();
    let admin = app.token(&["admin"], &[]);
    let reader = app.token(&["reader"], &[]);
    let round = app.round_id(2030).await;

    let rows = catalog_rows(&app, &admin, &round).await;
    assert_eq!(
        rows.len(),
        generated.lines,
        "every line, across many chunks"
    );
    assert_eq!(sums(&rows), totals(&app, &admin, &round, Value::Null).await);
    assert_eq!(file_lines(&rows), api_lines(&app, &admin, &round).await);
    assert_net(&rows);
    let theirs = catalog_rows(&app, &reader, &round).await;
    assert!(theirs.len() < rows.len() && theirs.iter().all(|r| r["status"] != "draft"));
    assert_eq!(
        sums(&theirs),
        totals(&app, &reader, &round, Value::Null).await
    );

    let items = all_items(&app, &reader, &round, 500).await;
    assert!(items.len() > 1000, "more than one window: {}", items.len());
    let feed = jsonl_rows(
        &app.download(
            Some(&reader),
            &format!("/export/approved-changes?round={round}&format=jsonl"),
        )
        .await,
        FEED,
    );
    assert_eq!(
        feed.iter()
            .map(|r| r["sequence"].parse::<i64>().unwrap())
            .collect::<Vec<_>>(),
        items
            .iter()
            .map(|i| i["sequence"].as_i64().unwrap())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sums(&feed),
        totals(&app, &reader, &round, json!({ "statuses": ["APPROVED"] })).await
    );
    assert!(
        feed.iter()
            .all(|r| !r["policyArea"].is_empty() || r["committee"] != "SU")
    );
}

#[actix_web::test]
async fn exports_refuse_anonymous_callers_bad_tokens_and_bad_parameters() {
    let app = TestApp::spawn().await;
    let reader = app.token(&["reader"], &[]);
    let round = app.round_id(2023).await;
    let check = |download: &Download, status: u16, code: &str, field: Option<&str>| {
        assert_eq!(
            download.status,
            status,
            "{}",
            String::from_utf8_lossy(&download.body)
        );
        assert!(
            download
                .header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let body = download.json();
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        if let Some(field) = field {
            assert_eq!(
                body["errors"][0]["extensions"]["field"],
                json!([field]),
                "{body}"
            );
        }
        let text = download.text().to_lowercase();
        assert!(!text.contains("sql") && !text.contains("panick"), "{text}");
    };

    for endpoint in ["catalog", "approved-changes"] {
        let path = |query: &str| format!("/export/{endpoint}?{query}");
        let ok = format!("round={round}&format=csv");
        let anonymous = app.download(None, &path(&ok)).await;
        check(&anonymous, 401, "UNAUTHENTICATED", None);
        let forged = app.download(Some("not.a.token"), &path(&ok)).await;
        check(&forged, 401, "UNAUTHENTICATED", None);
        // Anonymous is refused before the parameters are looked at.
        check(
            &app.download(None, &path("format=xlsx")).await,
            401,
            "UNAUTHENTICATED",
            None,
        );

        let proposal = encode(Kind::Proposal, 1).to_string();
        let missing = encode(Kind::BudgetRound, 999).to_string();
        for (query, field) in [
            ("format=csv".to_owned(), "round"),
            ("round=&format=csv".to_owned(), "round"),
            ("round=tolv&format=csv".to_owned(), "round"),
            (format!("round={proposal}&format=csv"), "round"),
            (format!("round={round}"), "format"),
            (format!("round={round}&format=xlsx"), "format"),
            (format!("round={round}&format=csv&format=jsonl"), "format"),
            (
                format!("round={round}&format=csv&dialect=excel-us"),
                "dialect",
            ),
            (
                format!("round={round}&format=jsonl&dialect=excel-da"),
                "dialect",
            ),
            (
                format!("round={round}&format=csv&dialekt=excel-da"),
                "dialekt",
            ),
        ] {
            let download = app.download(Some(&reader), &path(&query)).await;
            check(&download, 400, "BAD_USER_INPUT", Some(field));
        }
        let download = app
            .download(Some(&reader), &path(&format!("round={missing}&format=csv")))
            .await;
        check(&download, 404, "NOT_FOUND", None);
    }

    let feed = |query: &str| format!("/export/approved-changes?round={round}&format=csv&{query}");
    for after in ["after=tolv", "after=-3", "after=1.5"] {
        check(
            &app.download(Some(&reader), &feed(after)).await,
            400,
            "BAD_USER_INPUT",
            Some("after"),
        );
    }
    // The catalog has no cursor: `after` there is a mistake, not ignored.
    let download = app
        .download(
            Some(&reader),
            &format!("/export/catalog?round={round}&format=csv&after=3"),
        )
        .await;
    check(&download, 400, "BAD_USER_INPUT", Some("after"));
}

/// A download over a bare HTTP/1.1 connection, to see exactly how the body ends (awc
/// reports a chunked body cut off by a closed connection as complete). The reading thread
/// stops after the response head until `resume` is sent; the test must not block, since the
/// server runs on its thread.
fn raw_download(
    address: &str,
    path: &str,
    token: &str,
) -> (
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<Vec<u8>>,
) {
    use std::io::{Read, Write};
    let address = address.trim_start_matches("http://").to_owned();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    let (started, on_start) = std::sync::mpsc::channel();
    let (resume, on_resume) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut received = Vec::new();
        let mut buffer = [0_u8; 512];
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "the connection closed before the head");
            received.extend_from_slice(&buffer[..n]);
        }
        started.send(()).unwrap();
        on_resume.recv().unwrap();
        // A reset connection is an ending too: keep what came.
        let _ = stream.read_to_end(&mut received);
        received
    });
    (on_start, resume, reader)
}

/// Waits for a thread without blocking the server's runtime.
async fn join(thread: std::thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    while !thread.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    thread.join().unwrap()
}

async fn wait_for(signal: &std::sync::mpsc::Receiver<()>) {
    while signal.try_recv().is_err() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[actix_web::test]
async fn a_database_failure_mid_stream_breaks_the_transfer() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if !tests::on_postgres() {
        // The export's connection is ended from outside, which takes PostgreSQL.
        return;
    }
    let app = TestApp::spawn().await;
    api::domain::synthetic::generate(&app.db, 2030, 3000, 7)
        .await
        .unwrap();
    let admin = app.token(&["admin"], &[]);
    let round = app.round_id(2030).await;
    let path = format!("/export/catalog?round={round}&format=csv");
    let chunked_end = |received: &[u8]| {
        let text = String::from_utf8_lossy(received).to_lowercase();
        assert!(text.starts_with("http/1.1 200"), "{text:.300}");
        assert!(text.contains("transfer-encoding: chunked"), "{text:.300}");
        received.ends_with(b"\r\n0\r\n\r\n")
    };

    // Undisturbed, the body ends with the last chunk.
    let (started, resume, reader) = raw_download(&app.address, &path, &admin);
    wait_for(&started).await;
    resume.send(()).unwrap();
    let complete = join(reader).await;
    assert!(
        chunked_end(&complete),
        "a complete file ends with the last chunk"
    );

    // The client pauses after the head: the export waits in its transaction. End that
    // connection, as a failing database would.
    let (started, resume, reader) = raw_download(&app.address, &path, &admin);
    wait_for(&started).await;
    let mut killed = 0;
    for _ in 0..500 {
        killed = app
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND state = 'idle in transaction'",
            ))
            .await
            .unwrap()
            .len();
        if killed > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(killed, 1, "the export waited in its transaction");
    resume.send(()).unwrap();
    let broken = join(reader).await;
    assert!(
        !chunked_end(&broken),
        "a file cut short must not end like a complete one ({} of {} bytes)",
        broken.len(),
        complete.len()
    );
    assert!(broken.len() < complete.len());
}

#[actix_web::test]
async fn more_concurrent_catalog_exports_than_slots_all_complete_alike() {
    let app = TestApp::spawn().await;
    let round = app.round_id(2023).await;
    let path = format!("/export/catalog?round={round}&format=jsonl");
    // Twice as many readers as exports run at once: the rest wait their turn (within the
    // slot wait), none fails. (One caller gets one at a time: see edge.rs.)
    let readers: Vec<String> = (0..2 * api::http::CONCURRENT_SNAPSHOT_EXPORTS)
        .map(|n| app.token_for(&format!("reader.{n}"), &["reader"], &[]))
        .collect();
    let downloads = futures_util::future::join_all(
        readers
            .iter()
            .map(|reader| app.download(Some(reader), &path)),
    )
    .await;
    assert!(!downloads[0].body.is_empty());
    for download in &downloads {
        assert_eq!(download.status, 200);
        assert_eq!(download.body, downloads[0].body);
    }
}
