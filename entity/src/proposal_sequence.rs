//! The last sequence number given out per committee and round (gap-free numbering).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_sequence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub round_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub committee_id: i32,
    pub last_sequence: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
