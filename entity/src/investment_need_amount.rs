//! The amount of an investment need in one year, in øre.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "investment_need_amount")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub investment_need_id: i32,
    pub year: i32,
    pub amount_ore: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
