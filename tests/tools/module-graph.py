#!/usr/bin/env python3
"""The library's module dependency graph, from its `crate::` paths, and its cycles.

Usage: tests/tools/module-graph.py [--edges] [--depth N]

Each crate (src/, and crates/*/src/) is a graph of its own.

Every `crate::a::b` path in a module's files (use lines and inline paths alike) is an
edge from that module to `a::b`, both cut to N components (default 2: `renovate::re2`).
`super::x` is resolved against the file's own module. An edge into a module's own
ancestor or descendant is no dependency between peers and is left out, and so is test
code (`tests.rs`, and what follows `#[cfg(test)]`). Prints the cycles
(strongly connected components of more than one module) and exits 1 when there are any;
`--edges` prints every edge too.
"""
import argparse, os, re, sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src")
CRATES = os.path.join(ROOT, "crates")


def module_of(path, src):
    """`src/mirror/copy.rs` -> ['mirror', 'copy']."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def targets(text, module):
    found = set()
    for match in re.finditer(r"\bcrate((?:::\w+)+)", text):
        found.add(tuple(match.group(1).strip(":").split("::")))
    for match in re.finditer(r"\b((?:super::)+)(\w+(?:::\w+)*)", text):
        ups = match.group(1).count("super")
        base = module[: max(0, len(module) - ups)]
        found.add(tuple(base) + tuple(match.group(2).split("::")))
    # `use crate::x::{a, b::c}` lists: each item is a path under x.
    for match in re.finditer(r"use\s+crate((?:::\w+)*)::\{([^;]*)\};", text, flags=re.S):
        base = tuple(match.group(1).strip(":").split("::"))
        for item in re.split(r"[,{}\s]+", match.group(2)):
            if item and item != "self":
                found.add(base + tuple(item.split("::")))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--edges", action="store_true")
    parser.add_argument("--depth", type=int, default=2)
    args = parser.parse_args()
    roots = [SRC] + sorted(
        os.path.join(CRATES, name, "src") for name in os.listdir(CRATES)
    )
    return max(graph(root, args) for root in roots)


def graph(src, args):
    modules = set()
    edges = defaultdict(set)
    files = []
    for directory, _, names in os.walk(src):
        if os.path.relpath(directory, src).split(os.sep)[0] == "cli":
            continue  # the binary's own modules, above the library
        for name in names:
            # Test code may reach above its module; only what ships counts.
            if name.endswith(".rs") and name not in ("main.rs", "tests.rs"):
                files.append(os.path.join(directory, name))
    for path in files:
        module = module_of(path, src)
        node = tuple(module[: args.depth])
        if not node:
            continue
        modules.add(node)
        text = strip_comments(open(path, encoding="utf-8").read())
        text = text.split("#[cfg(test)]")[0]
        for target in targets(text, module):
            # A path ends in an item (a type, a function): keep only the modules.
            target = tuple(t for t in target if t.islower() or "_" in t)
            other = target[: args.depth]
            if not other or other == node:
                continue
            if other[: len(node)] == node or node[: len(other)] == other:
                continue
            edges[node].add(other)
    known = {m for m in modules}
    for node in list(edges):
        edges[node] = {t for t in edges[node] if t in known}
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            sccs.append(component)

    sys.setrecursionlimit(10000)
    for v in sorted(known):
        if v not in index:
            visit(v)
    show = lambda m: "::".join(m)
    if args.edges:
        for node in sorted(edges):
            for other in sorted(edges[node]):
                print(f"{show(node)} -> {show(other)}")
    cycles = [sorted(c) for c in sccs if len(c) > 1]
    for cycle in cycles:
        members = set(cycle)
        inner = [f"{show(a)} -> {show(b)}" for a in cycle for b in sorted(edges.get(a, ())) if b in members]
        print(f"cycle: {', '.join(show(m) for m in cycle)}: {'; '.join(inner)}")
    print(f"{os.path.relpath(src, ROOT)}: {len(known)} modules, {sum(len(v) for v in edges.values())} edges, {len(cycles)} cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
