//! distribution/reference's own test tables (normalize_test.go: TestValidateReferenceName,
//! TestValidateRemoteName, TestParseRepositoryInfo), held against img-mirror's parser.
//! The cases are the Go library's facts; the tests are ours.

use img_mirror::reference::Reference;

const VALID: &[&str] = &[
    "docker/docker",
    "library/debian",
    "debian",
    "localhost/library/debian",
    "localhost/debian",
    "LOCALDOMAIN/library/debian",
    "LOCALDOMAIN/debian",
    "docker.io/docker/docker",
    "docker.io/library/debian",
    "docker.io/debian",
    "index.docker.io/docker/docker",
    "index.docker.io/library/debian",
    "index.docker.io/debian",
    "127.0.0.1:5000/docker/docker",
    "127.0.0.1:5000/library/debian",
    "127.0.0.1:5000/debian",
    "192.168.0.1",
    "192.168.0.1:80",
    "192.168.0.1:8/debian",
    "192.168.0.2:25000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "[fc00::1]:5000/docker",
    "[fc00::1]:5000/docker/docker",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    "Docker/docker",
    "DOCKER/docker",
    "docker/docker",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "docker-rules/docker",
    "docker---rules/docker",
    "doc/docker",
    "d/docker",
    "jess/t",
    "dock__er/docker",
];

const INVALID: &[&str] = &[
    "https://github.com/docker/docker",
    "docker/Docker",
    "-docker",
    "-docker/docker",
    "-docker.io/docker/docker",
    "docker///docker",
    "docker.io/docker/Docker",
    "docker.io/docker///docker",
    "[fc00::1]",
    "[fc00::1]:5000",
    "fc00::1:5000/debian",
    "[fe80::1%eth0]:5000/debian",
    "[2001:db8:3:4::192.0.2.33]:5000/debian",
    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    "docker/Docker",
    "docker///docker",
    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    "-docker/docker",
    "docker-/docker",
    "-docker-/docker",
    "____/____",
    "_docker/_docker",
    "dock..er/docker",
    "dock_.er/docker",
    "dock-.er/docker",
    "docker/",
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
];

/// (remote name, familiar name, full name, ambiguous name, domain)
const REPOSITORY_INFO: &[(&str, &str, &str, &str, &str)] = &[
    (
        "fooo",
        "localhost/fooo",
        "localhost/fooo",
        "localhost/fooo",
        "localhost",
    ),
    (
        "fooo/bar",
        "localhost/fooo/bar",
        "localhost/fooo/bar",
        "localhost/fooo/bar",
        "localhost",
    ),
    (
        "fooo",
        "LOCALDOMAIN/fooo",
        "LOCALDOMAIN/fooo",
        "LOCALDOMAIN/fooo",
        "LOCALDOMAIN",
    ),
    (
        "fooo/bar",
        "LOCALDOMAIN/fooo/bar",
        "LOCALDOMAIN/fooo/bar",
        "LOCALDOMAIN/fooo/bar",
        "LOCALDOMAIN",
    ),
    (
        "fooo/bar",
        "fooo/bar",
        "docker.io/fooo/bar",
        "index.docker.io/fooo/bar",
        "docker.io",
    ),
    (
        "library/ubuntu",
        "ubuntu",
        "docker.io/library/ubuntu",
        "library/ubuntu",
        "docker.io",
    ),
    (
        "nonlibrary/ubuntu",
        "nonlibrary/ubuntu",
        "docker.io/nonlibrary/ubuntu",
        "",
        "docker.io",
    ),
    (
        "other/library",
        "other/library",
        "docker.io/other/library",
        "",
        "docker.io",
    ),
    (
        "private/moonbase",
        "127.0.0.1:8000/private/moonbase",
        "127.0.0.1:8000/private/moonbase",
        "",
        "127.0.0.1:8000",
    ),
    (
        "privatebase",
        "127.0.0.1:8000/privatebase",
        "127.0.0.1:8000/privatebase",
        "",
        "127.0.0.1:8000",
    ),
    (
        "private/moonbase",
        "example.com/private/moonbase",
        "example.com/private/moonbase",
        "",
        "example.com",
    ),
    (
        "privatebase",
        "example.com/privatebase",
        "example.com/privatebase",
        "",
        "example.com",
    ),
    (
        "private/moonbase",
        "example.com:8000/private/moonbase",
        "example.com:8000/private/moonbase",
        "",
        "example.com:8000",
    ),
    (
        "privatebasee",
        "example.com:8000/privatebasee",
        "example.com:8000/privatebasee",
        "",
        "example.com:8000",
    ),
    (
        "library/ubuntu-12.04-base",
        "ubuntu-12.04-base",
        "docker.io/library/ubuntu-12.04-base",
        "index.docker.io/library/ubuntu-12.04-base",
        "docker.io",
    ),
    (
        "library/foo",
        "foo",
        "docker.io/library/foo",
        "docker.io/foo",
        "docker.io",
    ),
    (
        "library/foo/bar",
        "library/foo/bar",
        "docker.io/library/foo/bar",
        "",
        "docker.io",
    ),
    (
        "store/foo/bar",
        "store/foo/bar",
        "docker.io/store/foo/bar",
        "",
        "docker.io",
    ),
    ("bar", "Foo/bar", "Foo/bar", "", "Foo"),
    ("bar", "FOO/bar", "FOO/bar", "", "FOO"),
];

#[test]
fn valid_names_parse() {
    let refused: Vec<String> = VALID
        .iter()
        .filter_map(|name| Reference::parse(name).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}

#[test]
fn invalid_names_are_refused() {
    let accepted: Vec<&&str> = INVALID
        .iter()
        .filter(|name| Reference::parse(name).is_ok())
        .collect();
    assert!(accepted.is_empty(), "{accepted:#?}");
}

#[test]
fn names_normalise_as_docker_does() {
    for (remote, familiar, full, ambiguous, domain) in REPOSITORY_INFO {
        for written in [familiar, full, ambiguous] {
            if written.is_empty() {
                continue;
            }
            let parsed = Reference::parse(written).unwrap();
            assert_eq!(parsed.name(), *full, "{written}");
            assert_eq!(parsed.domain(), *domain, "{written}");
            assert_eq!(parsed.path(), *remote, "{written}");
        }
    }
}

#[test]
fn a_hex_name_is_an_image_id_only_alone() {
    let hex = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
    assert!(Reference::parse(hex).is_err());
    for valid in [
        format!("docker.io/library/{hex}"),
        format!("docker.io/{hex}"),
        format!("{hex}:tag"),
    ] {
        assert!(Reference::parse(&valid).is_ok(), "{valid}");
    }
}
