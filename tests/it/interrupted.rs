//! Runs that die or collide: `mirror` killed with SIGKILL at several points of a large
//! multi-platform copy never leaves the tag pointing at anything but the pinned digest,
//! and the next run completes; two runs at once over the same entries both succeed.

use std::process::{Child, Stdio};

use crate::common::images::{self, Platform, layer};
use crate::common::img_mirror;
use crate::common::registry::TestRegistry;
use crate::common::world::World;

const TARGET: &str = "cki/mirror/org/big:1.0";

/// The shared world, holding a two-platform image with several large layers.
struct BigWorld {
    base: World,
    digest: String,
}

impl std::ops::Deref for BigWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.base
    }
}

impl BigWorld {
    fn new() -> BigWorld {
        let base = World::new();
        let platform = |architecture, seed: u64| Platform {
            architecture,
            layers: (0..4u64)
                .map(|i| layer(seed + i, 2 * 1024 * 1024))
                .collect(),
        };
        let digest = base.publish(
            "org/big",
            "1.0",
            vec![platform("amd64", 100), platform("arm64", 200)],
        );
        base.write_vars(&format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  big: quay.io/cki/mirror/org/big:1.0@{digest}\n"
        ));
        BigWorld { base, digest }
    }

    fn spawn_into(&self, mirror: &TestRegistry) -> Child {
        img_mirror()
            .args(["mirror", "--repo"])
            .arg(self.repo.path())
            .args(World::flags_to(&self.upstream.url(), &mirror.url()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The digest `mirror`'s tag resolves to, if the tag exists.
    fn tag_digest_in(&self, mirror: &TestRegistry) -> Option<String> {
        images::tag_digest(&mirror.authority(), TARGET, None)
    }

    fn tag_digest(&self) -> Option<String> {
        self.mirror_digest(TARGET)
    }
}

/// How many blobs `mirror`'s repository links so far (uploads that completed).
fn blobs_linked(mirror: &TestRegistry) -> usize {
    let layers = mirror
        .storage()
        .join("docker/registry/v2/repositories/cki/mirror/org/big/_layers/sha256");
    std::fs::read_dir(layers).map_or(0, |entries| entries.count())
}

#[test]
fn sigkill_at_any_point_never_leaves_a_wrong_tag_and_the_rerun_completes() {
    let world = BigWorld::new();
    // How long a whole copy takes here, so the kills land all along it: the second of
    // two, the first being slower while the upstream's files are cold.
    let warm_up = TestRegistry::start();
    assert!(world.spawn_into(&warm_up).wait().unwrap().success());
    let scratch = TestRegistry::start();
    let started = std::time::Instant::now();
    assert!(world.spawn_into(&scratch).wait().unwrap().success());
    let full = started.elapsed();
    let (mut mid_copy, mut tags_seen) = (0, 0);
    for fraction in [0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5] {
        // A new mirror each time, so every run is a whole copy.
        let mirror = TestRegistry::start();
        let delay = full.mul_f64(fraction);
        let delay_ms = delay.as_millis();
        let mut child = world.spawn_into(&mirror);
        std::thread::sleep(delay);
        let alive = child.try_wait().unwrap().is_none();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        match world.tag_digest_in(&mirror) {
            // Killed while running, with part of the image already in the mirror.
            None if alive && blobs_linked(&mirror) > 0 => mid_copy += 1,
            None => {}
            Some(digest) => {
                assert_eq!(
                    digest, world.digest,
                    "killed after {delay_ms} ms: the tag points elsewhere"
                );
                assert!(
                    images::copy_all_succeeds(&mirror.authority(), TARGET),
                    "killed after {delay_ms} ms: the tag exists but content under it is missing"
                );
                tags_seen += 1;
            }
        }
        let rerun = world.spawn_into(&mirror).wait().unwrap();
        assert!(
            rerun.success(),
            "the rerun after a kill at {delay_ms} ms failed"
        );
        assert_eq!(
            world.tag_digest_in(&mirror).as_deref(),
            Some(world.digest.as_str())
        );
        assert!(images::copy_all_succeeds(&mirror.authority(), TARGET));
    }
    assert!(
        mid_copy > 0,
        "no kill landed mid-copy (some blobs in, no tag yet): the test proves nothing"
    );
    eprintln!(
        "{mid_copy} of 7 kills landed mid-copy, {tags_seen} after the tag was complete (a full copy took {full:?})"
    );
}

#[test]
fn two_runs_at_once_both_succeed_with_the_same_result() {
    let world = BigWorld::new();
    let spawn = || {
        img_mirror()
            .args(["mirror", "--repo"])
            .arg(world.repo.path())
            .args(World::flags_to(&world.upstream.url(), &world.mirror.url()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    for run in [first, second] {
        let output = run.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(world.tag_digest().as_deref(), Some(world.digest.as_str()));
    assert!(images::copy_all_succeeds(&world.mirror.authority(), TARGET));
}
