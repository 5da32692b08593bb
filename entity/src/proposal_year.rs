//! Per-year figures of a proposal; money in øre, staff impact in hundredths of an FTE.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_year")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proposal_id: i32,
    pub year: i32,
    pub current_budget_ore: Option<i64>,
    pub staff_impact_centi: Option<i64>,
    pub stated_net_ore: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
