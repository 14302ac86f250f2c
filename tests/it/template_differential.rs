//! Renovate's templates, exactly: templates generated from Handlebars' grammar (blocks,
//! `else if` chains, `each`/`with` with block parameters and `@` data, paths, literals,
//! subexpressions, whitespace control, standalone lines) and Renovate's helpers go
//! through Renovate's own `compile` in both Renovate versions and through img-mirror's
//! template engine. They must agree on every case: the same text, or both throwing. A
//! case img-mirror declares it does not reproduce is counted, never compared.
//!
//! `IMG_MIRROR_TEMPLATE_CASES` (templates per seed, default 1,500) and
//! `IMG_MIRROR_TEMPLATE_SEEDS` (comma-separated) make the long local run:
//! `IMG_MIRROR_TEMPLATE_CASES=50000 cargo test --release --test it template_differential`.

use crate::common::renovate::{Renovate, VERSIONS};
use crate::common::rng::Rng;
use img_mirror::renovate::template::{Context, Template, Value};
use img_mirror::renovate::version::RenovateVersion;

const DEFAULT_SEEDS: [u64; 2] = [0x7e41_0001, 0x7e41_0002];

/// Text between tags: plain, HTML-escapable, lines and indentation (standalone lines),
/// braces and escaped mustaches.
const TEXT: &[&str] = &[
    "x", "-", " ", "\n", "  ", "\t", "a=b", "<&>\"'`", "{ ", "}", "\\{{q}}", "\\\\", "\r\n", "/",
    ",",
];

/// Paths the contexts answer (and some they do not).
const PATHS: &[&str] = &[
    "a",
    "b",
    "depName",
    "currentValue",
    "n",
    "zero",
    "t",
    "f",
    "arr",
    "nums",
    "obj",
    "obj.k",
    "obj.[k]",
    "obj.list",
    "arr.[0]",
    "arr.[1]",
    "arr.length",
    "depName.length",
    "nested.x.y",
    "missing",
    "missing.deep",
    "this",
    ".",
    "this.a",
    "./b",
    "../a",
    "@root.a",
    "@root.obj.k",
    "@index",
    "@key",
    "@first",
    "@last",
    "@../index",
    "nil",
    "empty",
    "[x-y]",
    "html",
    "item",
    "key",
    "packageFile",
    "renovateVersion",
];

const LITERALS: &[&str] = &[
    "'lit'",
    "\"q\\\"x\"",
    "'a/b'",
    "'/'",
    "''",
    "1",
    "0",
    "-2.5",
    "true",
    "false",
    "null",
    "undefined",
    "'<&>'",
    "'A'",
    "'1'",
];

/// Renovate's helpers (44's too: 39 must throw "Missing helper" for them) and the
/// built-ins usable in expressions.
const HELPERS: &[(&str, usize)] = &[
    ("lowercase", 1),
    ("uppercase", 1),
    ("replace", 3),
    ("split", 2),
    ("equals", 2),
    ("includes", 2),
    ("containsString", 2),
    ("and", 2),
    ("or", 3),
    ("toJSON", 1),
    ("toArray", 2),
    ("toObject", 2),
    ("encodeURIComponent", 1),
    ("decodeURIComponent", 1),
    ("encodeBase64", 1),
    ("decodeBase64", 1),
    ("stringToPrettyJSON", 1),
    ("lookupArray", 2),
    ("distinct", 1),
    ("add", 2),
    ("lookup", 2),
    ("log", 1),
    ("unknownHelper", 1),
];

/// `replace`'s first argument: RE2 patterns, literal and special.
const PATTERNS: &[&str] = &[
    "'a'",
    "'[0-9]+'",
    "'(\\\\w)(\\\\w)'",
    "'.'",
    "'^'",
    "'x*'",
    "'('",
    "'/'",
    "'(?<n>b)'",
    "'\\\\.'",
];

const REPLACEMENTS: &[&str] = &["'-'", "'$1'", "'$2$1'", "'$&$&'", "'$$'", "'$<n>!'", "''"];

fn context(rng: &mut Rng) -> serde_json::Value {
    let strings = [
        "",
        "a",
        "B",
        "grafana/grafana",
        "<a href=\"x\">&'`=",
        "1.2.3",
        "a b",
        "%2F",
        "{\"k\":[1]}",
        "é",
    ];
    let pick = |rng: &mut Rng| strings[rng.below(strings.len())].to_string();
    let n = [1.0, 2.0, 0.0, -1.0, 2.5][rng.below(5)];
    serde_json::json!({
        "a": pick(rng),
        "b": pick(rng),
        "depName": pick(rng),
        "currentValue": pick(rng),
        "html": "<b>&amp;</b>",
        "n": n,
        "zero": 0,
        "t": true,
        "f": false,
        "nil": null,
        "empty": "",
        "arr": [pick(rng), pick(rng)],
        "nums": [1, 2],
        "obj": {"k": pick(rng), "2": "two", "1": "one", "list": [pick(rng)]},
        "nested": {"x": {"y": pick(rng)}},
        "x-y": "dash",
        "packageFile": "vars.yml",
    })
}

struct Generator {
    rng: Rng,
}

impl Generator {
    fn program(&mut self, depth: usize) -> String {
        let mut out = String::new();
        for _ in 0..1 + self.rng.below(4) {
            match self.rng.below(10) {
                0..=2 => out.push_str(self.rng.pick(TEXT)),
                3..=5 => out.push_str(&self.mustache()),
                6 => out.push_str(&format!("{{{{{{{}}}}}}}", self.expression(2))),
                7 if depth < 3 => out.push_str(&self.block(depth)),
                8 => out.push_str(
                    ["{{! note }}", "{{!-- a }} b --}}", "\n{{! line }}\n"][self.rng.below(3)],
                ),
                _ => out.push_str(self.rng.pick(TEXT)),
            }
        }
        out
    }

    fn mustache(&mut self) -> String {
        let open = if self.rng.chance(15) { "{{~" } else { "{{" };
        let close = if self.rng.chance(15) { "~}}" } else { "}}" };
        let space = if self.rng.chance(20) { " " } else { "" };
        format!("{open}{space}{}{space}{close}", self.expression(2))
    }

    fn expression(&mut self, depth: usize) -> String {
        match self.rng.below(10) {
            0..=4 => self.rng.pick(PATHS).to_string(),
            5 => self.rng.pick(LITERALS).to_string(),
            _ => self.call(depth),
        }
    }

    fn argument(&mut self, depth: usize) -> String {
        match self.rng.below(10) {
            0..=4 => self.rng.pick(PATHS).to_string(),
            5..=7 => self.rng.pick(LITERALS).to_string(),
            _ if depth > 0 => format!("({})", self.call(depth - 1)),
            _ => self.rng.pick(PATHS).to_string(),
        }
    }

    fn call(&mut self, depth: usize) -> String {
        let (helper, arity) = HELPERS[self.rng.below(HELPERS.len())];
        // Mostly the arguments the helper reads; sometimes one fewer or one more.
        let count = match self.rng.below(10) {
            0 if arity > 0 => arity - 1,
            1 => arity + 1,
            _ => arity,
        };
        let mut args = Vec::new();
        for i in 0..count {
            args.push(match (helper, i) {
                ("replace", 0) => self.rng.pick(PATTERNS).to_string(),
                ("replace", 1) => self.rng.pick(REPLACEMENTS).to_string(),
                _ => self.argument(depth),
            });
        }
        if self.rng.chance(5) {
            args.push("hash=1".into());
        }
        let mut text = helper.to_string();
        for arg in args {
            text.push(' ');
            text.push_str(&arg);
        }
        text
    }

    fn block(&mut self, depth: usize) -> String {
        let standalone = self.rng.chance(30);
        let (nl, indent) = if standalone {
            ("\n", if self.rng.chance(50) { "  " } else { "" })
        } else {
            ("", "")
        };
        let tilde_open = if self.rng.chance(10) { "~" } else { "" };
        let tilde_close = if self.rng.chance(10) { "~" } else { "" };
        let (open, name) = match self.rng.below(9) {
            0 | 1 => (format!("#if {}", self.argument(1)), "if"),
            2 => (format!("#unless {}", self.argument(1)), "unless"),
            3 | 4 => {
                let subject = [
                    "arr",
                    "nums",
                    "obj",
                    "obj.list",
                    "depName",
                    "missing",
                    "(split depName '/')",
                    "nested",
                ][self.rng.below(8)];
                if self.rng.chance(30) {
                    (format!("#each {subject} as |item key|"), "each")
                } else {
                    (format!("#each {subject}"), "each")
                }
            }
            5 => {
                let subject =
                    ["obj", "nested.x", "depName", "missing", "zero", "arr"][self.rng.below(6)];
                (format!("#with {subject}"), "with")
            }
            6 => {
                let subject = [
                    "t", "f", "arr", "obj", "depName", "missing", "empty", "zero",
                ][self.rng.below(8)];
                (format!("#{subject}"), subject)
            }
            7 => {
                let subject = ["t", "f", "arr", "empty", "missing"][self.rng.below(5)];
                (format!("^{subject}"), subject)
            }
            _ => (
                format!("#if (equals {} {})", self.argument(0), self.argument(0)),
                "if",
            ),
        };
        let mut text = format!(
            "{nl}{indent}{{{{{tilde_open}{open}}}}}{nl}{}",
            self.program(depth + 1)
        );
        if !open.starts_with('^') {
            let links = self.rng.below(3);
            for _ in 0..links {
                let chain = [
                    "if t",
                    "if (equals a b)",
                    "unless f",
                    "with obj",
                    "if missing",
                ][self.rng.below(5)];
                text.push_str(&format!(
                    "{nl}{indent}{{{{else {chain}}}}}{nl}{}",
                    self.program(depth + 1)
                ));
            }
        }
        if self.rng.chance(50) {
            text.push_str(&format!(
                "{nl}{indent}{{{{else}}}}{nl}{}",
                self.program(depth + 1)
            ));
        }
        text.push_str(&format!("{nl}{indent}{{{{/{name}{tilde_close}}}}}{nl}"));
        text
    }
}

fn cases(seed: u64, count: usize) -> Vec<(String, serde_json::Value)> {
    let mut generator = Generator { rng: Rng(seed) };
    (0..count)
        .map(|_| {
            let context = context(&mut generator.rng);
            (generator.program(0), context)
        })
        .collect()
}

fn renovate_results(
    renovate: &Renovate,
    cases: &[(String, serde_json::Value)],
) -> Vec<serde_json::Value> {
    let input: Vec<_> = cases
        .iter()
        .map(|(template, context)| serde_json::json!({"template": template, "context": context}))
        .collect();
    renovate.batch(
        "renovate-template-batch.js",
        &serde_json::Value::Array(input),
    )
}

fn ours(
    template: &str,
    json: &serde_json::Value,
    version: RenovateVersion,
) -> Result<String, (String, bool)> {
    let context: Context = match Value::from_serde(json.clone()) {
        Value::Object(entries) => entries.into_iter().collect(),
        _ => unreachable!("contexts are objects"),
    };
    Template::parse(template, version.dialect())
        .and_then(|t| t.render(&context))
        .map_err(|e| (e.reason, e.unsupported))
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seeds() -> Vec<u64> {
    std::env::var("IMG_MIRROR_TEMPLATE_SEEDS")
        .ok()
        .map(|seeds| {
            seeds
                .split(',')
                .map(|s| {
                    let s = s.trim();
                    s.strip_prefix("0x").map_or_else(
                        || s.parse().unwrap(),
                        |hex| u64::from_str_radix(hex, 16).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_else(|| DEFAULT_SEEDS.to_vec())
}

#[test]
fn templates_render_as_renovates_compile_renders_them() {
    let count = env_number("IMG_MIRROR_TEMPLATE_CASES", 1_500);
    let mut mismatches = Vec::new();
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let before = mismatches.len();
        let ours_version: RenovateVersion = version.parse().unwrap();
        let (mut compared, mut same_text, mut both_throw, mut unsupported) = (0, 0, 0, 0);
        let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
        for seed in seeds() {
            let cases = cases(seed, count);
            let theirs = renovate_results(&renovate, &cases);
            for ((template, context), expected) in cases.iter().zip(&theirs) {
                compared += 1;
                let found = ours(template, context, ours_version);
                match (expected.get("ok").and_then(|v| v.as_str()), &found) {
                    (_, Err((reason, true))) => {
                        unsupported += 1;
                        *reasons.entry(reason.chars().take(60).collect()).or_default() += 1;
                    }
                    (Some(text), Ok(ours)) if text == ours => same_text += 1,
                    (None, Err((_, false))) => both_throw += 1,
                    _ => mismatches.push(format!(
                        "Renovate {version}, seed {seed:#x}: template {template:?} with {context}\n  renovate:   {expected}\n  img-mirror: {found:?}"
                    )),
                }
            }
        }
        eprintln!(
            "template differential, Renovate {version}: {compared} cases: {same_text} render the same text, {both_throw} throw in both, {unsupported} not reproduced by img-mirror (not compared)"
        );
        eprintln!("  {} differ", mismatches.len() - before);
        for (reason, count) in &reasons {
            eprintln!("  not reproduced x{count}: {reason}");
        }
        assert!(
            unsupported * 20 < compared,
            "Renovate {version}: {unsupported} of {compared} cases not reproduced"
        );
    }
    let shown: Vec<&String> = mismatches.iter().take(25).collect();
    assert!(
        mismatches.is_empty(),
        "{} cases differ (first {}):\n{}",
        mismatches.len(),
        shown.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
