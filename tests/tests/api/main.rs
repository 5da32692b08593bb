//! Integration tests: the real server over HTTP, on SQLite or (with `TEST_DATABASE_URL`)
//! PostgreSQL. One module per capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod budgets;
mod catalog;
mod cors;
mod cost;
mod disclosure;
mod edge;
mod exports;
mod feed;
mod fixtures;
mod introspection;
mod limits;
mod money;
mod operations;
mod proposals;
mod schema;
mod su01;
mod subscriptions;
mod tokens;
mod writing;
