//! Docker Hub's pull limit, put in front of a real registry: a short window is waited
//! out with at most one 429 per window; a six-hour one ends the run within seconds,
//! everything else copied and what was left behind named with the reset time.

use std::time::{Duration, Instant};

use crate::common::faulty::FaultyProxy;
use crate::common::images::publish_small;
use crate::common::pull_limit::PullLimit;
use crate::common::registry::TestRegistry;
use crate::common::world::World;
use crate::common::{img_mirror, json_lines};

const PREFIX: &str = "quay.io/cki/mirror";

fn outcomes(output: &std::process::Output) -> Vec<serde_json::Value> {
    json_lines(output)
        .into_iter()
        .filter(|l| l["type"] == "mirror")
        .collect()
}

#[test]
fn a_short_window_is_waited_out_with_at_most_one_429_per_window() {
    let world = World::new();
    let window = Duration::from_secs(1);
    let hub = FaultyProxy::with_pull_limit(world.upstream.port, PullLimit::new(2, window));
    let mut vars = String::from("MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n");
    for index in 0..5u64 {
        let digest = publish_small(
            &world.upstream.authority(),
            &format!("org/app{index}"),
            "1",
            40 + index,
        );
        vars.push_str(&format!(
            "  app{index}: {PREFIX}/org/app{index}:1@{digest}\n"
        ));
    }
    world.write_vars(&vars);

    let started = Instant::now();
    // -v: each request, each 429 and each wait on stderr, to read when this fails.
    let output = img_mirror()
        .args(["mirror", "-v", "--format", "json", "--repo"])
        .arg(world.repo.path())
        .args(World::flags_to(&hub.url(), &world.mirror.url()))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let limit = hub.pull_limit.as_ref().unwrap();
    assert!(
        limit.too_many() >= 1,
        "the limit was never reached: the test proves nothing"
    );
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(outcomes(&output).iter().all(|o| o["status"] == "copied"));
    assert!(
        limit.most_in_a_window() <= 1,
        "{} 429s in one window ({} in all, {elapsed:?})\n{}",
        limit.most_in_a_window(),
        limit.too_many(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_six_hour_window_ends_the_run_in_seconds_with_the_rest_copied_and_the_left_behind_named() {
    let world = World::new();
    let ghcr = TestRegistry::start();
    let hub = FaultyProxy::with_pull_limit(
        world.upstream.port,
        PullLimit::new(1, Duration::from_secs(21600)),
    );
    let mut vars = String::from("MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n");
    for index in 0..2u64 {
        let hub_digest = publish_small(
            &world.upstream.authority(),
            &format!("org/hub{index}"),
            "1",
            50 + index,
        );
        vars.push_str(&format!(
            "  hub{index}: {PREFIX}/org/hub{index}:1@{hub_digest}\n"
        ));
        let ghcr_digest = publish_small(
            &ghcr.authority(),
            &format!("org/gh{index}"),
            "1",
            60 + index,
        );
        vars.push_str(&format!(
            "  gh{index}: {PREFIX}/ghcr.io/org/gh{index}:1@{ghcr_digest}\n"
        ));
    }
    world.write_vars(&vars);

    let started = Instant::now();
    let output = img_mirror()
        .args(["mirror", "--format", "json", "--repo"])
        .arg(world.repo.path())
        .arg(format!("--registry=docker.io={}", hub.url()))
        .arg(format!("--registry=ghcr.io={}", ghcr.url()))
        .arg(format!("--registry=quay.io={}", world.mirror.url()))
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let limit = hub.pull_limit.as_ref().unwrap();
    assert!(limit.too_many() <= 1, "{} 429s", limit.too_many());
    let all = outcomes(&output);
    let status = |entry: &str| {
        all.iter()
            .find(|o| o["entry"] == entry)
            .unwrap_or_else(|| panic!("{entry}: {all:#?}"))
            .clone()
    };
    assert_eq!(status("gh0")["status"], "copied");
    assert_eq!(status("gh1")["status"], "copied");
    let hub: Vec<serde_json::Value> = ["hub0", "hub1"].iter().map(|e| status(e)).collect();
    assert_eq!(
        hub.iter().filter(|o| o["status"] == "copied").count(),
        1,
        "{hub:#?}"
    );
    let left = hub.iter().find(|o| o["status"] == "failed").unwrap();
    let error = left["error"].as_str().unwrap();
    assert!(
        error
            .contains("left behind: docker.io's pull limit is spent (1 manifest GETs per 21600 s)")
            && error.contains("resets by")
            && error.contains("UTC"),
        "{error}"
    );
}
