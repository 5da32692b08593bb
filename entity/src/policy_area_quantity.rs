//! A quantity or assumption (mængde/forudsætning) of a policy area for one year, in hundredths.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_area_quantity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub policy_area_id: i32,
    pub position: i32,
    pub label: String,
    pub unit: String,
    pub year: i32,
    pub value_centi: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
