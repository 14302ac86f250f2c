//! Renovate's regular expressions, compiled with the semantics Renovate runs them with.
//!
//! Renovate hands every pattern to RE2 through node-re2, which first rewrites a few
//! JavaScript forms ([`node`]). RE2 then parses it by its own rules ([`parse`]): which
//! braces are repetitions, which escapes exist, what `\\d` or `(?i)` covers. The Rust
//! `regex` crate is RE2-like but not RE2: its braces, escapes, classes, set operations,
//! group names and Unicode tables all differ at the edges. So nothing is left to the
//! crate's reading: the pattern is parsed here exactly as RE2 parses it, refused where
//! RE2 refuses it, and written out for the crate with every class spelled as code-point
//! ranges from RE2's own tables ([`emit`]). The crate only runs the automaton.

mod emit;
mod node;
mod parse;
mod reach;
mod span_groups;
mod tables;
mod unicode;

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

pub use node::NodeRe2;
pub use parse::{Assertion, negate};
pub use reach::{Attempt, Expected};

/// The crate's own limits sit far above RE2's program budget, so that whatever RE2
/// compiles compiles here too; RE2's budget is checked first ([`compile`]).
const SIZE_LIMIT: usize = 512 * 1024 * 1024;
const DFA_SIZE_LIMIT: usize = 64 * 1024 * 1024;
/// Each group of the pattern may become three here (group, repeat, concat).
const NEST_LIMIT: u32 = 4 * parse::MAX_DEPTH as u32 + 16;
/// RE2's instruction budget at node-re2's default `max_mem` (8 MiB, two thirds of it
/// for the forward program, 8 bytes an instruction).
const RE2_MAX_INSTRUCTIONS: u64 = (8 << 20) * 2 / 3 / 8;
/// Renovate's `regexMatchAll` stops after this many matches.
pub const MAX_MATCHES: usize = 10_000;

/// Why a pattern does not compile, in words a config author can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PatternError {
    pub reason: String,
    /// RE2 may accept the pattern, but img-mirror cannot reproduce what it does.
    pub unsupported: bool,
}

impl PatternError {
    pub fn refused(reason: String) -> PatternError {
        PatternError {
            reason,
            unsupported: false,
        }
    }

    fn unsupported(reason: String) -> PatternError {
        PatternError {
            reason,
            unsupported: true,
        }
    }
}

/// A compiled pattern: the automaton, and the names RE2 gave its groups.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
    names: Vec<Option<String>>,
    /// RE2 matches bytes here and img-mirror characters: `\\C`, or an empty match that
    /// `\\B` can put between two bytes of one character.
    matches_bytes: bool,
    can_match_empty: bool,
    byte_classes: std::sync::Arc<OnceLock<ByteClasses>>,
    /// RE2's reading of the pattern, for [`Pattern::attempts`].
    tree: std::sync::Arc<parse::Node>,
    reach: std::sync::Arc<OnceLock<Option<reach::Program>>>,
    /// The groups of a found match over ASCII text, where the tree is covered.
    span_groups: Option<std::sync::Arc<span_groups::SpanGroups>>,
}

impl Pattern {
    /// Group names by group number (group 0, the whole match, has none).
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(|name| name.as_deref())
    }

    /// Whether any group has a name (JavaScript expands `$<name>` only then).
    pub fn has_named_groups(&self) -> bool {
        self.capture_names().any(|name| name.is_some())
    }

    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }

    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    /// The pattern as the config wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Which bytes the automaton tells apart, worked out on first use.
    pub fn byte_classes(&self) -> &ByteClasses {
        self.byte_classes.get_or_init(|| {
            // The automaton the crate runs, compiled again only for its byte classes:
            // the same pattern and syntax options give the same Thompson NFA.
            let nfa = regex_automata::nfa::thompson::NFA::compiler()
                .syntax(regex_automata::util::syntax::Config::new().nest_limit(NEST_LIMIT))
                .configure(
                    regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)),
                )
                .build(self.regex.as_str());
            nfa.map_or_else(|_| ByteClasses::singletons(), |nfa| ByteClasses::of(&nfa))
        })
    }

    /// Where matching gives up in `regions` of `haystack`, start by start: attempts
    /// that match, or take a character past their region, are left out. Nothing for a
    /// pattern that can match the empty string or is too large to follow.
    pub fn attempts(&self, haystack: &str, regions: &[std::ops::Range<usize>]) -> Vec<Attempt> {
        let program = self
            .reach
            .get_or_init(|| reach::Program::compile(&self.tree, self.names.len()));
        program
            .as_ref()
            .map_or_else(Vec::new, |program| program.attempts(haystack, regions))
    }

    pub fn is_match(&self, haystack: &str) -> bool {
        self.regex.is_match(haystack)
    }

    /// The same pattern matched by the `regex` crate alone, without the ASCII program
    /// ([`span_groups`]): what the tests and the fuzzer hold the program to.
    #[doc(hidden)]
    pub fn by_the_crate_alone(&self) -> Pattern {
        Pattern {
            span_groups: None,
            ..self.clone()
        }
    }

    /// Whether matching `haystack` here gives what RE2 gives: RE2 searches bytes, so `\\C`
    /// takes one byte and an empty `\\B` match can fall between the bytes of a character,
    /// where img-mirror only ever sees whole characters. They differ only beyond ASCII.
    pub fn reproducible_on(&self, haystack: &str) -> bool {
        !self.matches_bytes || haystack.is_ascii()
    }
}

/// Compiles a JavaScript-syntax pattern as `new RE2(pattern, flags)` does in the given
/// node-re2 (flags `g`, plus `i` for managerFilePatterns' `/.../i`).
pub fn compile(
    pattern: &str,
    case_insensitive: bool,
    engine: NodeRe2,
) -> Result<Pattern, PatternError> {
    type Key = (String, bool, NodeRe2);
    static COMPILED: crate::memo::Memo<Key, Result<Pattern, PatternError>> =
        crate::memo::Memo::new();
    COMPILED.get((pattern.to_string(), case_insensitive, engine), || {
        compile_uncached(pattern, case_insensitive, engine)
    })
}

fn compile_uncached(
    pattern: &str,
    case_insensitive: bool,
    engine: NodeRe2,
) -> Result<Pattern, PatternError> {
    let rewritten = node::translate(pattern, engine).map_err(|unsupported| {
        PatternError::unsupported(format!(
            "node-re2 expands `{}` from its own Unicode tables, which img-mirror does not carry",
            unsupported.property
        ))
    })?;
    let parsed = parse::parse(&rewritten, parse::Flags::initial(case_insensitive)).map_err(
        |error| match error.code {
            parse::ErrorCode::TooDeep => PatternError::unsupported(format!(
                "groups nested more than {} deep; RE2 takes them, img-mirror does not follow them",
                parse::MAX_DEPTH
            )),
            _ => PatternError::refused(error.to_string()),
        },
    )?;
    let mut seen = std::collections::HashSet::new();
    if parsed.names.iter().flatten().any(|name| !seen.insert(name)) {
        return Err(PatternError::refused("duplicate capture group name".into()));
    }
    let (fewest, most) = emit::instruction_bounds(&parsed.node);
    if fewest > RE2_MAX_INSTRUCTIONS {
        return Err(PatternError::refused(
            "pattern too large - compile failed".into(),
        ));
    }
    if most > RE2_MAX_INSTRUCTIONS {
        return Err(PatternError::unsupported(
            "the pattern is close to RE2's size limit, and img-mirror cannot tell whether RE2 compiles it".into(),
        ));
    }
    let regex = RegexBuilder::new(&emit::to_rust(&parsed.node))
        .nest_limit(NEST_LIMIT)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => PatternError::unsupported(format!(
                "RE2 compiles the pattern, but it needs more than {limit} bytes here"
            )),
            other => PatternError::unsupported(format!("internal error: {other}")),
        })?;
    let can_match_empty = emit::nullable(&parsed.node);
    let span_groups =
        span_groups::SpanGroups::compile(&parsed.node, parsed.names.len()).map(std::sync::Arc::new);
    Ok(Pattern {
        source: pattern.to_string(),
        regex,
        matches_bytes: emit::uses_any_byte(&parsed.node)
            || (can_match_empty && emit::uses_no_word_boundary(&parsed.node)),
        can_match_empty,
        names: parsed.names,
        byte_classes: Default::default(),
        tree: std::sync::Arc::new(parsed.node),
        reach: Default::default(),
        span_groups,
    })
}

/// A partition of the bytes such that two bytes of one class are interchangeable: the
/// automaton's every transition, and every look-around (`^`, `$`, `\b`), treats them
/// alike. So a haystack with bytes swapped within their classes, at the same places,
/// has exactly the same matches and captures, at the same offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteClasses([u8; 256]);

impl ByteClasses {
    /// Every byte alone: nothing is interchangeable.
    pub fn singletons() -> ByteClasses {
        ByteClasses(std::array::from_fn(|byte| byte as u8))
    }

    /// The bytes every state of `nfa` treats alike: for each state, bytes that take the
    /// same transition. regex-automata's own classes are ranges of adjacent bytes (so
    /// `1` and `3` differ when `2` is singled out); these are not. Look-around, which
    /// the states do not show, keeps regex-automata's classes, which account for it.
    fn of(nfa: &regex_automata::nfa::thompson::NFA) -> ByteClasses {
        use regex_automata::nfa::thompson::State;
        let mut classes = ByteClasses([0; 256]);
        // A state splits the bytes by which of its ranges takes them, whatever states
        // they lead to: states with the same ranges split alike. A bounded repetition
        // (`[^\s:@]{0,255}`) repeats the same few hundred times, so each distinct list
        // of ranges refines once.
        let mut seen: std::collections::HashSet<Vec<(u8, u8)>> = Default::default();
        for state in nfa.states() {
            let ranges: Vec<(u8, u8)> = match state {
                State::ByteRange { trans } => vec![(trans.start, trans.end)],
                State::Sparse(sparse) => sparse
                    .transitions
                    .iter()
                    .map(|t| (t.start, t.end))
                    .collect(),
                State::Dense(dense) => {
                    classes.refine(|b| dense.transitions[usize::from(b)].as_u32());
                    continue;
                }
                _ => continue,
            };
            if seen.insert(ranges.clone()) {
                classes.refine(|b| {
                    ranges
                        .iter()
                        .position(|&(start, end)| (start..=end).contains(&b))
                        .map_or(0, |at| at as u32 + 1)
                });
            }
        }
        if !nfa.look_set_any().is_empty() {
            let adjacent = nfa.byte_classes();
            classes.refine(|b| u32::from(adjacent.get(b)));
        }
        classes
    }

    /// Splits every class by `component`: bytes stay alike only where it agrees.
    fn refine(&mut self, component: impl Fn(u8) -> u32) {
        let mut ids: std::collections::HashMap<(u8, u32), u8> = Default::default();
        for byte in 0..=255u8 {
            let key = (self.0[usize::from(byte)], component(byte));
            // At most 256 bytes, so at most 256 classes.
            let next = ids.len() as u8;
            self.0[usize::from(byte)] = *ids.entry(key).or_insert(next);
        }
    }

    /// The classes of several automata at once: bytes alike in every one of them.
    pub fn common<'a>(all: impl IntoIterator<Item = &'a ByteClasses>) -> ByteClasses {
        let mut classes = ByteClasses([0; 256]);
        for other in all {
            classes.refine(|byte| u32::from(other.0[usize::from(byte)]));
        }
        classes
    }

    pub fn alike(&self, a: u8, b: u8) -> bool {
        self.0[a as usize] == self.0[b as usize]
    }

    /// Whether `new` is `old` with bytes swapped only within their classes.
    pub fn interchangeable(&self, old: &[u8], new: &[u8]) -> bool {
        old.len() == new.len() && old.iter().zip(new).all(|(&a, &b)| self.alike(a, b))
    }
}

/// One match: the whole match's byte range and each group's, by group index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub whole: std::ops::Range<usize>,
    /// Every group's span, group 0 included. A check holds 10,000 matches at once, so
    /// the offsets are `u32`: a haystack is under 4 GiB ([`match_all`]).
    groups: Box<[GroupSpan]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GroupSpan {
    start: u32,
    end: u32,
}

impl GroupSpan {
    /// A group that did not participate.
    const ABSENT: GroupSpan = GroupSpan {
        start: u32::MAX,
        end: u32::MAX,
    };

    fn of(range: Option<std::ops::Range<usize>>) -> GroupSpan {
        range.map_or(GroupSpan::ABSENT, |range| GroupSpan {
            start: range.start as u32,
            end: range.end as u32,
        })
    }

    fn range(self) -> Option<std::ops::Range<usize>> {
        (self != GroupSpan::ABSENT).then_some(self.start as usize..self.end as usize)
    }
}

impl Match {
    /// The match the ASCII program found last.
    fn of_groups(scratch: &span_groups::Scratch) -> Match {
        let groups: Box<[GroupSpan]> = scratch.groups().map(GroupSpan::of).collect();
        Match {
            whole: groups[0].range().expect("group 0 always participates"),
            groups,
        }
    }

    fn of(captures: &regex::Captures<'_>) -> Match {
        Match {
            whole: captures
                .get(0)
                .expect("group 0 always participates")
                .range(),
            groups: captures
                .iter()
                .map(|g| GroupSpan::of(g.map(|m| m.range())))
                .collect(),
        }
    }

    /// The byte range of group `index`, `None` when it did not participate.
    pub fn group_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        self.groups.get(index)?.range()
    }

    /// Every group's byte range, by group index (group 0, the whole match, first).
    pub fn group_ranges(&self) -> impl Iterator<Item = Option<std::ops::Range<usize>>> + '_ {
        self.groups.iter().map(|span| span.range())
    }

    /// The text of the named group, `None` when it did not participate.
    pub fn group<'h>(&self, pattern: &Pattern, name: &str, haystack: &'h str) -> Option<&'h str> {
        let range = self.group_range(pattern.group_index(name)?)?;
        Some(&haystack[range])
    }
}

/// Offsets are kept as `u32` ([`Match`]); Renovate's own strings are far shorter.
fn assert_searchable(haystack: &str) {
    assert!(
        haystack.len() < u32::MAX as usize,
        "a haystack of {} bytes: only haystacks under 4 GiB are searched",
        haystack.len()
    );
}

/// All matches the way Renovate's `regexMatchAll` loops `exec` with the `g` flag: each
/// search starts where the last match ended, an empty match does not advance (so it
/// repeats until the cap), and at most [`MAX_MATCHES`] are returned.
///
/// Panics on a haystack of 4 GiB or more.
pub fn match_all(pattern: &Pattern, haystack: &str) -> Vec<Match> {
    assert_searchable(haystack);
    if !pattern.can_match_empty {
        return if haystack.len() >= SPLIT_AT_LEAST {
            non_empty_matches_on_two_cores(pattern, haystack)
        } else {
            non_empty_matches_from(pattern, haystack, 0, MAX_MATCHES)
        };
    }
    let regex = &pattern.regex;
    let mut matches = Vec::new();
    let mut start = 0;
    while matches.len() < MAX_MATCHES {
        let Some(captures) = regex.captures_at(haystack, start) else {
            break;
        };
        let found = Match::of(&captures);
        start = found.whole.end;
        let empty = found.whole.is_empty();
        matches.push(found);
        if empty {
            // node-re2 leaves lastIndex where it was: every further exec finds this
            // same empty match. Repeat it instead of searching 10,000 times.
            let repeat = matches.last().cloned().expect("just pushed");
            matches.resize(MAX_MATCHES, repeat);
        }
    }
    matches
}

/// The match the exec loop finds when it searches from `start`, for a pattern that
/// cannot match the empty string (`None` for one that can: its loop does not advance).
pub fn match_from(pattern: &Pattern, haystack: &str, start: usize) -> Option<Match> {
    assert_searchable(haystack);
    if pattern.can_match_empty {
        return None;
    }
    non_empty_matches_from(pattern, haystack, start, 1).pop()
}

/// Haystacks from this size are searched from two places at once.
const SPLIT_AT_LEAST: usize = 256 * 1024;

/// Without empty matches, the exec loop is "search again where the last match ended"
/// and regex's iterator is exactly that. At most `limit` matches.
fn non_empty_matches_from(
    pattern: &Pattern,
    haystack: &str,
    start: usize,
    limit: usize,
) -> Vec<Match> {
    non_empty_matches_until(pattern, haystack, start, limit, usize::MAX).0
}

/// The exec loop from `start` until `limit` matches or a match that ends at or past
/// `stop`; also where the next search would start (`None`: no match is left).
fn non_empty_matches_until(
    pattern: &Pattern,
    haystack: &str,
    start: usize,
    limit: usize,
    stop: usize,
) -> (Vec<Match>, Option<usize>) {
    let regex = &pattern.regex;
    let mut matches = Vec::new();
    let mut locations = regex.capture_locations();
    let mut scratch = span_groups::Scratch::default();
    let mut at = Some(start);
    // The program finds matches itself where a pattern starts with one of a few ASCII
    // bytes, within a budget for the whole loop; once that is spent, the crate's DFAs
    // find them for the rest.
    let finder = pattern
        .span_groups
        .as_deref()
        .filter(|program| program.can_find());
    let mut budget = finder.map_or(0, |program| {
        program.search_budget(haystack.len().saturating_sub(start))
    });
    while let Some(position) = at
        && matches.len() < limit
        && position < stop
    {
        let found_here = match finder {
            Some(program) if budget > 0 => program
                .find_at(haystack, position, &mut budget, &mut scratch)
                .ok(),
            _ => None,
        };
        let found = match found_here {
            Some(found) => found.then(|| Match::of_groups(&scratch)),
            None => crates_match_at(pattern, &mut locations, &mut scratch, haystack, position),
        };
        at = found.as_ref().map(|m| m.whole.end);
        matches.extend(found);
    }
    (matches, at)
}

/// The match from `position` as the crate finds it: its span by its DFAs, the groups
/// by the ASCII program where it covers them, else by the crate's backtracker.
fn crates_match_at(
    pattern: &Pattern,
    locations: &mut regex::CaptureLocations,
    scratch: &mut span_groups::Scratch,
    haystack: &str,
    position: usize,
) -> Option<Match> {
    let regex = &pattern.regex;
    let mut captured = |from: usize| {
        let whole = regex.captures_read_at(locations, haystack, from)?;
        let groups = (0..locations.len())
            .map(|group| locations.get(group).map(|(start, end)| start..end))
            .collect::<Vec<_>>();
        Some((whole.range(), groups))
    };
    let (whole, groups) = match &pattern.span_groups {
        Some(program) => {
            let whole = regex.find_at(haystack, position)?.range();
            if program.groups(haystack, whole.clone(), scratch) {
                return Some(Match::of_groups(scratch));
            }
            let groups = captured(whole.start)
                .expect("the span found matches again from its start")
                .1;
            (whole, groups)
        }
        None => captured(position)?,
    };
    Some(Match {
        whole,
        groups: groups.into_iter().map(GroupSpan::of).collect(),
    })
}

/// The same matches as [`non_empty_matches_from`] from 0, found by two threads: one
/// from the middle of the haystack, one from the start until it reaches a place the
/// first one also searched from. A search's result depends only on where it starts
/// (the whole haystack stays visible to look-around), so from that place on both
/// sequences are the same match for match.
fn non_empty_matches_on_two_cores(pattern: &Pattern, haystack: &str) -> Vec<Match> {
    let mut middle = haystack.len() / 2;
    while !haystack.is_char_boundary(middle) {
        middle += 1;
    }
    let ((mut matches, mut at), mut from_middle) = std::thread::scope(|scope| {
        let second_half =
            scope.spawn(|| non_empty_matches_from(pattern, haystack, middle, MAX_MATCHES));
        let first_half = non_empty_matches_until(pattern, haystack, 0, MAX_MATCHES, middle);
        let from_middle = second_half.join().expect("matching does not panic");
        (first_half, from_middle)
    });
    while let Some(position) = at
        && matches.len() < MAX_MATCHES
    {
        // The middle thread's search that started at or before `position` and found
        // nothing starting before it: the next match from here is its next match.
        let next = from_middle.partition_point(|m| m.whole.start < position);
        let searched_from = match next {
            0 => middle,
            _ => from_middle[next - 1].whole.end,
        };
        if searched_from <= position {
            let wanted = MAX_MATCHES - matches.len();
            let middle_stopped_at_cap = from_middle.len() == MAX_MATCHES;
            matches.extend(from_middle.drain(next..).take(wanted));
            if matches.len() < MAX_MATCHES && middle_stopped_at_cap {
                let resume = matches.last().map_or(position, |m| m.whole.end);
                let wanted = MAX_MATCHES - matches.len();
                matches.extend(non_empty_matches_from(pattern, haystack, resume, wanted));
            }
            return matches;
        }
        let (found, after) = non_empty_matches_until(pattern, haystack, position, 1, usize::MAX);
        matches.extend(found);
        at = after;
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(pattern: &str, text: &str) -> bool {
        compile(pattern, false, NodeRe2::V1_21)
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn perl_classes_are_ascii_like_re2() {
        assert!(
            !is_match(r"^\d$", "٣"),
            "Arabic-Indic digit is not \\d in RE2"
        );
        assert!(is_match(r"^\d$", "7"));
        assert!(!is_match(r"^\w$", "é"));
        assert!(is_match(r"^\W$", "é"));
        assert!(!is_match(r"^\s$", "\u{0B}"), "RE2's \\s excludes \\v");
        assert!(!is_match(r"^\s$", "\u{A0}"));
        for c in ["\t", "\n", "\u{0C}", "\r", " "] {
            assert!(is_match(r"^\s$", c), "{c:?}");
        }
        assert!(is_match(r"^[\d.]+$", "1.2"));
        assert!(!is_match(r"^[\d]$", "٣"));
        assert!(is_match(r"^[^\s]$", "x"));
        assert!(is_match(r"^[\D]$", "x"));
    }

    #[test]
    fn word_boundary_is_ascii() {
        // é is not a word character for RE2, so there is a boundary between it and x.
        assert!(is_match(r"é\bx", "éx"));
    }

    #[test]
    fn dot_matches_carriage_return_but_not_newline() {
        assert!(is_match(r"^a.b$", "a\rb"));
        assert!(!is_match(r"^a.b$", "a\nb"));
    }

    #[test]
    fn anchors_are_whole_text_without_multiline() {
        assert!(!is_match(r"^b", "a\nb"));
        assert!(is_match(r"(?:^|\n)b", "a\nb"));
        assert!(!is_match(r"a$", "a\nb"));
    }

    #[test]
    fn javascript_forms_are_rewritten() {
        assert!(is_match(r"(?<name>x)", "x"));
        assert!(is_match(r"^\u0041\u{42}$", "AB"));
        assert!(is_match(r"^\cJ$", "\n"));
        assert!(is_match(r"^a\/b$", "a/b"));
        assert!(is_match("", "anything"));
        assert!(is_match(r"^[]a]$", "]"));
    }

    #[test]
    fn what_re2_rejects_is_rejected() {
        for bad in [
            r"(?=x)",
            r"(?!x)",
            r"(?<=x)",
            r"(?<!x)",
            r"(a)\1",
            r"(?<n>a)\k<n>",
        ] {
            assert!(compile(bad, false, NodeRe2::V1_21).is_err(), "{bad}");
        }
        assert!(
            compile(r"(?<a>x)(?<a>y)", false, NodeRe2::V1_21).is_err(),
            "duplicate names"
        );
        assert!(compile(r"(", false, NodeRe2::V1_21).is_err());
    }

    #[test]
    fn huge_patterns_fail_to_compile_instead_of_exhausting_memory() {
        let error = compile(r"\pL{1000}\pL{1000}", false, NodeRe2::V1_21).unwrap_err();
        assert_eq!(error.reason, "pattern too large - compile failed");
    }

    #[test]
    fn empty_matches_repeat_to_the_cap_without_hanging() {
        let regex = compile(r"x*", false, NodeRe2::V1_21).unwrap();
        let matches = match_all(&regex, "abc");
        assert_eq!(matches.len(), MAX_MATCHES);
        assert!(matches.iter().all(|m| m.whole == (0..0)));
    }

    #[test]
    fn an_empty_match_right_after_a_match_repeats_like_renovate() {
        // regex's iterator would skip the empty match at 1 and find "a" at 2; Renovate's
        // exec loop finds the empty match at 1 and repeats it.
        let regex = compile(r"a|", false, NodeRe2::V1_21).unwrap();
        let matches = match_all(&regex, "aba");
        assert_eq!(matches[0].whole, 0..1);
        assert_eq!(matches[1].whole, 1..1);
        assert_eq!(matches.len(), MAX_MATCHES);
    }

    #[test]
    fn matches_continue_from_the_previous_end() {
        let regex = compile(r"(?:^|\n)(?<v>\w+)", false, NodeRe2::V1_21).unwrap();
        let text = "a\nb\nc";
        let found: Vec<_> = match_all(&regex, text)
            .iter()
            .map(|m| m.group(&regex, "v", text).unwrap())
            .collect();
        assert_eq!(found, ["a", "b", "c"]);
    }

    #[test]
    fn deep_nesting_is_declared_not_followed_and_never_overflows() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        let error = compile(&deep, false, NodeRe2::V1_21).unwrap_err();
        assert!(error.unsupported, "{error}");
        let fine = format!("{}a{}", "(?:".repeat(400), ")*".repeat(400));
        assert!(compile(&fine, false, NodeRe2::V1_21).is_ok());
    }

    #[test]
    fn case_insensitive_flag_is_applied() {
        assert!(
            compile("^abc$", true, NodeRe2::V1_21)
                .unwrap()
                .is_match("ABC")
        );
    }

    #[test]
    fn two_cores_find_exactly_the_sequential_matches() {
        // A fixed pseudo-random haystack over a small alphabet, large enough to split,
        // with patterns whose matches cross the middle, repeat, overlap candidates,
        // look around, or run into the 10,000 cap.
        let haystack = random_text(0x2545_f491, "ab \n:xy", SPLIT_AT_LEAST + 4099);
        let patterns = [
            r"\n(?<key>[a-z]+):(?<value>[^\n]*)",
            r"a+",
            r"(?s)a.{700}b",
            r"ab|b",
            r"\bxy\b",
            r"x(?:y )*",
            r"(?s)x.*y",
            r"(?s)a.*?\n:",
            r"a[^\n]{40}(?<end>b)",
        ];
        for pattern in patterns {
            let regex = compile(pattern, false, NodeRe2::V1_21).unwrap();
            assert!(!regex.can_match_empty, "{pattern}");
            let sequential = non_empty_matches_from(&regex, &haystack, 0, MAX_MATCHES);
            assert_eq!(
                non_empty_matches_on_two_cores(&regex, &haystack),
                sequential,
                "{pattern}"
            );
        }
    }

    #[test]
    fn two_cores_continue_past_the_middle_threads_cap() {
        // 1,000 matches before the middle, then one that swallows the middle thread's
        // first 3,000: the 7,000 it has left are not enough to reach the cap.
        let before = format!("{}b", "a".repeat(149)).repeat(1000);
        let haystack = format!("{before}{}", "y".repeat(before.len()));
        let regex = compile("b(?:yyy){0,1000}|y", false, NodeRe2::V1_21).unwrap();
        let sequential = non_empty_matches_from(&regex, &haystack, 0, MAX_MATCHES);
        assert_eq!(sequential.len(), MAX_MATCHES);
        assert_eq!(sequential[999].whole, before.len() - 1..before.len() + 3000);
        assert_eq!(
            non_empty_matches_on_two_cores(&regex, &haystack),
            sequential
        );
    }

    /// `len` characters drawn from `alphabet` by a xorshift generator seeded with `seed`.
    fn random_text(seed: u64, alphabet: &str, len: usize) -> String {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let mut state = seed.max(1);
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        #[test]
        fn two_cores_agree_with_one_on_generated_patterns(
            seed in 1u64..u64::MAX,
            atoms in proptest::collection::vec(0usize..12, 1..4),
            case_insensitive in proptest::bool::ANY,
        ) {
            // Atoms that each match at least one character, so the pattern never
            // matches the empty string; multi-byte letters put the middle inside a
            // character now and then.
            const ATOMS: [&str; 12] = [
                "a", "[ab]+", r"\bxy", "(?s).{1,5}", r"[^\n]+", "(?:a|é)", "日+",
                r"\n", "(x)y?", "b{2,}", "[[:alpha:]]", r"y\b",
            ];
            let pattern: String = atoms.iter().map(|&i| ATOMS[i]).collect();
            let regex = compile(&pattern, case_insensitive, NodeRe2::V1_21).unwrap();
            proptest::prop_assume!(!regex.can_match_empty);
            let haystack = random_text(seed, "abAB \nxyé日", SPLIT_AT_LEAST + (seed % 5000) as usize);
            let sequential = non_empty_matches_from(&regex, &haystack, 0, MAX_MATCHES);
            proptest::prop_assert_eq!(
                non_empty_matches_on_two_cores(&regex, &haystack),
                sequential,
                "{}", pattern
            );
        }
    }

    /// `(?:a+c|a)*z` over a run of `a`: each place the loop reaches retries the whole
    /// rest of the run as `a+` before it takes one `a`. The ASCII program gives such a
    /// span, or such a search, to the crate once it has spent a few times the crate's
    /// own bound on steps.
    #[test]
    fn a_span_or_search_that_would_take_quadratic_time_goes_to_the_crate() {
        let pattern = compile("(?:a+c|a)*z", false, NodeRe2::V1_21).unwrap();
        let program = pattern.span_groups.as_ref().unwrap();
        let mut scratch = span_groups::Scratch::default();
        let short = format!("{}z", "a".repeat(20));
        assert!(program.groups(&short, 0..short.len(), &mut scratch));
        let long = format!("{}z", "a".repeat(20_000));
        assert!(!program.groups(&long, 0..long.len(), &mut scratch));
        // Its search gives up too, and spends the budget so that the searches after it
        // go straight to the crate.
        assert!(program.can_find());
        let mut budget = program.search_budget(long.len());
        assert_eq!(
            program.find_at(&long, 0, &mut budget, &mut scratch),
            Err(span_groups::GaveUp)
        );
        assert_eq!(budget, 0);
        // Also when what is left does not cover one run's scan.
        let mut budget = 100;
        assert_eq!(
            program.find_at(&long, 0, &mut budget, &mut scratch),
            Err(span_groups::GaveUp)
        );
        assert_eq!(budget, 0);
        let mut budget = program.search_budget(short.len());
        assert!(
            program
                .find_at(&short, 0, &mut budget, &mut scratch)
                .unwrap()
        );
        let crates = pattern.by_the_crate_alone();
        assert_eq!(match_all(&pattern, &long), match_all(&crates, &long));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// The ASCII program's groups are the crate's backtracker's, match for match,
        /// on patterns made of what it covers: runs, loops, alternatives, groups in
        /// loops, lazy repetition, assertions.
        #[test]
        fn span_groups_agree_with_the_crates_backtracker(
            seed in 1u64..u64::MAX,
            atoms in proptest::collection::vec(0usize..28, 1..5),
            case_insensitive in proptest::bool::ANY,
        ) {
            const ATOMS: [&str; 28] = [
                "a", "[ab]+", "[ab]*?b", r"\bxy", "(?:ab|a)", "(a|ab)(c|bcd)?", "(x)y?",
                "b{2,}", "(?:a[bc]){1,3}", "(?:ab?)+?", "(a*)b", r"\s*", r"([^\n]{0,4})",
                "(?i:Ab)", "$", "^", "((a)|b)+", "(?:x|)y", r"(\w+)\.(\w*)", "(?m:^a)",
                r"(a\b|ab)", r"(?:\Ba|b)+", r"(?:(a)\B|a)", r"(?:(a)\b|a)",
                r"(?:(a)$|a)", r"(?:(a)(?m:$)|a)", r"(?:(?m:^)(b)|b)", r"(?:^(b)|b)",
            ];
            let pattern: String = atoms.iter().map(|&i| ATOMS[i]).collect();
            let fast = compile(&pattern, case_insensitive, NodeRe2::V1_21).unwrap();
            proptest::prop_assume!(fast.span_groups.is_some() && !fast.can_match_empty);
            let crates = fast.by_the_crate_alone();
            // Half the texts are ASCII, which the program searches alone.
            let alphabet = if seed % 2 == 0 { "aabbcxy AB.\n_é" } else { "aabbcxy AB.\n_" };
            let haystack = random_text(seed, alphabet, 300 + (seed % 200) as usize);
            let matches = non_empty_matches_from(&fast, &haystack, 0, MAX_MATCHES);
            proptest::prop_assert_eq!(
                &matches,
                &non_empty_matches_from(&crates, &haystack, 0, MAX_MATCHES),
                "{}", pattern
            );
            // Over ASCII text a pattern that starts with a few bytes is searched by the
            // program alone, start to end, never giving up.
            let program = fast.span_groups.as_ref().unwrap();
            if program.can_find() && haystack.is_ascii() {
                let mut budget = program.search_budget(haystack.len());
                let mut from = 0;
                let mut found = Vec::new();
                let mut scratch = span_groups::Scratch::default();
                while program.find_at(&haystack, from, &mut budget, &mut scratch).unwrap() {
                    let groups: Vec<_> = scratch.groups().collect();
                    from = groups[0].clone().unwrap().end;
                    found.push(groups);
                }
                let expected: Vec<Vec<_>> =
                    matches.iter().map(|m| m.group_ranges().collect()).collect();
                proptest::prop_assert_eq!(found, expected, "{}", pattern);
            }
            // Each ASCII match's groups come from the program, not the crate; the
            // others from the crate.
            for found in &matches {
                let ascii = haystack[found.whole.clone()].is_ascii();
                let mut scratch = span_groups::Scratch::default();
                proptest::prop_assert_eq!(
                    program.groups(&haystack, found.whole.clone(), &mut scratch),
                    ascii
                );
            }
        }
    }
}
