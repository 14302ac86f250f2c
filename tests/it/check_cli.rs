//! `img-mirror check` end to end: every scenario under fixtures/check/ yields exactly
//! the findings its `expected` file lists, and the shipped fixture is clean.

use crate::common::{fixtures, json_lines, run, run_with_env, stderr, stdout};

/// `CODE line entry` for each diagnostic, `-` where a field is null.
fn findings(repo: &std::path::Path) -> (Vec<String>, Option<i32>) {
    let output = run(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let mut found: Vec<String> = json_lines(&output)
        .into_iter()
        .filter(|line| line["type"] == "diagnostic")
        .map(|d| {
            let field = |key: &str| match &d[key] {
                serde_json::Value::Null => "-".to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{} {} {}", field("code"), field("line"), field("entry"))
        })
        .collect();
    found.sort();
    (found, output.status.code())
}

/// A scenario's `expected` file: `exit N`, then one `CODE line entry` per finding.
fn expectation(scenario: &std::path::Path) -> (Vec<String>, i32) {
    let text = std::fs::read_to_string(scenario.join("expected")).unwrap();
    let mut lines = text.lines();
    let exit = lines
        .next()
        .and_then(|l| l.strip_prefix("exit "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}: expected starts with `exit N`", scenario.display()));
    let mut findings: Vec<String> = lines.map(str::to_string).collect();
    findings.sort();
    (findings, exit)
}

fn scenarios() -> Vec<std::path::PathBuf> {
    let mut scenarios: Vec<_> = std::fs::read_dir(fixtures().join("check"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    scenarios.sort();
    scenarios
}

#[test]
fn every_scenario_reports_exactly_its_expected_findings() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 16, "scenarios: {scenarios:?}");
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let (expected, expected_code) = expectation(scenario);
        let (found, code) = findings(scenario);
        if found != expected || code != Some(expected_code) {
            failures.push(format!(
                "{}: expected {expected:?} (exit {expected_code}), found {found:?} (exit {code:?})",
                scenario.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_lint_code_has_a_scenario_that_triggers_it() {
    let mut triggered = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(fixtures().join("check")).unwrap() {
        let expected = std::fs::read_to_string(entry.unwrap().path().join("expected")).unwrap();
        triggered.extend(
            expected
                .lines()
                .map(|l| l.split(' ').next().unwrap().to_string()),
        );
    }
    // IM006 needs a 16 MiB input: `oversized_vars_file_is_refused_before_parsing` makes one.
    triggered.insert("IM006".to_string());
    for code in img_mirror::lint::codes() {
        assert!(
            triggered.contains(code.code),
            "no scenario triggers {}",
            code.code
        );
    }
}

#[test]
fn oversized_vars_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let filler = "# padding\n".repeat(img_mirror::vars::MAX_FILE_BYTES / 10 + 1);
    std::fs::write(dir.path().join("vars.yml"), filler).unwrap();
    let (found, code) = findings(dir.path());
    assert_eq!(found, ["IM006 - -", "IM204 - -"]);
    assert_eq!(code, Some(1));
}

#[test]
fn shipped_fixture_is_clean() {
    let repo = fixtures().join("deployment-all");
    let (found, code) = findings(&repo);
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(code, Some(0));
}

#[test]
fn human_output_points_at_the_offending_text() {
    let repo = fixtures().join("check/im101-unapproved-registry");
    let output = run(&["check", "--repo", repo.to_str().unwrap()]);
    let text = stdout(&output);
    let expected_head = "error[IM101] unapproved-registry: docker.io/grafana/grafana comes from docker.io, \
                         which MP_APPROVED_REGISTRIES does not cover\n";
    assert!(text.contains(expected_head), "{text}");
    assert!(text.contains("vars.yml:7:12\n"), "{text}");
    assert!(text.contains(
        "  |            ^^^^^^^^^^^^^^^^^^^^^^^^^\n  = help: mirror it: write `quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:"
    ), "{text}");
    assert!(text.ends_with("error: 7 errors, 1 warning\n"), "{text}");
    assert!(
        text.starts_with("warning[IM204] vars-not-managed: no Renovate config in"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn warnings_alone_exit_zero() {
    let repo = fixtures().join("check/im106-needless-mirror");
    let output = run(&["check", "--repo", repo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output)
            .contains("help: use it directly: `registry.redhat.io/ubi9/ubi:9.4-1181@sha256:")
    );
}

#[test]
fn json_lines_carry_every_field_and_a_summary() {
    let repo = fixtures().join("check/im102-not-pinned");
    let lines = json_lines(&run(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let first = lines.iter().find(|l| l["code"] == "IM102").unwrap();
    assert_eq!(first["type"], "diagnostic");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["code"], "IM102");
    assert_eq!(first["name"], "not-pinned");
    assert!(
        first["path"]
            .as_str()
            .unwrap()
            .ends_with("im102-not-pinned/vars.yml")
    );
    assert_eq!(first["column"], 8);
    assert_eq!(first["entry"], "ubi");
    assert!(
        first["help"]
            .as_str()
            .unwrap()
            .contains("img-mirror pin ubi registry.redhat.io/ubi9/ubi:9.4-1181")
    );
    assert_eq!(
        lines.last().unwrap(),
        &serde_json::json!({"type": "summary", "errors": 2, "warnings": 1})
    );
}

#[test]
fn gitlab_report_is_relative_to_ci_project_dir() {
    let repo = fixtures().join("check/im103-digest-without-tag");
    let output = run_with_env(
        &[
            "check",
            "--repo",
            repo.to_str().unwrap(),
            "--format",
            "gitlab",
        ],
        &[("CI_PROJECT_DIR", env!("CARGO_MANIFEST_DIR"))],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let issue = report
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "digest-without-tag")
        .unwrap();
    assert_eq!(
        issue["location"]["path"],
        "fixtures/check/im103-digest-without-tag/vars.yml"
    );
    assert_eq!(issue["location"]["lines"]["begin"], 7);
    assert_eq!(issue["check_name"], "digest-without-tag");
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn missing_vars_file_cannot_run_and_says_which_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["check", "--repo", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("cannot read") && err.contains("vars.yml"),
        "{err}"
    );
}

#[test]
fn bad_arguments_exit_two() {
    assert_eq!(run(&["check", "--format", "xml"]).status.code(), Some(2));
    let output = run(&["check", "--mirror-prefix", "Not A Prefix"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--mirror-prefix"));
}

/// `RUST_LOG` is read as `target=level` pairs; one with EnvFilter's span syntax is
/// named in a warning, and the command runs on as it would without it.
#[test]
fn a_rust_log_that_cannot_be_read_is_named_and_the_command_runs_on() {
    let repo = fixtures().join("deployment-all");
    let args = [
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ];
    let plain = run(&args);
    for (rust_log, why) in [
        (
            "img_mirror[copy{image}]=debug",
            "(span and field filters are not read)",
        ),
        ("img_mirror=debug=x", "(invalid filter directive"),
    ] {
        let unreadable = run_with_env(&args, &[("RUST_LOG", rust_log)]);
        let warning =
            format!("warning: RUST_LOG {rust_log:?} is not a list of target=level pairs {why}");
        assert!(
            stderr(&unreadable).contains(&warning),
            "{}",
            stderr(&unreadable)
        );
        assert_eq!(unreadable.status.code(), plain.status.code());
        assert_eq!(stdout(&unreadable), stdout(&plain));
    }
    let readable = run_with_env(&args, &[("RUST_LOG", "img_mirror=debug,oci_client=warn")]);
    assert!(!stderr(&readable).contains("warning: RUST_LOG"));
}

#[test]
fn mirror_prefix_comes_from_the_environment_too() {
    let repo = fixtures().join("deployment-all");
    let output = run_with_env(
        &[
            "check",
            "--repo",
            repo.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[("IMG_MIRROR_PREFIX", "quay.io/other/mirror")],
    );
    // Under another prefix the fixture's mirror entries are plain quay.io/cki images.
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("\"code\":\"IM108\""));
}

#[test]
fn explain_prints_each_code_and_refuses_unknown_ones() {
    for code in img_mirror::lint::codes() {
        let output = run(&["explain", code.code]);
        assert_eq!(output.status.code(), Some(0));
        let text = stdout(&output);
        assert!(text.starts_with(&format!("{} {} ({})", code.code, code.name, code.severity)));
        assert!(text.contains("Why it matters") && text.contains("Example"));
        assert_eq!(stdout(&run(&["explain", code.name])), text);
    }
    let output = run(&["explain", "IM999"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no diagnostic code"));
}

#[test]
fn diagnostic_codes_and_names_never_collide() {
    let codes = img_mirror::lint::codes();
    let mut ids: Vec<_> = codes.iter().map(|c| c.code).collect();
    let mut names: Vec<_> = codes.iter().map(|c| c.name).collect();
    ids.sort();
    ids.dedup();
    names.sort();
    names.dedup();
    assert_eq!(ids.len(), codes.len(), "duplicate code");
    assert_eq!(names.len(), codes.len(), "duplicate name");
    for code in &codes {
        assert!(
            code.code.len() == 5 && code.code.starts_with("IM"),
            "{}",
            code.code
        );
        assert!(
            code.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            code.name
        );
    }
}

#[test]
fn an_oversized_renovate_config_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("deployment-all/vars.yml"),
        dir.path().join("vars.yml"),
    )
    .unwrap();
    let padding = " ".repeat(img_mirror::renovate::config::MAX_CONFIG_BYTES + 1);
    std::fs::write(dir.path().join("renovate.json"), format!("{{{padding}}}")).unwrap();
    let (found, code) = findings(dir.path());
    assert_eq!(found, ["IM201 - -"]);
    assert_eq!(code, Some(1));
}

#[test]
fn unapproved_registry_help_is_a_valid_entry_or_says_why_there_is_none() {
    let output = run(&[
        "check",
        "--repo",
        fixtures()
            .join("check/im101-unapproved-registry")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ]);
    let helps: std::collections::HashMap<String, String> = json_lines(&output)
        .into_iter()
        .filter(|line| line["code"] == "IM101")
        .map(|line| {
            (
                line["entry"].as_str().unwrap().to_string(),
                line["help"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        helps["other_port"].contains("cannot be mirrored") && helps["other_port"].contains("port")
    );
    assert!(
        helps["library_path"].contains("`quay.io/cki/mirror/library/foo/bar:1@sha256:"),
        "{}",
        helps["library_path"]
    );
    // Every suggested entry passes IM101 and IM107 itself.
    for (entry, help) in &helps {
        let Some(suggested) = help.split('`').nth(1) else {
            continue;
        };
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(
            repo.path().join("vars.yml"),
            format!("MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  {entry}: {suggested}\n"),
        )
        .unwrap();
        let checked = run(&[
            "check",
            "--repo",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
        ]);
        let codes: Vec<String> = json_lines(&checked)
            .into_iter()
            .filter_map(|l| l["code"].as_str().map(str::to_string))
            .filter(|code| code.starts_with("IM1"))
            .collect();
        assert!(codes.is_empty(), "{entry}: {suggested} gets {codes:?}");
    }
}

#[test]
fn the_suggestion_follows_the_files_own_mirror_path_style() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("vars.yml"),
        "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  nginx: quay.io/cki/mirror/docker.io/library/nginx:1.27@sha256:f0cc0139480b5f5f00705d434111bb59875069c97a2988654c79471514d83ca0\n  redis: redis:7@sha256:f0cc0139480b5f5f00705d434111bb59875069c97a2988654c79471514d83ca0\n",
    )
    .unwrap();
    let output = run(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let help = json_lines(&output)
        .into_iter()
        .find(|l| l["code"] == "IM101")
        .map(|l| l["help"].as_str().unwrap().to_string())
        .unwrap();
    assert!(
        help.contains("`quay.io/cki/mirror/docker.io/library/redis:7@sha256:"),
        "{help}"
    );
}

/// Runs the binary with `args` in `dir`: its exit code, peak RSS in KiB and stderr. The
/// peak comes from GNU time (installed by tests/run.sh), which forks the command from a
/// small process of its own: a child forked from this test binary would count the test's
/// memory as its own.
fn run_measured(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, i64, String) {
    let report = dir.join("peak-rss");
    let output = std::process::Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&report)
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_img-mirror"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("GNU time (Debian: time) is installed by tests/run.sh");
    let peak = std::fs::read_to_string(&report).unwrap();
    let peak = peak.lines().last().unwrap().trim().parse().unwrap();
    (
        output.status.code(),
        peak,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_20_mib_vars_file_is_refused_unread_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("deployment-all/renovate.json"),
        dir.path().join("renovate.json"),
    )
    .unwrap();
    let small = "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  a: quay.io/cki/a:1@sha256:f0cc0139480b5f5f00705d434111bb59875069c97a2988654c79471514d83ca0\n";
    std::fs::write(dir.path().join("small.yml"), small).unwrap();
    let big = format!("{small}{}", "# padding\n".repeat(2 * 1024 * 1024));
    assert!(big.len() > 20 * 1024 * 1024);
    std::fs::write(dir.path().join("vars.yml"), &big).unwrap();
    drop(big);
    crate::common::git(dir.path(), &["init", "-q"]);
    crate::common::git(dir.path(), &["add", "."]);
    crate::common::git(dir.path(), &["commit", "-q", "-m", "big"]);
    // The same commands on a small file in a copy of the repository: what each needs
    // without reading 20 MiB. Reading it would add at least that much.
    let baseline = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("renovate.json"),
        baseline.path().join("renovate.json"),
    )
    .unwrap();
    std::fs::write(baseline.path().join("small.yml"), small).unwrap();
    std::fs::write(baseline.path().join("vars.yml"), small).unwrap();
    crate::common::git(baseline.path(), &["init", "-q"]);
    crate::common::git(baseline.path(), &["add", "."]);
    crate::common::git(baseline.path(), &["commit", "-q", "-m", "small"]);
    for args in [
        &["check"][..],
        &["extract"],
        &["diff", "small.yml", "vars.yml"],
        &["diff", "--base", "HEAD"],
        &["post-upgrade"],
    ] {
        let (code, peak_kib, message) = run_measured(dir.path(), args);
        let (_, baseline_kib, _) = run_measured(baseline.path(), args);
        assert!(matches!(code, Some(1 | 2)), "{args:?}: {code:?} {message}");
        assert!(
            peak_kib < baseline_kib + 8 * 1024,
            "{args:?} peaked at {peak_kib} KiB against {baseline_kib} KiB on a small file: it read the file\n{message}"
        );
        assert!(
            args[0] == "check" || message.contains("vars.yml") && message.contains("limit"),
            "{args:?}: {message}"
        );
    }
}

/// The template walk sees the repository as git does: an untracked file counts, a file
/// `.gitignore` names does not (its reference to a missing entry is not reported, and
/// the entry only it references is unreferenced), and `.git` is never read.
#[test]
fn template_references_are_read_as_git_sees_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    std::fs::write(
        repo.path().join("vars.yml"),
        format!(
            "MP_APPROVED_REGISTRIES: [registry.redhat.io, quay.io/cki]\nIMAGES:\n  app: registry.redhat.io/x/app:1@{digest}\n  tool: registry.redhat.io/x/tool:1@{digest}\n"
        ),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("deployment-all/renovate.json"),
        repo.path().join("renovate.json"),
    )
    .unwrap();
    crate::common::git(repo.path(), &["init", "-q"]);
    std::fs::write(repo.path().join(".gitignore"), "build/\n").unwrap();
    std::fs::create_dir_all(repo.path().join("build")).unwrap();
    std::fs::write(
        repo.path().join("build/rendered.yml"),
        "image: {{ cki_variable('IMAGES').tool }}\nother: {{ cki_variable('IMAGES').gone }}\n",
    )
    .unwrap();
    // Untracked, not ignored.
    std::fs::write(
        repo.path().join("deploy.yml.j2"),
        "image: {{ cki_variable('IMAGES').app }}\n",
    )
    .unwrap();
    // What git keeps for itself is not the repository's content.
    std::fs::write(
        repo.path().join(".git/description"),
        "{{ cki_variable('IMAGES').missing }}\n",
    )
    .unwrap();
    let (found, code) = findings(repo.path());
    assert_eq!(found, ["IM302 4 tool"], "exit {code:?}");
    assert_eq!(code, Some(0));
}

/// `.img-mirror.toml` sets the vars path, the mirror prefix, rule levels and template
/// exclusions; flags win over it; a mistake in it is an error naming its line.
#[test]
fn the_settings_file_configures_check_and_flags_override_it() {
    let repo = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    std::fs::create_dir_all(repo.path().join("deploy")).unwrap();
    std::fs::write(
        repo.path().join("deploy/vars.yml"),
        format!(
            "MP_APPROVED_REGISTRIES: [registry.redhat.io, quay.io/other]\nIMAGES:\n  app: quay.io/other/mirror/org/app:1@{digest}\n  ubi: quay.io/other/mirror/registry.redhat.io/ubi9/ubi:9.4@{digest}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(repo.path().join("legacy")).unwrap();
    std::fs::write(
        repo.path().join("legacy/old.j2"),
        "{{ cki_variable('IMAGES').removed_long_ago }}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("deploy.j2"),
        "{{ cki_variable('IMAGES').app }}\n",
    )
    .unwrap();
    let settings = repo.path().join(".img-mirror.toml");
    std::fs::write(
        &settings,
        "mirror-prefix = \"quay.io/other/mirror\"\nvars = \"deploy/vars.yml\"\n\n[rules]\nneedless-mirror = \"error\"\nIM302 = \"off\"\n\n[templates]\nexclude = [\"legacy/**\"]\n",
    )
    .unwrap();
    // ubi is mirrored although registry.redhat.io is approved: IM106, made an error;
    // IM302 for it is off, and legacy/ (with its IM301) is left out of the scan.
    let (found, code) = findings(repo.path());
    assert_eq!(found, ["IM106 4 ubi", "IM204 - -"]);
    assert_eq!(code, Some(1));

    // A flag wins: with quay.io/cki/mirror as the prefix, the entries are direct pulls
    // from the approved quay.io/other (no IM106), and the prefix itself is unapproved.
    let output = run(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--mirror-prefix",
        "quay.io/cki/mirror",
        "--format",
        "json",
    ]);
    let codes: Vec<String> = json_lines(&output)
        .into_iter()
        .filter(|line| line["type"] == "diagnostic")
        .map(|line| line["code"].as_str().unwrap().to_string())
        .collect();
    assert!(codes.contains(&"IM108".to_string()), "{codes:?}");
    assert!(!codes.contains(&"IM106".to_string()), "{codes:?}");

    std::fs::write(
        &settings,
        "[rules]\nIM302 = \"off\"\nunapproved_registry = \"warning\"\n",
    )
    .unwrap();
    let output = run(&["check", "--repo", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(".img-mirror.toml:3:1: rules: no rule \"unapproved_registry\""),
        "{}",
        stderr(&output)
    );
}

/// `check --fix` rewrites IM101 into the mirror form, IM106 back to the upstream and
/// IM112 into the file's own mirror-path convention (familiar here, as grafana is), keeping every other byte; a fix that would
/// not pass check (or cannot be written) is left with its reason; `--dry-run` writes
/// nothing.
#[test]
fn check_fix_rewrites_what_passes_in_the_files_own_convention() {
    let repo = tempfile::tempdir().unwrap();
    let d = format!("sha256:{}", "c".repeat(64));
    let before = format!(
        "---\n# kept as written\nMP_APPROVED_REGISTRIES:\n  - registry.redhat.io\n  - quay.io/cki\nIMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@{d}  # familiar form\n  loki: docker.io/grafana/loki:3.1.1@{d}\n  ubi: quay.io/cki/mirror/registry.redhat.io/ubi9/ubi:9.4@{d}\n  porty: registry.example.com:5000/team/app:1@{d}\n  dex: ghcr.io/dexidp/dex:v2.41.1@{d}\n  tempo: quay.io/cki/mirror/docker.io/grafana/tempo:2.6.0@{d}\n  minimal: \"quay.io/cki/mirror/registry.redhat.io/ubi9/ubi-minimal:9.4@{d}\"\n"
    );
    let vars = repo.path().join("vars.yml");
    std::fs::write(&vars, &before).unwrap();
    std::fs::copy(
        fixtures().join("deployment-all/renovate.json"),
        repo.path().join("renovate.json"),
    )
    .unwrap();
    let dir = repo.path().to_str().unwrap();

    let dry = run(&["check", "--repo", dir, "--fix", "--dry-run"]);
    assert_eq!(
        std::fs::read_to_string(&vars).unwrap(),
        before,
        "--dry-run wrote"
    );
    for line in [
        format!("-  loki: docker.io/grafana/loki:3.1.1@{d}\n"),
        format!("+  loki: quay.io/cki/mirror/grafana/loki:3.1.1@{d}\n"),
    ] {
        assert!(stdout(&dry).contains(&line), "{}", stdout(&dry));
    }
    assert_eq!(dry.status.code(), Some(1), "porty stays unfixed");

    let fixed = run(&["check", "--repo", dir, "--fix", "--format", "json"]);
    let after = before
        .replace(
            &format!("  loki: docker.io/grafana/loki:3.1.1@{d}"),
            &format!("  loki: quay.io/cki/mirror/grafana/loki:3.1.1@{d}"),
        )
        .replace(
            &format!("  ubi: quay.io/cki/mirror/registry.redhat.io/ubi9/ubi:9.4@{d}"),
            &format!("  ubi: registry.redhat.io/ubi9/ubi:9.4@{d}"),
        )
        .replace(
            &format!("  dex: ghcr.io/dexidp/dex:v2.41.1@{d}"),
            &format!("  dex: quay.io/cki/mirror/ghcr.io/dexidp/dex:v2.41.1@{d}"),
        )
        .replace(
            &format!("  tempo: quay.io/cki/mirror/docker.io/grafana/tempo:2.6.0@{d}"),
            &format!("  tempo: quay.io/cki/mirror/grafana/tempo:2.6.0@{d}"),
        );
    assert_eq!(std::fs::read_to_string(&vars).unwrap(), after);
    let report = stderr(&fixed);
    assert!(report.contains("fixed IMAGES.loki (IM101)"), "{report}");
    assert!(report.contains("fixed IMAGES.ubi (IM106)"), "{report}");
    assert!(
        report.contains(
            "not fixed: IMAGES.porty (IM101): registry.example.com:5000/team/app has a port"
        ),
        "{report}"
    );
    // Renovate's IMAGES manager matches no quoted value: the fixed entry would still
    // fail check, so the needless mirror stays.
    assert!(
        report.contains("not fixed: IMAGES.minimal (IM106): the fixed entry would fail check: no Renovate matchString matches IMAGES.minimal"),
        "{report}"
    );
    // What is left is reported as check reports it: porty (a port cannot be mirrored,
    // and the IMAGES manager does not match a host with a port), and minimal.
    let codes: Vec<String> = json_lines(&fixed)
        .into_iter()
        .filter(|line| line["type"] == "diagnostic")
        .map(|line| format!("{} {}", line["code"].as_str().unwrap(), line["entry"]))
        .collect();
    assert_eq!(
        codes,
        [
            "IM101 \"porty\"",
            "IM205 \"porty\"",
            "IM106 \"minimal\"",
            "IM205 \"minimal\""
        ]
    );
    assert_eq!(fixed.status.code(), Some(1));
}

#[test]
fn extract_reads_every_file_its_managers_select_in_a_repository_without_vars_yml() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "renovate.json",
        r##"{
  "customManagers": [
    {
      "customType": "regex",
      "managerFilePatterns": ["/(^|/)Dockerfile$/"],
      "matchStrings": ["# renovate: datasource=(?<datasource>\\S+) depName=(?<depName>\\S+)\\nARG \\S+=(?<currentValue>\\S+)"]
    },
    {
      "customType": "regex",
      "managerFilePatterns": ["/\\.gitlab-ci\\.yml$/"],
      "matchStrings": ["image: (?<depName>[^:\\s]+):(?<currentValue>\\S+)"],
      "datasourceTemplate": "docker"
    },
    {
      "customType": "regex",
      "managerFilePatterns": ["/\\.nothing$/"],
      "matchStrings": ["x(?<depName>y)(?<currentValue>z)"],
      "datasourceTemplate": "docker"
    }
  ]
}
"##,
    );
    write(
        "Dockerfile",
        "FROM scratch\n# renovate: datasource=github-releases depName=helm/helm\nARG HELM_VERSION=v3.16.1\n",
    );
    write(
        "tools/Dockerfile",
        "# renovate: datasource=github-releases depName=kubernetes-sigs/kustomize\nARG KUSTOMIZE=v5.4.3\n",
    );
    write(".gitlab-ci.yml", "lint:\n  image: python:3.12\n");
    write("README.md", "ARG NOTHING=1\n");
    let repo = dir.path().to_str().unwrap();

    let output = run(&["extract", "--repo", repo, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let extracted: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let files: Vec<(&str, Vec<&str>)> = extracted["regex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            (
                file["packageFile"].as_str().unwrap(),
                file["deps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["depName"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    // Manager by manager, each over its files in path order, as Renovate groups them.
    assert_eq!(
        files,
        [
            ("Dockerfile", vec!["helm/helm"]),
            ("tools/Dockerfile", vec!["kubernetes-sigs/kustomize"]),
            (".gitlab-ci.yml", vec!["python"]),
        ]
    );

    let human = stdout(&run(&["extract", "--repo", repo]));
    assert!(
        human.contains("customManagers[2] selects no file of the repository"),
        "{human}"
    );
    assert!(
        human.contains("customManagers[0] on tools/Dockerfile (as Renovate 44.121.2 runs it"),
        "{human}"
    );
    assert!(
        human.contains("  1     kubernetes-sigs/kustomize  v5.4.3"),
        "{human}"
    );
}
