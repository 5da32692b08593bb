//! One recorded change of a proposal: who, when, which transition, the field-level diff
//! (JSON) and the state after the change (JSON snapshot).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proposal_id: i32,
    pub version: i32,
    pub occurred_at: DateTimeUtc,
    pub actor_subject: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub diff: String,
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
