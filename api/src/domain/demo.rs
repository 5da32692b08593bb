//! The demo data, loaded by an explicit, idempotent step (never by a migration): the
//! committees named in the seeds, Budget 2022-2025 with Socialudvalget's policy areas and
//! their budgets from the budget notes (seed 000), and Budget 2023-2026 with SU01 exactly as
//! printed (seed 002), the ØU01 it refers to, and a draft ÆSU01 for trying the access rules.

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::domain::model::RoundPhase;
use crate::domain::sheet::{self, ProposalSheet};
use crate::error::{ApiError, ApiResult};
use crate::money::kroner_to_ore;
use entity::{
    budget_round, committee, committee_budget, policy_area, policy_area_budget,
    policy_area_budget_item, policy_area_quantity, proposal,
};

/// Committees: code, name (seed glossary).
pub const COMMITTEES: &[(&str, &str)] = &[
    ("SU", "Socialudvalget"),
    ("AMU", "Arbejdsmarkedsudvalget"),
    ("ISU", "Institutions- og Skoleudvalget"),
    ("FKU", "Fritids- og Kulturudvalget"),
    ("ÆSU", "Ældre- og Sundhedsudvalget"),
    ("ØU", "Økonomiudvalget"),
];

/// The columns of seed 000's tables: Oprindeligt budget 2021, then Budget 2022-2025.
const NOTE_YEARS: [i32; 5] = [2021, 2022, 2023, 2024, 2025];

/// A row of a printed table: label and five values in mio. kr. as printed ("50,9").
type Row = (&'static str, [&'static str; 5]);

/// One policy area of seed 000: name, "I alt", "heraf serviceudgifter", breakdown.
struct AreaTable {
    name: &'static str,
    total: [&'static str; 5],
    service: [&'static str; 5],
    items: &'static [Row],
}

const SU_AREAS: &[AreaTable] = &[
    // Tabel 2
    AreaTable {
        name: "Pension og boligstøtte",
        total: ["50,9", "50,9", "53,5", "55,8", "56,7"],
        service: ["3,0", "2,4", "2,4", "2,4", "2,4"],
        items: &[
            ("Boligstøtte", ["47,8", "48,6", "51,1", "53,4", "54,3"]),
            ("Øvrige områder", ["3,1", "2,4", "2,4", "2,4", "2,4"]),
        ],
    },
    // Tabel 4
    AreaTable {
        name: "Sociale serviceydelser",
        total: ["340,6", "378,5", "378,2", "377,9", "377,9"],
        service: ["367,0", "405,2", "405,2", "405,1", "405,1"],
        items: &[
            ("Botilbud", ["220,1", "244,1", "244,1", "244,1", "244,1"]),
            ("Dagtilbud", ["56,2", "57,8", "57,8", "57,8", "57,8"]),
            (
                "Forsorgshjem og Krisecentre",
                ["6,0", "12,0", "12,0", "12,0", "12,0"],
            ),
            ("Misbrug", ["29,3", "32,6", "32,6", "32,6", "32,6"]),
            (
                "Kontaktperson og ledsageordning",
                ["5,2", "5,0", "5,0", "5,0", "5,0"],
            ),
            ("Specialundervisning", ["2,6", "2,5", "2,5", "2,5", "2,5"]),
            (
                "Særlige psykiatri pladser",
                ["1,5", "1,6", "1,6", "1,6", "1,6"],
            ),
            ("Genoptræning", ["0,2", "0,2", "0,2", "0,2", "0,2"]),
            ("Pleje og støtte", ["51,0", "53,5", "53,6", "53,6", "53,6"]),
            ("Administration", ["-5,1", "-4,1", "-4,3", "-4,3", "-4,3"]),
            (
                "Statsrefusion, særligt dyre enkeltsager",
                ["-27,5", "-27,8", "-28,0", "-28,2", "-28,2"],
            ),
            (
                "Andre sundhedsudgifter",
                ["1,1", "1,0", "1,0", "1,0", "1,0"],
            ),
        ],
    },
    // Tabel 5
    AreaTable {
        name: "Boligsociale aktiviteter og frivillighedsområdet",
        total: ["5,0", "5,4", "5,5", "4,8", "4,7"],
        service: ["5,0", "5,4", "5,5", "4,8", "4,7"],
        items: &[
            (
                "Sundhedsfremme og forebyggelse",
                ["0,3", "0,3", "0,3", "0,3", "0,3"],
            ),
            ("Øvrige sociale formål", ["4,7", "5,1", "5,2", "4,5", "4,4"]),
        ],
    },
];

/// Tabel 1: Socialudvalget's "I alt" and "heraf serviceudgifter".
const SU_TOTAL: [&str; 5] = ["396,4", "434,8", "437,2", "438,6", "439,3"];
const SU_SERVICE: [&str; 5] = ["375,0", "413,0", "413,0", "412,3", "412,2"];

/// Tabel 3 (Pension og boligstøtte): number of recipients. The seed misspells the first
/// label "Boligyldelse"; the values are as printed.
const SU_QUANTITIES: &[Row] = &[
    ("Boligydelse", ["2.532", "2.729", "2.872", "3.002", "3.049"]),
    (
        "Boligsikring",
        ["1.983", "2.058", "2.167", "2.265", "2.300"],
    ),
];

const SU01: &str = include_str!("../../demo/su01.json");
const OU01: &str = include_str!("../../demo/ou01.json");
/// A draft outside SU, so visibility can be seen by hand: anonymous callers do not see it,
/// ÆSU's coordinators and the budget office do.
const AESU01: &str = include_str!("../../demo/aesu01.json");

/// A Danish-formatted number ("-27,5", "2.532") as a decimal.
fn danish(text: &str) -> ApiResult<Decimal> {
    Decimal::from_str(&text.replace('.', "").replace(',', ".")).map_err(|_| {
        tracing::error!(text, "demo data holds a malformed number");
        ApiError::Internal
    })
}

/// Mio. kr. as printed to øre.
fn mio_ore(text: &str) -> ApiResult<i64> {
    kroner_to_ore(danish(text)? * Decimal::from(1_000_000)).map_err(|_| ApiError::Internal)
}

/// Loads the demo data where it is missing; running it again changes nothing, and replicas
/// loading it at once queue behind each other.
pub async fn load(db: &DatabaseConnection) -> ApiResult<()> {
    let txn = crate::db::begin_exclusive(db).await?;
    let committees = ensure_committees(&txn).await?;
    let su = committees
        .iter()
        .find(|c| c.code == "SU")
        .ok_or(ApiError::Internal)?;

    let notes_round =
        ensure_round(&txn, "Budget 2022-2025", 2022, 2022, RoundPhase::Adopted).await?;
    ensure_su_budgets(&txn, &notes_round, su).await?;

    let round = ensure_round(
        &txn,
        "Budget 2023-2026",
        2023,
        2023,
        RoundPhase::Consultation,
    )
    .await?;
    for document in [OU01, SU01, AESU01] {
        let sheet: ProposalSheet = serde_json::from_str(document).map_err(|error| {
            tracing::error!(%error, "demo sheet does not parse");
            ApiError::Internal
        })?;
        ensure_sheet(&txn, &round, &sheet).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The committees of the seeds, created where missing.
pub async fn ensure_committees(db: &impl ConnectionTrait) -> ApiResult<Vec<committee::Model>> {
    let mut all = Vec::new();
    for (position, (code, name)) in COMMITTEES.iter().enumerate() {
        let existing = committee::Entity::find()
            .filter(committee::Column::Code.eq(*code))
            .one(db)
            .await?;
        let found = match existing {
            Some(found) => found,
            None => {
                committee::Entity::insert(committee::ActiveModel {
                    code: Set((*code).to_owned()),
                    name: Set((*name).to_owned()),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?
            }
        };
        all.push(found);
    }
    Ok(all)
}

/// A round by its first year, created when missing.
pub async fn ensure_round(
    db: &impl ConnectionTrait,
    name: &str,
    first_year: i32,
    price_level_year: i32,
    phase: RoundPhase,
) -> ApiResult<budget_round::Model> {
    if let Some(found) = budget_round::Entity::find()
        .filter(budget_round::Column::FirstYear.eq(first_year))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    crate::domain::reference::insert_round(
        db,
        &crate::domain::reference::NewRound {
            name: name.to_owned(),
            first_year,
            year_count: 4,
            price_level_year,
        },
        phase,
    )
    .await
}

async fn ensure_su_budgets(
    db: &impl ConnectionTrait,
    round: &budget_round::Model,
    su: &committee::Model,
) -> ApiResult<()> {
    let already = committee_budget::Entity::find()
        .filter(committee_budget::Column::RoundId.eq(round.id))
        .filter(committee_budget::Column::CommitteeId.eq(su.id))
        .one(db)
        .await?;
    if already.is_some() {
        return Ok(());
    }
    for (index, year) in NOTE_YEARS.iter().enumerate() {
        committee_budget::Entity::insert(committee_budget::ActiveModel {
            round_id: Set(round.id),
            committee_id: Set(su.id),
            year: Set(*year),
            stated_total_ore: Set(Some(mio_ore(SU_TOTAL[index])?)),
            service_expenses_ore: Set(Some(mio_ore(SU_SERVICE[index])?)),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    for (position, table) in SU_AREAS.iter().enumerate() {
        let area = ensure_policy_area(db, su, table.name, position).await?;
        let mut totals = Vec::new();
        let mut items = Vec::new();
        for (index, year) in NOTE_YEARS.iter().enumerate() {
            totals.push(policy_area_budget::ActiveModel {
                round_id: Set(round.id),
                policy_area_id: Set(area.id),
                year: Set(*year),
                stated_total_ore: Set(Some(mio_ore(table.total[index])?)),
                service_expenses_ore: Set(Some(mio_ore(table.service[index])?)),
                ..Default::default()
            });
            for (item_position, (label, values)) in table.items.iter().enumerate() {
                items.push(policy_area_budget_item::ActiveModel {
                    round_id: Set(round.id),
                    policy_area_id: Set(area.id),
                    position: Set(i32::try_from(item_position).unwrap_or(i32::MAX)),
                    label: Set((*label).to_owned()),
                    year: Set(*year),
                    amount_ore: Set(mio_ore(values[index])?),
                    ..Default::default()
                });
            }
        }
        policy_area_budget::Entity::insert_many(totals)
            .exec(db)
            .await?;
        policy_area_budget_item::Entity::insert_many(items)
            .exec(db)
            .await?;
        if position == 0 {
            let mut quantities = Vec::new();
            for (quantity_position, (label, values)) in SU_QUANTITIES.iter().enumerate() {
                for (index, year) in NOTE_YEARS.iter().enumerate() {
                    quantities.push(policy_area_quantity::ActiveModel {
                        round_id: Set(round.id),
                        policy_area_id: Set(area.id),
                        position: Set(i32::try_from(quantity_position).unwrap_or(i32::MAX)),
                        label: Set((*label).to_owned()),
                        unit: Set("antal modtagere".to_owned()),
                        year: Set(*year),
                        value_centi: Set(kroner_to_ore(danish(values[index])?)
                            .map_err(|_| ApiError::Internal)?),
                        ..Default::default()
                    });
                }
            }
            policy_area_quantity::Entity::insert_many(quantities)
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

async fn ensure_policy_area(
    db: &impl ConnectionTrait,
    committee: &committee::Model,
    name: &str,
    position: usize,
) -> ApiResult<policy_area::Model> {
    if let Some(found) = policy_area::Entity::find()
        .filter(policy_area::Column::CommitteeId.eq(committee.id))
        .filter(policy_area::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    Ok(policy_area::Entity::insert(policy_area::ActiveModel {
        committee_id: Set(committee.id),
        name: Set(name.to_owned()),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

async fn ensure_sheet(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    round: &budget_round::Model,
    sheet: &ProposalSheet,
) -> ApiResult<()> {
    let number = sheet.number.clone().unwrap_or_default();
    let exists = proposal::Entity::find()
        .filter(proposal::Column::RoundId.eq(round.id))
        .filter(proposal::Column::Number.eq(number))
        .one(db)
        .await?;
    if exists.is_none() {
        sheet::insert(db, round, sheet).await?;
    }
    Ok(())
}
