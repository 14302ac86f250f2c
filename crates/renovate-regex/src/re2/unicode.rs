//! The character data RE2 parses with: its Perl and POSIX classes (ASCII), its Unicode
//! groups and case-fold orbits (read off RE2 itself into [`super::tables`]), and its
//! rule for capture names.

use std::borrow::Cow;

use super::tables::{FOLD_NEXT, GROUPS};

/// The largest code point (`Runemax`).
pub const MAX_RUNE: u32 = 0x10FFFF;

/// An ASCII class and whether it is the negated form (`\D`, `[:^alpha:]`).
pub struct AsciiGroup {
    pub ranges: &'static [(u32, u32)],
    pub negated: bool,
}

const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const PERL_SPACE: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

/// `\d \s \w` and `\D \S \W`: ASCII only, and `\s` without `\v`.
pub fn perl_group(letter: char) -> Option<AsciiGroup> {
    let (ranges, negated) = match letter {
        'd' => (DIGIT, false),
        'D' => (DIGIT, true),
        's' => (PERL_SPACE, false),
        'S' => (PERL_SPACE, true),
        'w' => (WORD, false),
        'W' => (WORD, true),
        _ => return None,
    };
    Some(AsciiGroup { ranges, negated })
}

/// `[:alpha:]` and `[:^alpha:]` (the whole bracketed name).
pub fn posix_group(name: &str) -> Option<AsciiGroup> {
    let (negated, bare) = match name.strip_prefix("[:^") {
        Some(rest) => (true, rest),
        None => (false, name.strip_prefix("[:")?),
    };
    let ranges: &'static [(u32, u32)] = match bare.strip_suffix(":]")? {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0x00, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1F), (0x7F, 0x7F)],
        "digit" => DIGIT,
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    Some(AsciiGroup { ranges, negated })
}

/// A Unicode group by its exact RE2 name (`L`, `Nd`, `Greek`, `Any`); names are
/// case-sensitive and there are no aliases (`Letter`, `sc=Greek` are not RE2's).
pub fn group(name: &str) -> Option<Cow<'static, [(u32, u32)]>> {
    if name == "Any" {
        return Some(Cow::Borrowed(&[(0, MAX_RUNE)]));
    }
    GROUPS
        .iter()
        .find(|(group, _)| *group == name)
        .map(|(_, ranges)| Cow::Borrowed(*ranges))
}

/// RE2's `IsValidCaptureName`: non-empty, every character a letter, mark, decimal
/// digit, letter number or connector punctuation (a digit may come first).
pub fn is_capture_name(name: &str) -> bool {
    const CATEGORIES: [&str; 10] = ["Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc", "Nd", "Pc"];
    !name.is_empty()
        && name.chars().all(|c| {
            CATEGORIES
                .iter()
                .any(|category| group(category).is_some_and(|ranges| contains(&ranges, c as u32)))
        })
}

fn contains(ranges: &[(u32, u32)], rune: u32) -> bool {
    let at = ranges.partition_point(|&(_, hi)| hi < rune);
    ranges.get(at).is_some_and(|&(lo, _)| lo <= rune)
}

/// The code points `(?i)` makes of `rune`: its case-fold orbit, or itself alone.
pub fn fold_orbit(rune: u32) -> Vec<u32> {
    let mut orbit = vec![rune];
    let mut next = fold_next(rune);
    while let Some(member) = next.filter(|&member| member != rune) {
        orbit.push(member);
        next = fold_next(member);
    }
    orbit
}

fn fold_next(rune: u32) -> Option<u32> {
    FOLD_NEXT
        .binary_search_by_key(&rune, |&(from, _)| from)
        .ok()
        .map(|at| FOLD_NEXT[at].1)
}

/// The code points in `lo..=hi` that fold with others.
pub fn folding_in(lo: u32, hi: u32) -> impl Iterator<Item = u32> {
    let start = FOLD_NEXT.partition_point(|&(from, _)| from < lo);
    FOLD_NEXT[start..]
        .iter()
        .map(|&(from, _)| from)
        .take_while(move |&from| from <= hi)
}
