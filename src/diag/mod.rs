//! Findings and how they are shown.
//!
//! A [`Diagnostic`] is one finding about one place (file, line, column, `IMAGES` entry),
//! tagged with a [`Code`] that has a stable identifier, a kebab-case name, a severity
//! and a documentation page. Renderers (human, JSON lines, GitLab Code Quality) turn the
//! same list into text; none of them prints, the CLI does.

mod render;

use std::fmt;
use std::path::{Path, PathBuf};

pub use render::{Sources, render_gitlab, render_human, render_json_lines};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A rule's identity and documentation. Each rule file declares one as a `static`.
#[derive(Debug)]
pub struct Code {
    /// Stable identifier, such as `IM101`.
    pub code: &'static str,
    /// Kebab-case name, such as `unapproved-registry`.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// A failing and a passing example.
    pub example: &'static str,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)
    }
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: &'static Code,
    pub severity: Severity,
    /// The file as the user should see it (relative to where they ran the tool).
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Length in characters of the text to underline from `column` (at least 1).
    pub width: usize,
    /// The `IMAGES` name this finding is about.
    pub entry: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A finding at the code's default severity.
    pub fn new(code: &'static Code, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity,
            path: path.into(),
            line: None,
            column: None,
            width: 1,
            entry: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub fn at_opt(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn width(mut self, width: usize) -> Self {
        self.width = width.max(1);
        self
    }

    pub fn entry(mut self, entry: impl Into<String>) -> Self {
        self.entry = Some(entry.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Error and warning counts, for the summary line and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }
}

/// Sorts findings by file, then line and column, keeping each rule's own order for ties.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line.unwrap_or(0), a.column.unwrap_or(0)).cmp(&(
            &b.path,
            b.line.unwrap_or(0),
            b.column.unwrap_or(0),
        ))
    });
}

/// `repo/name` as a user would type it: `vars.yml` rather than `./vars.yml`.
pub fn display_join(repo: &Path, name: &str) -> PathBuf {
    if repo.as_os_str().is_empty() || repo == Path::new(".") {
        PathBuf::from(name)
    } else {
        repo.join(name)
    }
}
