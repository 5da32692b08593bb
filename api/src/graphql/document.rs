//! Sizes a parsed document before the library validates it.
//!
//! async-graphql's own depth and complexity checks inline a fragment at every spread, so a
//! chain of fragments that each spread the next twice costs 2^n to check: a 1 KB document
//! held a worker for minutes. This pass sizes every fragment once, in dependency order, and
//! refuses documents whose expansion is too large, too deep, cyclic, or has too many root
//! fields, in time linear in the document's size. What it lets through is small enough that
//! the library's checks (which walk the expansion) stay cheap too.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// What a document may hold.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Deepest nesting of fields under an ordinary root field.
    pub max_depth: usize,
    /// Deepest nesting under `__schema` / `__type`: the standard introspection query walks
    /// `ofType` seven levels deep below `__schema { types { fields { args { type`.
    pub max_introspection_depth: usize,
    /// Most root fields in one operation, aliases and fragments included: each root field
    /// is a database query of its own.
    pub max_root_fields: u64,
    /// Most selections (fields, spreads, inline fragments) once every fragment is inlined,
    /// summed over the operations and fragment definitions: bounds the library's checks.
    pub max_selections: u64,
}

/// The introspection root fields.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];
/// Introspection fields that list the members of a type (or the types of the schema):
/// nesting them multiplies the answer by the size of the schema each time.
const MEMBER_LISTS: [&str; 6] = [
    "types",
    "fields",
    "inputFields",
    "enumValues",
    "interfaces",
    "possibleTypes",
];
/// At most this many member lists on one path below an introspection root: the standard
/// query nests two (`types { fields }`), so the answer stays the size of the schema.
const MAX_MEMBER_LISTS: usize = 2;
/// At most this many introspection root fields in one operation.
const MAX_INTROSPECTION_ROOTS: u64 = 3;

/// The size of a selection set, as if every fragment in it were inlined.
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    /// Selections once inlined (saturating).
    selections: u64,
    /// Deepest field nesting below an ordinary field of this level.
    depth: usize,
    /// Deepest field nesting below an introspection root of this level.
    introspection_depth: usize,
    /// Fields of this level (at the root: the root fields).
    fields: u64,
    /// Introspection roots of this level.
    introspection_roots: u64,
    /// Most member lists on one path.
    member_lists: usize,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.selections = self.selections.saturating_add(other.selections);
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
        self.fields = self.fields.saturating_add(other.fields);
        self.introspection_roots = self
            .introspection_roots
            .saturating_add(other.introspection_roots);
        self.member_lists = self.member_lists.max(other.member_lists);
    }
}

/// Checks a parsed document against the limits; the error is the message for the client.
pub fn check(document: &ExecutableDocument, limits: &DocumentLimits) -> Result<(), String> {
    let order = dependency_order(document)?;
    let mut sizes: HashMap<&str, Size> = HashMap::with_capacity(order.len());
    let mut total: u64 = 0;
    for name in order {
        let Some(fragment) = document.fragments.get(name) else {
            continue;
        };
        let size = measure(&fragment.node.selection_set.node, &sizes, limits)?;
        total = within_total(total, size, limits)?;
        sizes.insert(name, size);
    }
    for (_, operation) in document.operations.iter() {
        let size = measure(&operation.node.selection_set.node, &sizes, limits)?;
        total = within_total(total, size, limits)?;
        // Only here is it known which fields are root fields: introspection roots were held
        // to their own limit when they were sized.
        if size.depth > limits.max_depth {
            return Err(too_deep(limits.max_depth));
        }
        if size.fields > limits.max_root_fields {
            return Err(format!(
                "the operation has {} root fields (aliases and fragments included): at most {}",
                size.fields, limits.max_root_fields
            ));
        }
        if size.introspection_roots > MAX_INTROSPECTION_ROOTS {
            return Err(format!(
                "at most {MAX_INTROSPECTION_ROOTS} introspection fields (__schema, __type) in one operation"
            ));
        }
    }
    Ok(())
}

fn within_total(total: u64, size: Size, limits: &DocumentLimits) -> Result<u64, String> {
    let total = total.saturating_add(size.selections);
    if total > limits.max_selections {
        return Err(format!(
            "the query is too large: more than {} selections once its fragments are inlined",
            limits.max_selections
        ));
    }
    Ok(total)
}

/// Sizes one selection set; every fragment it spreads is already sized.
fn measure(
    set: &SelectionSet,
    fragments: &HashMap<&str, Size>,
    limits: &DocumentLimits,
) -> Result<Size, String> {
    let mut size = Size::default();
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                let child = measure(&field.node.selection_set.node, fragments, limits)?;
                // Below the root there are no introspection roots (validation refuses them):
                // whatever the child holds counts as ordinary depth.
                let depth = 1 + child.depth.max(child.introspection_depth);
                let mut this = Size {
                    selections: child.selections.saturating_add(1),
                    fields: 1,
                    member_lists: child.member_lists + usize::from(MEMBER_LISTS.contains(&name)),
                    ..Size::default()
                };
                if INTROSPECTION_ROOTS.contains(&name) {
                    if depth > limits.max_introspection_depth {
                        return Err(too_deep(limits.max_introspection_depth));
                    }
                    if child.member_lists > MAX_MEMBER_LISTS {
                        return Err(format!(
                            "introspection nests at most {MAX_MEMBER_LISTS} lists of types or members (types, fields, inputFields, enumValues, interfaces, possibleTypes)"
                        ));
                    }
                    this.introspection_depth = depth;
                    this.introspection_roots = 1;
                } else {
                    // Deeper than any limit is refused at once, wherever it sits.
                    if depth > limits.max_depth.max(limits.max_introspection_depth) {
                        return Err(too_deep(limits.max_depth));
                    }
                    this.depth = depth;
                }
                size.add(this);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // An unknown fragment adds nothing here; validation names it.
                let mut inlined = fragments.get(name).copied().unwrap_or_default();
                inlined.selections = inlined.selections.saturating_add(1);
                size.add(inlined);
            }
            Selection::InlineFragment(inline) => {
                let mut inlined = measure(&inline.node.selection_set.node, fragments, limits)?;
                inlined.selections = inlined.selections.saturating_add(1);
                size.add(inlined);
            }
        }
    }
    Ok(size)
}

fn too_deep(limit: usize) -> String {
    format!("the query is nested too deep: at most {limit} levels")
}

/// The fragment definitions, each after every fragment it spreads; a cycle is refused.
/// Iterative, so a long chain of fragments cannot exhaust the stack.
fn dependency_order(document: &ExecutableDocument) -> Result<Vec<&str>, String> {
    let spreads: HashMap<&str, Vec<&str>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut found = Vec::new();
            collect_spreads(&fragment.node.selection_set.node, &mut found);
            (name.as_str(), found)
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::with_capacity(spreads.len());
    let mut order = Vec::with_capacity(spreads.len());
    for start in spreads.keys() {
        if marks.contains_key(start) {
            continue;
        }
        // (fragment, index of the next spread to visit)
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Open);
        while let Some((name, next)) = stack.last_mut() {
            let children = spreads.get(*name).map(Vec::as_slice).unwrap_or_default();
            match children.get(*next) {
                Some(child) => {
                    *next += 1;
                    match marks.get(child) {
                        Some(Mark::Open) => {
                            return Err(format!(
                                "fragment \"{child}\" spreads itself (a fragment cycle)"
                            ));
                        }
                        Some(Mark::Done) => {}
                        None if spreads.contains_key(child) => {
                            marks.insert(child, Mark::Open);
                            stack.push((child, 0));
                        }
                        None => {} // unknown: validation names it
                    }
                }
                None => {
                    marks.insert(name, Mark::Done);
                    order.push(*name);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}

fn collect_spreads<'a>(set: &'a SelectionSet, found: &mut Vec<&'a str>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => collect_spreads(&field.node.selection_set.node, found),
            Selection::FragmentSpread(spread) => {
                found.push(spread.node.fragment_name.node.as_str())
            }
            Selection::InlineFragment(inline) => {
                collect_spreads(&inline.node.selection_set.node, found);
            }
        }
    }
}
