//! RE2, exactly: patterns generated from a grammar that covers RE2's whole syntax (and
//! the JavaScript habits people bring to it) go through Renovate's own `regEx` and
//! `regexMatchAll` with RE2 loaded, in both Renovate versions, and through img-mirror's
//! `re2::compile` and `match_all`. They must agree on every case: whether the pattern
//! compiles, and for every match its start, its end and each named group's text.
//!
//! `IMG_MIRROR_RE2_CASES` (patterns per seed, default 1,500) and `IMG_MIRROR_RE2_SEEDS`
//! (comma-separated, default three fixed seeds) make the long local run:
//! `IMG_MIRROR_RE2_CASES=35000 cargo test --release --test it re2_differential`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::common::renovate::{Renovate, VERSIONS};
use crate::common::rng::Rng;
use img_mirror::renovate::re2;

const DEFAULT_SEEDS: [u64; 3] = [0x5eed_0001, 0x5eed_0002, 0x5eed_0003];
const HAYSTACKS_PER_PATTERN: usize = 5;

/// Literal characters, ASCII and beyond: case-fold orbits (K, the Kelvin sign, ſ, σ/ς),
/// Unicode digits and spaces RE2 reads differently from JavaScript.
const LITERALS: &[&str] = &[
    "a", "b", "c", "A", "B", "0", "1", "9", " ", "-", "_", ":", "=", "\"", "'", ",", "é", "É", "k",
    "K", "\u{212A}", "s", "S", "\u{17F}", "σ", "Σ", "ς", "α", "٣", "日", "\u{85}", "\u{2028}", "<",
    ">", "&", "~", "!", "#", "%", "@",
];

/// Everything in RE2's syntax that is not a group, and what JavaScript users write.
const ATOMS: &[&str] = &[
    // braces, literal and counted, in every shape
    "{",
    "}",
    "{}",
    "{,3}",
    "{2}",
    "{0}",
    "{1,2}",
    "{2,}",
    "{ 2}",
    "{2 }",
    "{1001}",
    "{1000}",
    "{01}",
    "{3,1}",
    "{40}",
    "{26}",
    "{,}",
    "{1",
    "{1,",
    "{a}",
    "{0,0}",
    "{999,1000}",
    "{100000000}",
    "{1000000000}",
    "{2,3}?",
    "{0,}",
    // repetition operators
    "*",
    "+",
    "?",
    "*?",
    "+?",
    "??",
    "*+",
    "**",
    "++",
    "?*",
    // anchors and dot
    "^",
    "$",
    ".",
    "\\A",
    "\\z",
    "\\Z",
    "\\b",
    "\\B",
    "\\<",
    "\\>",
    // classes
    "[ab]",
    "[^ab]",
    "[a-z]",
    "[]a]",
    "[^]a]",
    "[a[b]",
    "[\\d-z]",
    "[a-\\d]",
    "[[:alpha:]]",
    "[[:^space:]]",
    "[[:word:]]",
    "[[:upper:]]",
    "[[:foo:]]",
    "[[:alpha]",
    "[a&&b]",
    "[a--b]",
    "[a~~b]",
    "[\\<]",
    "[\\d]",
    "[^\\s]",
    "[\\w.]",
    "[\\p{Greek}]",
    "[\\P{L}x]",
    "[z-a]",
    "[-a]",
    "[a-]",
    "[^]",
    "[]",
    "[\\]]",
    "[\\b]",
    "[(?<x]",
    "[\\Q]",
    "[\\x41-\\x5a]",
    "[\\101]",
    "[^\\n]",
    "[\\/]",
    "[{}]",
    "[é-ë]",
    "[K]",
    "[k-m]",
    "[\\pN]",
    "[\\p{^L}]",
    "[\\S\\s]",
    "[\\W]",
    "[^\\D]",
    // escapes
    "\\d",
    "\\D",
    "\\s",
    "\\S",
    "\\w",
    "\\W",
    "\\C",
    "\\Q.*\\E",
    "\\Qa{2}",
    "\\Q\\E",
    "\\101",
    "\\377",
    "\\01",
    "\\0",
    "\\1",
    "\\12",
    "\\8",
    "\\x41",
    "\\x{263a}",
    "\\x{110000}",
    "\\x4",
    "\\x{}",
    "\\xZZ",
    "\\u0041",
    "\\u{41}",
    "\\uZZZZ",
    "\\u12G4",
    "\\u00e9",
    "\\cJ",
    "\\cj",
    "\\c",
    "\\/",
    "\\.",
    "\\-",
    "\\_",
    "\\é",
    "\\{",
    "\\}",
    "\\n",
    "\\r",
    "\\t",
    "\\v",
    "\\f",
    "\\a",
    "\\e",
    "\\h",
    "\\k<n>",
    "\\K",
    "\\G",
    "\\X",
    "\\R",
    "\\N",
    // Unicode groups: RE2's names, JavaScript's aliases, negations, bad names
    "\\pN",
    "\\pL",
    "\\pl",
    "\\PL",
    "\\p{Greek}",
    "\\p{Latin}",
    "\\p{Letter}",
    "\\p{sc=Greek}",
    "\\p{Script=Greek}",
    "\\p{gc=Lu}",
    "\\p{General_Category=Nd}",
    "\\p{^L}",
    "\\P{^Nd}",
    "\\p{Nd}",
    "\\p{Any}",
    "\\p{Lu}",
    "\\p{Zs}",
    "\\p{Cs}",
    "\\p{LC}",
    "\\p{Cn}",
    "\\p{L",
    "\\p",
    "\\p{}",
    "\\p{greek}",
    "\\p{Uppercase_Letter}",
    "\\p{Garay}",
    "\\p{Emoji}",
    "\\p{scx=Hani}",
    // JavaScript habits
    "(?=a)",
    "(?!a)",
    "(?<=a)",
    "(?<!a)",
    "(a)\\1",
    "(?#c)",
    "(?P=n)",
    "(?'n'a)",
    "(?x)",
    "(?u)",
    "(?R)",
    "(?ii)",
    "(?)",
    "(?i-)",
    "(?-)",
    "(?i-s)",
    "(?-i)",
    "(?s)",
    "(?m)",
    "(?U)",
    "(?i)",
    "/",
    "|",
    "||",
    "()",
    "(?:)",
];

/// Constructs every engine reads alike in the common case, picked more often so that
/// most patterns compile and match, and the edges above meet real matching.
const COMMON: &[&str] = &[
    "a",
    "ab",
    "[a-z]+",
    "\\d+",
    "\\s*",
    "\\w+",
    ".",
    ".*",
    ".*?",
    "[^\\n]*",
    "(?:a|b)",
    "[^\"]+",
    "\\.",
    ":",
    "\\n",
    "{2}",
    "*",
    "+",
    "?",
    "|",
    "^",
    "$",
    "\\b",
    "[0-9a-f]{2}",
    "(?i)",
    "(?s)",
    "(?m)",
    "\\pL",
    "\\p{Greek}",
    "[[:alpha:]]",
    "\\x41",
    "\\Q{\\E",
];

const NAMES: &[&str] = &[
    "n",
    "depName",
    "currentValue",
    "n",
    "1n",
    "n.x",
    "n_1",
    "é",
    "n-1",
    "",
    "日本",
];

fn pattern(rng: &mut Rng, depth: usize) -> String {
    let mut out = String::new();
    for _ in 0..1 + rng.below(6) {
        match rng.below(10) {
            0..=2 => out.push_str(rng.pick(LITERALS)),
            3..=4 => out.push_str(rng.pick(ATOMS)),
            5..=6 => out.push_str(rng.pick(COMMON)),
            _ if depth < 2 => {
                let inner = pattern(rng, depth + 1);
                let open = match rng.below(8) {
                    0 | 1 => "(".to_string(),
                    2 => "(?:".to_string(),
                    3 => format!("(?P<{}>", rng.pick(NAMES)),
                    4 => format!("(?<{}>", rng.pick(NAMES)),
                    5 => format!("(?{}:", rng.pick(&["i", "s", "m", "U", "-i", "i-s"])),
                    6 => "(?:".to_string(),
                    _ => "(".to_string(),
                };
                let _ = write!(out, "{open}{inner})");
                if rng.below(3) == 0 {
                    out.push_str(rng.pick(&["*", "+", "?", "{2}", "{0,3}", "{40}", "{26}", "*?"]));
                }
            }
            _ => out.push_str(rng.pick(ATOMS)),
        }
    }
    out
}

/// Characters that only texts need: controls RE2's classes include or leave out (`\v`
/// is not `\s`), and letters and digits of Unicode 16, which RE2's tables predate.
const TEXT_ONLY: &[&str] = &[
    "\u{0B}",
    "\u{0C}",
    "\t",
    "\u{0}",
    "\u{1}",
    "\u{7F}",
    "\u{A0}",
    "\u{FEFF}",
    "\u{1E9E}",
    "ß",
    "İ",
    "ı",
    "\u{10D40}",
    "\u{1E4F0}",
    "\u{1C89}",
    "\u{1C8A}",
    "\u{A7CB}",
    "\u{A7DC}",
    "\u{16E40}",
    "\u{1F600}",
    "Ω",
    "\u{2126}",
    "ǅ",
    "Ǆ",
    "ǆ",
];

/// Texts built from the pattern's own characters and the literal set, so that patterns
/// match often and at places that matter (case variants, newlines, word edges).
fn haystack(rng: &mut Rng, pattern: &str) -> String {
    let own: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    for _ in 0..rng.below(24) {
        match rng.below(4) {
            0 if !own.is_empty() => out.push(own[rng.below(own.len())]),
            1 => out.push_str(rng.pick(&["\n", "\r\n", " ", "aa", "ab", "{2}", "0x"])),
            2 => out.push_str(rng.pick(TEXT_ONLY)),
            _ => out.push_str(rng.pick(LITERALS)),
        }
    }
    out
}

#[derive(Debug, Clone, serde::Serialize)]
struct Case {
    pattern: String,
    haystacks: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    runs: Vec<OracleRun>,
}

/// One haystack's matches as the oracle reports them: how many, and the first 100.
#[derive(Debug, serde::Deserialize)]
struct OracleRun {
    count: usize,
    first: Run,
}

/// How many leading matches are compared one by one (the rest are counted): an empty
/// match repeats up to Renovate's 10,000 cap.
const COMPARED_MATCHES: usize = 100;

/// One haystack's matches: start, end, and each named group's text.
type Run = Vec<(usize, usize, BTreeMap<String, Option<String>>)>;

fn ours(compiled: &re2::Pattern, haystack: &str) -> Run {
    re2::match_all(compiled, haystack)
        .into_iter()
        .map(|found| {
            let groups = compiled
                .capture_names()
                .enumerate()
                .filter_map(|(index, name)| {
                    let text = found.group_range(index);
                    Some((name?.to_string(), text.map(|r| haystack[r].to_string())))
                })
                .collect();
            (found.whole.start, found.whole.end, groups)
        })
        .collect()
}

fn cases(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let pattern = pattern(&mut rng, 0);
            let haystacks = (0..HAYSTACKS_PER_PATTERN)
                .map(|_| haystack(&mut rng, &pattern))
                .collect();
            Case { pattern, haystacks }
        })
        .collect()
}

fn oracle(renovate: &Renovate, cases: &[Case]) -> Vec<Answer> {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (
        dir.path().join("cases.json"),
        dir.path().join("answers.json"),
    );
    std::fs::write(&input, serde_json::to_vec(cases).unwrap()).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/re2-oracle.js");
    let result = renovate
        .node()
        .arg(script)
        .arg(&renovate.prefix)
        .arg(&input)
        .arg(&output)
        .env("LOG_LEVEL", "fatal")
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "the RE2 oracle (Renovate {}) failed:\n{}",
        renovate.version,
        String::from_utf8_lossy(&result.stderr)
    );
    serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap()
}

/// Compares one Renovate version with img-mirror on every case; returns the
/// disagreements, and counts what was compared.
fn compare(renovate: &Renovate, cases: &[Case], tally: &mut Tally) -> Vec<String> {
    let answers = oracle(renovate, cases);
    let mut differences = Vec::new();
    for (case, answer) in cases.iter().zip(answers) {
        tally.patterns += 1;
        let compiled = re2::compile(&case.pattern, false, renovate.engine());
        match (&compiled, answer.ok) {
            (Err(error), _) if error.unsupported => {
                // Declared, not silent: `check` reports the pattern as one img-mirror
                // cannot reproduce. Only what node-re2 expands from its own tables, or a
                // program so near RE2's size limit that only RE2's compiler can tell.
                tally.unsupported += 1;
                let declared = case.pattern.contains("\\p{") || error.reason.contains("size limit");
                if !declared {
                    differences.push(format!(
                        "{:?}: img-mirror gives up ({error}), RE2 says {}",
                        case.pattern,
                        if answer.ok { "ok" } else { "error" }
                    ));
                }
            }
            (Err(error), true) => differences.push(format!(
                "{:?}: RE2 compiles it, img-mirror refuses: {error}",
                case.pattern
            )),
            (Ok(_), false) => differences.push(format!(
                "{:?}: RE2 refuses it ({}), img-mirror compiles it",
                case.pattern,
                answer.error.unwrap_or_default()
            )),
            (Err(_), false) => tally.refused += 1,
            (Ok(compiled), true) => {
                tally.compiled += 1;
                for (haystack, theirs) in case.haystacks.iter().zip(&answer.runs) {
                    if !compiled.reproducible_on(haystack) {
                        tally.unsupported += 1;
                        continue;
                    }
                    tally.haystacks += 1;
                    let mine = ours(compiled, haystack);
                    tally.matches += theirs.count;
                    let first = &mine[..mine.len().min(COMPARED_MATCHES)];
                    if theirs.count <= COMPARED_MATCHES {
                        tally.attempts += near_misses_outside(
                            compiled,
                            haystack,
                            &theirs.first,
                            &case.pattern,
                            &mut differences,
                        );
                    }
                    if mine.len() != theirs.count || first != theirs.first.as_slice() {
                        differences.push(format!(
                            "{:?} on {haystack:?}:\n    RE2:        {} matches {:?}\n    img-mirror: {} matches {:?}",
                            case.pattern,
                            theirs.count,
                            &theirs.first[..theirs.first.len().min(4)],
                            mine.len(),
                            &first[..first.len().min(4)]
                        ));
                    }
                }
            }
        }
    }
    differences
}

/// Where img-mirror says a match gave up (a near miss, and every lesser attempt), RE2
/// must not match: no attempt starts inside an RE2 match, and none has an RE2 match
/// start inside the text it read. The attempts counted.
fn near_misses_outside(
    compiled: &re2::Pattern,
    haystack: &str,
    theirs: &Run,
    pattern: &str,
    differences: &mut Vec<String>,
) -> usize {
    let attempts = img_mirror::renovate::near_miss::of_pattern(compiled, haystack);
    for miss in &attempts {
        let (start, stop) = (miss.attempt.start, miss.attempt.stop);
        let hit = theirs.iter().find(|(from, to, _)| {
            (*from <= start && start < (*to).max(*from + 1)) || (start <= *from && *from < stop)
        });
        if let Some((from, to, _)) = hit {
            differences.push(format!(
                "{pattern:?} on {haystack:?}: img-mirror says an attempt from {start} gave up at {stop}, RE2 matches {from}..{to}"
            ));
        }
    }
    attempts.len()
}

#[derive(Debug, Default)]
struct Tally {
    patterns: usize,
    compiled: usize,
    refused: usize,
    unsupported: usize,
    haystacks: usize,
    matches: usize,
    /// Attempts img-mirror found where RE2 does not match (near misses among them).
    attempts: usize,
}

fn settings() -> (Vec<u64>, usize) {
    let seeds = std::env::var("IMG_MIRROR_RE2_SEEDS")
        .ok()
        .map(|text| {
            text.split(',')
                .map(|s| {
                    let s = s.trim();
                    s.strip_prefix("0x")
                        .map_or_else(|| s.parse(), |hex| u64::from_str_radix(hex, 16))
                        .expect("IMG_MIRROR_RE2_SEEDS: comma-separated integers")
                })
                .collect()
        })
        .unwrap_or_else(|| DEFAULT_SEEDS.to_vec());
    let count = std::env::var("IMG_MIRROR_RE2_CASES")
        .ok()
        .map(|n| n.parse().expect("IMG_MIRROR_RE2_CASES: a number"))
        .unwrap_or(1500);
    (seeds, count)
}

#[test]
fn generated_patterns_agree_with_re2_in_both_renovate_versions() {
    let (seeds, count) = settings();
    let mut failures = Vec::new();
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let mut tally = Tally::default();
        for &seed in &seeds {
            let differences = compare(&renovate, &cases(seed, count), &mut tally);
            failures.extend(
                differences
                    .into_iter()
                    .map(|d| format!("Renovate {version}, seed {seed:#x}: {d}")),
            );
        }
        eprintln!("Renovate {version}: {tally:?} (seeds {seeds:x?})");
        assert!(tally.compiled > tally.patterns / 5, "{tally:?}");
        assert!(tally.matches > tally.haystacks / 2, "{tally:?}");
        assert!(tally.attempts > tally.haystacks / 2, "{tally:?}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with RE2:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

/// The cases of issue 11, by name: braces RE2 reads as literals, counts it refuses.
#[test]
fn named_cases_agree_with_re2() {
    let patterns = [
        r#""backup":\s*{[^}]*}"#,
        r"jacoco\s*{[^}]*}",
        r#"\[]string{""#,
        "a{",
        "a{1",
        "a{1,2",
        "a{ 2}",
        "a{,3}",
        "a{1001}",
        "(?:a{40}){26}",
        "a**",
        "a*+",
        "a{1,2}+",
        "0{2}*",
        r"\pl",
        r"\p{Letter}",
        r"\p{sc=Greek}",
        "(?x)a",
        "(?u)a",
        "(?R)a",
        "(?<n.x>a)",
        r"\cj",
        r"\101",
        r"\377",
        r"\Qa.b\E",
        r"\p{^L}",
        "[a[b]",
        "(?ii)a",
        "(?)a",
        "(?<1n>a)",
        r"[\<]",
        r"\C",
        "[a&&b]",
        "[a--b]",
        "[a~~b]",
        r"\<a\>",
        r"\01",
        r"\p{Nd}",
        "(?i)k",
        "[(?<a]",
    ];
    let cases: Vec<Case> = patterns
        .iter()
        .map(|pattern| Case {
            pattern: pattern.to_string(),
            haystacks: vec![
                r#""backup": {a}, jacoco {x} []string{"a" {2} a{1 a{1,2 a{ 2} a{,3}"#.into(),
                "aaaa 0000 A a.b a[b <a> & - ~ \u{1} A ÿ \u{212A} k K".into(),
                "٣ 3 α Σ σ ς (?<a]".into(),
            ],
        })
        .collect();
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let mut tally = Tally::default();
        let differences = compare(&renovate, &cases, &mut tally);
        assert!(
            differences.is_empty(),
            "Renovate {version}:\n{}",
            differences.join("\n")
        );
    }
}
