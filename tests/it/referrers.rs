//! What travels with an image: cosign signatures and attestations (tags), sigstore
//! bundles and SBOMs (OCI 1.1 referrers), found through the referrers API, the
//! referrers tag schema or cosign's tags, and placed at a mirror with or without the
//! API. Real docker-registry instances on loopback; the API is a layer in front of one,
//! as quay.io serves it.

use std::process::Output;

use crate::common::artifacts::{
    self, Artifact, OCI_INDEX, OCI_MANIFEST, cosign_attestation, cosign_signature, fallback_tag,
    get_manifest, listed, sbom, sigstore_bundle, subject,
};
use crate::common::faulty::{Fault, FaultyProxy, Rule};
use crate::common::images::{Platform, layer, two_platforms};
use crate::common::registry::TestRegistry;
use crate::common::world::World;
use crate::common::{img_mirror, json_lines};

const PREFIX: &str = "quay.io/cki/mirror";
const MIRRORED: &str = "cki/mirror/grafana/grafana";

fn one_platform(seed: u64) -> Vec<Platform> {
    vec![Platform {
        architecture: "amd64",
        layers: vec![layer(seed, 20_000)],
    }]
}

/// Publishes grafana/grafana:11.2.0 upstream and writes vars.yml for it; returns the
/// digest and the subject descriptor referrers name.
fn publish_grafana(world: &World, platforms: Vec<Platform>) -> (String, serde_json::Value) {
    let digest = world.publish("grafana/grafana", "11.2.0", platforms);
    let manifest = get_manifest(&world.upstream.authority(), "grafana/grafana", &digest).unwrap();
    let media_type = serde_json::from_slice::<serde_json::Value>(&manifest).unwrap()["mediaType"]
        .as_str()
        .unwrap_or(OCI_MANIFEST)
        .to_string();
    world.write_vars(&format!(
        "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: {PREFIX}/grafana/grafana:11.2.0@{digest}\n"
    ));
    (
        digest.clone(),
        subject(&media_type, &digest, manifest.len()),
    )
}

/// Puts `artifact` upstream, listed in the fallback index of `digest` (the referrers tag
/// schema, as a registry without the API keeps it).
fn referred_by_fallback_tag(world: &World, digest: &str, artifact: &Artifact) {
    let upstream = world.upstream.authority();
    artifact.push_by_digest(&upstream, "grafana/grafana");
    artifacts::push_manifest(
        &upstream,
        "grafana/grafana",
        &fallback_tag(digest),
        OCI_INDEX,
        &artifacts::fallback_index(&[artifact]),
    );
}

/// `img-mirror ARGS` with the upstream names sent to `upstream` and quay.io to `mirror`.
fn run_via(world: &World, upstream: &str, mirror: &str, args: &[&str]) -> Output {
    img_mirror()
        .args(args)
        .arg("--repo")
        .arg(world.repo.path())
        .args(World::flags_to(upstream, mirror))
        .output()
        .unwrap()
}

/// The grafana entry's outcome.
/// A JSON `mirror` run through `upstream` and `mirror`, which must succeed.
fn mirror_via(world: &World, upstream: &str, mirror: &str) -> Output {
    let output = run_via(world, upstream, mirror, &["mirror", "--format", "json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn outcome(output: &Output) -> serde_json::Value {
    json_lines(output)
        .into_iter()
        .find(|l| l["type"] == "mirror" && l["entry"] == "grafana")
        .unwrap_or_else(|| panic!("no outcome: {}", String::from_utf8_lossy(&output.stderr)))
}

fn in_mirror(world: &World, artifact: &Artifact) -> bool {
    get_manifest(&world.mirror.authority(), MIRRORED, &artifact.digest).is_some()
}

#[test]
fn signatures_sboms_and_attestations_travel_from_a_registry_with_the_referrers_api() {
    let world = World::logged();
    let api = FaultyProxy::with_referrers_api(world.upstream.port);
    let (digest, image) = publish_grafana(&world, one_platform(1));
    let bundle = sigstore_bundle(image.clone());
    let document = sbom(image, 1);
    // A signature on the SBOM: a referrer of a referrer.
    let sbom_signature = sigstore_bundle(subject(
        OCI_MANIFEST,
        &document.digest,
        document.manifest.len(),
    ));
    let upstream_api = api.url().trim_start_matches("http://").to_string();
    for artifact in [&bundle, &document, &sbom_signature] {
        artifact.push_by_digest(&upstream_api, "grafana/grafana");
    }
    let attestation = cosign_attestation(&digest);
    let att_tag = format!("{}.att", fallback_tag(&digest));
    attestation.push(&world.upstream.authority(), "grafana/grafana", &att_tag);

    let output = mirror_via(&world, &api.url(), &world.mirror.url());
    let api_state = api.referrers.as_ref().unwrap();
    assert!(
        api_state.queries() >= 2,
        "the upstream's referrers API was asked"
    );
    let copied = outcome(&output);
    assert_eq!(copied["status"], "copied");
    assert_eq!(copied["referrers"], 4, "{copied}");
    for artifact in [&bundle, &document, &sbom_signature] {
        assert!(
            in_mirror(&world, artifact),
            "{} in the mirror",
            artifact.digest
        );
    }
    let mirror = world.mirror.authority();
    assert_eq!(
        artifacts::tag_digest(&mirror, MIRRORED, &att_tag),
        Some(attestation.digest.clone()),
        "cosign's tag keeps its name"
    );
    // docker-registry has no referrers API: the fallback indexes list them.
    let mut listed_for_image = listed(&mirror, MIRRORED, &fallback_tag(&digest));
    listed_for_image.sort();
    let mut expected = vec![bundle.digest.clone(), document.digest.clone()];
    expected.sort();
    assert_eq!(listed_for_image, expected);
    assert_eq!(
        listed(&mirror, MIRRORED, &fallback_tag(&document.digest)),
        vec![sbom_signature.digest.clone()]
    );
    // The image's two referrers went into its fallback index in one write.
    let writes = world
        .mirror
        .requests()
        .iter()
        .filter(|r| {
            r.starts_with("PUT ") && r.contains(&format!("/manifests/{} ", fallback_tag(&digest)))
        })
        .count();
    assert_eq!(
        writes, 1,
        "one fallback index write for the image's two referrers"
    );

    let verify = run_via(
        &world,
        &api.url(),
        &world.mirror.url(),
        &["verify", "--upstream"],
    );
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let again = run_via(
        &world,
        &api.url(),
        &world.mirror.url(),
        &["mirror", "--format", "json"],
    );
    let settled = outcome(&again);
    assert_eq!(settled["status"], "present", "{settled}");
    assert_eq!(settled["referrers"], 0);
}

#[test]
fn a_mirror_with_the_referrers_api_lists_what_the_upstreams_fallback_tag_held() {
    let world = World::new();
    let api = FaultyProxy::with_referrers_api(world.mirror.port);
    let (digest, image) = publish_grafana(&world, one_platform(2));
    let document = sbom(image, 2);
    referred_by_fallback_tag(&world, &digest, &document);

    mirror_via(&world, &world.upstream.url(), &api.url());
    let api_state = api.referrers.as_ref().unwrap();
    assert!(api_state.acknowledged() >= 1, "the mirror said OCI-Subject");
    assert_eq!(
        api_state.listed(MIRRORED, &digest),
        vec![document.digest.clone()]
    );
    assert!(in_mirror(&world, &document));
    assert_eq!(
        get_manifest(&world.mirror.authority(), MIRRORED, &fallback_tag(&digest)),
        None,
        "a mirror with the API needs no fallback tag"
    );
}

#[test]
fn cosign_signatures_of_the_index_and_a_platform_child_travel_and_signatures_leaves_the_rest() {
    let world = World::new();
    let (digest, _) = publish_grafana(
        &world,
        two_platforms(vec![layer(3, 10_000)], vec![layer(4, 10_000)]),
    );
    let upstream = world.upstream.authority();
    let index: serde_json::Value =
        serde_json::from_slice(&get_manifest(&upstream, "grafana/grafana", &digest).unwrap())
            .unwrap();
    let child = index["manifests"][1]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let reference = "docker.io/grafana/grafana";
    let index_signature = cosign_signature(reference, &digest, 1);
    let child_signature = cosign_signature(reference, &child, 1);
    let attestation = cosign_attestation(&digest);
    let sig = |d: &str| format!("{}.sig", fallback_tag(d));
    let att = format!("{}.att", fallback_tag(&digest));
    index_signature.push(&upstream, "grafana/grafana", &sig(&digest));
    child_signature.push(&upstream, "grafana/grafana", &sig(&child));
    attestation.push(&upstream, "grafana/grafana", &att);

    let output = world.run(&["mirror", "--format", "json", "--referrers", "signatures"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(outcome(&output)["referrers"], 2);
    let mirror = world.mirror.authority();
    let at_mirror = |tag: &str| artifacts::tag_digest(&mirror, MIRRORED, tag);
    assert_eq!(
        at_mirror(&sig(&digest)),
        Some(index_signature.digest.clone())
    );
    assert_eq!(
        at_mirror(&sig(&child)),
        Some(child_signature.digest.clone())
    );
    assert_eq!(at_mirror(&att), None, "signatures only");

    let output = world.run(&["mirror", "--format", "json"]);
    let completed = outcome(&output);
    assert_eq!(completed["status"], "completed", "{completed}");
    assert_eq!(completed["referrers"], 1);
    assert_eq!(at_mirror(&att), Some(attestation.digest.clone()));
}

#[test]
fn a_signature_added_upstream_later_arrives_and_a_no_op_run_costs_one_upstream_request_per_image() {
    let world = World::with(TestRegistry::start_logged(), TestRegistry::start());
    let (digest, _) = publish_grafana(&world, one_platform(5));
    let dex = world.publish("dexidp/dex", "v2", one_platform(6));
    let mut vars = world.vars();
    vars.push_str(&format!("  dex: {PREFIX}/ghcr.io/dexidp/dex:v2@{dex}\n"));
    world.write_vars(&vars);
    let first = world.run(&["mirror", "--format", "json"]);
    assert!(first.status.success());

    let signature = cosign_signature("docker.io/grafana/grafana", &digest, 1);
    let tag = format!("{}.sig", fallback_tag(&digest));
    signature.push(&world.upstream.authority(), "grafana/grafana", &tag);
    let verify = world.run(&["verify", "--upstream"]);
    let report = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{report}");
    assert!(
        report.contains("INCOMPLETE IMAGES.grafana")
            && report.contains(&format!(
                "the upstream has 1 referrer(s) the mirror lacks: {tag}"
            )),
        "{report}"
    );
    let second = world.run(&["mirror", "--format", "json"]);
    assert!(second.status.success());
    let completed = outcome(&second);
    assert_eq!(completed["status"], "completed", "{completed}");
    assert_eq!(
        artifacts::tag_digest(&world.mirror.authority(), MIRRORED, &tag),
        Some(signature.digest.clone())
    );

    // cosign appends a second signature to the same tag: the new manifest replaces the
    // mirror's, whose layers it contains.
    let resigned = cosign_signature("docker.io/grafana/grafana", &digest, 2);
    resigned.push(&world.upstream.authority(), "grafana/grafana", &tag);
    let third = world.run(&["mirror", "--format", "json"]);
    assert_eq!(
        outcome(&third)["status"],
        "completed",
        "{}",
        outcome(&third)
    );
    assert_eq!(
        artifacts::tag_digest(&world.mirror.authority(), MIRRORED, &tag),
        Some(resigned.digest.clone())
    );

    let before = world.upstream.requests().len();
    let no_op = world.run(&["mirror", "--format", "json"]);
    let upstream_requests: Vec<String> = world.upstream.requests()[before..].to_vec();
    assert!(no_op.status.success());
    assert!(
        json_lines(&no_op)
            .iter()
            .filter(|l| l["type"] == "mirror")
            .all(|l| l["status"] == "present")
    );
    // Per image: the repository's tag list; the signed one also a HEAD of its .sig;
    // and once per registry, the probe that finds it has no referrers API.
    let tag_lists = upstream_requests
        .iter()
        .filter(|r| r.contains("/tags/list"))
        .count();
    assert_eq!(tag_lists, 2, "{upstream_requests:#?}");
    assert_eq!(upstream_requests.len(), 2 + 1 + 1, "{upstream_requests:#?}");
    assert!(
        !upstream_requests
            .iter()
            .any(|r| r.starts_with("GET") && r.contains("/manifests/")),
        "no manifest GET (Docker Hub counts those): {upstream_requests:#?}"
    );
}

#[test]
fn an_entry_someone_else_put_in_the_mirrors_fallback_index_survives() {
    let world = World::new();
    let (digest, image) = publish_grafana(&world, one_platform(7));
    let theirs = sbom(image.clone(), 70);
    let mirror = world.mirror.authority();
    theirs.push_by_digest(&mirror, MIRRORED);
    artifacts::push_manifest(
        &mirror,
        MIRRORED,
        &fallback_tag(&digest),
        OCI_INDEX,
        &artifacts::fallback_index(&[&theirs]),
    );
    let ours = sigstore_bundle(image);
    referred_by_fallback_tag(&world, &digest, &ours);

    mirror_via(&world, &world.upstream.url(), &world.mirror.url());
    assert_eq!(
        listed(&mirror, MIRRORED, &fallback_tag(&digest)),
        vec![theirs.digest.clone(), ours.digest.clone()],
        "merged, theirs first and kept"
    );
}

#[test]
fn a_referrer_whose_blob_lies_fails_the_image_by_name_and_the_tag_does_not_move() {
    let world = World::new();
    let proxy = FaultyProxy::start(world.upstream.port);
    let (digest, image) = publish_grafana(&world, one_platform(8));
    let bundle = sigstore_bundle(image);
    referred_by_fallback_tag(&world, &digest, &bundle);
    let layer = serde_json::from_slice::<serde_json::Value>(&bundle.manifest).unwrap()["layers"][0]
        ["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path: &'static str = Box::leak(format!("/blobs/{layer}").into_boxed_str());
    proxy.add(Rule::always("GET", path, Fault::FlipByte(3)));

    let output = run_via(
        &world,
        &proxy.url(),
        &world.mirror.url(),
        &["mirror", "--format", "json"],
    );
    assert!(proxy.injected() > 0, "the lie was told");
    assert_eq!(output.status.code(), Some(1));
    let failed = outcome(&output);
    assert_eq!(failed["status"], "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "copying what refers to {digest} ({})",
            bundle.digest
        )) && error.contains(&layer),
        "{error}"
    );
    assert_eq!(
        world.mirror_digest("cki/mirror/grafana/grafana:11.2.0"),
        None,
        "the tag waits for its referrers"
    );
}

#[test]
fn a_writer_that_replaces_the_mirrors_fallback_index_meanwhile_is_outlasted_and_both_entries_stay()
{
    let world = World::new();
    let mirror_proxy = FaultyProxy::start(world.mirror.port);
    let (digest, image) = publish_grafana(&world, one_platform(9));
    let ours = sigstore_bundle(image.clone());
    referred_by_fallback_tag(&world, &digest, &ours);
    // Another writer's SBOM, and its index written right after our first write, without
    // ours in it.
    let theirs = sbom(image, 90);
    theirs.push_by_digest(&world.mirror.authority(), MIRRORED);
    let path: &'static str =
        Box::leak(format!("/v2/{MIRRORED}/manifests/{}", fallback_tag(&digest)).into_boxed_str());
    mirror_proxy.add(Rule::once(
        "PUT",
        path,
        Fault::OverwriteAfter {
            content_type: OCI_INDEX,
            body: artifacts::fallback_index(&[&theirs]),
        },
    ));

    mirror_via(&world, &world.upstream.url(), &mirror_proxy.url());
    assert_eq!(mirror_proxy.injected(), 1, "the other writer wrote");
    let mut listed = listed(&world.mirror.authority(), MIRRORED, &fallback_tag(&digest));
    listed.sort();
    let mut expected = vec![theirs.digest.clone(), ours.digest.clone()];
    expected.sort();
    assert_eq!(
        listed, expected,
        "read back, merged again: nobody's entry is lost"
    );
}
