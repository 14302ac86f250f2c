//! distribution/reference's own test tables (normalize_test.go: TestValidateReferenceName,
//! TestValidateRemoteName, TestParseRepositoryInfo; reference_test.go: TestReferenceParse; regexp_test.go: TestDomainRegexp),
//! held against img-mirror's parser.
//! The cases are the Go library's facts; the tests are ours.

use img_mirror::reference::{Reference, is_registered_digest};

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

/// reference_test.go's TestReferenceParse table (the entries written as plain strings):
/// input, whether it parses, the repository as written, tag, digest. Go's `Parse` is
/// the grammar and then go-digest's check of the digest: here `Reference::parse` and
/// `is_registered_digest` (IM105 reports such digests in IMAGES).
const REFERENCE_PARSE: &[(&str, bool, &str, &str, &str)] = &[
    ("test_com", true, "test_com", "", ""),
    ("test.com:tag", true, "test.com", "tag", ""),
    ("test.com:5000", true, "test.com", "5000", ""),
    ("test.com/repo:tag", true, "test.com/repo", "tag", ""),
    ("test:5000/repo", true, "test:5000/repo", "", ""),
    ("test:5000/repo:tag", true, "test:5000/repo", "tag", ""),
    (
        "test:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        true,
        "test:5000/repo",
        "",
        "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    (
        "test:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        true,
        "test:5000/repo",
        "tag",
        "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    ("test:5000/repo", true, "test:5000/repo", "", ""),
    ("", false, "", "", ""),
    (":justtag", false, "", "", ""),
    (
        "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        false,
        "",
        "",
        "",
    ),
    (
        "repo@sha256:ffffffffffffffffffffffffffffffffff",
        false,
        "",
        "",
        "",
    ),
    (
        "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        false,
        "",
        "",
        "",
    ),
    ("Uppercase:tag", false, "", "", ""),
    ("test:5000/Uppercase/lowercase:tag", false, "", "", ""),
    ("lowercase:Uppercase", true, "lowercase", "Uppercase", ""),
    ("aa/asdf$$^/aa", false, "", "", ""),
    (
        "sub-dom1.foo.com/bar/baz/quux",
        true,
        "sub-dom1.foo.com/bar/baz/quux",
        "",
        "",
    ),
    (
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        true,
        "sub-dom1.foo.com/bar/baz/quux",
        "some-long-tag",
        "",
    ),
    (
        "b.gcr.io/test.example.com/my-app:test.example.com",
        true,
        "b.gcr.io/test.example.com/my-app",
        "test.example.com",
        "",
    ),
    ("foo_bar.com:8080", true, "foo_bar.com", "8080", ""),
    ("foo/foo_bar.com:8080", true, "foo/foo_bar.com", "8080", ""),
    ("192.168.1.1", true, "192.168.1.1", "", ""),
    ("192.168.1.1:tag", true, "192.168.1.1", "tag", ""),
    ("192.168.1.1:5000", true, "192.168.1.1", "5000", ""),
    ("192.168.1.1/repo", true, "192.168.1.1/repo", "", ""),
    (
        "192.168.1.1:5000/repo",
        true,
        "192.168.1.1:5000/repo",
        "",
        "",
    ),
    (
        "192.168.1.1:5000/repo:5050",
        true,
        "192.168.1.1:5000/repo",
        "5050",
        "",
    ),
    ("[2001:db8::1]", false, "", "", ""),
    ("[2001:db8::1]:5000", false, "", "", ""),
    ("[2001:db8::1]:tag", false, "", "", ""),
    ("[2001:db8::1]/repo", true, "[2001:db8::1]/repo", "", ""),
    (
        "[2001:db8:1:2:3:4:5:6]/repo:tag",
        true,
        "[2001:db8:1:2:3:4:5:6]/repo",
        "tag",
        "",
    ),
    (
        "[2001:db8::1]:5000/repo",
        true,
        "[2001:db8::1]:5000/repo",
        "",
        "",
    ),
    (
        "[2001:db8::1]:5000/repo:tag",
        true,
        "[2001:db8::1]:5000/repo",
        "tag",
        "",
    ),
    (
        "[2001:db8::1]:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        true,
        "[2001:db8::1]:5000/repo",
        "",
        "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    (
        "[2001:db8::1]:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        true,
        "[2001:db8::1]:5000/repo",
        "tag",
        "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    (
        "[2001:db8::]:5000/repo",
        true,
        "[2001:db8::]:5000/repo",
        "",
        "",
    ),
    ("[::1]:5000/repo", true, "[::1]:5000/repo", "", ""),
    ("[fe80::1%eth0]:5000/repo", false, "", "", ""),
    ("[fe80::1%@invalidzone]:5000/repo", false, "", "", ""),
];

#[test]
fn references_parse_as_the_go_library_parses_them() {
    let mut disagreements = Vec::new();
    for (input, valid, repository, tag, digest) in REFERENCE_PARSE {
        let parsed = Reference::parse(input)
            .ok()
            .filter(|r| r.digest().is_none_or(is_registered_digest));
        match parsed.ok_or("refused") {
            Ok(parsed) if *valid => {
                let found = (
                    parsed.written_name(),
                    parsed.tag().unwrap_or_default(),
                    parsed.digest().unwrap_or_default(),
                );
                if found != (*repository, *tag, *digest) {
                    disagreements.push(format!("{input}: {found:?}"));
                }
            }
            Err(error) if *valid => disagreements.push(format!("{input}: refused: {error}")),
            Ok(_) if !*valid => disagreements.push(format!("{input}: accepted")),
            _ => {}
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// regexp_test.go's TestDomainRegexp table: whether each is a registry host[:port].
const DOMAINS: &[(&str, bool)] = &[
    ("test.com", true),
    ("test.com:10304", true),
    ("test.com:http", false),
    ("localhost", true),
    ("localhost:8080", true),
    ("a", true),
    ("a.b", true),
    ("ab.cd.com", true),
    ("a-b.com", true),
    ("-ab.com", false),
    ("ab-.com", false),
    ("ab.c-om", true),
    ("ab.-com", false),
    ("ab.com-", false),
    ("0101.com", true),
    ("001a.com", true),
    ("b.gbc.io:443", true),
    ("b.gbc.io", true),
    ("xn--n3h.com", true),
    ("Asdf.com", true),
    ("192.168.1.1:75050", true),
    ("192.168.1.1:750050", true),
    ("[fd00:1:2::3]:75050", true),
    ("[fd00:1:2::3]75050", false),
    ("[fd00:1:2::3]::75050", false),
    ("[fd00:1:2::3%eth0]:75050", false),
    ("[fd00123123123]:75050", true),
    ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
    ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
    ("fd00:1:2::3:75050", false),
];

#[test]
fn registry_hosts_follow_the_domain_grammar() {
    let mut disagreements = Vec::new();
    for (domain, valid) in DOMAINS {
        // Written as a registry (`host/x`): a first component without a dot, a port or
        // `localhost` is a Docker Hub namespace instead, so only hosts that read as one
        // are compared.
        if !(domain.contains(['.', ':']) || domain.starts_with('[') || *domain == "localhost") {
            continue;
        }
        let parsed = Reference::parse(&format!("{domain}/x"));
        let host_ok = parsed.as_ref().is_ok_and(|r| r.domain() == *domain);
        if host_ok != *valid {
            disagreements.push(format!("{domain}: {parsed:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
