//! A committee's printed totals for one year of a round (Tabel 1: "I alt" and "heraf serviceudgifter"), in øre.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_budget")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub committee_id: i32,
    pub year: i32,
    pub stated_total_ore: Option<i64>,
    pub service_expenses_ore: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
