#!/usr/bin/env python3
"""Benchmark: `img-mirror check` on a whole repository (issue 13's size): 5,000 files, of
which 1,000 hold one template reference each to an IMAGES entry, beside ripgrep
searching the same tree for `cki_variable` (the floor: a parallel walk that only
searches), and the same check on the vars file alone (the template walk's own cost).

Usage: bench/check_repository.py [--files N] [--references N] [--entries N] [--runs N]
Needs a release build (built here) and ripgrep (`apt-get install ripgrep`).
"""
import argparse, hashlib, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(repo, files, references, entries):
    lines = ["MP_APPROVED_REGISTRIES:", "  - registry.redhat.io", "  - quay.io/cki", "IMAGES:"]
    for i in range(entries):
        digest = hashlib.sha256(f"bench {i}".encode()).hexdigest()
        lines.append(f"  app_{i:04d}: quay.io/cki/mirror/grafana/app{i}:v1.{i}.0@sha256:{digest}")
    with open(os.path.join(repo, "vars.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    shutil.copy(os.path.join(ROOT, "fixtures", "deployment-all", "renovate.json"), repo)
    for i in range(files):
        folder = os.path.join(repo, "openshift", f"service{i // 50:03d}")
        os.makedirs(folder, exist_ok=True)
        body = ["---", "apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: service-{i}",
                "spec:", "  replicas: 2", "  template:", "    spec:", "      containers:", f"        - name: c{i}"]
        if i < references:
            body.append(f"          image: {{{{ cki_variable('IMAGES').app_{i % entries:04d} }}}}")
        else:
            body.append("          image: registry.redhat.io/ubi9/ubi:9.4")
        body += [f"          # filler line {j} of a realistic manifest" for j in range(40)]
        with open(os.path.join(folder, f"deployment-{i}.yml.j2"), "w") as f:
            f.write("\n".join(body) + "\n")


def wall(command, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append((time.perf_counter() - start) * 1000)
        if result.returncode not in (0, 1):
            sys.exit(f"{command} failed: {result.stderr.decode()}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--references", type=int, default=1_000)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if shutil.which("rg") is None:
        sys.exit("ripgrep (rg) is needed: apt-get install ripgrep")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "img-mirror")
    with tempfile.TemporaryDirectory() as repo:
        generate(repo, args.files, args.references, args.entries)
        subprocess.run(["git", "init", "-q", repo], check=True)
        vars_only = tempfile.mkdtemp()
        shutil.copy(os.path.join(repo, "vars.yml"), vars_only)
        shutil.copy(os.path.join(repo, "renovate.json"), vars_only)
        check = wall([binary, "check", "--repo", repo, "--format", "json"], args.runs)
        alone = wall([binary, "check", "--repo", vars_only, "--format", "json"], args.runs)
        ripgrep = wall(["rg", "--count", "cki_variable", repo], args.runs)
        shutil.rmtree(vars_only)
        out = subprocess.run([binary, "check", "--repo", repo, "--format", "json"], capture_output=True, text=True)
        findings = sum(1 for line in out.stdout.splitlines() if '"type":"diagnostic"' in line)
    print(f"{args.files} files, {args.references} template references, {args.entries} IMAGES entries; "
          f"median of {args.runs} runs")
    print(f"{'':44}{'wall ms':>10}")
    print(f"{'img-mirror check (release), whole repository':44}{check:10.1f}   {findings} findings")
    print(f"{'img-mirror check, vars.yml and renovate.json only':44}{alone:10.1f}")
    print(f"{'rg --count cki_variable (the floor)':44}{ripgrep:10.1f}")


if __name__ == "__main__":
    main()
