//! One item of the approved-changes feed: an amount (øre) booked for a proposal, year and
//! kind. Append-only: corrections and reversals are new items that compensate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approved_change")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sequence: i64,
    pub round_id: i32,
    pub proposal_id: i32,
    pub proposal_number: String,
    pub committee_id: i32,
    pub committee_code: String,
    pub policy_area_id: Option<i32>,
    pub expense_type: String,
    pub year: i32,
    pub kind: String,
    pub amount_ore: i64,
    pub price_level_year: i32,
    pub decision_id: Option<i32>,
    pub entry: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
