//! Renovate's auto-replace, simulated: would a bump of this dep be written correctly?
//!
//! Renovate finds the dep's `replaceString` in the file, substitutes the new tag and
//! digest inside it (globally, as `autoReplaceGlobalMatch` defaults to), re-extracts,
//! and accepts the first position where `deps[depIndex]` comes back with the new values
//! (`doAutoReplace` and `confirmIfDepUpdated`). When none does, the update is abandoned
//! as an "update failure". This module runs the same steps on a copy of the text.

use super::extract::{Dep, extract};
use super::manager::Manager;
use super::template::{Context, Value};

/// The bump to simulate.
#[derive(Debug, Clone)]
pub struct Bump {
    pub new_value: Option<String>,
    pub new_digest: Option<String>,
}

/// Why Renovate would fail to write the bump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplaceFailure {
    #[error("the dep has no replaceString to search for")]
    NoReplaceString,
    #[error("the autoReplaceStringTemplate does not render: {0}")]
    Template(String),
    #[error(
        "no position verifies after the replacement: {0} (Renovate gives up with \"update failure\")"
    )]
    NotVerified(String),
}

/// Applies `bump` to `deps[dep_index]` the way Renovate does and returns the new file
/// text, or why Renovate would fail.
pub fn auto_replace(
    manager: &Manager,
    text: &str,
    package_file: &str,
    deps: &[Dep],
    dep_index: usize,
    bump: &Bump,
) -> Result<String, ReplaceFailure> {
    let (replace_string, new_string) = replacement(manager, &deps[dep_index], bump)?;

    let mut last_reason = String::from("replaceString not found in the file");
    let mut search = text.find(&replace_string);
    while let Some(index) = search {
        let candidate = format!(
            "{}{}{}",
            &text[..index],
            new_string,
            &text[index + replace_string.len()..]
        );
        match confirm(
            manager,
            &candidate,
            package_file,
            &deps[dep_index],
            dep_index,
            bump,
        ) {
            Ok(()) => return Ok(candidate),
            Err(reason) => last_reason = reason,
        }
        search = text[index + 1..]
            .find(&replace_string)
            .map(|next| index + 1 + next);
    }
    Err(ReplaceFailure::NotVerified(last_reason))
}

/// The text Renovate searches for and the text it writes instead.
pub fn replacement(
    manager: &Manager,
    dep: &Dep,
    bump: &Bump,
) -> Result<(String, String), ReplaceFailure> {
    let replace_string = dep
        .replace_string
        .clone()
        .or_else(|| dep.current_value.clone())
        .or_else(|| dep.current_digest.clone())
        .ok_or(ReplaceFailure::NoReplaceString)?;
    let new = new_string(manager, dep, &replace_string, bump)?;
    Ok((replace_string, new))
}

fn new_string(
    manager: &Manager,
    dep: &Dep,
    replace_string: &str,
    bump: &Bump,
) -> Result<String, ReplaceFailure> {
    if let Some(template) = &manager.auto_replace_template {
        return template
            .render(&upgrade_context(dep, bump))
            .map_err(|e| ReplaceFailure::Template(e.reason));
    }
    let mut new_string = replace_string.to_string();
    if let (Some(current), Some(new)) = (&dep.current_value, &bump.new_value)
        && !current.is_empty()
        && current != new
    {
        new_string = new_string.replace(current.as_str(), new);
    }
    if let (Some(current), Some(new)) = (&dep.current_digest, &bump.new_digest)
        && !current.is_empty()
        && current != new
    {
        new_string = new_string.replace(current.as_str(), new);
    }
    Ok(new_string)
}

/// What `autoReplaceStringTemplate` sees: the upgrade's fields (custom groups are gone).
fn upgrade_context(dep: &Dep, bump: &Bump) -> Context {
    let mut context = Context::new();
    let mut put = |key: &str, value: &Option<String>| {
        context.insert(
            key.to_string(),
            value.clone().map_or(Value::Undefined, Value::Str),
        );
    };
    put("depName", &dep.dep_name);
    put(
        "packageName",
        &dep.package_name.clone().or(dep.dep_name.clone()),
    );
    put("currentValue", &dep.current_value);
    put("currentDigest", &dep.current_digest);
    put("datasource", &dep.datasource);
    put("indentation", &dep.indentation);
    put("depType", &dep.dep_type);
    put(
        "newValue",
        &bump.new_value.clone().or(dep.current_value.clone()),
    );
    put("newDigest", &bump.new_digest);
    put(
        "newDigestShort",
        &bump
            .new_digest
            .as_ref()
            .map(|d| d.trim_start_matches("sha256:").chars().take(7).collect()),
    );
    context
}

/// `confirmIfDepUpdated`: the re-extracted dep at the same index has the new values.
fn confirm(
    manager: &Manager,
    text: &str,
    package_file: &str,
    old: &Dep,
    dep_index: usize,
    bump: &Bump,
) -> Result<(), String> {
    let extraction = extract(manager, text, package_file);
    let Some(new) = extraction.deps.get(dep_index) else {
        return Err(format!(
            "after the replacement the file has {} deps, fewer than expected",
            extraction.deps.len()
        ));
    };
    verify(old, new, bump)
}

/// `confirmIfDepUpdated`'s comparison of the dep before and after the replacement.
pub fn verify(old: &Dep, new: &Dep, bump: &Bump) -> Result<(), String> {
    // Renovate compares against the re-extracted dep before its packageName is copied
    // into depName, so a dep that only had a packageName never verifies.
    let new_dep_name = if new.dep_name_from_package_name {
        None
    } else {
        new.dep_name.as_deref()
    };
    if old.dep_name.as_deref() != new_dep_name {
        return Err(format!(
            "depName mismatch: {:?} became {:?}",
            old.dep_name.as_deref().unwrap_or(""),
            new_dep_name.unwrap_or("")
        ));
    }
    if let Some(value) = &bump.new_value
        && new.current_value.as_ref() != Some(value)
    {
        return Err(format!(
            "value is not updated: expected {value:?}, extracted {:?}",
            new.current_value.as_deref().unwrap_or("")
        ));
    }
    if let Some(digest) = &bump.new_digest
        && old.current_digest.is_some()
        && new.current_digest.as_ref() != Some(digest)
    {
        return Err(format!(
            "digest is not updated: expected {digest}, extracted {:?}",
            new.current_digest.as_deref().unwrap_or("")
        ));
    }
    Ok(())
}

/// A plausible next tag: the last run of digits incremented (`v2.54.1` -> `v2.54.2`,
/// `9.4-1181` -> `9.4-1182`), so the tag keeps its shape and any regex that took the old
/// one takes the new one. `None` for a tag without digits (`cli`): only its digest moves.
pub fn next_tag(tag: &str) -> Option<String> {
    let end = tag.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = tag[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &tag[start..end];
    let mut bumped: Vec<u8> = digits.bytes().collect();
    let mut index = bumped.len();
    loop {
        if index == 0 {
            bumped.insert(0, b'1');
            break;
        }
        index -= 1;
        if bumped[index] == b'9' {
            bumped[index] = b'0';
        } else {
            bumped[index] += 1;
            break;
        }
    }
    Some(format!(
        "{}{}{}",
        &tag[..start],
        String::from_utf8(bumped).expect("ASCII digits"),
        &tag[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renovate::config::ManagerConfig;

    fn manager(json: serde_json::Value) -> Manager {
        Manager::compile(&ManagerConfig {
            key_path: "customManagers[0]".into(),
            raw: json,
            line: 1,
        })
        .unwrap()
    }

    fn images() -> Manager {
        manager(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["\\n  \\w+: (?:quay\\.io/cki/mirror/)?(?<depName>[^\\s:@]+):(?<currentValue>[^\\s@]+)@(?<currentDigest>sha256:[a-f0-9]{64})"],
            "datasourceTemplate": "docker"
        }))
    }

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn next_tag_keeps_the_shape() {
        assert_eq!(next_tag("v2.54.1").as_deref(), Some("v2.54.2"));
        assert_eq!(next_tag("9.4-1189").as_deref(), Some("9.4-1190"));
        assert_eq!(next_tag("1.9").as_deref(), Some("1.10"));
        assert_eq!(
            next_tag("RELEASE.2024-09-13T20-26-02Z").as_deref(),
            Some("RELEASE.2024-09-13T20-26-03Z")
        );
        assert_eq!(next_tag("cli"), None);
    }

    #[test]
    fn a_clean_bump_rewrites_only_the_tag_and_digest() {
        let m = images();
        let text = format!(
            "IMAGES:\n  a: quay.io/cki/mirror/grafana/grafana:11.2.0@{}\n",
            digest('a')
        );
        let deps = extract(&m, &text, "x").deps;
        let bump = Bump {
            new_value: Some("11.2.1".into()),
            new_digest: Some(digest('b')),
        };
        let new = auto_replace(&m, &text, "x", &deps, 0, &bump).unwrap();
        assert_eq!(
            new,
            format!(
                "IMAGES:\n  a: quay.io/cki/mirror/grafana/grafana:11.2.1@{}\n",
                digest('b')
            )
        );
    }

    #[test]
    fn a_tag_inside_the_digest_breaks_the_update() {
        let m = images();
        // The tag "aa" occurs inside the digest; a global replace corrupts the digest.
        let text = format!("IMAGES:\n  a: registry.redhat.io/x:aa@{}\n", digest('a'));
        let deps = extract(&m, &text, "x").deps;
        let bump = Bump {
            new_value: Some("ab".into()),
            new_digest: Some(digest('b')),
        };
        let failure = auto_replace(&m, &text, "x", &deps, 0, &bump).unwrap_err();
        assert!(
            failure.to_string().contains("no position verifies"),
            "{failure}"
        );
    }
}
