//! A proposal (prioriteringsforslag) with the seven text sections of its sheet.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub committee_id: i32,
    pub policy_area_id: Option<i32>,
    pub sequence: i32,
    pub number: String,
    pub title: String,
    pub proposer: String,
    pub expense_type: String,
    pub status: String,
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    #[sea_orm(column_type = "Text")]
    pub status_text: String,
    #[sea_orm(column_type = "Text")]
    pub proposed_change: String,
    #[sea_orm(column_type = "Text")]
    pub consequences: String,
    #[sea_orm(column_type = "Text")]
    pub investment_text: String,
    #[sea_orm(column_type = "Text")]
    pub related_text: String,
    #[sea_orm(column_type = "Text")]
    pub hu_remarks_text: String,
    pub search_text: String,
    pub title_sort: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
