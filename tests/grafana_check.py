#!/usr/bin/env python3
"""grafana_check.py - a Grafana dashboard against an exposition

Usage: grafana_check.py DASHBOARD.json EXPOSITION

Exit 0 when DASHBOARD is valid JSON, has panels with queries, and every
metric name its queries (targets' "expr") use is a family that EXPOSITION
declares ("# TYPE" lines; a histogram's _bucket, _sum and _count belong
to it).  Otherwise prints what is wrong and exits 1.
"""
import json
import re
import sys


def families(path):
    fam = {}
    for line in open(path):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            fam[m.group(1)] = m.group(2)
    return fam


def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def main():
    dash = json.load(open(sys.argv[1]))
    fam = families(sys.argv[2])
    queries = list(exprs(dash.get("panels", [])))
    bad = []
    if not queries:
        bad.append("no queries in the dashboard's panels")
    used = set()
    for q in queries:
        # metric names: identifiers not followed by "(" (functions) and
        # outside label matchers and strings
        q = re.sub(r'"[^"]*"', '""', q)
        q = re.sub(r"\{[^}]*\}", "{}", q)
        q = re.sub(r"\[[^\]]*\]", "[]", q)
        q = re.sub(r"\b(by|without)\s*\([^)]*\)", "", q)
        for name in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", q):
            if name.startswith("verdict_"):
                used.add(name)
    for name in sorted(used):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name in fam or (base != name and fam.get(base) == "histogram"):
            continue
        bad.append("%s: not a family of the exposition" % name)
    for b in bad:
        print("grafana_check: " + b)
    if not bad:
        print("grafana_check: %d queries, %d metrics, all declared" %
              (len(queries), len(used)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
