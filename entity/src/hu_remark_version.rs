//! One version of an HU remark's text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hu_remark_version")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub remark_id: i32,
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub edited_at: DateTimeUtc,
    pub editor_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
