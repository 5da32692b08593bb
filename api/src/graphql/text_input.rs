//! Text that no database stores: a NUL character (U+0000) in any string a request brings,
//! whether written into the query or sent as a variable, is refused before anything runs.
//! SQLite would keep it and PostgreSQL refuses it mid-statement (an INTERNAL error with an
//! ERROR log line, even for an anonymous `committee(code: "S\u0000U")`), so both databases
//! answer the same BAD_USER_INPUT, naming the argument or variable.
//!
//! One pass over the parsed document, fragments once each: linear in the request's size.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerError, ServerResult, Value, Variables};

/// The extension that refuses NUL characters; added to the schema in `build_schema`.
pub struct NoNulCharacters;

impl ExtensionFactory for NoNulCharacters {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NoNulCharacters)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for NoNulCharacters {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        for (name, value) in variables.iter() {
            if let Some(path) = nul_in(value) {
                return Err(refusal(
                    format!("variable ${name}"),
                    [name.to_string()].into_iter().chain(path).collect(),
                    None,
                ));
            }
        }
        let document = next.run(ctx, query, variables).await?;
        check_document(&document)?;
        Ok(document)
    }
}

/// Refuses the first argument among `$arguments` whose literal holds a NUL (variables in
/// it count as null here: their values were checked on their own).
macro_rules! check_arguments {
    ($arguments:expr) => {
        for (name, value) in $arguments {
            let literal = value
                .node
                .clone()
                .into_const_with(|_| Ok::<_, std::convert::Infallible>(Value::Null));
            if let Some(path) = literal.ok().as_ref().and_then(nul_in) {
                let name = name.node.to_string();
                return Err(refusal(
                    format!("argument {name}"),
                    [name].into_iter().chain(path).collect(),
                    Some(value.pos),
                ));
            }
        }
    };
}

/// Every argument literal and variable default of the operations and fragments.
fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    let mut sets: Vec<&SelectionSet> = Vec::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value
                && let Some(path) = nul_in(&default.node)
            {
                let name = definition.node.name.node.to_string();
                return Err(refusal(
                    format!("the default of variable ${name}"),
                    [name].into_iter().chain(path).collect(),
                    Some(default.pos),
                ));
            }
        }
        check_arguments!(
            operation
                .node
                .directives
                .iter()
                .flat_map(|d| &d.node.arguments)
        );
        sets.push(&operation.node.selection_set.node);
    }
    for fragment in document.fragments.values() {
        check_arguments!(
            fragment
                .node
                .directives
                .iter()
                .flat_map(|d| &d.node.arguments)
        );
        sets.push(&fragment.node.selection_set.node);
    }
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    check_arguments!(&field.node.arguments);
                    check_arguments!(field.node.directives.iter().flat_map(|d| &d.node.arguments));
                    sets.push(&field.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    check_arguments!(
                        spread
                            .node
                            .directives
                            .iter()
                            .flat_map(|d| &d.node.arguments)
                    );
                }
                Selection::InlineFragment(inline) => {
                    check_arguments!(
                        inline
                            .node
                            .directives
                            .iter()
                            .flat_map(|d| &d.node.arguments)
                    );
                    sets.push(&inline.node.selection_set.node);
                }
            }
        }
    }
    Ok(())
}

/// The path to the first string holding a NUL in a variable's value, if any.
fn nul_in(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(text) => text.contains('\0').then(Vec::new),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_in(item).map(|path| prefixed(index.to_string(), path))),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(name, item)| nul_in(item).map(|path| prefixed(name.to_string(), path))),
        _ => None,
    }
}

fn prefixed(head: String, mut path: Vec<String>) -> Vec<String> {
    path.insert(0, head);
    path
}

fn refusal(what: String, field: Vec<String>, pos: Option<Pos>) -> ServerError {
    crate::graphql::limits::bad_input(
        format!("{what} holds a NUL character (U+0000), which no text may contain"),
        pos,
        Some(field),
    )
}
