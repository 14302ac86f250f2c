#!/usr/bin/env python3
"""Benchmark: `img-mirror check` and `extract` on a generated 10,000-entry vars.yml,
side by side with Renovate 39.264.1's own regex-manager extraction of the same file.

Usage: bench/check_extract.py [--entries N] [--runs N]
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
    parser.add_argument("--broken", type=float, default=1.0,
                        help="percent of entries without their digest in the second file")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "img-mirror")
    installed = subprocess.run(["bash", os.path.join(ROOT, "tests", "tools", "renovate.sh"), "39.264.1"],
                               check=True, capture_output=True, text=True)
    renovate = installed.stdout.strip().splitlines()[-1]

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


if __name__ == "__main__":
    main()
