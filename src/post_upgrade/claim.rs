//! Renovate's own account of a bump (`depName`, `newValue`, `newDigest` as the task's
//! command line or data file gives them), checked against what changed in the file.

use crate::diff::EntryChange;
use crate::mirror_map::MirrorPrefix;
use crate::reference::Reference;

/// What Renovate says it did, from `{{{depName}}}`, `{{{newValue}}}`, `{{{newDigest}}}`.
#[derive(Debug, Clone, Default)]
pub struct RenovateClaim {
    pub dep_name: Option<String>,
    pub new_value: Option<String>,
    pub new_digest: Option<String>,
}

/// Checks Renovate's claim against the changes: some changed entry must be that
/// package (its upstream, for a mirrored entry) with that tag and digest.
pub fn verify_claim(
    claim: &RenovateClaim,
    changes: &[EntryChange],
    prefix: &MirrorPrefix,
) -> Result<(), String> {
    let Some(dep_name) = claim.dep_name.as_deref().filter(|d| !d.is_empty()) else {
        if claim.new_value.is_some() || claim.new_digest.is_some() {
            return Err("--new-value and --new-digest need --dep-name".into());
        }
        return Ok(());
    };
    if dep_name.contains(char::is_whitespace) {
        return Err(format!(
            "--dep-name {dep_name:?} names several packages: in executionMode \"branch\" Renovate joins every depName with spaces, so leave --dep-name out there"
        ));
    }
    let wanted = Reference::parse(dep_name)
        .map_err(|e| format!("--dep-name: {e}"))?
        .name();
    let candidates: Vec<&EntryChange> = changes
        .iter()
        .filter(|change| {
            change
                .new
                .as_ref()
                .map(|side| crate::classify::Classification::of(&side.reference, prefix))
                .and_then(|classification| classification.looked_up().map(Reference::name))
                .is_some_and(|name| name == wanted)
        })
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "Renovate says it updated {dep_name}, but no changed IMAGES entry is that image"
        ));
    }
    let agrees = |change: &&EntryChange| {
        let side = change.new.as_ref().expect("filtered on new");
        claim
            .new_value
            .as_ref()
            .is_none_or(|v| side.tag.as_ref() == Some(v))
            && claim
                .new_digest
                .as_ref()
                .is_none_or(|d| side.digest.as_ref() == Some(d))
    };
    if candidates.iter().any(agrees) {
        return Ok(());
    }
    let found: Vec<String> = candidates
        .iter()
        .map(|c| {
            format!(
                "IMAGES.{} = {}",
                c.entry,
                c.new.as_ref().expect("new").reference
            )
        })
        .collect();
    Err(format!(
        "Renovate says it updated {dep_name} to {}{}, but vars.yml has {}",
        claim.new_value.as_deref().unwrap_or("?"),
        claim
            .new_digest
            .as_deref()
            .map(|d| format!("@{d}"))
            .unwrap_or_default(),
        found.join(", ")
    ))
}
