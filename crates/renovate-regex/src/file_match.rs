//! Which files a custom manager reads, as Renovate decides it.
//!
//! `fileMatch` (Renovate up to 40.1): JavaScript regexes tested unanchored against the
//! repository-relative path. `managerFilePatterns` (40.2 and later): `*` matches all,
//! `/re/` or `/re/i` is a regex (`!` in front negates), anything else is a minimatch
//! glob with `{dot: true, nocase: true}`. Both forms are honoured.

use regex::Regex;

use super::re2::{self, NodeRe2, PatternError};

/// One compiled file pattern.
#[derive(Debug, Clone)]
pub enum FilePattern {
    All,
    Regex { regex: Regex, negated: bool },
}

impl FilePattern {
    /// A `fileMatch` entry: always a regex, never negated.
    pub fn file_match(pattern: &str) -> Result<FilePattern, PatternError> {
        Ok(FilePattern::Regex {
            regex: re2::compile(pattern, false, NodeRe2::V1_21)?
                .regex()
                .clone(),
            negated: false,
        })
    }

    /// A `managerFilePatterns` entry (Renovate's `matchRegexOrGlob`).
    pub fn manager_file_pattern(pattern: &str) -> Result<FilePattern, PatternError> {
        if pattern == "*" {
            return Ok(FilePattern::All);
        }
        if let Some((source, flags, negated)) = config_regex(pattern) {
            return Ok(FilePattern::Regex {
                regex: re2::compile(source, flags.contains('i'), NodeRe2::V1_26)?
                    .regex()
                    .clone(),
                negated,
            });
        }
        let (negated, glob) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        Ok(FilePattern::Regex {
            regex: glob_regex(glob)?,
            negated,
        })
    }

    pub fn matches(&self, path: &str) -> bool {
        match self {
            FilePattern::All => true,
            FilePattern::Regex { regex, negated } => regex.is_match(path) != *negated,
        }
    }
}

/// `/source/flags` or `!/source/flags`, Renovate's `isConfigRegex`.
fn config_regex(pattern: &str) -> Option<(&str, &str, bool)> {
    let negated = pattern.starts_with("!/");
    if !(pattern.starts_with('/') || negated)
        || !(pattern.ends_with('/') || pattern.ends_with("/i"))
    {
        return None;
    }
    let begin = if negated { 2 } else { 1 };
    let end = pattern.rfind('/')?;
    if end < begin {
        return None;
    }
    Some((&pattern[begin..end], &pattern[end + 1..], negated))
}

/// A minimatch glob (`dot: true`, `nocase: true`) as an anchored regex: `**` spans
/// directories, `*` and `?` stay inside one, `[...]` classes and `{a,b}` alternatives.
pub fn glob_regex(glob: &str) -> Result<Regex, PatternError> {
    static COMPILED: crate::memo::Memo<String, Result<Regex, PatternError>> =
        crate::memo::Memo::new();
    COMPILED.get(glob.to_string(), || compile_glob(glob))
}

fn compile_glob(glob: &str) -> Result<Regex, PatternError> {
    // minimatch expands braces first and parses each expansion on its own, so `**`
    // after `{/,}` is a whole path segment in one expansion and not in the other.
    let bodies = expand_braces(glob)
        .iter()
        .map(|pattern| glob_body(pattern))
        .collect::<Result<Vec<_>, _>>()?;
    regex::RegexBuilder::new(&format!("^(?:{})$", bodies.join("|")))
        .case_insensitive(true)
        .build()
        .map_err(|e| PatternError::refused(e.to_string()))
}

fn glob_body(glob: &str) -> Result<String, PatternError> {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*')
                && (i == 0 || chars[i - 1] == '/')
                && matches!(chars.get(i + 2), None | Some('/')) =>
            {
                if chars.get(i + 2) == Some(&'/') {
                    out.push_str("(?:[^/]*/)*");
                    i += 3;
                } else {
                    out.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => match chars[i + 1..].iter().position(|&c| c == ']') {
                Some(len) if len > 0 => {
                    let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                    let inner = inner
                        .strip_prefix('!')
                        .map_or(inner.clone(), |s| format!("^{s}"));
                    out.push('[');
                    out.push_str(&inner.replace('\\', "\\\\"));
                    out.push(']');
                    i += len + 2;
                    continue;
                }
                _ => out.push_str("\\["),
            },
            // Braces are expanded before this; one left is literal.
            '{' => out.push_str("\\{"),
            '\\' if i + 1 < chars.len() => {
                out.push_str(&regex::escape(&chars[i + 1].to_string()));
                i += 2;
                continue;
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

/// Every pattern a glob's `{a,b}` alternatives make (nested ones too), in order; at
/// most 256, beyond which the rest stay literal.
fn expand_braces(glob: &str) -> Vec<String> {
    let chars: Vec<char> = glob.chars().collect();
    let mut escaped = false;
    for (index, &c) in chars.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if c != '{' {
            continue;
        }
        let Some((alternatives, used)) = brace_alternatives(&chars[index..]) else {
            continue;
        };
        let prefix: String = chars[..index].iter().collect();
        let suffix: String = chars[index + used..].iter().collect();
        let mut out = Vec::new();
        for alternative in alternatives {
            for expanded in expand_braces(&format!("{prefix}{alternative}{suffix}")) {
                if out.len() < 256 {
                    out.push(expanded);
                }
            }
        }
        return out;
    }
    vec![glob.to_string()]
}

/// `{a,b{c,d}}` at the start of `chars`: the top-level alternatives and chars used.
fn brace_alternatives(chars: &[char]) -> Option<(Vec<String>, usize)> {
    let mut depth = 0;
    let mut alternatives = Vec::new();
    let mut current = String::new();
    for (index, &c) in chars.iter().enumerate() {
        match c {
            '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    alternatives.push(current);
                    return (alternatives.len() > 1).then_some((alternatives, index + 1));
                }
                current.push(c);
            }
            ',' if depth == 1 => alternatives.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    None
}

/// `ignorePaths`: each entry excludes a path it is a substring of, or that it matches
/// as a minimatch glob (`dot: true`).
#[derive(Debug, Clone)]
pub struct IgnorePaths {
    entries: Vec<(String, Option<Regex>)>,
}

/// Renovate's default `ignorePaths`.
pub const DEFAULT_IGNORE_PATHS: &[&str] = &["**/node_modules/**", "**/bower_components/**"];
/// What the `:ignoreModulesAndTests` preset (in `config:recommended`) adds.
pub const RECOMMENDED_IGNORE_PATHS: &[&str] = &[
    "**/node_modules/**",
    "**/bower_components/**",
    "**/vendor/**",
    "**/examples/**",
    "**/__tests__/**",
    "**/test/**",
    "**/tests/**",
    "**/__fixtures__/**",
];

impl IgnorePaths {
    pub fn of(patterns: &[&str]) -> IgnorePaths {
        IgnorePaths::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>())
    }

    pub fn new(patterns: &[String]) -> IgnorePaths {
        // A check reads ignorePaths twice (the vars file's view, the repository's
        // managers): each glob is compiled once.
        static COMPILED: crate::memo::Memo<String, Option<Regex>> = crate::memo::Memo::new();
        IgnorePaths {
            entries: patterns
                .iter()
                .map(|p| {
                    let glob = COMPILED.get(p.clone(), || {
                        glob_body(p)
                            .ok()
                            .and_then(|b| Regex::new(&format!("^{b}$")).ok())
                    });
                    (p.clone(), glob)
                })
                .collect(),
        }
    }

    /// Whether an entry names `path` as `includePaths` does: the path itself, or a glob.
    pub fn names(&self, path: &str) -> bool {
        self.entries.iter().any(|(pattern, glob)| {
            path == pattern || glob.as_ref().is_some_and(|g| g.is_match(path))
        })
    }

    /// The pattern that excludes `path`, if any.
    pub fn excluding(&self, path: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(pattern, glob)| {
                path.contains(pattern.as_str()) || glob.as_ref().is_some_and(|g| g.is_match(path))
            })
            .map(|(pattern, _)| pattern.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mfp(pattern: &str, path: &str) -> bool {
        FilePattern::manager_file_pattern(pattern)
            .unwrap()
            .matches(path)
    }

    #[test]
    fn file_match_is_an_unanchored_regex() {
        let p = FilePattern::file_match(r"vars\.yml$").unwrap();
        assert!(p.matches("vars.yml"));
        assert!(p.matches("deploy/vars.yml"));
        assert!(p.matches("myvars.yml"));
        assert!(!p.matches("vars.yml.bak"));
    }

    #[test]
    fn manager_file_patterns_regex_forms() {
        assert!(mfp(r"/(^|/)vars\.yml$/", "a/vars.yml"));
        assert!(!mfp(r"/(^|/)vars\.yml$/", "a/myvars.yml"));
        assert!(mfp(r"/VARS\.YML$/i", "vars.yml"));
        assert!(!mfp(r"/VARS\.YML$/", "vars.yml"));
        assert!(mfp(r"!/\.json$/", "vars.yml"));
        assert!(!mfp(r"!/\.json$/", "renovate.json"));
        assert!(mfp("*", "anything/at/all"));
    }

    #[test]
    fn manager_file_patterns_globs_are_minimatch_with_dot_and_nocase() {
        assert!(mfp("vars.yml", "vars.yml"));
        assert!(mfp("VARS.yml", "vars.yml"));
        assert!(!mfp("vars.yml", "sub/vars.yml"), "no matchBase");
        assert!(mfp("**/vars.yml", "vars.yml"));
        assert!(mfp("**/vars.yml", "a/b/vars.yml"));
        assert!(mfp("**/*.yml", ".hidden/x.yml"), "dot: true");
        assert!(!mfp("*.yml", "a/x.yml"));
        assert!(mfp(
            "deploy/{prod,staging}/vars.yml",
            "deploy/staging/vars.yml"
        ));
        assert!(mfp("[a-c]ars.yml", "bars.yml"));
        assert!(mfp("!vars.yml", "other.yml"));
        // The regex readme's own example has no slashes, so it is a glob that matches nothing.
        assert!(!mfp(r"packages/.*/version\.txt$", "packages/a/version.txt"));
    }

    #[test]
    fn ignore_paths_match_by_substring_or_glob() {
        let ignore = IgnorePaths::of(RECOMMENDED_IGNORE_PATHS);
        assert_eq!(
            ignore.excluding("tests/deploy/vars.yml"),
            Some("**/tests/**")
        );
        assert_eq!(ignore.excluding("vars.yml"), None);
        let ignore = IgnorePaths::of(&["legacy"]);
        assert_eq!(ignore.excluding("old/legacy-vars.yml"), Some("legacy"));
    }
}
