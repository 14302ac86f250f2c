//! IM218 near-miss: a matchString got far into a line, then gave up, and no match of the
//! manager covers the place.

use std::fmt::Write;
use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::lint::renovate::coverage::{LineIndex, lines_of};
use crate::renovate::near_miss::NearMiss;
use crate::renovate::re2::{Assertion, Expected};

pub static CODE: Code = Code {
    code: "IM218",
    name: "near-miss",
    severity: Severity::Warning,
    summary: "A regex manager's matchString read far into a place and then stopped (after two \
              named groups; after one, at something else than it wanted before the line \
              ended, in a value its class refuses, or at a last line without its newline; or \
              inside a literal it had begun), and no match of the same manager covers it. The \
              finding says what it had read, where it stopped, what it expected and found.",
    why: "Renovate says nothing when a matchString fails on a line: the dependency written \
          there is never updated again. A one-character slip (`depname=` for `depName=`, `ENV` \
          for `ARG`, a tag without the `v` the pattern wants, a missing `@sha256:` digest) is \
          the usual cause. Suppress it on the line with `# img-mirror: ignore IM218` when the \
          line is not meant for the manager (an example in a README).",
    example: "Warns:  `# renovate: datasource=github-releases depname=foo/bar` with a matchString \
              that says `depName=`\nPasses: `# renovate: datasource=github-releases depName=foo/bar`",
};

/// Longest value or found text shown before it is cut.
const SHOWN_CHARS: usize = 40;

/// In the vars file: near misses outside `IMAGES` (an entry the manager misses is IM205's,
/// which carries the same explanation).
pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    let text = &ctx.vars.text;
    for (run, miss) in ctx.attempts() {
        let manager = &ctx.view.runs[*run].manager;
        if manager.from_preset || !miss.is_significant() {
            continue;
        }
        if !on_an_entry(ctx, miss.attempt.stop) {
            out.push(diagnostic(
                miss,
                &manager.key_path,
                text,
                ctx.lines(),
                ctx.vars_path,
            ));
        }
    }
}

/// Whether `stop` lies on the lines of an `IMAGES` entry. Entries are in file order.
fn on_an_entry(ctx: &RenovateContext<'_>, stop: usize) -> bool {
    let text = &ctx.vars.text;
    let entries = &ctx.coverage.entries;
    let line_start = text[..stop].rfind('\n').map_or(0, |i| i + 1);
    let first = entries.partition_point(|entry| entry.region.end < line_start);
    entries[first..]
        .iter()
        .take_while(|entry| entry.region.start <= stop + 1)
        .any(|entry| {
            let lines = lines_of(text, &entry.region);
            lines.start <= stop && stop <= lines.end
        })
}

/// The finding for one near miss in `text`, the file shown as `shown`.
pub fn diagnostic(
    miss: &NearMiss,
    key_path: &str,
    text: &str,
    lines: &LineIndex,
    shown: &Path,
) -> Diagnostic {
    let (line, column) = lines.position(text, miss.attempt.shown_at);
    Diagnostic::new(&CODE, shown, explanation(miss, key_path, text, lines))
        .at(line, column)
        .width(found(miss, text).chars().count().max(1))
        .help(
            "fix the line or widen the pattern; `# img-mirror: ignore IM218` on the line if it is not meant for the manager",
        )
}

/// ``customManagers[0].matchStrings[0] read `datasource` = `github-releases`, then
/// stopped at line 4, column 40: expected `depName=`, found `depname=` ``
pub fn explanation(miss: &NearMiss, key_path: &str, text: &str, lines: &LineIndex) -> String {
    let (line, column) = lines.position(text, miss.attempt.shown_at);
    let mut out = format!("{key_path}.matchStrings[{}] ", miss.match_string);
    if miss.captured.is_empty() {
        out.push_str("got as far as");
    } else {
        out.push_str("read ");
        let read: Vec<String> = miss
            .captured
            .iter()
            .map(|(name, range)| format!("`{name}` = {}", quoted(&text[range.clone()])))
            .collect();
        out.push_str(&read.join(", "));
        out.push_str(", then stopped at");
    }
    let _ = write!(out, " line {line}, column {column}");
    if let Some((name, range)) = &miss.inside {
        let _ = write!(
            out,
            " in `{name}` (so far {})",
            quoted(&text[range.clone()])
        );
    }
    let _ = write!(
        out,
        ": expected {}, found {}",
        expected(miss),
        shown_found(miss, text)
    );
    out
}

fn expected(miss: &NearMiss) -> String {
    let all = &miss.attempt.expected;
    // `.*` waiting for more says nothing once anything else was expected there.
    let informative = |one: &&Expected| match one {
        Expected::Class { ranges, .. } => !matches!(class(ranges).as_str(), "." | "[\\s\\S]"),
        _ => true,
    };
    let mut ordered: Vec<&Expected> = if all.iter().any(|one| informative(&one)) {
        all.iter().filter(informative).collect()
    } else {
        all.iter().collect()
    };
    ordered.sort_by_key(|one| match one {
        Expected::Literal { .. } => 0,
        Expected::Class { .. } => 1,
        Expected::Assertion(_) => 2,
    });
    let mut shown: Vec<String> = Vec::new();
    for rendered in ordered.into_iter().map(|one| match one {
        Expected::Literal { text, .. } => quoted(text),
        Expected::Class { ranges, .. } => format!("one of `{}`", class(ranges)),
        Expected::Assertion(assertion) => match assertion {
            Assertion::BeginText => "the start of the file",
            Assertion::EndText => "the end of the file",
            Assertion::BeginLine => "the start of a line",
            Assertion::EndLine => "the end of the line",
            Assertion::WordBoundary => "a word boundary",
            Assertion::NoWordBoundary => "no word boundary",
        }
        .to_string(),
    }) {
        if !shown.contains(&rendered) {
            shown.push(rendered);
        }
    }
    match shown.as_slice() {
        [] => "more".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What stood where it stopped: as many characters as the literal it expected, else
/// the word there.
fn found(miss: &NearMiss, text: &str) -> String {
    let rest = &text[miss.attempt.shown_at..];
    let line = rest.split(['\n', '\r']).next().unwrap_or("");
    let wanted = miss.attempt.expected.iter().find_map(|one| match one {
        Expected::Literal { text, .. } => Some(text.chars().count()),
        _ => None,
    });
    let taken: String = match wanted {
        Some(count) => line.chars().take(count).collect(),
        None => line
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(SHOWN_CHARS)
            .collect(),
    };
    if taken.is_empty() {
        line.chars().take(1).collect()
    } else {
        taken
    }
}

fn shown_found(miss: &NearMiss, text: &str) -> String {
    let rest = &text[miss.attempt.shown_at..];
    if rest.is_empty() {
        return "the end of the file".to_string();
    }
    if rest.starts_with('\n') || rest.starts_with("\r\n") {
        return "the end of the line".to_string();
    }
    quoted(&found(miss, text))
}

/// A value in backticks, control characters escaped and long values cut.
fn quoted(value: &str) -> String {
    let mut shown = String::new();
    for (count, c) in value.chars().enumerate() {
        if count == SHOWN_CHARS {
            shown.push('…');
            break;
        }
        shown.push_str(&escaped(c));
    }
    format!("`{shown}`")
}

fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c if c.is_control() => format!("\\x{{{:X}}}", c as u32),
        c => c.to_string(),
    }
}

/// A class as a pattern author would write it: `\s`, `\d`, `.`, `[^:@]`, `[a-f0-9]`.
fn class(ranges: &[(u32, u32)]) -> String {
    const MAX: u32 = 0x10FFFF;
    let named: &[(&[(u32, u32)], &str)] = &[
        (&[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)], "\\s"),
        (&[(0x30, 0x39)], "\\d"),
        (
            &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
            "\\w",
        ),
        (&[(0, 0x09), (0x0B, MAX)], "."),
        (&[(0, MAX)], "[\\s\\S]"),
    ];
    for (set, name) in named {
        if ranges == *set {
            return (*name).to_string();
        }
        if ranges == crate::renovate::re2::negate(set).as_slice() && name.starts_with('\\') {
            return name.to_uppercase();
        }
    }
    let negated =
        ranges.first().is_some_and(|r| r.0 == 0) && ranges.last().is_some_and(|r| r.1 == MAX);
    let (shown, prefix) = if negated {
        (crate::renovate::re2::negate(ranges), "^")
    } else {
        (ranges.to_vec(), "")
    };
    let mut out = format!("[{prefix}");
    for (lo, hi) in shown {
        let one = |c: u32| match char::from_u32(c) {
            Some(c @ ('\\' | ']' | '[' | '^' | '-')) => format!("\\{c}"),
            Some(c) if !c.is_control() => c.to_string(),
            _ => format!("\\x{{{c:X}}}"),
        };
        out.push_str(&one(lo));
        if hi > lo {
            if hi > lo + 1 {
                out.push('-');
            }
            out.push_str(&one(hi));
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_shown_as_written() {
        assert_eq!(class(&[(0x30, 0x39)]), "\\d");
        assert_eq!(class(&[(0x2E, 0x2E), (0x30, 0x39)]), "[.0-9]");
        assert_eq!(
            class(&crate::renovate::re2::negate(&[
                (0x09, 0x0A),
                (0x0C, 0x0D),
                (0x20, 0x20)
            ])),
            "\\S"
        );
        assert_eq!(
            class(&crate::renovate::re2::negate(&[(0x3A, 0x3A), (0x40, 0x40)])),
            "[^:@]"
        );
    }
}
