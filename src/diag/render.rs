//! Renderers: one function per output format, all over the same diagnostics.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Diagnostic, Severity, Summary};

/// The text of each file diagnostics point into, for showing source lines.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    texts: HashMap<PathBuf, Arc<str>>,
}

impl Sources {
    /// `text` may be the `Arc` the check already holds: a 10,000-entry file is not
    /// copied again to be shown.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) {
        self.texts.insert(path.into(), text.into());
    }

    fn line(&self, path: &Path, number: usize) -> Option<&str> {
        let text = self.texts.get(path)?;
        let line = text.split('\n').nth(number.checked_sub(1)?)?;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, severity.as_str())
    }
}

/// `severity[CODE] name: message`, the location, the source line with a marker, help.
pub fn render_human(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let palette = Palette { color };
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(
            out,
            "{}{} {}: {}",
            palette.severity(d.severity),
            palette.paint("1", &format!("[{}]", d.code.code)),
            d.code.name,
            palette.paint("1", &d.message)
        );
        let location = match (d.line, d.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", d.path.display()),
            (Some(line), None) => format!("{}:{line}", d.path.display()),
            _ => d.path.display().to_string(),
        };
        let source = d
            .line
            .and_then(|line| sources.line(&d.path, line).map(|s| (line, s)));
        let gutter = source.map_or(1, |(line, _)| line.to_string().len());
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}{} {location}", palette.paint("1;34", "-->"));
        if let Some((line, text)) = source {
            let bar = palette.paint("1;34", "|");
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                palette.paint("1;34", &line.to_string()),
                expand_tabs(text)
            );
            if let Some(column) = d.column {
                let lead: String = text
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(|c| {
                        if c == '\t' {
                            "    ".to_string()
                        } else {
                            " ".to_string()
                        }
                    })
                    .collect();
                let marker = "^".repeat(d.width.max(1));
                let marker = match d.severity {
                    Severity::Error => palette.paint("1;31", &marker),
                    Severity::Warning => palette.paint("1;33", &marker),
                    Severity::Info => palette.paint("1;36", &marker),
                };
                let _ = writeln!(out, "{pad} {bar} {lead}{marker}");
            }
        }
        if let Some(help) = &d.help {
            let _ = writeln!(
                out,
                "{pad} {} {}",
                palette.paint("1;34", "="),
                format_args!("help: {help}")
            );
        }
        out.push('\n');
    }
    let summary = Summary::of(diagnostics);
    let _ = writeln!(
        out,
        "{}: {} {}, {} {}",
        if summary.errors > 0 {
            palette.severity(Severity::Error)
        } else {
            palette.paint("1;32", "ok")
        },
        summary.errors,
        plural(summary.errors, "error", "errors"),
        summary.warnings,
        plural(summary.warnings, "warning", "warnings"),
    );
    out
}

fn expand_tabs(text: &str) -> String {
    text.replace('\t', "    ")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// One JSON object per line, then a summary object.
pub fn render_json_lines(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let object = json!({
            "type": "diagnostic",
            "severity": d.severity.as_str(),
            "code": d.code.code,
            "name": d.code.name,
            "path": slash_path(&d.path),
            "line": d.line,
            "column": d.column,
            "entry": d.entry,
            "message": d.message,
            "help": d.help,
        });
        let _ = writeln!(out, "{object}");
    }
    let summary = Summary::of(diagnostics);
    let _ = writeln!(
        out,
        "{}",
        json!({"type": "summary", "errors": summary.errors, "warnings": summary.warnings})
    );
    out
}

/// A GitLab Code Quality report: a JSON array, paths relative to `project_dir` when
/// given (GitLab's `CI_PROJECT_DIR`), fingerprints that survive line moves.
pub fn render_gitlab(diagnostics: &[Diagnostic], project_dir: Option<&Path>) -> String {
    let issues: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let path = project_relative(&d.path, project_dir);
            json!({
                "description": format!("{} {}: {}", d.code.code, d.code.name, d.message),
                "check_name": d.code.name,
                "fingerprint": fingerprint(d, &path),
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": {"path": path, "lines": {"begin": d.line.unwrap_or(1)}},
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

/// sha256 over what identifies a finding, but not its line: moving a block of the file
/// must not make GitLab see old findings as fixed and new ones as introduced.
fn fingerprint(d: &Diagnostic, path: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        d.code.code,
        path,
        d.entry.as_deref().unwrap_or(""),
        &d.message,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn project_relative(path: &Path, project_dir: Option<&Path>) -> String {
    if let Some(dir) = project_dir
        && let (Ok(absolute), Ok(dir)) = (std::path::absolute(path), std::path::absolute(dir))
        && let Ok(relative) = absolute.strip_prefix(&dir)
    {
        return slash_path(relative);
    }
    slash_path(path)
}

/// A path as text with `/` separators and no leading `./`.
pub(crate) fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    static TEST_CODE: Code = Code {
        code: "IM999",
        name: "test-rule",
        severity: Severity::Error,
        summary: "",
        why: "",
        example: "",
    };

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::default();
        sources.add("vars.yml", "IMAGES:\r\n  a: nginx:1\r\n");
        let d = Diagnostic::new(&TEST_CODE, "vars.yml", "bad")
            .at(2, 6)
            .width(5)
            .entry("a")
            .help("fix it");
        (vec![d], sources)
    }

    #[test]
    fn human_shows_the_source_line_and_marker_without_color() {
        let (d, sources) = sample();
        let text = render_human(&d, &sources, false);
        assert_eq!(
            text,
            "error[IM999] test-rule: bad\n --> vars.yml:2:6\n  |\n2 |   a: nginx:1\n  |      ^^^^^\n  = help: fix it\n\nerror: 1 error, 0 warnings\n"
        );
        assert!(render_human(&d, &sources, true).contains("\x1b["));
    }

    #[test]
    fn json_lines_end_with_a_summary() {
        let (d, _) = sample();
        let text = render_json_lines(&d);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["code"], "IM999");
        assert_eq!(lines[0]["entry"], "a");
        assert_eq!(lines[0]["line"], 2);
        assert_eq!(
            lines[1],
            json!({"type": "summary", "errors": 1, "warnings": 0})
        );
    }

    #[test]
    fn gitlab_fingerprints_ignore_lines_and_paths_are_project_relative() {
        let (mut d, _) = sample();
        d[0].path = PathBuf::from("/proj/sub/vars.yml");
        let a: serde_json::Value =
            serde_json::from_str(&render_gitlab(&d, Some(Path::new("/proj")))).unwrap();
        d[0].line = Some(40);
        let b: serde_json::Value =
            serde_json::from_str(&render_gitlab(&d, Some(Path::new("/proj")))).unwrap();
        assert_eq!(a[0]["fingerprint"], b[0]["fingerprint"]);
        assert_eq!(a[0]["fingerprint"].as_str().unwrap().len(), 64);
        assert_eq!(a[0]["location"]["path"], "sub/vars.yml");
        assert_eq!(b[0]["location"]["lines"]["begin"], 40);
        assert_eq!(a[0]["severity"], "major");
    }
}
