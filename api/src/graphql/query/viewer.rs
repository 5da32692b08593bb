//! `viewer`: who the token says the caller is.

use async_graphql::{Context, Object, Result, SimpleObject};

use crate::auth::Role;
use crate::graphql::viewer;

#[derive(Default)]
pub struct ViewerQuery;

/// The caller as the server understood the token; all empty for an anonymous caller.
#[derive(SimpleObject)]
pub struct ViewerInfo {
    /// Whether a valid token was presented.
    pub authenticated: bool,
    /// The token's subject.
    pub subject: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Roles the server recognised in the token.
    pub roles: Vec<Role>,
    /// Committee codes the caller coordinates.
    pub committees: Vec<String>,
}

#[Object]
impl ViewerQuery {
    /// Who the caller is, so a frontend can show the right things.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<ViewerInfo> {
        let viewer = viewer(ctx)?;
        Ok(ViewerInfo {
            authenticated: viewer.subject.is_some() || !viewer.roles.is_empty(),
            subject: viewer.subject.clone(),
            name: viewer.name.clone(),
            roles: viewer.roles.clone(),
            committees: viewer.committees.clone(),
        })
    }
}
