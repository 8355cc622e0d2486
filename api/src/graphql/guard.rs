//! Limits on the shape and size of a GraphQL request, checked before the engine sees it.
//!
//! The engine's own limits (selection depth, complexity, directives per field, recursion depth)
//! let some hostile requests through, or stop them too late:
//!
//! - **Nesting.** The parser builds list and object values recursively and without a limit:
//!   `[[[[…` a few thousand levels deep overflows a worker thread's stack, which aborts the whole
//!   process. [`check_source`] scans the text once, before parsing, and refuses more than
//!   [`MAX_NESTING`] open brackets.
//! - **Fragments.** The engine checks an operation by walking it with every fragment expanded
//!   where it is spread. A fragment that spreads another ten times, which spreads another ten
//!   times, … expands to 10^n fields from a few hundred bytes: that walk would occupy a worker
//!   thread for hours, where the request deadline cannot stop it, and a fragment cycle is walked
//!   to the recursion limit along every branch. [`check_document`] sizes each fragment once and
//!   refuses cycles.
//! - **Aliases.** Complexity charges a cheap field 1, so 5,000 aliases of `viewer { role }` fit
//!   the complexity limit and would each be executed. [`check_document`] counts every selected
//!   field, each alias and each use of a fragment included, against a limit.
//! - **Directives.** The engine limits them on fields only; here every field, fragment spread,
//!   inline fragment, fragment and operation takes at most [`MAX_DIRECTIVES`].
//! - **Strings.** No argument of the API needs a long string (keys have at most 128 characters,
//!   titles 512), so a string of more than [`MAX_STRING_BYTES`], in the query ([`check_source`],
//!   before the parser spends seconds on it) or in a variable ([`check_variables`]), is refused
//!   before it reaches a resolver or the database.
//!
//! Every check is linear in the size of the request. [`Guard`], a schema extension, runs them
//! on every request before the engine parses it, whatever the transport (HTTP or WebSocket).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Request, ServerResult, Value, Variables};

use crate::error::ApiError;

/// Deepest nesting of brackets (`{`, `[`, `(`) in a query's text. Real queries stay far below:
/// 12 levels of selections (the depth limit) plus a few of arguments.
pub const MAX_NESTING: usize = 64;

/// Deepest nesting of selection sets and fragment spreads, the engine's recursion limit.
pub const MAX_RECURSION: usize = 32;

/// Most directives on one field, fragment spread, inline fragment, fragment or operation.
pub const MAX_DIRECTIVES: usize = 16;

/// Longest string, in bytes, in a query or a variable.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The schema extension that checks every request (HTTP or WebSocket) before the engine parses
/// it: see [`check_request`].
pub struct Guard {
    /// [`crate::config::Limits::max_fields`].
    pub max_fields: usize,
}

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension {
            max_fields: self.max_fields,
        })
    }
}

struct GuardExtension {
    max_fields: usize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for GuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        check_request(&mut request, self.max_fields)?;
        next.run(ctx, request).await
    }
}

/// Every check of this module on one request, in order: the text, the document (parsed here,
/// once: the engine reuses the parsed document), the variables.
///
/// # Errors
/// The first limit the request exceeds, or its syntax error.
pub fn check_request(request: &mut Request, max_fields: usize) -> ServerResult<()> {
    check_source(&request.query).map_err(ApiError::into_server_error)?;
    let document = request.parsed_query()?;
    check_document(document, max_fields).map_err(ApiError::into_server_error)?;
    check_variables(&request.variables, request.operation_name.as_deref())
        .map_err(ApiError::into_server_error)
}

/// Refuses a query text whose brackets nest deeper than [`MAX_NESTING`] (brackets in strings and
/// comments do not count), or that holds a string literal longer than [`MAX_STRING_BYTES`] as
/// written. Runs before parsing, which is what it protects: the parser is slow on megabytes of
/// string, and overflows its stack on deep nesting.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` for text nested too deep, `BAD_USER_INPUT` for a string too long.
pub fn check_source(query: &str) -> Result<(), ApiError> {
    let bytes = query.as_bytes();
    let rest = |i: usize| bytes.get(i..).unwrap_or_default();
    let literal = || "the query".to_owned();
    let mut depth = 0_usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        i += 1;
        match byte {
            // A comment runs to the end of its line.
            b'#' => {
                while bytes.get(i).is_some_and(|b| *b != b'\n' && *b != b'\r') {
                    i += 1;
                }
            }
            // A block string runs to the next `"""` that is not escaped as `\"""`.
            b'"' if rest(i).starts_with(b"\"\"") => {
                i += 2;
                let (start, mut end) = (i, bytes.len());
                loop {
                    let tail = rest(i);
                    if tail.is_empty() {
                        break;
                    } else if tail.starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if tail.starts_with(b"\"\"\"") {
                        end = i;
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                string_length(end - start, &literal)?;
            }
            // A string runs to the next unescaped `"` (or the end of the line, where the parser
            // will report it unterminated).
            b'"' => {
                let (start, mut end) = (i, bytes.len());
                while let Some(&b) = bytes.get(i) {
                    if b == b'\\' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if matches!(b, b'"' | b'\n' | b'\r') {
                        end = i - 1;
                        break;
                    }
                }
                string_length(end.saturating_sub(start), &literal)?;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ApiError::QueryTooComplex(format!(
                        "the query nests brackets more than {MAX_NESTING} levels deep"
                    )));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a parsed document that selects more than `max_fields` fields (each alias and each
/// use of a fragment counts), nests selections and fragment spreads deeper than
/// [`MAX_RECURSION`], spreads a fragment inside itself, or gives more than [`MAX_DIRECTIVES`] to
/// one place. Only what the operations use is looked at; the engine reports unused and unknown
/// fragments.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` for the limits of size and shape, `BAD_USER_INPUT` for a fragment cycle.
pub fn check_document(doc: &ExecutableDocument, max_fields: usize) -> Result<(), ApiError> {
    let mut walk = Walk {
        doc,
        fragments: HashMap::new(),
    };
    let mut fields = 0_u64;
    for (_, operation) in doc.operations.iter() {
        let operation = &operation.node;
        directives(&operation.directives, || "the operation".to_owned())?;
        for variable in &operation.variable_definitions {
            let name = &variable.node.name.node;
            directives(&variable.node.directives, || format!("variable ${name}"))?;
        }
        let size = walk.selection_set(&operation.selection_set.node, 0)?;
        fields = fields.saturating_add(size.fields);
    }
    if fields > u64::try_from(max_fields).unwrap_or(u64::MAX) {
        return Err(ApiError::QueryTooComplex(format!(
            "the query selects {fields} fields, more than the limit of {max_fields} \
             (each alias and each use of a fragment counts)"
        )));
    }
    Ok(())
}

/// Refuses variables that hold a string longer than [`MAX_STRING_BYTES`], and an operation name
/// that long.
///
/// # Errors
/// `BAD_USER_INPUT` naming the variable.
pub fn check_variables(
    variables: &Variables,
    operation_name: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(name) = operation_name {
        string_length(name.len(), &|| "operationName".to_owned())?;
    }
    for (name, value) in variables.iter() {
        strings(value, &|| format!("variable ${name}"))?;
    }
    Ok(())
}

/// The size of a selection set with its fragments expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    /// Fields selected, each alias and each use of a fragment counted.
    fields: u64,
    /// Levels of selection sets and fragment spreads below this one.
    height: usize,
}

enum Visit {
    /// Being sized: meeting it again is a cycle.
    Active,
    Done(Size),
}

/// Sizes selection sets, each fragment once.
struct Walk<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Visit>,
}

impl<'a> Walk<'a> {
    /// Sizes `set`, which lies `depth` levels below the operation.
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Size, ApiError> {
        if depth > MAX_RECURSION {
            return Err(too_deep());
        }
        let mut size = Size::default();
        for selection in &set.items {
            let (fields, below) = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = || format!("field {}", field.name.node);
                    directives(&field.directives, name)?;
                    if field.selection_set.node.items.is_empty() {
                        (1, None)
                    } else {
                        let inner = self.selection_set(&field.selection_set.node, depth + 1)?;
                        (inner.fields.saturating_add(1), Some(inner.height))
                    }
                }
                Selection::InlineFragment(fragment) => {
                    directives(&fragment.node.directives, || {
                        "an inline fragment".to_owned()
                    })?;
                    let inner = self.selection_set(&fragment.node.selection_set.node, depth + 1)?;
                    (inner.fields, Some(inner.height))
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    directives(&spread.node.directives, || format!("the spread of {name}"))?;
                    let inner = self.fragment(name, depth + 1)?;
                    (inner.fields, Some(inner.height))
                }
            };
            size.fields = size.fields.saturating_add(fields);
            if let Some(height) = below {
                size.height = size.height.max(height + 1);
            }
        }
        Ok(size)
    }

    /// Sizes fragment `name`, spread `depth` levels below the operation: computed on its first
    /// use, reused after.
    fn fragment(&mut self, name: &'a str, depth: usize) -> Result<Size, ApiError> {
        match self.fragments.get(name) {
            Some(Visit::Active) => {
                return Err(ApiError::bad_input(format!(
                    "fragment {name} is spread inside itself"
                )));
            }
            Some(Visit::Done(size)) if depth + size.height > MAX_RECURSION => {
                return Err(too_deep());
            }
            Some(Visit::Done(size)) => return Ok(*size),
            None => {}
        }
        let Some(definition) = self.doc.fragments.get(name) else {
            return Ok(Size::default());
        };
        self.fragments.insert(name, Visit::Active);
        directives(&definition.node.directives, || format!("fragment {name}"))?;
        let size = self.selection_set(&definition.node.selection_set.node, depth)?;
        self.fragments.insert(name, Visit::Done(size));
        Ok(size)
    }
}

fn too_deep() -> ApiError {
    ApiError::QueryTooComplex(format!(
        "selections and fragment spreads nest more than {MAX_RECURSION} levels deep"
    ))
}

fn directives(list: &[Positioned<Directive>], place: impl Fn() -> String) -> Result<(), ApiError> {
    if list.len() > MAX_DIRECTIVES {
        return Err(ApiError::QueryTooComplex(format!(
            "{} has {} directives, more than the limit of {MAX_DIRECTIVES}",
            place(),
            list.len()
        )));
    }
    Ok(())
}

fn string_length(bytes: usize, place: &dyn Fn() -> String) -> Result<(), ApiError> {
    if bytes > MAX_STRING_BYTES {
        return Err(ApiError::bad_input(format!(
            "{} holds a string of {bytes} bytes; at most {MAX_STRING_BYTES} bytes are allowed",
            place()
        )));
    }
    Ok(())
}

/// Checks the strings (and object keys) of a variable's value.
fn strings(value: &Value, place: &dyn Fn() -> String) -> Result<(), ApiError> {
    match value {
        Value::String(text) => string_length(text.len(), place),
        Value::Enum(name) => string_length(name.len(), place),
        Value::List(items) => items.iter().try_for_each(|item| strings(item, place)),
        Value::Object(members) => members.iter().try_for_each(|(key, member)| {
            string_length(key.len(), place)?;
            strings(member, place)
        }),
        Value::Null | Value::Number(_) | Value::Boolean(_) | Value::Binary(_) => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn code(result: Result<(), ApiError>) -> Option<&'static str> {
        result.err().map(|e| e.code())
    }

    fn document(query: &str) -> Result<(), ApiError> {
        check_source(query)?;
        check_document(&parse_query(query).unwrap(), 100)
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        // `{`, `(` and 62 `[`: 64 levels.
        let at_limit = format!("{{ a(x: {}1{}) }}", "[".repeat(62), "]".repeat(62));
        assert_eq!(code(check_source(&at_limit)), None);
        let over = format!("{{ a(x: {}1{}) }}", "[".repeat(63), "]".repeat(63));
        assert_eq!(code(check_source(&over)), Some("QUERY_TOO_COMPLEX"));

        let deep = "[".repeat(1_000);
        for hidden in [
            format!("{{ a(x: \"{deep}\") }}"),
            format!("{{ a(x: \"\\\"{deep}\") }}"),
            format!("{{ a(x: \"\"\"{deep}\\\"\"\"{deep}\"\"\") }}"),
            format!("{{ a # {deep}\n }}"),
        ] {
            assert_eq!(code(check_source(&hidden)), None, "{hidden}");
        }
        // After the string ends, brackets count again.
        let after = format!("{{ a(x: \"\\\\\", y: {deep}) }}");
        assert_eq!(code(check_source(&after)), Some("QUERY_TOO_COMPLEX"));
        // String literals as written: at most 64 KiB between the quotes.
        let fine = "x".repeat(MAX_STRING_BYTES);
        let long = "x".repeat(MAX_STRING_BYTES + 1);
        for template in ["{ a(x: \"TEXT\") }", "{ a(x: \"\"\"TEXT\"\"\") }"] {
            assert_eq!(code(check_source(&template.replace("TEXT", &fine))), None);
            let error = check_source(&template.replace("TEXT", &long)).unwrap_err();
            assert_eq!(
                error.message(),
                "the query holds a string of 65537 bytes; at most 65536 bytes are allowed"
            );
        }
        // Unterminated strings and stray closing brackets are the parser's to report.
        for odd in [
            "{ a(x: \"",
            "{ a(x: \"\"\"",
            "{ a(x: \"\\",
            "}}}] { a }",
            "#",
        ] {
            assert_eq!(code(check_source(odd)), None, "{odd}");
        }
    }

    #[test]
    fn fields_count_every_alias_and_every_use_of_a_fragment() {
        // 50 aliases of a 2-field selection: 100 fields, the limit.
        let aliases: String = (0..50)
            .map(|i| format!("a{i}: viewer {{ role }} "))
            .collect();
        assert_eq!(code(document(&format!("{{ {aliases} }}"))), None);
        let one_more = format!("{{ {aliases} x: __typename }}");
        assert_eq!(code(document(&one_more)), Some("QUERY_TOO_COMPLEX"));

        // F has 3 fields (viewer, role, keyName); spread 33 times: 99 fields; 34 times: 102.
        let fragment = "fragment F on QueryRoot { viewer { role keyName } }";
        let spreads = |n: usize| format!("{{ {} }} {fragment}", "...F ".repeat(n));
        assert_eq!(code(document(&spreads(33))), None);
        assert_eq!(code(document(&spreads(34))), Some("QUERY_TOO_COMPLEX"));
    }

    #[test]
    fn fragment_bombs_are_sized_without_expanding_them() {
        // 30 levels of fragments that spread the next twice: 2^30 fields.
        let mut query = String::from("{ ...F0 }");
        for level in 0..30 {
            query.push_str(&format!(
                " fragment F{level} on Q {{ ...F{next} ...F{next} }}",
                next = level + 1
            ));
        }
        query.push_str(" fragment F30 on Q { a }");
        let error = document(&query).unwrap_err();
        assert_eq!(error.code(), "QUERY_TOO_COMPLEX");
        assert!(
            error.message().contains("selects 1073741824 fields"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn cycles_and_deep_chains_are_refused() {
        for cycle in [
            "{ ...A } fragment A on Q { ...A }",
            "{ ...A } fragment A on Q { b { ...B } } fragment B on Q { ...A }",
        ] {
            assert_eq!(code(document(cycle)), Some("BAD_USER_INPUT"), "{cycle}");
        }
        // A fragment used shallowly first, then deeper than the limit allows.
        let mut query = String::from("{ ...F a");
        query.push_str(&" { a".repeat(30));
        query.push_str(" { ...F }");
        query.push_str(&" }".repeat(30));
        query.push_str(" } fragment F on Q { a { b } }");
        assert_eq!(code(document(&query)), Some("QUERY_TOO_COMPLEX"));
        // Unknown fragments are the engine's to report.
        assert_eq!(code(document("{ ...Nowhere }")), None);
    }

    #[test]
    fn directives_are_limited_everywhere() {
        let many = "@skip(if: false) ".repeat(17);
        let few = "@skip(if: false) ".repeat(16);
        for (template, place) in [
            ("{ a DIRS }", "field a"),
            ("{ ... on Q DIRS { a } }", "an inline fragment"),
            ("{ ...F DIRS } fragment F on Q { a }", "the spread of F"),
            ("{ ...F } fragment F on Q DIRS { a }", "fragment F"),
            ("query DIRS { a }", "the operation"),
            ("query($v: Int DIRS) { a }", "variable $v"),
        ] {
            assert_eq!(
                code(document(&template.replace("DIRS", &few))),
                None,
                "{template}"
            );
            let error = document(&template.replace("DIRS", &many)).unwrap_err();
            assert_eq!(
                error.message(),
                format!("{place} has 17 directives, more than the limit of 16")
            );
        }
    }

    #[test]
    fn long_strings_in_variables_are_refused() {
        let long = "x".repeat(MAX_STRING_BYTES + 1);
        let fine = "x".repeat(MAX_STRING_BYTES);
        let variables = Variables::from_json(serde_json::json!({ "rows": [{ "name": long }] }));
        let error = check_variables(&variables, None).unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert!(error.message().starts_with("variable $rows holds"));
        let key = Variables::from_json(serde_json::json!({ "payload": { long.as_str(): 1 } }));
        assert_eq!(code(check_variables(&key, None)), Some("BAD_USER_INPUT"));
        assert_eq!(
            code(check_variables(&Variables::default(), Some(&long))),
            Some("BAD_USER_INPUT")
        );
        let variables = Variables::from_json(serde_json::json!({ "rows": [{ "name": fine }] }));
        assert_eq!(code(check_variables(&variables, Some("Q"))), None);
    }
}
