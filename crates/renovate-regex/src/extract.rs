//! Renovate's regex manager extraction, reproduced: a pure function of the file's text,
//! its path and the manager. Same deps, same fields, same order as Renovate's
//! `extractPackageFile`, plus what Renovate throws away and we report: where each
//! dep's match lies, and which deps were dropped and why.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use super::manager::{FIELDS, Manager, Strategy};
use super::re2;
use super::template::{Context, TemplateError, Value};
use super::version::RenovateVersion;

/// A dependency as Renovate's extraction reports it (`packageFiles[].deps[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dep {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dep_name: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_name: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_value: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_digest: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datasource: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versioning: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_version: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_urls: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dep_type: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indentation: Option<Box<str>>,
    /// Byte range in the file of the match the dep was made from, whose text is
    /// Renovate's `replaceString` ([`Dep::replace_string`]).
    #[serde(skip)]
    pub span: Option<Range<usize>>,
    /// `depName` was copied from `packageName` after extraction (`massageDepNames`).
    #[serde(skip)]
    pub dep_name_from_package_name: bool,
}

impl Dep {
    /// Renovate's `replaceString`: the text of the match the dep was made from, in
    /// `text`, the file it was extracted from. Kept as a span rather than a copy: it is
    /// most of the file again (1.3 MB for 10,000 entries).
    pub fn replace_string<'t>(&self, text: &'t str) -> Option<&'t str> {
        self.span.clone().and_then(|span| text.get(span))
    }

    /// The dep as Renovate prints it, `replaceString` included: `text` is the file
    /// it was extracted from.
    pub fn with_text<'a>(&'a self, text: &'a str) -> DepWithText<'a> {
        DepWithText {
            dep: self,
            replace_string: self.replace_string(text),
        }
    }

    /// `massageDepNames`, after extraction: a dep named only by its packageName takes
    /// it as its depName ([`takes_package_name`]).
    fn massage_dep_name(&mut self) {
        if takes_package_name(self.dep_name.as_deref(), self.package_name.as_deref()) {
            self.dep_name = self.package_name.clone();
            self.dep_name_from_package_name = true;
        }
    }

    /// The name the docker datasource looks up: `packageName`, else `depName`, trimmed.
    pub fn lookup_name(&self) -> Option<&str> {
        self.package_name
            .as_deref()
            .or(self.dep_name.as_deref())
            .map(js_trim)
    }

    fn set(&mut self, field: &str, value: String) {
        match field {
            "depName" => self.dep_name = Some(value.into()),
            "packageName" => self.package_name = Some(value.into()),
            "currentValue" => self.current_value = Some(value.into()),
            "currentDigest" => self.current_digest = Some(value.into()),
            "datasource" => self.datasource = Some(migrate_datasource(value).into()),
            "versioning" => self.versioning = Some(value.into()),
            "extractVersion" => self.extract_version = Some(value.into()),
            // Renovate keeps only URLs that parse, normalised (`https://x` -> `https://x/`).
            "registryUrl" => {
                if let Ok(url) = url::Url::parse(&value) {
                    self.registry_urls = Some(vec![url.to_string()]);
                }
            }
            "depType" => self.dep_type = Some(value.into()),
            "indentation" => {
                let blank = js_blank(&value);
                self.indentation = Some(if blank { value.into() } else { "".into() });
            }
            _ => {}
        }
    }

    /// Renovate's `isValidDependency`.
    fn is_valid(&self) -> bool {
        self.missing_fields().is_empty()
    }

    /// What `isValidDependency` finds missing: a dep is kept only with a non-blank
    /// depName or packageName, currentValue or currentDigest, and datasource.
    pub fn missing_fields(&self) -> Vec<&'static str> {
        missing_fields(
            [
                &self.dep_name,
                &self.package_name,
                &self.current_value,
                &self.current_digest,
                &self.datasource,
            ]
            .map(|field| field.as_deref()),
        )
    }
}

/// `isValidDependency` on depName, packageName, currentValue, currentDigest and
/// datasource: what it finds missing.
fn missing_fields(
    [
        dep_name,
        package_name,
        current_value,
        current_digest,
        datasource,
    ]: [Option<&str>; 5],
) -> Vec<&'static str> {
    let present = |v: Option<&str>| v.is_some_and(|s| !js_blank(s));
    let mut missing = Vec::new();
    if !(present(dep_name) || present(package_name)) {
        missing.push("depName or packageName");
    }
    if !(present(current_value) || present(current_digest)) {
        missing.push("currentValue or currentDigest");
    }
    if !present(datasource) {
        missing.push("datasource");
    }
    missing
}

/// Renovate's `massageDepNames`, applied right after extraction: whether depName is
/// replaced by packageName. `if (dep.packageName && !dep.depName)`: JavaScript
/// truthiness, so an empty depName is replaced too, and only by a non-empty packageName.
fn takes_package_name(dep_name: Option<&str>, package_name: Option<&str>) -> bool {
    let empty = |v: Option<&str>| v.is_none_or(str::is_empty);
    empty(dep_name) && !empty(package_name)
}

/// JavaScript's white space (`\s`, `String.prototype.trim`): Unicode's space separators
/// and line terminators plus U+FEFF, but not U+0085, unlike Rust's `char::is_whitespace`.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Whether `is.emptyStringOrWhitespace` holds (`!/\S/.test(value)`).
fn js_blank(value: &str) -> bool {
    value.chars().all(is_js_space)
}

/// `String.prototype.trim`.
fn js_trim(value: &str) -> &str {
    value.trim_matches(is_js_space)
}

/// `migrateDatasource`: the renamed datasources.
fn migrate_datasource(value: String) -> String {
    match value.as_str() {
        "adoptium-java" => "java-version".into(),
        "dotnet" => "dotnet-version".into(),
        "node" => "node-version".into(),
        _ => value,
    }
}

/// A dep Renovate discards, with the reason, so checks can explain a missing bump.
#[derive(Debug, Clone)]
pub struct Dropped {
    pub span: Option<Range<usize>>,
    pub reason: DropReason,
}

#[derive(Debug, Clone)]
pub enum DropReason {
    /// A template threw; Renovate logs a WARN and drops the dep.
    Template(TemplateError),
    /// `isValidDependency` failed: a TRACE log, nothing else.
    Invalid(Box<Dep>),
}

/// A dep with the text of its `replaceString`, serialised as Renovate prints a dep.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepWithText<'a> {
    #[serde(flatten)]
    dep: &'a Dep,
    #[serde(skip_serializing_if = "Option::is_none")]
    replace_string: Option<&'a str>,
}

/// The result of running one manager over one file.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub deps: Vec<Dep>,
    pub dropped: Vec<Dropped>,
    /// A matchString reached Renovate's 10,000-match cap.
    pub hit_match_cap: bool,
    /// The `recursive` strategy reached [`MAX_CANDIDATES`] and stopped.
    pub hit_candidate_cap: bool,
    /// A matchString whose matches on this text img-mirror cannot reproduce exactly (RE2
    /// matches bytes where it finds `\C`, or an empty `\B` inside a character): the deps
    /// are img-mirror's best reading, not Renovate's for certain.
    pub unreproducible: Option<String>,
    /// For a plain manager, the match each dep was made from (regex index, match),
    /// dep for dep: what a text with the same matches gives ([`PlainManager::fields`]).
    pub(crate) plain_matches: Vec<(usize, re2::Match)>,
}

type Groups = HashMap<String, Value>;

/// Matches per level multiply in the `recursive` strategy (10,000 per level): a hostile
/// manager could ask for 10^12 deps. Extraction stops at this many candidates, far above
/// any real file, and says so.
pub const MAX_CANDIDATES: usize = 100_000;

/// A manager of the `any` strategy whose templates are all plain text (none, or such
/// as `datasourceTemplate: docker`): nothing is rendered per match, so each dep is
/// its match's groups and the constants. The common case, and the hot path of
/// `check` on large files.
pub(crate) struct PlainManager<'m> {
    pub manager: &'m Manager,
    /// Each field's constant template, by [`FIELDS`] index.
    constants: Vec<Option<String>>,
    /// Each field's group, by regex and [`FIELDS`] index.
    groups: Vec<[Option<usize>; FIELDS.len()]>,
}

/// One match's fields, borrowed from the text or the constants, by [`FIELDS`] index.
pub(crate) type PlainFields<'a> = [Option<&'a str>; FIELDS.len()];

impl<'m> PlainManager<'m> {
    pub fn of(manager: &'m Manager) -> Option<PlainManager<'m>> {
        if manager.strategy != Strategy::Any {
            return None;
        }
        let constants = manager
            .templates
            .iter()
            .map(|template| match template {
                None => Some(None),
                Some(template) => template.constant().map(Some),
            })
            .collect::<Option<Vec<_>>>()?;
        let groups = manager
            .regexes
            .iter()
            .map(|regex| FIELDS.map(|field| regex.group_index(field)))
            .collect();
        Some(PlainManager {
            manager,
            constants,
            groups,
        })
    }

    /// `createDependency` for match `found` of regex `regex`: a template wins over the
    /// group of the same name; an empty group is absent.
    pub fn fields<'a>(
        &'a self,
        regex: usize,
        found: &re2::Match,
        text: &'a str,
    ) -> PlainFields<'a> {
        self.fields_at(regex, found, text, 0)
    }

    /// [`PlainManager::fields`] read from `text`, which holds the file's bytes from
    /// `offset` on (one match's worth of them, say).
    pub fn fields_at<'a>(
        &'a self,
        regex: usize,
        found: &re2::Match,
        text: &'a str,
        offset: usize,
    ) -> PlainFields<'a> {
        std::array::from_fn(|field| match &self.constants[field] {
            Some(constant) => Some(constant.as_str()),
            None => self.groups[regex][field]
                .and_then(|index| found.group_range(index))
                .filter(|range| !range.is_empty())
                .map(|range| &text[range.start - offset..range.end - offset]),
        })
    }
}

/// The fields `confirmIfDepUpdated` compares, as the dep has them after Renovate's
/// `massageDepNames`.
#[derive(Debug, Clone, Copy)]
pub struct Compared<'a> {
    pub dep_name: Option<&'a str>,
    pub dep_name_from_package_name: bool,
    pub current_value: Option<&'a str>,
    pub current_digest: Option<&'a str>,
}

impl Dep {
    pub fn compared(&self) -> Compared<'_> {
        Compared {
            dep_name: self.dep_name.as_deref(),
            dep_name_from_package_name: self.dep_name_from_package_name,
            current_value: self.current_value.as_deref(),
            current_digest: self.current_digest.as_deref(),
        }
    }
}

/// What [`extract`] keeps of a plain manager's match, without building the dep: `None`
/// when `isValidDependency` drops it.
pub(crate) fn compared_if_valid<'a>(fields: &PlainFields<'a>) -> Option<Compared<'a>> {
    let [
        dep_name,
        package_name,
        current_value,
        current_digest,
        datasource,
        ..,
    ] = *fields;
    // `Dep::set` renames a few datasources, never to a blank one.
    let valid = missing_fields([
        dep_name,
        package_name,
        current_value,
        current_digest,
        datasource,
    ])
    .is_empty();
    let massaged = takes_package_name(dep_name, package_name);
    valid.then_some(Compared {
        dep_name: if massaged { package_name } else { dep_name },
        dep_name_from_package_name: massaged,
        current_value,
        current_digest,
    })
}

/// Runs `manager` over `text`, the content of the repository file `package_file`.
pub fn extract(manager: &Manager, text: &str, package_file: &str) -> Extraction {
    let mut extraction = Extraction::default();
    if let Some(plain) = PlainManager::of(manager) {
        any_without_templates(&plain, text, &mut extraction);
    } else {
        match manager.strategy {
            Strategy::Any => any(manager, text, package_file, &mut extraction),
            Strategy::Recursive => {
                let mut leaves = Vec::new();
                recursive(
                    manager,
                    text,
                    0,
                    0,
                    Groups::new(),
                    &mut leaves,
                    &mut extraction,
                );
                for candidate in leaves {
                    add_candidate(manager, package_file, &mut extraction, candidate);
                }
            }
            Strategy::Combination => {
                for candidate in combination(manager, text, &mut extraction) {
                    add_candidate(manager, package_file, &mut extraction, candidate);
                }
            }
        }
    }
    for dep in &mut extraction.deps {
        dep.massage_dep_name();
    }
    extraction
}

/// The dep `createDependency` makes of a candidate's groups, kept or dropped.
fn add_candidate(
    manager: &Manager,
    package_file: &str,
    extraction: &mut Extraction,
    (groups, span): Candidate,
) {
    match create_dependency(manager, &groups, package_file) {
        Ok(mut dep) => {
            dep.span = span;
            keep_if_valid(extraction, dep);
        }
        Err(error) => extraction.dropped.push(Dropped {
            span,
            reason: DropReason::Template(error),
        }),
    }
}

/// Renovate's `isValidDependency` filter: a dep it would discard is remembered. Whether
/// the dep was kept.
fn keep_if_valid(extraction: &mut Extraction, dep: Dep) -> bool {
    if dep.is_valid() {
        extraction.deps.push(dep);
        true
    } else {
        extraction.dropped.push(Dropped {
            span: dep.span.clone(),
            reason: DropReason::Invalid(Box::new(dep)),
        });
        false
    }
}

/// The `any` strategy for a plain manager: the same deps as `createDependency`,
/// without a context per match. Each dep goes straight into `extraction`: a list of
/// them first would hold every dep twice (3 MB more for 10,000).
fn any_without_templates(plain: &PlainManager<'_>, text: &str, extraction: &mut Extraction) {
    for (index, regex) in plain.manager.regexes.iter().enumerate() {
        let found_all = matches(regex, text, extraction);
        extraction.deps.reserve(found_all.len());
        extraction.plain_matches.reserve(found_all.len());
        for found in found_all {
            let mut dep = Dep::default();
            for (field, value) in FIELDS.iter().zip(plain.fields(index, &found, text)) {
                if let Some(value) = value {
                    dep.set(field, value.to_string());
                }
            }
            dep.span = Some(found.whole.clone());
            if keep_if_valid(extraction, dep) {
                extraction.plain_matches.push((index, found));
            }
        }
    }
}

fn groups_of(regex: &re2::Pattern, found: &re2::Match, text: &str) -> Groups {
    groups_at(regex, found, text, 0)
}

/// [`groups_of`] read from `text`, which holds the file's bytes from `offset` on.
fn groups_at(regex: &re2::Pattern, found: &re2::Match, text: &str, offset: usize) -> Groups {
    regex
        .capture_names()
        .zip(found.group_ranges())
        .filter_map(|(name, range)| {
            let value = range.map_or(Value::Undefined, |r| {
                Value::Str(text[r.start - offset..r.end - offset].to_string())
            });
            Some((name?.to_string(), value))
        })
        .collect()
}

/// The dep the `any` strategy makes of `found`, a match of `manager`'s pattern `regex`,
/// read from `text`, which holds the file's bytes from `offset` on; `None` when it is
/// dropped (a template throws, or `isValidDependency` fails).
pub(crate) fn dep_of_match(
    manager: &Manager,
    regex: usize,
    found: &re2::Match,
    text: &str,
    offset: usize,
    package_file: &str,
) -> Option<Dep> {
    let groups = groups_at(&manager.regexes[regex], found, text, offset);
    let mut dep = create_dependency(manager, &groups, package_file).ok()?;
    if !dep.is_valid() {
        return None;
    }
    dep.massage_dep_name();
    Some(dep)
}

fn matches(regex: &re2::Pattern, text: &str, extraction: &mut Extraction) -> Vec<re2::Match> {
    if !regex.reproducible_on(text) && extraction.unreproducible.is_none() {
        extraction.unreproducible = Some(regex.source().to_string());
    }
    let found = re2::match_all(regex, text);
    if found.len() >= re2::MAX_MATCHES {
        extraction.hit_match_cap = true;
    }
    found
}

/// A dep's groups, and the span of its `replaceString` when it has one.
type Candidate = (Groups, Option<Range<usize>>);

/// The `any` strategy: each match becomes its dep at once. A list of every match's
/// groups first would hold them all (6 MB for 10,000 matches of a templated manager).
fn any(manager: &Manager, text: &str, package_file: &str, extraction: &mut Extraction) {
    for regex in &manager.regexes {
        let found_all = matches(regex, text, extraction);
        // Room for every match at once: doubling 10,000 deps into place would hold
        // 1.6 times their size, and twice that while the last copy is made.
        extraction.deps.reserve(found_all.len());
        for found in found_all {
            let candidate = (groups_of(regex, &found, text), Some(found.whole.clone()));
            add_candidate(manager, package_file, extraction, candidate);
        }
    }
}

fn recursive(
    manager: &Manager,
    text: &str,
    offset: usize,
    index: usize,
    combined: Groups,
    out: &mut Vec<Candidate>,
    extraction: &mut Extraction,
) {
    if out.len() >= MAX_CANDIDATES {
        extraction.hit_candidate_cap = true;
        return;
    }
    let Some(regex) = manager.regexes.get(index) else {
        out.push((combined, Some(offset..offset + text.len())));
        return;
    };
    for found in matches(regex, text, extraction) {
        if out.len() >= MAX_CANDIDATES {
            extraction.hit_candidate_cap = true;
            return;
        }
        let mut groups = combined.clone();
        groups.extend(groups_of(regex, &found, text));
        let whole = found.whole;
        recursive(
            manager,
            &text[whole.clone()],
            offset + whole.start,
            index + 1,
            groups,
            out,
            extraction,
        );
    }
}

fn combination(manager: &Manager, text: &str, extraction: &mut Extraction) -> Vec<Candidate> {
    let mut merged: Option<Candidate> = None;
    for regex in &manager.regexes {
        for found in matches(regex, text, extraction) {
            let whole = found.whole.clone();
            let groups = groups_of(regex, &found, text);
            // `(groups.currentValue ?? groups.currentDigest) ? match[0] : undefined`:
            // an empty currentValue hides a digest.
            let key = match groups.get("currentValue") {
                Some(Value::Undefined) | None => groups.get("currentDigest"),
                present => present,
            };
            let replace = key
                .is_some_and(|v| matches!(v, Value::Str(s) if !s.is_empty()))
                .then(|| whole.clone());
            merged = Some(match merged.take() {
                None => (groups, replace),
                Some((mut base, base_span)) => {
                    base.extend(groups);
                    (base, replace.or(base_span))
                }
            });
        }
    }
    merged.into_iter().collect()
}

/// Renovate's `createDependency`: templates win over groups; an empty group is absent.
fn create_dependency(
    manager: &Manager,
    groups: &Groups,
    package_file: &str,
) -> Result<Dep, TemplateError> {
    let mut dep = Dep::default();
    let mut context: Option<Context> = None;
    for field in FIELDS {
        if let Some(template) = manager.template(field) {
            let context = context
                .get_or_insert_with(|| template_context(groups, package_file, manager.version));
            dep.set(field, template.render(context)?);
        } else if let Some(Value::Str(value)) = groups.get(field)
            && !value.is_empty()
        {
            dep.set(field, value.clone());
        }
    }
    Ok(dep)
}

/// The raw groups, plus `packageFile` and `packageFileDir` where the repository's
/// Renovate passes them (42.33 and later).
fn template_context(groups: &Groups, package_file: &str, version: RenovateVersion) -> Context {
    let mut context = groups.clone();
    if !version.templates_see_package_file() {
        return context;
    }
    let (dir, base) = match package_file.rsplit_once('/') {
        Some((dir, base)) => (dir, base),
        None => (".", package_file),
    };
    context
        .entry("packageFile".into())
        .or_insert_with(|| Value::Str(base.to_string()));
    context
        .entry("packageFileDir".into())
        .or_insert_with(|| Value::Str(dir.to_string()));
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ManagerConfig;

    fn manager(json: serde_json::Value) -> Manager {
        let config = ManagerConfig::for_test(json);
        Manager::compile(&config).expect("manager compiles")
    }

    const DIGEST_A: &str =
        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn images_manager() -> Manager {
        manager(serde_json::json!({
            "customType": "regex",
            "managerFilePatterns": ["/vars\\.yml$/"],
            "matchStrings": ["\\n  \\w+: (?:quay\\.io/cki/mirror/)?(?<depName>[^\\s:@]+):(?<currentValue>[^\\s@]+)@(?<currentDigest>sha256:[a-f0-9]{64})"],
            "datasourceTemplate": "docker"
        }))
    }

    #[test]
    fn any_strategy_extracts_every_match_with_its_replace_string() {
        let text = format!(
            "IMAGES:\n  a: quay.io/cki/mirror/grafana/grafana:11.2.0@{DIGEST_A}\n  b: registry.redhat.io/ubi9/ubi:9.4@{DIGEST_A}\n"
        );
        let result = extract(&images_manager(), &text, "vars.yml");
        assert_eq!(result.deps.len(), 2);
        let a = &result.deps[0];
        assert_eq!(a.dep_name.as_deref(), Some("grafana/grafana"));
        assert_eq!(a.current_value.as_deref(), Some("11.2.0"));
        assert_eq!(a.current_digest.as_deref(), Some(DIGEST_A));
        assert_eq!(a.datasource.as_deref(), Some("docker"));
        let replace_string = a.replace_string(&text).unwrap();
        assert!(replace_string.starts_with("\n  a: quay.io"));
        assert!(replace_string.ends_with(DIGEST_A));
        let printed = serde_json::to_value(a.with_text(&text)).unwrap();
        assert_eq!(printed["replaceString"], replace_string);
        assert_eq!(printed["depName"], "grafana/grafana");
    }

    #[test]
    fn deps_without_datasource_or_value_are_dropped_and_remembered() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<depName>\\w+)=(?<currentValue>\\w*)"]
        }));
        let result = extract(&m, "a=1 b=", "x");
        assert!(result.deps.is_empty(), "no datasource");
        assert_eq!(result.dropped.len(), 2);
    }

    #[test]
    fn package_name_only_gets_dep_name_copied() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<packageName>\\w+)=(?<currentValue>\\w+)"],
            "datasourceTemplate": "docker"
        }));
        let dep = &extract(&m, "a=1", "x").deps[0];
        assert_eq!(dep.dep_name.as_deref(), Some("a"));
        assert_eq!(dep.package_name.as_deref(), Some("a"));
    }

    #[test]
    fn templates_see_raw_groups_only() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<name>\\w+)=(?<currentValue>\\w+)"],
            "depNameTemplate": "org/{{{name}}}",
            "packageNameTemplate": "{{{depName}}}",
            "datasourceTemplate": "docker",
            "registryUrlTemplate": "https://Quay.io",
        }));
        let dep = &extract(&m, "a=1", "x").deps[0];
        assert_eq!(dep.dep_name.as_deref(), Some("org/a"));
        assert_eq!(
            dep.package_name.as_deref(),
            Some(""),
            "depName is not a group"
        );
        assert_eq!(
            dep.registry_urls,
            Some(vec!["https://quay.io/".to_string()])
        );
    }

    #[test]
    fn recursive_strategy_merges_groups_downwards() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStringsStrategy": "recursive",
            "matchStrings": ["images:(?<block>[^;]*);", "(?<depName>\\w+)@(?<currentValue>\\d+)"],
            "datasourceTemplate": "docker"
        }));
        let text = "images: a@1 b@2; other: c@3;";
        let result = extract(&m, text, "x");
        let names: Vec<_> = result
            .deps
            .iter()
            .map(|d| d.dep_name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let span = result.deps[1].span.clone().unwrap();
        assert_eq!(&text[span], "b@2");
    }

    #[test]
    fn recursive_nesting_cannot_multiply_without_bound() {
        // Three levels of empty matches would be 10,000^3 leaves.
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStringsStrategy": "recursive",
            "matchStrings": ["x*", "x*", "(?<depName>x*)"],
            "datasourceTemplate": "docker"
        }));
        let result = extract(&m, "abc", "x");
        assert!(result.hit_candidate_cap && result.hit_match_cap);
        assert!(result.deps.len() + result.dropped.len() <= MAX_CANDIDATES);
    }

    #[test]
    fn combination_merges_everything_into_one_dep() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStringsStrategy": "combination",
            "matchStrings": ["name: (?<depName>\\S+)", "tag: (?<currentValue>\\S+)"],
            "datasourceTemplate": "docker"
        }));
        let text = "name: nginx\ntag: 1.27\n";
        let result = extract(&m, text, "x");
        assert_eq!(result.deps.len(), 1);
        assert_eq!(result.deps[0].dep_name.as_deref(), Some("nginx"));
        assert_eq!(result.deps[0].replace_string(text), Some("tag: 1.27"));
    }

    #[test]
    fn datasources_are_migrated_and_indentation_must_be_blank() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<indentation>\\S*)(?<depName>\\w+)=(?<currentValue>\\w+)/(?<datasource>\\w+)"]
        }));
        let dep = &extract(&m, "xa=1/node", "x").deps[0];
        assert_eq!(dep.datasource.as_deref(), Some("node-version"));
        assert_eq!(dep.indentation.as_deref(), Some(""));
    }

    #[test]
    fn a_failing_template_drops_the_dep() {
        let m = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<depName>\\w+)=(?<currentValue>\\w+)"],
            "datasourceTemplate": "{{{decodeURIComponent depName}}}"
        }));
        let result = extract(&m, "a%=1", "x");
        assert!(result.deps.is_empty());
        let m2 = manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<depName>[\\w%]+)=(?<currentValue>\\w+)"],
            "datasourceTemplate": "{{{decodeURIComponent depName}}}"
        }));
        let result = extract(&m2, "a%=1", "x");
        assert!(matches!(result.dropped[0].reason, DropReason::Template(_)));
    }
}
