//! The schema's edge: every request is sized before the library validates it, and its
//! errors are bounded, whatever transport brought it (POST, GET, WebSocket).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest,
};
use async_graphql::{ErrorExtensionValues, Request, Response, ServerError, ServerResult};

use crate::graphql::document::{self, DocumentLimits};

/// At most this many errors in one response; the rest are counted in one more error. An
/// invalid query of 20 kB otherwise answered with 1.35 MB of errors.
pub const MAX_ERRORS: usize = 20;
/// An error message is cut after this many characters (it may quote the client's input).
pub const MAX_ERROR_CHARS: usize = 500;

/// The cost of a field that runs statements of its own instead of joining a batch: a root
/// field, a proposal's history. Aliases of such fields cost what they do.
pub const QUERY_COST: usize = 50;
/// The cost of an aggregation or a text search over a round's lines (`catalogTotals`,
/// `proposals(filter: {search})`) and of reconstructing a past version (`asOf`).
pub const SCAN_COST: usize = 500;
/// A complexity unit answers about 1,000 characters at most: a text field that may hold
/// more costs one unit per 1,000 characters it may hold.
pub const fn text_cost(max_chars: usize) -> usize {
    max_chars.div_ceil(1_000)
}

/// Sizes each document after parsing and before the library checks it, and bounds the
/// errors.
pub struct RequestLimits(pub DocumentLimits);

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimitsExtension(self.0))
    }
}

struct RequestLimitsExtension(DocumentLimits);

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        bound_errors(&mut response.errors);
        response
    }

    /// Parses the query here (the library keeps the parsed document), before the library's
    /// own recursion-depth check, which follows every spread and is exponential too.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let document = request.parsed_query()?;
        document::check(document, &self.0).map_err(|why| user_error(&why))?;
        next.run(ctx, request).await
    }
}

/// A request error the client caused.
fn user_error(message: &str) -> ServerError {
    bad_input(message, None, None)
}

/// A request error of the client's, refused before anything runs: BAD_USER_INPUT, with the
/// place in the document and the path of the argument or variable concerned when known.
pub(crate) fn bad_input(
    message: impl Into<String>,
    pos: Option<async_graphql::Pos>,
    field: Option<Vec<String>>,
) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}

/// Keeps the first [`MAX_ERRORS`] errors, each cut to [`MAX_ERROR_CHARS`], and says how
/// many were left out.
pub fn bound_errors(errors: &mut Vec<ServerError>) {
    for error in errors.iter_mut() {
        if let Some((cut, _)) = error.message.char_indices().nth(MAX_ERROR_CHARS) {
            error.message.truncate(cut);
            error.message.push('…');
        }
        error.locations.truncate(MAX_ERRORS);
    }
    if errors.len() > MAX_ERRORS {
        let left_out = errors.len() - MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        errors.push(user_error(&format!(
            "{left_out} more errors left out (at most {MAX_ERRORS} are reported)"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_past_the_cap_are_counted_in_one() {
        let mut errors: Vec<ServerError> = (0..100)
            .map(|n| ServerError::new(format!("error {n}"), None))
            .collect();
        bound_errors(&mut errors);
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert!(errors[MAX_ERRORS].message.starts_with("80 more errors"));
    }

    #[test]
    fn a_long_message_is_cut() {
        let mut errors = vec![ServerError::new("ø".repeat(10_000), None)];
        bound_errors(&mut errors);
        assert_eq!(errors[0].message.chars().count(), MAX_ERROR_CHARS + 1);
    }
}
