#!/usr/bin/env python3
"""Benchmark: `img-mirror check` and `extract` on a generated 10,000-entry vars.yml,
side by side with Renovate 39.264.1's own regex-manager extraction of the same file.

Usage: bench/check_extract.py [--entries N] [--runs N] [--family-only]

Then the family table: `check` on 10 generated shapes of vars.yml (tag styles, quoting,
comments, path depths, and managers with bounded repetition, optional quotes and
per-match templates), each beside Renovate's whole process on the same file, with the
worst and median speed-up and each shape's peak RSS.
Needs a release build (built here) and Renovate with its own Node from the per-machine
cache (tests/tools/renovate.sh, which installs them on first use).
"""
import argparse, hashlib, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAMS = ["grafana/grafana", "ghcr.io/dexidp/dex", "quay.io/minio/minio", "registry.k8s.io/pause", "nginx"]


def generate(directory, entries, broken_percent=0):
    """`broken_percent` of the entries lose their digest: each is then a near miss that
    `check` explains (IM205), which the clean file never pays for."""
    broken_every = round(100 / broken_percent) if broken_percent else 0
    lines = ["MP_APPROVED_REGISTRIES:", "  - registry.redhat.io", "  - quay.io/cki", "IMAGES:"]
    for i in range(entries):
        digest = hashlib.sha256(f"bench {i}".encode()).hexdigest()
        if i % 3 == 0:
            value = f"registry.redhat.io/ubi9/app{i}:9.4-{i}"
        else:
            value = f"quay.io/cki/mirror/{UPSTREAMS[i % len(UPSTREAMS)]}-{i}:v1.{i % 100}.{i % 7}"
        if broken_every and i % broken_every == broken_every // 2:
            lines.append(f"  image_{i:05d}: {value}")
        else:
            lines.append(f"  image_{i:05d}: {value}@sha256:{digest}")
    with open(os.path.join(directory, "vars.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    shutil.copy(os.path.join(ROOT, "fixtures", "deployment-all", "renovate.json"), directory)


MIRROR_MANAGER = (r"\n  [A-Za-z_][A-Za-z0-9_]*: (?:quay\.io/cki/mirror/)?(?<depName>[a-z0-9][^\s:@]*)"
                  r":(?<currentValue>[A-Za-z0-9_][A-Za-z0-9_.-]*)@(?<currentDigest>sha256:[a-f0-9]{64})")


def shape_entries(shape, entries):
    """(vars.yml text, manager) for one shape of the family."""
    manager = {"customType": "regex", "managerFilePatterns": ["/(^|/)vars\\.yml$/"],
               "matchStrings": [MIRROR_MANAGER],
               "datasourceTemplate": "docker"}
    lines = ["MP_APPROVED_REGISTRIES:", "  - registry.redhat.io", "  - quay.io/cki", "IMAGES:"]
    if shape == "comments, leading ---":
        lines.insert(0, "---")
    for i in range(entries):
        digest = hashlib.sha256(f"family {shape} {i}".encode()).hexdigest()
        upstream = f"{UPSTREAMS[i % len(UPSTREAMS)]}-{i}"
        tag = f"v1.{i % 100}.{i % 7}"
        if shape == "tags N.N.N":
            tag = f"{16 + i % 5}.{i % 13}.{i % 29}"
        elif shape == "date tags":
            tag = f"2024{i % 12 + 1:02d}{i % 28 + 1:02d}.{i % 9}" if i % 2 else \
                f"RELEASE.2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T20-26-02Z"
        elif shape == "-alpine suffixes":
            tag = f"1.{i % 30}.{i % 7}-alpine3.{i % 21}"
        elif shape == "long tags":
            tag = f"9.4-{1000 + i}.{1726694542 + i}-build-{digest[:40]}"
        elif shape == "1 to 4 path components":
            upstream = ["app", "org/app", "registry.example.com/org/app",
                        "registry.example.com/org/team/app"][i % 4] + f"-{i}"
        value = f"quay.io/cki/mirror/{upstream}:{tag}@sha256:{digest}"
        if shape == "quoted values, optional quotes":
            value = f'"{value}"'
        if shape == "comments, leading ---":
            lines.append(f"  # entry {i}: bumped by Renovate")
        lines.append(f"  image_{i:05d}: {value}")
    if shape == "quoted values, optional quotes":
        manager["matchStrings"] = [MIRROR_MANAGER.replace(": (?:quay", ': "?(?:quay') + '"?']
    elif shape == "bounded repetition":
        manager["matchStrings"] = [MIRROR_MANAGER.replace("[^\\s:@]*", "[^\\s:@]{0,255}")
                                   .replace("[A-Za-z0-9_.-]*", "[A-Za-z0-9_.-]{0,127}")]
    elif shape == "per-match templates":
        manager["packageNameTemplate"] = "{{{depName}}}"
        manager["versioningTemplate"] = "{{#if (containsString currentValue '-')}}loose{{else}}docker{{/if}}"
    return "\n".join(lines) + "\n", manager


SHAPES = ["v-tags (default)", "tags N.N.N", "date tags", "-alpine suffixes", "long tags",
          "quoted values, optional quotes", "comments, leading ---", "1 to 4 path components",
          "bounded repetition", "per-match templates"]


def peak_rss_mib(command):
    """Peak RSS of one run, by GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def family(binary, renovate, entries, runs):
    quiet = {**os.environ, "LOG_LEVEL": "fatal"}
    script = os.path.join(ROOT, "bench", "renovate-extract-timed.js")
    rows = []
    for shape in SHAPES:
        with tempfile.TemporaryDirectory() as repo:
            text, manager = shape_entries(shape, entries)
            with open(os.path.join(repo, "vars.yml"), "w") as f:
                f.write(text)
            with open(os.path.join(repo, "renovate.json"), "w") as f:
                json.dump({"extends": ["config:recommended"], "customManagers": [manager]}, f)
            check = [binary, "check", "--repo", repo, "--format", "json"]
            extract = [binary, "extract", "--repo", repo, "--format", "json"]
            node = [os.path.join(renovate, "node"), script, renovate, os.path.join(repo, "renovate.json"),
                    os.path.join(repo, "vars.yml")]
            # The two tools' runs alternate: this machine's load moves by tens of percent
            # within a minute, and two medians taken a minute apart would put that drift
            # into the ratio. Each of Renovate's 3 runs follows a block of `check` runs,
            # and the `check` run right after Node's 300 MB process is a warm-up, as in
            # the main table.
            check_runs, renovate_runs = [], []
            for block in range(3):
                timed(check)
                check_runs += [timed(check)[0] for _ in range(runs // 3 + (block < runs % 3))]
                renovate_runs.append(timed(node, quiet, keep_output=True))
            check_ms = statistics.median(check_runs)
            renovate_ms = statistics.median(r[0] for r in renovate_runs)
            theirs = json.loads(renovate_runs[0][2].decode().strip().splitlines()[-1])["deps"]
            ours = sum(len(f["deps"]) for f in json.loads(timed(extract, keep_output=True)[2])["regex"])
            # Two threads share the peak's timing: it moves by a few MiB from run to run.
            rss_runs = [peak_rss_mib(check) for _ in range(5)]
            rss = (statistics.median(rss_runs), max(rss_runs))
            rows.append((shape, check_ms, renovate_ms, renovate_ms / check_ms, rss, ours, theirs))
    print()
    print(f"Family of {len(SHAPES)} shapes, {entries} entries each: `check` (median of {runs}) beside "
          f"Renovate's whole process (load + extract, median of 3), their runs alternating")
    print(f"{'shape':34}{'check ms':>10}{'Renovate ms':>13}{'speed-up':>10}{'peak RSS MiB med/max of 5':>27}"
          f"{'deps ours/Renovate':>20}")
    for shape, check_ms, renovate_ms, ratio, (rss, rss_max), ours, theirs in rows:
        print(f"{shape:34}{check_ms:10.1f}{renovate_ms:13.1f}{ratio:9.1f}x{rss:20.1f} / {rss_max:4.1f}"
              f"{f'{ours}/{theirs}':>20}")
    ratios = sorted(r[3] for r in rows)
    worst = min(rows, key=lambda r: r[3])
    print(f"worst: {worst[0]} {worst[3]:.1f}x; median {statistics.median(ratios):.1f}x; "
          f"peak RSS medians {min(r[4][0] for r in rows):.1f} to {max(r[4][0] for r in rows):.1f} MiB, "
          f"largest single run {max(r[4][1] for r in rows):.1f} MiB")


def timed(command, env=None, keep_output=False):
    """Wall and CPU (user + system) milliseconds of one run, and its stdout when kept
    (reading megabytes of JSON through a pipe would be timed too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    stdout = subprocess.PIPE if keep_output else subprocess.DEVNULL
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, env=env)
    wall_ms = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        sys.exit(f"{command} failed: {result.stderr.decode()}")
    cpu_ms = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall_ms, cpu_ms, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--family-only", action="store_true",
                        help="only the family table")
    parser.add_argument("--broken", type=float, default=1.0,
                        help="percent of entries without their digest in the second file")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "img-mirror")
    installed = subprocess.run(["bash", os.path.join(ROOT, "tests", "tools", "renovate.sh"), "39.264.1"],
                               check=True, capture_output=True, text=True)
    renovate = installed.stdout.strip().splitlines()[-1]
    if args.family_only:
        family(binary, renovate, args.entries, args.runs)
        return

    with tempfile.TemporaryDirectory() as repo:
        generate(repo, args.entries)
        check = [binary, "check", "--repo", repo, "--format", "json"]
        extract = [binary, "extract", "--repo", repo, "--format", "json"]
        script = os.path.join(ROOT, "bench", "renovate-extract-timed.js")
        node = [os.path.join(renovate, "node"), script, renovate, os.path.join(repo, "renovate.json"),
                os.path.join(repo, "vars.yml")]
        quiet = {**os.environ, "LOG_LEVEL": "fatal"}
        # Like hyperfine: a warm-up run of each, then each tool's runs back to back
        # (a run right after Renovate's 300 MB Node process pays for its page and cache
        # churn), in two blocks so that a machine drifting during the run weighs on
        # both tools alike.
        check_runs, extract_runs, renovate_runs, renovate_wall = [], [], [], []
        for command in (check, extract, node):
            timed(command, quiet)
        for _ in range(2):
            check_runs += [timed(check)[:2] for _ in range(args.runs // 2)]
            extract_runs += [timed(extract)[:2] for _ in range(args.runs // 2)]
            for _ in range(max(2, args.runs // 6)):
                wall_ms, _, out = timed(node, quiet, keep_output=True)
                renovate_wall.append(wall_ms)
                renovate_runs.append(json.loads(out.decode().strip().splitlines()[-1]))
        ours = json.loads(timed(extract, keep_output=True)[2])
        with tempfile.TemporaryDirectory() as broken_repo:
            generate(broken_repo, args.entries, args.broken)
            broken = [binary, "check", "--repo", broken_repo, "--format", "json"]
            findings = timed(broken, keep_output=True)[2].decode().splitlines()
            explained = sum(1 for line in findings if '"IM205"' in line and "then stopped at" in line)
            broken_runs = [timed(broken)[:2] for _ in range(args.runs)]
        broken_ms, broken_cpu = (statistics.median(r[i] for r in broken_runs) for i in (0, 1))
        check_ms, check_cpu = (statistics.median(r[i] for r in check_runs) for i in (0, 1))
        extract_ms, extract_cpu = (statistics.median(r[i] for r in extract_runs) for i in (0, 1))
        engine = renovate_runs[0]["engine"]
        renovate_extract = statistics.median(r["extract_ms"] for r in renovate_runs)
        renovate_total = statistics.median(renovate_wall)

    deps = len(ours["regex"][0]["deps"])
    print(f"{args.entries} IMAGES entries, median of {len(check_runs)} runs in two blocks (Renovate: {len(renovate_runs)} runs, regex engine {engine})")
    print(f"{'':38}{'wall ms':>10}{'CPU ms':>10}")
    print(f"{'img-mirror check (release)':38}{check_ms:10.1f}{check_cpu:10.1f}")
    print(f"{f'img-mirror check, {args.broken:g}% broken':38}{broken_ms:10.1f}{broken_cpu:10.1f}   {explained} near misses explained, {broken_ms / check_ms:4.2f}x clean")
    print(f"{'img-mirror extract (release)':38}{extract_ms:10.1f}{extract_cpu:10.1f}   {deps} deps")
    print(f"{'renovate extractPackageFile only':38}{renovate_extract:10.1f}{'':10}   {renovate_runs[0]['deps']} deps")
    print(f"{'renovate process (load + extract)':38}{renovate_total:10.1f}")
    print(f"speed-up, extract vs Renovate extraction alone: {renovate_extract / extract_ms:5.1f}x")
    print(f"speed-up, check vs Renovate extraction alone:   {renovate_extract / check_ms:5.1f}x")
    print(f"speed-up, check vs Renovate process:            {renovate_total / check_ms:5.1f}x")
    family(binary, renovate, args.entries, args.runs)


if __name__ == "__main__":
    main()
