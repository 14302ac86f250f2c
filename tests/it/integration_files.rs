//! The files users copy into their repositories: they parse, and say what the README
//! says they do.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn yaml(path: &str) -> serde_json::Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn pre_commit_hook_runs_check_on_vars_and_renovate_config_changes() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "img-mirror-check");
    assert_eq!(hook["entry"], "img-mirror check");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["pass_filenames"], false);
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    for path in [
        "vars.yml",
        "deploy/vars.yml",
        "renovate.json",
        "renovate.json5",
        ".renovaterc",
        ".gitlab/renovate.json",
    ] {
        assert!(files.is_match(path), "{path}");
    }
    for path in ["myvars.yml", "README.md", "renovate.json.bak"] {
        assert!(!files.is_match(path), "{path}");
    }
}

#[test]
fn gitlab_template_has_the_check_diff_sharded_nightly_and_prune_jobs() {
    let template = yaml("gitlab/img-mirror.gitlab-ci.yml");
    let check = &template["img-mirror-check"];
    assert_eq!(
        check["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
    assert!(
        check["script"][0]
            .as_str()
            .unwrap()
            .contains("check --format gitlab")
    );
    assert!(
        template["img-mirror-diff"]["script"][1]
            .as_str()
            .unwrap()
            .starts_with("img-mirror diff --base")
    );
    let nightly = &template["img-mirror"];
    assert_eq!(
        nightly["rules"][0]["if"],
        "$ONLY_JOB_NAME == \"img-mirror\""
    );
    assert_eq!(nightly["parallel"], 4);
    assert!(
        nightly["script"][0]
            .as_str()
            .unwrap()
            .contains("--shard \"$CI_NODE_INDEX/$CI_NODE_TOTAL\"")
    );
    // The prune job: scheduled on its own, whole history, a dry run unless told.
    let prune = &template["img-mirror-prune"];
    assert_eq!(
        prune["rules"][0]["if"],
        "$ONLY_JOB_NAME == \"img-mirror-prune\""
    );
    assert_eq!(prune["variables"]["GIT_DEPTH"], 0);
    assert_eq!(prune["variables"]["IMG_MIRROR_PRUNE_APPLY"], "false");
    let script = prune["script"][1].as_str().unwrap();
    assert!(script.contains("if [ \"$IMG_MIRROR_PRUNE_APPLY\" = \"true\" ]; then\n  img-mirror prune --apply\nelse\n  img-mirror prune\n"), "{script}");
}

/// The global config's allowedCommands, as Renovate compiles them (unanchored tests).
fn allowed_commands() -> Vec<regex::Regex> {
    let patterns: Vec<regex::Regex> = crate::common::renovate::allowed_commands()
        .iter()
        .map(|pattern| regex::Regex::new(pattern).unwrap())
        .collect();
    assert_eq!(patterns.len(), 2, "{patterns:?}");
    patterns
}

#[test]
fn the_renovate_39_preset_runs_post_upgrade_with_renovates_values_and_an_allowed_command() {
    let allowed = allowed_commands();
    let json: serde_json::Value = serde_json::from_str(&read("renovate/renovate-39.json")).unwrap();
    let command = json["postUpgradeTasks"]["commands"][0].as_str().unwrap();
    assert!(
        allowed.iter().any(|a| a.is_match(command)),
        "Renovate 39 checks the raw template"
    );
    let rendered = command
        .replace("{{{depName}}}", "grafana/grafana")
        .replace("{{{newValue}}}", "11.3.0")
        .replace(
            "{{{newDigest}}}",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        );
    assert!(
        allowed.iter().any(|a| a.is_match(&rendered)),
        "Renovate 40+ checks the rendered command"
    );
    assert!(
        !allowed
            .iter()
            .any(|a| a.is_match(&format!("{rendered} && curl x")))
    );
    assert_eq!(json["postUpgradeTasks"]["executionMode"], "update");
}

#[test]
fn the_current_preset_runs_post_upgrade_once_per_branch_with_a_data_file() {
    let allowed = allowed_commands();
    let json: serde_json::Value = serde_json::from_str(&read("renovate/default.json")).unwrap();
    let tasks = &json["postUpgradeTasks"];
    assert_eq!(
        tasks["commands"],
        serde_json::json!(["img-mirror post-upgrade"])
    );
    assert!(
        allowed
            .iter()
            .any(|a| a.is_match("img-mirror post-upgrade"))
    );
    assert_eq!(tasks["executionMode"], "branch");
    // What Renovate renders from the template is read by `post-upgrade`: see
    // upgrade_cli::post_upgrade_reads_every_update_from_renovates_data_file.
    assert!(
        tasks["dataFileTemplate"]
            .as_str()
            .unwrap()
            .contains("{{#each upgrades}}")
    );
}
