use super::*;
use serde_json::json;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("an object"),
    }
}

fn resolve_json(config: Value, version: RenovateVersion, sources: &PresetSources) -> Resolved {
    let migrated = migrate(&object(config), version).root;
    resolve(&migrated, version, sources)
}

fn patterns(manager: &Value) -> Value {
    manager
        .get("managerFilePatterns")
        .or_else(|| manager.get("fileMatch"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn built_in_custom_manager_presets_and_their_aliases() {
    for name in [
        "customManagers:dockerfileVersions",
        "regexManagers:dockerfileVersions",
    ] {
        let resolved = resolve_json(
            json!({"extends": [name]}),
            RenovateVersion::CURRENT,
            &PresetSources::default(),
        );
        let managers = resolved.root["customManagers"].as_array().unwrap();
        assert_eq!(managers.len(), 1, "{name}");
        assert_eq!(managers[0]["customType"], "regex");
        assert_eq!(
            patterns(&managers[0])[0],
            "**/[Dd]ockerfile*",
            "44 writes globs"
        );
        assert_eq!(
            resolved.origins,
            [Origin::Preset {
                name: name.into(),
                index: 0
            }]
        );
        assert!(resolved.unresolved.is_empty());
        let old = resolve_json(
            json!({"extends": [name]}),
            RenovateVersion::V39,
            &PresetSources::default(),
        );
        assert_eq!(
            patterns(&old.root["customManagers"][0])[0],
            "(^|/|\\.)([Dd]ocker|[Cc]ontainer)file$",
            "39 writes fileMatch regexes"
        );
    }
}

#[test]
fn config_recommended_brings_ignore_paths_and_in_44_two_managers() {
    let config = json!({"extends": ["config:recommended"], "customManagers": [{"customType": "regex", "managerFilePatterns": ["/own/"], "matchStrings": ["x"]}]});
    let current = resolve_json(
        config.clone(),
        RenovateVersion::CURRENT,
        &PresetSources::default(),
    );
    assert!(
        current.root["ignorePaths"]
            .as_array()
            .unwrap()
            .contains(&json!("**/tests/**"))
    );
    let managers = current.root["customManagers"].as_array().unwrap();
    assert_eq!(
        managers.len(),
        3,
        "tsconfigNodeVersions' two, then the config's own"
    );
    assert_eq!(patterns(&managers[2]), json!(["/own/"]));
    assert_eq!(current.origins[2], Origin::Own(0));
    let old = resolve_json(config, RenovateVersion::V39, &PresetSources::default());
    assert_eq!(old.root["customManagers"].as_array().unwrap().len(), 1);
    // config:base is config:recommended; ignorePresets drops a preset by its name.
    let ignored = resolve_json(
        json!({"extends": ["config:base"], "ignorePresets": [":ignoreModulesAndTests"]}),
        RenovateVersion::V39,
        &PresetSources::default(),
    );
    assert!(ignored.root.get("ignorePaths").is_none());
    assert!(ignored.unresolved.is_empty());
    // An own ignorePaths replaces the preset's.
    let own = resolve_json(
        json!({"extends": ["config:recommended"], "ignorePaths": ["x/**"]}),
        RenovateVersion::V39,
        &PresetSources::default(),
    );
    assert_eq!(own.root["ignorePaths"], json!(["x/**"]));
}

#[test]
fn unknown_and_unmapped_presets_are_named_not_guessed() {
    let resolved = resolve_json(
        json!({"extends": ["customManagers:nope", "local>cki-project/renovate-presets:images", "github>org/presets", "renovate-config-foo", ":label(x)"]}),
        RenovateVersion::CURRENT,
        &PresetSources::default(),
    );
    let named: Vec<&str> = resolved
        .unresolved
        .iter()
        .map(|u| u.preset.as_str())
        .collect();
    assert_eq!(
        named,
        [
            "customManagers:nope",
            "local>cki-project/renovate-presets:images",
            "github>org/presets",
            "renovate-config-foo"
        ]
    );
    assert!(
        resolved.unresolved[1]
            .reason
            .contains("[presets] \"cki-project/renovate-presets\"")
    );
    assert_eq!(
        resolved.applied,
        [":label(x)"],
        "a built-in preset that adds nothing img-mirror reads"
    );
}

#[test]
fn repository_presets_are_read_from_a_mapped_checkout() {
    let checkout = tempfile::tempdir().unwrap();
    let dir = checkout.path();
    std::fs::write(
        dir.join("default.json"),
        r#"{"extends": ["local>cki-project/renovate-presets:images(docker)", "local>cki-project/renovate-presets//nested/more"]}"#,
    )
    .unwrap();
    // A JSON5 file with a sub-preset, an argument, the legacy names, and a cycle back.
    std::fs::write(
        dir.join("images.json"),
        r#"{"extends": ["cki-project/renovate-presets"], "regexManagers": [{"fileMatch": ["(^|/)vars\\.yml$"], "matchStrings": ["x(?<depName>a)(?<currentValue>b)"], "datasourceTemplate": "{{arg0}}"}]}"#,
    )
    .unwrap();
    std::fs::create_dir(dir.join("nested")).unwrap();
    std::fs::write(
        dir.join("nested/more.json5"),
        "{ // more\n tools: { customManagers: [{customType: 'regex', managerFilePatterns: ['/Makefile/'], matchStrings: ['y'], datasourceTemplate: 'github-tags'}] } }",
    )
    .unwrap();
    std::fs::write(
        dir.join("nested/more.json"),
        r#"{"customManagers": [{"customType": "regex", "managerFilePatterns": ["/Dockerfile/"], "matchStrings": ["z"], "datasourceTemplate": "docker"}]}"#,
    )
    .unwrap();
    let sources = PresetSources {
        checkouts: vec![("cki-project/renovate-presets".into(), dir.to_path_buf())],
    };
    let resolved = resolve_json(
        json!({"extends": ["local>cki-project/renovate-presets", "local>cki-project/renovate-presets//nested/more.json5:tools"]}),
        RenovateVersion::CURRENT,
        &sources,
    );
    // default.json -> images(docker) -> (the same repository written without `local>`,
    // not an ancestor by name, so default.json again, whose images entry is one) ->
    // nested/more; then images' own manager; then default.json's nested/more.
    let managers = resolved.root["customManagers"].as_array().unwrap();
    let strings: Vec<&Value> = managers.iter().map(|m| &m["matchStrings"][0]).collect();
    assert_eq!(
        strings,
        [
            &json!("z"),
            &json!("x(?<depName>a)(?<currentValue>b)"),
            &json!("z")
        ],
        "{resolved:#?}"
    );
    assert_eq!(
        managers[1]["datasourceTemplate"], "docker",
        "{{arg0}} replaced"
    );
    assert_eq!(
        patterns(&managers[1]),
        json!(["/(^|/)vars\\.yml$/"]),
        "migrated in the preset"
    );
    assert_eq!(managers[1]["customType"], "regex");
    assert_eq!(
        resolved
            .unresolved
            .iter()
            .map(|u| u.preset.as_str())
            .collect::<Vec<_>>(),
        ["local>cki-project/renovate-presets//nested/more.json5:tools"],
        "a sub-preset after a // path is refused, as Renovate refuses it"
    );
    let sub = resolve_json(
        json!({"extends": ["github>cki-project/renovate-presets//nested/more"]}),
        RenovateVersion::CURRENT,
        &sources,
    );
    assert_eq!(sub.root["customManagers"][0]["matchStrings"], json!(["z"]));
}

#[test]
fn preset_names_parse_as_renovate_parses_them() {
    let v = RenovateVersion::CURRENT;
    let parsed = parse_preset("local>owner/repo//path/file#v1", v).unwrap();
    assert_eq!(
        (
            parsed.repo.as_str(),
            parsed.preset_path.as_deref(),
            parsed.preset_name.as_str()
        ),
        ("owner/repo", Some("path"), "file")
    );
    let parsed = parse_preset("owner/repo:file/sub(a, b)", v).unwrap();
    assert_eq!(
        parsed.source,
        Source::Repository {
            source: "local".into()
        }
    );
    assert_eq!(
        (parsed.preset_name.as_str(), parsed.params.clone()),
        ("file/sub", vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(
        parse_preset(":label(x)", v).unwrap().internal_name(),
        ":label"
    );
    assert_eq!(
        parse_preset("abandonments:recommended", v).unwrap().source,
        Source::Internal
    );
    assert_eq!(
        parse_preset("abandonments:recommended", RenovateVersion::V39)
            .unwrap()
            .source,
        Source::Other("npm")
    );
    assert!(parse_preset("local>owner/repo:file:sub", v).is_err());
    assert!(parse_preset("./local.json", v).is_err());
}

#[test]
fn a_presets_broken_manager_is_a_warning_not_renovates_error() {
    let checkout = tempfile::tempdir().unwrap();
    std::fs::write(
        checkout.path().join("default.json"),
        r#"{"customManagers": [{"customType": "regex", "managerFilePatterns": ["/x/"], "matchStrings": ["(?<depName>a)"]}]}"#,
    )
    .unwrap();
    let sources = PresetSources {
        checkouts: vec![("org/presets".into(), checkout.path().to_path_buf())],
    };
    let config = crate::resolve::parse_with(
        Path::new("renovate.json"),
        br#"{"extends": ["org/presets"]}"#.to_vec(),
        RenovateVersion::CURRENT,
        &sources,
    )
    .unwrap();
    let messages = crate::validate::validate(&config);
    assert!(!messages.is_empty());
    assert!(
        messages
            .iter()
            .all(|m| m.source == crate::validate::Source::Unreproducible),
        "{messages:?}"
    );
    assert!(
        messages[0].key_path.contains("of preset org/presets"),
        "{messages:?}"
    );
}
