//! Near misses: places a manager's matchString was written for and gave up on.
//!
//! Renovate says nothing when a matchString fails on a line, and the dependency is never
//! updated again. The text no match of the manager covers is searched once more,
//! following RE2's automaton ([`re2::Attempt`]): for each place a match could have
//! started, how far it got. Only the text between matches is read, so a file where every
//! line matched costs nothing more.
//!
//! Most attempts are noise: `\n  [a-z_]+: ` gets somewhere on every line of a YAML file,
//! and a line without the `# renovate` comment a pattern selects by gets as far as the
//! comment. An attempt is a near miss only when it read two named groups; or one, and
//! then met something else than the pattern wanted before the line ended, or a value
//! the group's class refuses part-way (`7.2` for `\d+\.\d+\.\d+`), or the end of a
//! file without its last newline; or when it broke off inside a literal it had begun
//! (a typo) ([`NearMiss::is_significant`]).

use std::ops::Range;

use super::extract::Extraction;
use super::manager::{Manager, Strategy};
use super::re2::{self, Attempt, Expected, Pattern};

/// A near miss needs this many named groups read...
const GROUPS_ALONE: usize = 2;
/// ...or one, and whole literals of this many characters (white space aside) besides
/// it, and then something unexpected on the line...
const LITERAL_WITH_A_GROUP: u32 = 3;
/// ...or a typo in a literal, after a group or after this many literal characters:
/// `# renovate` is nine.
const LITERAL_BEFORE_A_TYPO: u32 = 8;

/// Where one matchString gave up.
#[derive(Debug, Clone)]
pub struct NearMiss {
    /// Index into the manager's matchStrings.
    pub match_string: usize,
    pub attempt: Attempt,
    /// Named groups read whole, in pattern order, with their text.
    pub captured: Vec<(String, Range<usize>)>,
    /// The innermost named group still being read when it stopped, with what it holds.
    pub inside: Option<(String, Range<usize>)>,
    /// It stopped at the end of a line (or of the file).
    pub at_line_end: bool,
    /// It stopped at the end of a file that does not end its last line, wanting a
    /// newline there.
    pub wants_a_last_newline: bool,
}

impl NearMiss {
    fn of(pattern: &Pattern, match_string: usize, attempt: Attempt, text: &str) -> NearMiss {
        let names: Vec<Option<&str>> = pattern.capture_names().collect();
        let open = |index: usize| attempt.open.contains(&(index as u32));
        let captured = attempt
            .groups
            .iter()
            .enumerate()
            .filter(|(index, _)| !open(*index))
            .filter_map(|(index, range)| {
                let name = (*names.get(index)?)?;
                Some((name.to_string(), range.clone()?))
            })
            .collect();
        let inside = attempt.open.iter().rev().find_map(|&index| {
            let name = (*names.get(index as usize)?)?;
            Some((name.to_string(), attempt.groups[index as usize].clone()?))
        });
        let rest = &text[attempt.stop..];
        let wants_a_last_newline = rest.is_empty()
            && attempt.expected.iter().any(|one| match one {
                Expected::Literal { text, .. } => text.starts_with(['\n', '\r']),
                Expected::Class { ranges, .. } => {
                    ranges.iter().any(|&(lo, hi)| lo <= 10 && 10 <= hi)
                }
                Expected::Assertion(_) => false,
            });
        NearMiss {
            match_string,
            wants_a_last_newline,
            at_line_end: rest.is_empty() || rest.starts_with(['\n', '\r']),
            attempt,
            captured,
            inside,
        }
    }

    /// Whether the attempt got far enough into the pattern to have been meant for this
    /// place: see the module's documentation.
    pub fn is_significant(&self) -> bool {
        let groups = self.captured.iter().filter(|(_, r)| !r.is_empty()).count();
        let attempt = &self.attempt;
        let in_a_value = self
            .inside
            .as_ref()
            .is_some_and(|(_, so_far)| !so_far.is_empty());
        groups >= GROUPS_ALONE
            || (groups >= 1
                && attempt.whole_literal_chars >= LITERAL_WITH_A_GROUP
                && !self.at_line_end)
            || (groups >= 1 && (in_a_value || self.wants_a_last_newline))
            || (attempt.inside_literal
                && (groups >= 1 || attempt.literal_chars >= LITERAL_BEFORE_A_TYPO))
    }

    /// The text from where the attempt started to where it stopped.
    pub fn span(&self) -> Range<usize> {
        self.attempt.start..self.attempt.stop
    }
}

/// Every attempt of `manager` on `text` that no match of it covers, furthest first
/// where two overlap, in file order. `extraction` is the manager's run over `text`.
/// Not only near misses: [`NearMiss::is_significant`] tells those apart.
pub fn attempts(manager: &Manager, extraction: &Extraction, text: &str) -> Vec<NearMiss> {
    if extraction.hit_match_cap || extraction.hit_candidate_cap {
        // Matches past the cap are not in the extraction: the gaps are not gaps.
        return Vec::new();
    }
    let mut found = match manager.strategy {
        Strategy::Any => {
            let mut matched: Vec<Range<usize>> = extraction
                .deps
                .iter()
                .filter_map(|dep| dep.span.clone())
                .chain(extraction.dropped.iter().filter_map(|d| d.span.clone()))
                .collect();
            matched.sort_by_key(|span| span.start);
            let gaps = gaps(&matched, text.len());
            manager
                .regexes
                .iter()
                .enumerate()
                .flat_map(|(index, pattern)| in_gaps(pattern, index, text, &gaps))
                .collect()
        }
        // A string that matches nowhere is fine while the others make the dep.
        Strategy::Combination if extraction.deps.is_empty() => first_failing_string(manager, text),
        Strategy::Combination => Vec::new(),
        Strategy::Recursive => {
            let mut out = Vec::new();
            first_failing_level(manager, text, 0..text.len(), 0, &mut out);
            out
        }
    };
    found.sort_by_key(|miss| (miss.attempt.start, std::cmp::Reverse(miss.attempt.stop)));
    furthest_of_overlapping(found)
}

/// Every attempt of one pattern on `text` that no match of it covers: [`attempts`] for
/// a manager of one matchString.
pub fn of_pattern(pattern: &Pattern, text: &str) -> Vec<NearMiss> {
    let matched: Vec<Range<usize>> = re2::match_all(pattern, text)
        .into_iter()
        .map(|found| found.whole)
        .collect();
    if matched.len() >= re2::MAX_MATCHES {
        return Vec::new();
    }
    in_gaps(pattern, 0, text, &gaps(&matched, text.len()))
}

/// The text between `matched` spans (sorted by start), each gap ending where the next
/// match starts.
fn gaps(matched: &[Range<usize>], len: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    for span in matched {
        if span.start > from {
            out.push(from..span.start);
        }
        from = from.max(span.end);
    }
    if from < len {
        out.push(from..len);
    }
    out
}

fn in_gaps(pattern: &Pattern, index: usize, text: &str, gaps: &[Range<usize>]) -> Vec<NearMiss> {
    pattern
        .attempts(text, gaps)
        .into_iter()
        .map(|attempt| NearMiss::of(pattern, index, attempt, text))
        .collect()
}

/// `combination`: every matchString runs over the whole file; the first that matches
/// nowhere is the one to explain.
fn first_failing_string(manager: &Manager, text: &str) -> Vec<NearMiss> {
    for (index, pattern) in manager.regexes.iter().enumerate() {
        if !pattern.is_match(text) {
            return in_gaps(pattern, index, text, std::slice::from_ref(&(0..text.len())));
        }
    }
    Vec::new()
}

/// `recursive`: each matchString runs inside each match of the one before; where one
/// finds nothing inside its parent's match, it is the one to explain there.
fn first_failing_level(
    manager: &Manager,
    text: &str,
    region: Range<usize>,
    level: usize,
    out: &mut Vec<NearMiss>,
) {
    let Some(pattern) = manager.regexes.get(level) else {
        return;
    };
    let inside = &text[region.clone()];
    let found = re2::match_all(pattern, inside);
    if found.is_empty() {
        // The parent's match is the whole text this level sees.
        let attempts = pattern.attempts(inside, std::slice::from_ref(&(0..inside.len())));
        out.extend(attempts.into_iter().map(|mut attempt| {
            shift(&mut attempt, region.start);
            NearMiss::of(pattern, level, attempt, text)
        }));
        return;
    }
    if found.len() >= re2::MAX_MATCHES {
        return;
    }
    for one in found {
        let whole = region.start + one.whole.start..region.start + one.whole.end;
        first_failing_level(manager, text, whole, level + 1, out);
    }
}

fn shift(attempt: &mut Attempt, by: usize) {
    attempt.start += by;
    attempt.stop += by;
    attempt.shown_at += by;
    for range in attempt.groups.iter_mut().flatten() {
        *range = range.start + by..range.end + by;
    }
}

/// Of attempts that overlap (sorted by start), the one that got furthest.
fn furthest_of_overlapping(sorted: Vec<NearMiss>) -> Vec<NearMiss> {
    let mut out: Vec<NearMiss> = Vec::with_capacity(sorted.len());
    for miss in sorted {
        match out.last_mut() {
            Some(last) if miss.attempt.start < last.attempt.stop.max(last.attempt.start + 1) => {
                let further = (miss.is_significant(), miss.attempt.stop)
                    > (last.is_significant(), last.attempt.stop);
                if further {
                    *last = miss;
                }
            }
            _ => out.push(miss),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ManagerConfig;

    fn manager(strings: &[&str], strategy: &str) -> Manager {
        let json = serde_json::json!({
            "customType": "regex",
            "fileMatch": ["."],
            "matchStrings": strings,
            "matchStringsStrategy": strategy,
            "datasourceTemplate": "docker",
        });
        Manager::compile(&ManagerConfig::for_test(json)).expect("compiles")
    }

    fn near_misses(manager: &Manager, text: &str) -> Vec<NearMiss> {
        let extraction = crate::extract::extract(manager, text, "file");
        attempts(manager, &extraction, text)
            .into_iter()
            .filter(NearMiss::is_significant)
            .collect()
    }

    const DEPLOYMENT: &str = r"\n  [A-Za-z_][A-Za-z0-9_]*: (?:quay\.io/cki/mirror/)?(?<depName>[a-z0-9][^\s:@]*):(?<currentValue>[A-Za-z0-9_][A-Za-z0-9_.-]*)@(?<currentDigest>sha256:[a-f0-9]{64})";

    #[test]
    fn a_missing_digest_is_a_near_miss_and_other_sections_are_not() {
        let digest = "a".repeat(64);
        let text = format!(
            "---\nSETTINGS:\n  url: https://example.com/a/b\n  enabled: true\n  owner: someone@example.com\n  schedule: \"0 3 * * *\"\n  cron: 0 3 * * *\n  path: /var/lib/x\n  relative: var/lib/x\nIMAGES:\n  good: nginx:1.27@sha256:{digest}\n  bad: nginx:1.27\n  after: nginx:1.28@sha256:{digest}\n"
        );
        let manager = manager(&[DEPLOYMENT], "any");
        let found = near_misses(&manager, &text);
        assert_eq!(found.len(), 1, "{found:#?}");
        let miss = &found[0];
        let stop = text.find("1.27\n").unwrap() + 4;
        assert_eq!(miss.attempt.stop, stop);
        let names: Vec<&str> = miss.captured.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["depName", "currentValue"]);
    }

    #[test]
    fn a_suffix_the_tags_class_refuses_is_a_near_miss() {
        let manager = manager(
            &[r"FROM (?<depName>[^:\s]+):(?<currentValue>[0-9.]+)\n"],
            "any",
        );
        let text = "FROM node:20.11-alpine\nFROM node:20.12\n";
        let found = near_misses(&manager, text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].attempt.stop, text.find('-').unwrap());
        let read: Vec<(&str, &str)> = found[0]
            .captured
            .iter()
            .map(|(name, range)| (name.as_str(), &text[range.clone()]))
            .collect();
        assert_eq!(read, [("depName", "node"), ("currentValue", "20.11")]);
    }

    #[test]
    fn combination_explains_the_first_string_that_matches_nowhere() {
        let manager = manager(
            &[
                r"name: (?<depName>\S+)",
                r"version: v(?<currentValue>\S+)\n",
            ],
            "combination",
        );
        let text = "name: foo\nversion: 1.2.3\n";
        let found = near_misses(&manager, text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].match_string, 1);
        assert_eq!(found[0].attempt.stop, text.find("1.2.3").unwrap());
        assert!(near_misses(&manager, "name: foo\nversion: v1.2.3\n").is_empty());
    }

    #[test]
    fn recursive_explains_the_level_that_finds_nothing_in_its_parent() {
        let manager = manager(
            &[
                r"services:\n(?:  .*\n)+",
                r"image: (?<depName>[^:\s]+):(?<currentValue>[^@\s]+)@(?<currentDigest>sha256:\w+)",
            ],
            "recursive",
        );
        let text = "services:\n  image: nginx:1.2\n";
        let found = near_misses(&manager, text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].match_string, 1);
        assert_eq!(found[0].attempt.stop, text.find("1.2").unwrap() + 3);
    }
}
