//! The domain: one module per aggregate, plain async functions over a connection.

pub mod bounds;
pub mod budget;
pub mod catalog;
pub mod decisions;
pub mod demo;
pub mod editing;
pub mod feed;
pub mod history;
pub mod model;
pub mod proposal;
pub mod reference;
pub mod remarks;
pub mod sheet;
pub mod synthetic;
