//! The settings that stop Renovate from updating a dep, as Renovate applies them:
//! top-level `enabled: false`, `enabledManagers` without the regex manager, the
//! `regex` manager object disabled, `ignoreDeps`, and `packageRules` (with the
//! `digest`/`major`/`minor`/`patch` objects that massageConfig turns into rules),
//! matched as `applyPackageRules` matches them.
//!
//! Matchers: `matchManagers` (a regex manager's dep is `custom.regex` to it),
//! `matchFileNames`, `matchDatasources`, `matchPackageNames`, `matchDepNames`,
//! `matchDepTypes`, `matchCategories`, `matchCurrentValue` and `matchUpdateTypes`, with
//! Renovate's patterns (exact and globs case-insensitive, `/re/` and `/re/i`, `!`
//! negations, `*`). A rule with a matcher that needs what only a lookup or the platform
//! knows (source URL, repository, branch, confidence, age) can only "maybe" match: its
//! effect is reported as possible, never as certain.

use serde_json::{Map, Value};

use super::file_match::FilePattern;

/// The update types an `IMAGES` entry needs: its digest, and its tag's bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateType {
    Digest,
    Major,
    Minor,
    Patch,
}

impl UpdateType {
    pub const ALL: [UpdateType; 4] = [
        UpdateType::Digest,
        UpdateType::Major,
        UpdateType::Minor,
        UpdateType::Patch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UpdateType::Digest => "digest",
            UpdateType::Major => "major",
            UpdateType::Minor => "minor",
            UpdateType::Patch => "patch",
        }
    }
}

/// What the matchers read of a regex manager's dep.
#[derive(Debug, Clone, Default)]
pub struct DepFacts<'a> {
    pub dep_name: Option<&'a str>,
    pub package_name: Option<&'a str>,
    pub datasource: Option<&'a str>,
    pub package_file: &'a str,
    pub current_value: Option<&'a str>,
    pub dep_type: Option<&'a str>,
}

/// Why a dep, or some of its update types, is never proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// The update types stopped; empty when the dep itself is skipped.
    pub update_types: Vec<UpdateType>,
    /// The setting and rule responsible, as the user finds it in the config.
    pub cause: String,
    /// False when a rule's matcher needs facts only a lookup has: it may stop it.
    pub certain: bool,
}

/// One matcher's answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Match {
    Yes,
    #[default]
    No,
    /// The matcher needs a fact img-mirror does not have offline.
    Unknown,
}

/// A config's settings that stop updates, with every pattern its rules use compiled
/// once: a check asks about thousands of deps.
pub struct Policy<'a> {
    /// What skips every dep: top-level `enabled: false`, `enabledManagers` without the
    /// regex manager, `regex: {enabled: false}`.
    repository_stop: Option<String>,
    ignore_deps: Vec<&'a str>,
    /// The top-level `digest`/`major`/`minor`/`patch` objects' `enabled`, by
    /// [`UpdateType::ALL`] index.
    objects: [Option<bool>; 4],
    /// The package rules that set `enabled` and may match a regex manager's dep.
    rules: Vec<(Rule<'a>, Option<UpdateType>)>,
    /// Each rule's matchers compiled, by index into `rules`.
    compiled: Vec<CompiledRule>,
}

/// A rule's matchers, patterns compiled: nothing is looked up or compiled per dep.
struct CompiledRule {
    matchers: Vec<(Field, PatternList)>,
    /// `matchUpdateTypes`, when the rule has it.
    update_types: Option<PatternList>,
}

/// What a matcher reads of the dep.
#[derive(Clone, Copy)]
enum Field {
    Manager,
    PackageFile,
    Datasource,
    PackageName,
    DepName,
    DepType,
    CurrentValue,
    /// `matchCategories`: a regex manager's dep is in `custom` only.
    Categories(bool),
    /// What only the platform, a lookup or a release knows.
    Unknowable,
}

/// A `matchRegexOrGlobList` list: each pattern with whether it is a `!` negation.
struct PatternList(Vec<(bool, CompiledPattern)>);

/// A compiled `matchRegexOrGlob` pattern.
enum CompiledPattern {
    Pattern(FilePattern),
    /// A regex RE2 refuses, read as a minimatch glob.
    Glob {
        regex: regex::Regex,
        negated: bool,
    },
    Unknown,
}

impl<'a> Policy<'a> {
    pub fn new(root: &'a Map<String, Value>) -> Policy<'a> {
        // A rule that sets no `enabled` cannot stop an update (expanded_rules leaves
        // it out), and one whose manager or category matcher refuses the regex manager
        // matches none of its deps: neither is asked about each of thousands of deps.
        let (rules, compiled) = expanded_rules(root)
            .into_iter()
            .map(|rule| {
                let compiled = compile_rule(rule.0.rule);
                (rule, compiled)
            })
            .filter(|(_, compiled)| !compiled.refuses_the_regex_manager())
            .unzip();
        let repository_stop = if root.get("enabled") == Some(&Value::Bool(false)) {
            Some("`enabled: false` at the top level: Renovate skips the repository".to_string())
        } else if let Some(Value::Array(managers)) = root.get("enabledManagers")
            && !managers.is_empty()
            && !managers
                .iter()
                .any(|m| matches!(m.as_str(), Some("regex" | "custom.regex")))
        {
            Some(format!(
                "`enabledManagers` {} leaves out the regex manager (custom.regex)",
                Value::Array(managers.clone())
            ))
        } else if root.get("regex").and_then(|r| r.get("enabled")) == Some(&Value::Bool(false)) {
            Some("`regex: {enabled: false}` disables the regex manager".to_string())
        } else {
            None
        };
        let ignore_deps = match root.get("ignoreDeps") {
            Some(Value::Array(ignored)) => ignored.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let objects = UpdateType::ALL.map(|update_type| {
            root.get(update_type.name())
                .and_then(|o| o.get("enabled"))
                .and_then(Value::as_bool)
        });
        Policy {
            repository_stop,
            ignore_deps,
            objects,
            rules,
            compiled,
        }
    }

    /// The stops that apply to `dep`, most sweeping first: the dep skipped, else the
    /// update types disabled.
    pub fn stops(&self, dep: &DepFacts<'_>) -> Vec<Stop> {
        let skipped = |cause: String| {
            vec![Stop {
                update_types: Vec::new(),
                cause,
                certain: true,
            }]
        };
        if let Some(cause) = &self.repository_stop {
            return skipped(cause.clone());
        }
        if let Some(name) = dep.dep_name.map(str::trim)
            && self.ignore_deps.contains(&name)
        {
            return skipped(format!("`ignoreDeps` lists {name}"));
        }
        if self.objects.iter().all(Option::is_none) && self.rules.is_empty() {
            return Vec::new();
        }
        let mut buffer = BaseMatches::default();
        let base = self.base_matches(dep, &mut buffer);
        // What no rule matches, only the update-type objects can stop.
        if base.iter().all(|m| *m == Match::No) && !self.objects.contains(&Some(false)) {
            return Vec::new();
        }
        // Pre-lookup: no update type yet, so a rule with matchUpdateTypes does not match.
        if let Some(stop) = self.fold_enabled(base, None, None) {
            return vec![stop];
        }
        let mut by_type: Vec<(UpdateType, Stop)> = Vec::new();
        for (update_type, object) in UpdateType::ALL.into_iter().zip(self.objects) {
            if let Some(stop) = self.fold_enabled(base, Some(update_type), object) {
                by_type.push((update_type, stop));
            }
        }
        if by_type.is_empty() {
            return Vec::new();
        }
        let certain = by_type.iter().all(|(_, stop)| stop.certain);
        let mut causes: Vec<String> = Vec::new();
        for (_, stop) in &by_type {
            if !causes.contains(&stop.cause) {
                causes.push(stop.cause.clone());
            }
        }
        vec![Stop {
            update_types: by_type.iter().map(|(t, _)| *t).collect(),
            cause: causes.join("; "),
            certain,
        }]
    }

    /// Whether the package rules alone leave `enabled` false for `dep` at
    /// `update_type` (`None`: before lookup, with no update type yet): `Some(true)`
    /// when they certainly do, `Some(false)` when they certainly do not, `None` when a
    /// rule that needs a lookup's facts decides.
    pub fn disabled_by_rules(
        &self,
        dep: &DepFacts<'_>,
        update_type: Option<UpdateType>,
    ) -> Option<bool> {
        let mut buffer = BaseMatches::default();
        match self.fold_enabled(self.base_matches(dep, &mut buffer), update_type, None) {
            None => Some(false),
            Some(stop) if stop.certain => Some(true),
            Some(_) => None,
        }
    }
}

/// Where [`Policy::base_matches`] writes: a config has a few rules that stop updates,
/// and a check asks about each of thousands of deps without allocating.
#[derive(Default)]
struct BaseMatches {
    inline: [Match; 8],
    spilled: Vec<Match>,
}

/// A package rule that sets `enabled`, with where it is written.
struct Rule<'a> {
    label: String,
    rule: &'a Map<String, Value>,
    /// The rule's `enabled`, or that of the update-type object massageConfig split off.
    enabled: bool,
}

/// The `packageRules` that set `enabled`, with each rule's update-type objects split
/// off as massageConfig splits them (`{..., digest: {enabled: false}}` also becomes a
/// rule with `digest` added to its `matchUpdateTypes`). The original rule stays before
/// its split-offs; massageConfig drops it when it is left with matchers only, as a rule
/// that sets no `enabled` is left out here: it changes nothing.
fn expanded_rules(root: &Map<String, Value>) -> Vec<(Rule<'_>, Option<UpdateType>)> {
    let mut out = Vec::new();
    let Some(Value::Array(rules)) = root.get("packageRules") else {
        return out;
    };
    let enabled_of = |object: &Value| object.get("enabled").and_then(Value::as_bool);
    for (index, rule) in rules.iter().enumerate() {
        let Some(rule) = rule.as_object() else {
            continue;
        };
        let own = rule.get("enabled").and_then(Value::as_bool);
        let split_offs: Vec<(UpdateType, bool)> = UpdateType::ALL
            .into_iter()
            .filter_map(|update_type| {
                Some((update_type, enabled_of(rule.get(update_type.name())?)?))
            })
            .collect();
        if own.is_none() && split_offs.is_empty() {
            continue;
        }
        let label = describe(index, rule);
        if let Some(enabled) = own {
            out.push((
                Rule {
                    label: label.clone(),
                    rule,
                    enabled,
                },
                None,
            ));
        }
        for (update_type, enabled) in split_offs {
            out.push((
                Rule {
                    label: format!("{label} ({}: {{enabled: {enabled}}})", update_type.name()),
                    rule,
                    enabled,
                },
                Some(update_type),
            ));
        }
    }
    out
}

fn describe(index: usize, rule: &Map<String, Value>) -> String {
    let matchers: Vec<String> = rule
        .iter()
        .filter(|(key, _)| key.starts_with("match"))
        .map(|(key, value)| format!("{key} {value}"))
        .collect();
    let description = rule
        .get("description")
        .map(|d| match d {
            Value::Array(parts) => parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            other => other.as_str().unwrap_or_default().to_string(),
        })
        .filter(|d| !d.is_empty())
        .map(|d| format!(" \"{d}\""))
        .unwrap_or_default();
    if matchers.is_empty() {
        format!("packageRules[{index}]{description} (no matcher: every dep)")
    } else {
        format!(
            "packageRules[{index}]{description} ({})",
            matchers.join(", ")
        )
    }
}

impl Policy<'_> {
    /// Applies the rules in order to `enabled` (after the update type's own object where
    /// there is one, as flatten merges it between the two passes), and says what stops
    /// it, if anything does.
    fn fold_enabled(
        &self,
        base: &[Match],
        update_type: Option<UpdateType>,
        object: Option<bool>,
    ) -> Option<Stop> {
        let mut enabled = true;
        let mut cause: Option<String> = object
            .filter(|e| !e)
            .and_then(|_| update_type.map(|t| format!("`{}: {{enabled: false}}`", t.name())));
        if object == Some(false) {
            enabled = false;
        }
        let mut possible: Option<String> = None;
        for (index, (rule, split_type)) in self.rules.iter().enumerate() {
            let rule_enabled = rule.enabled;
            let matched = match (
                base[index],
                self.types_match(index, update_type, *split_type),
            ) {
                (Match::No, _) | (_, Match::No) => Match::No,
                (Match::Unknown, _) | (_, Match::Unknown) => Match::Unknown,
                (Match::Yes, Match::Yes) => Match::Yes,
            };
            match matched {
                Match::Yes => {
                    enabled = rule_enabled;
                    cause = (!rule_enabled).then(|| rule.label.clone());
                    if rule_enabled {
                        possible = None;
                    }
                }
                Match::Unknown if !rule_enabled && enabled => possible = Some(rule.label.clone()),
                _ => {}
            }
        }
        if !enabled {
            return Some(Stop {
                update_types: update_type.into_iter().collect(),
                cause: cause.unwrap_or_else(|| "a package rule".into()),
                certain: true,
            });
        }
        possible.map(|label| Stop {
            update_types: update_type.into_iter().collect(),
            cause: label,
            certain: false,
        })
    }

    /// Each rule's matchers other than `matchUpdateTypes` on `dep`: what does not
    /// change from one update type to the next, worked out once per dep.
    fn base_matches<'b>(&self, dep: &DepFacts<'_>, buffer: &'b mut BaseMatches) -> &'b [Match] {
        let matches = self.compiled.iter().map(|compiled| compiled.matches(dep));
        if self.compiled.len() <= buffer.inline.len() {
            for (slot, matched) in buffer.inline.iter_mut().zip(matches) {
                *slot = matched;
            }
            &buffer.inline[..self.compiled.len()]
        } else {
            buffer.spilled = matches.collect();
            &buffer.spilled
        }
    }

    /// The rule's `matchUpdateTypes` at `update_type` (`None`: before lookup, where
    /// no rule with update types matches). `split` is the update type of a rule
    /// massageConfig split off an update-type object: its `matchUpdateTypes` is the
    /// rule's own with that type appended.
    fn types_match(
        &self,
        index: usize,
        update_type: Option<UpdateType>,
        split: Option<UpdateType>,
    ) -> Match {
        match (&self.compiled[index].update_types, update_type) {
            (None, None) if split.is_none() => Match::Yes,
            (_, None) => Match::No,
            (_, Some(t)) if Some(t) == split => Match::Yes,
            (None, Some(_)) if split.is_some() => Match::No,
            (None, Some(_)) => Match::Yes,
            (Some(list), Some(t)) => list.matches(Some(t.name())),
        }
    }
}

/// `matchesRule`'s matchers of one rule, compiled. Matchers Renovate does not have (an
/// unmigrated legacy key, a typo) are ignored, as Renovate ignores them.
fn compile_rule(rule: &Map<String, Value>) -> CompiledRule {
    let mut matchers = Vec::new();
    let mut update_types = None;
    for (key, value) in rule {
        let field = match key.as_str() {
            "matchManagers" => Field::Manager,
            "matchFileNames" => Field::PackageFile,
            "matchDatasources" => Field::Datasource,
            "matchPackageNames" => Field::PackageName,
            "matchDepNames" => Field::DepName,
            "matchDepTypes" => Field::DepType,
            "matchCurrentValue" => Field::CurrentValue,
            "matchCategories" => Field::Categories(
                value
                    .as_array()
                    .is_some_and(|items| items.iter().any(|c| c.as_str() == Some("custom"))),
            ),
            "matchUpdateTypes" => {
                update_types = Some(PatternList::of(value));
                continue;
            }
            // A preset inside a rule adds matchers img-mirror does not resolve there.
            "extends"
            | "matchRepositories"
            | "matchBaseBranches"
            | "matchSourceUrls"
            | "matchCurrentVersion"
            | "matchNewValue"
            | "matchConfidence"
            | "matchCurrentAge"
            | "matchJsonata"
            | "matchRegistryUrls"
            | "matchIsBreaking" => Field::Unknowable,
            _ => continue,
        };
        matchers.push((field, PatternList::of(value)));
    }
    CompiledRule {
        matchers,
        update_types,
    }
}

impl CompiledRule {
    /// Whether a matcher refuses every dep of the regex manager: its manager is
    /// always `custom.regex`, its category always `custom`.
    fn refuses_the_regex_manager(&self) -> bool {
        self.matchers.iter().any(|(field, list)| match field {
            Field::Manager => list.matches(Some("custom.regex")) == Match::No,
            Field::Categories(custom) => !custom,
            _ => false,
        })
    }

    /// Every matcher must match; a rule without any matches every dep.
    fn matches(&self, dep: &DepFacts<'_>) -> Match {
        let mut result = Match::Yes;
        for (field, list) in &self.matchers {
            let matched = match field {
                Field::Manager => list.matches(Some("custom.regex")),
                Field::PackageFile => list.matches(Some(dep.package_file)),
                Field::Datasource => list.matches(dep.datasource),
                Field::PackageName => list.matches(dep.package_name.or(dep.dep_name)),
                Field::DepName => list.matches(dep.dep_name),
                Field::DepType => list.matches(dep.dep_type),
                Field::CurrentValue => list.matches(dep.current_value),
                Field::Categories(custom) => {
                    if *custom {
                        Match::Yes
                    } else {
                        Match::No
                    }
                }
                Field::Unknowable => Match::Unknown,
            };
            match matched {
                Match::No => return Match::No,
                Match::Unknown => result = Match::Unknown,
                Match::Yes => {}
            }
        }
        result
    }
}

impl PatternList {
    fn of(value: &Value) -> PatternList {
        let patterns: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        };
        PatternList(
            patterns
                .into_iter()
                .map(|p| (p.starts_with('!'), compile_pattern(p)))
                .collect(),
        )
    }

    /// `matchRegexOrGlobList(input, patterns)`; a missing input never matches.
    fn matches(&self, input: Option<&str>) -> Match {
        let Some(input) = input else {
            return Match::No;
        };
        if self.0.is_empty() {
            return Match::No;
        }
        let mut unknown = false;
        let mut test = |pattern: &CompiledPattern| match pattern.test(input) {
            Match::Yes => true,
            Match::No => false,
            Match::Unknown => {
                unknown = true;
                false
            }
        };
        let mut positives = self.0.iter().filter(|(negative, _)| !negative).peekable();
        let holds = (positives.peek().is_none() || positives.any(|(_, p)| test(p)))
            && self
                .0
                .iter()
                .filter(|(negative, _)| *negative)
                .all(|(_, p)| test(p));
        match (holds, unknown) {
            (true, _) => Match::Yes,
            (false, true) => Match::Unknown,
            (false, false) => Match::No,
        }
    }
}

impl CompiledPattern {
    fn test(&self, input: &str) -> Match {
        let yes = |b: bool| if b { Match::Yes } else { Match::No };
        match self {
            CompiledPattern::Pattern(pattern) => yes(pattern.matches(input)),
            CompiledPattern::Glob { regex, negated } => yes(regex.is_match(input) != *negated),
            CompiledPattern::Unknown => Match::Unknown,
        }
    }
}

/// `matchRegexOrGlob`'s pattern, compiled: `*`, `/re/` and `/re/i` (negated with `!`),
/// minimatch globs (`dot`, `nocase`, `!` negation). A regex RE2 refuses is read as a
/// glob, as `parseRegexMatch` gives up and Renovate falls back to minimatch; one
/// img-mirror cannot reproduce is not guessed at.
fn compile_pattern(pattern: &str) -> CompiledPattern {
    match FilePattern::manager_file_pattern(pattern) {
        Ok(compiled) => CompiledPattern::Pattern(compiled),
        Err(error) if error.unsupported => CompiledPattern::Unknown,
        Err(_) => {
            let (negated, glob) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern),
            };
            match super::file_match::glob_regex(glob) {
                Ok(regex) => CompiledPattern::Glob { regex, negated },
                Err(_) => CompiledPattern::Unknown,
            }
        }
    }
}

/// The stops that apply to `dep` under `root` (its rules compiled for this one dep).
pub fn stops(root: &Map<String, Value>, dep: &DepFacts<'_>) -> Vec<Stop> {
    Policy::new(root).stops(dep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grafana() -> DepFacts<'static> {
        DepFacts {
            dep_name: Some("grafana/grafana"),
            package_name: Some("grafana/grafana"),
            datasource: Some("docker"),
            package_file: "vars.yml",
            current_value: Some("11.2.0"),
            dep_type: None,
        }
    }

    fn stop(config: Value) -> Vec<Stop> {
        let Value::Object(root) = config else {
            panic!()
        };
        stops(&root, &grafana())
    }

    /// Renovate's own applyPackageRules on these rules (39.264.1 and 44.121.2 agree).
    #[test]
    fn rules_match_as_applypackagerules_matches_them() {
        for (rule, disables) in [
            (json!({"matchManagers": ["custom.regex"]}), true),
            (json!({"matchManagers": ["custom.*"]}), true),
            (json!({"matchPackageNames": ["Grafana/Grafana"]}), true),
            (json!({"matchPackageNames": ["grafana/*"]}), true),
            (json!({"matchPackageNames": ["grafana*"]}), false),
            (json!({"matchPackageNames": ["/^GRAFANA/"]}), false),
            (json!({"matchPackageNames": ["/^GRAFANA/i"]}), true),
            (json!({"matchPackageNames": ["/grafana/g"]}), false),
            (
                json!({"matchPackageNames": ["*", "!grafana/grafana"]}),
                false,
            ),
            (json!({"matchPackageNames": ["!prom/prometheus"]}), true),
            (json!({"matchPackageNames": []}), false),
            (json!({"matchDepNames": ["grafana"]}), false),
            (json!({"matchFileNames": ["**/vars.yml"]}), true),
            (json!({"matchCurrentValue": "/^11\\./"}), true),
            (json!({"matchCurrentValue": "!/^11/"}), false),
            (
                json!({"matchDatasources": ["docker"], "matchPackageNames": ["prom/prometheus"]}),
                false,
            ),
            (json!({}), true),
        ] {
            let mut rule = rule.as_object().unwrap().clone();
            rule.insert("enabled".into(), json!(false));
            let found = stop(json!({"packageRules": [rule]}));
            assert_eq!(!found.is_empty(), disables, "{rule:?}: {found:?}");
        }
    }

    #[test]
    fn update_types_are_stopped_per_type_and_rules_reenable() {
        let found = stop(json!({"digest": {"enabled": false}}));
        assert_eq!(found[0].update_types, [UpdateType::Digest]);
        let found = stop(json!({"packageRules": [
            {"matchDatasources": ["docker"], "matchUpdateTypes": ["major", "minor", "patch", "digest"], "enabled": false},
        ]}));
        assert_eq!(found[0].update_types.len(), 4);
        assert!(found[0].certain);
        // A later rule enabling it again wins, as mergeChildConfig overwrites.
        assert!(
            stop(json!({"packageRules": [
                {"matchPackageNames": ["*"], "enabled": false},
                {"matchPackageNames": ["grafana/**"], "enabled": true},
            ]}))
            .is_empty()
        );
        // A rule's update-type object is split off as its own rule.
        let found = stop(
            json!({"packageRules": [{"matchPackageNames": ["grafana/grafana"], "digest": {"enabled": false}}]}),
        );
        assert_eq!(found[0].update_types, [UpdateType::Digest]);
        // What needs a lookup can only maybe match.
        let found = stop(
            json!({"packageRules": [{"matchSourceUrls": ["https://github.com/grafana/**"], "enabled": false}]}),
        );
        assert!(!found[0].certain);
    }

    #[test]
    fn repository_wide_settings_stop_the_dep() {
        assert!(
            stop(json!({"enabled": false}))[0]
                .cause
                .contains("top level")
        );
        assert!(
            stop(json!({"enabledManagers": ["dockerfile"]}))[0]
                .cause
                .contains("custom.regex")
        );
        assert!(stop(json!({"enabledManagers": ["custom.regex"]})).is_empty());
        assert!(
            stop(json!({"ignoreDeps": ["grafana/grafana"]}))[0]
                .cause
                .contains("ignoreDeps")
        );
        assert!(
            stop(json!({"ignoreDeps": ["Grafana/Grafana"]})).is_empty(),
            "exact, case-sensitive"
        );
        assert!(
            stop(json!({"regex": {"enabled": false}}))[0]
                .update_types
                .is_empty()
        );
    }
}
