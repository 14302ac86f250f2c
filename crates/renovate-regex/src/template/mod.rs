//! Renovate's templates: Handlebars 4.7 (the `handlebars` package Renovate compiles
//! them with) and the helpers Renovate registers, rendered as the Renovate generation
//! the repository runs renders them. Renovate 39 HTML-escapes `{{x}}`; 43.91 and later
//! compile with `noEscape`, and 44 adds `uppercase`, `decodeBase64`, `add` and the
//! `renovateVersion` variable.
//!
//! A template either renders exactly as Renovate renders it, fails where Renovate's
//! throws (the dep is dropped, as Renovate drops it), or is refused as something
//! img-mirror does not reproduce (the runner's environment, partial blocks,
//! decorators): never a different result.

mod eval;
mod helpers;
mod syntax;
mod value;

use std::collections::HashMap;
use std::fmt;

pub use helpers::Helpers;
pub use value::{Value, js_number};

use crate::re2::NodeRe2;

/// Rendered output larger than this is refused (a template is a name or a version).
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Variables visible to a template.
pub type Context = HashMap<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {template:?}: {reason}")]
pub struct TemplateError {
    pub template: String,
    pub reason: String,
    /// True when Renovate's own Handlebars would not fail here and img-mirror cannot
    /// say what it renders; false when Renovate fails too.
    pub unsupported: bool,
}

/// Why rendering stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    reason: String,
    unsupported: bool,
}

impl Failure {
    /// Renovate's template throws here too.
    fn throws(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            unsupported: false,
        }
    }

    /// Renovate renders something img-mirror does not reproduce.
    fn unsupported(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            unsupported: true,
        }
    }
}

/// How one Renovate generation renders templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// `{{x}}` is HTML-escaped (before 43.91).
    pub escape: bool,
    pub helpers: Helpers,
    /// `renovateVersion` in every template's context (44).
    pub renovate_version: Option<&'static str>,
}

impl Dialect {
    /// Renovate 39.264: escaping, its 17 helpers, node-re2 1.21 for `replace`.
    pub const RENOVATE_39: Dialect = Dialect {
        escape: true,
        helpers: Helpers {
            current: false,
            engine: NodeRe2::V1_21,
        },
        renovate_version: None,
    };

    /// Renovate 44.121: `noEscape`, 20 helpers, node-re2 1.26.
    pub const RENOVATE_44: Dialect = Dialect {
        escape: false,
        helpers: Helpers {
            current: true,
            engine: NodeRe2::V1_26,
        },
        renovate_version: Some("44.121.2"),
    };
}

/// A parsed template, ready to render many times.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    program: syntax::Program,
    dialect: Dialect,
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Template {
    /// Parses as `handlebars.parse` does; the error is Handlebars' parse error (Renovate
    /// 44's validator reports it, 39's compile throws it).
    pub fn parse(source: &str, dialect: Dialect) -> Result<Template, TemplateError> {
        let program = syntax::parse(source).map_err(|error| TemplateError {
            template: source.to_string(),
            reason: error.message,
            unsupported: error.unsupported,
        })?;
        Ok(Template {
            source: source.to_string(),
            program,
            dialect,
        })
    }

    /// The output when the template is plain text, whatever the context.
    pub fn constant(&self) -> Option<String> {
        self.program
            .body
            .iter()
            .map(|statement| match statement {
                syntax::Stmt::Content(content) => Some(content.value.as_str()),
                syntax::Stmt::Comment { .. } => Some(""),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.concat())
    }

    /// Renders with `context` as the template's input (`{...input}`, plus
    /// `renovateVersion` where the generation adds it).
    pub fn render(&self, context: &Context) -> Result<String, TemplateError> {
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(context.len() + 2);
        entries.push((value::CONTEXT_MARK.to_string(), Value::Undefined));
        if let Some(version) = self.dialect.renovate_version {
            entries.push(("renovateVersion".into(), Value::str(version)));
        }
        let mut keys: Vec<&String> = context.keys().collect();
        keys.sort();
        for key in keys {
            let value = context[key].clone();
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.clone(), value)),
            }
        }
        let renderer = eval::Renderer {
            helpers: &self.dialect.helpers,
            escape: self.dialect.escape,
        };
        let fail = |failure: Failure| TemplateError {
            template: self.source.clone(),
            reason: failure.reason,
            unsupported: failure.unsupported,
        };
        // Handlebars' template function returns `'' + main(...)`.
        Ok(renderer
            .render(&self.program, Value::Object(entries))
            .map_err(fail)?
            .to_js_string())
    }
}

#[cfg(test)]
mod tests;
