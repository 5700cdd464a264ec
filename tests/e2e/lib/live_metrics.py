#!/usr/bin/python3
"""Every metric name the alert rules and the dashboard use is exported by a live service.

    live_metrics.py SOURCE_DIR SCRAPE_FILE...

Each SCRAPE_FILE is the /metrics body of a running atlas-worker, atlas-router or
atlas-rag (tests/e2e/quickstart.sh scrapes all three). The names come from
prometheus/atlas-rules.yaml and grafana/atlas-dashboard.json, extracted by
ops_checks.py's PromQL reader (the same one tests/e2e/ops_artifacts.sh uses to
compare them with docs/metrics.md). Names Prometheus writes itself (up, ALERTS)
are left out.

A name is exported live when a scrape has a sample of it or a "# TYPE" line
for it; name_bucket, name_sum and name_count belong to the histogram `name`.

Families without samples: prometheus-cpp (1.0.1, Debian bookworm) serializes a
metric family only once it has a child. A family whose label values are known
at start-up is pre-created by its service and always appears; one labelled by
what happened (atlas_escalations_total{component}, atlas_deliveries_total{...,
outcome}, ...) appears with its first event. For a name not in the scrapes the
check therefore looks at the code: the name must be registered by a service
(its name a string literal in core/src, worker/src, router/src or rag/src, as
BuildCounter().Name("name") or a helper such as atlas-rag's counters(r, "name",
...)), and a family whose builder chain creates a child at start-up (.Add(...))
must be live. Each such name is listed
as "registered, no sample yet", so the output says exactly what was seen live
and what was only found in code. A name neither live nor registered fails.

Exit status 0 when every name is accounted for, 1 otherwise.
"""
import importlib.util
import os
import re
import sys

if len(sys.argv) < 3:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
SRC = sys.argv[1]
SCRAPES = sys.argv[2:]

# ops_checks reads its source directory from argv[1] at import.
sys.argv = [sys.argv[0], SRC]
spec = importlib.util.spec_from_file_location(
    "ops_checks", os.path.join(SRC, "tests", "e2e", "lib", "ops_checks.py"))
ops = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ops)
ops.check_parse()  # loads DOCS (prints "ok: parse ...")
if ops.failures:
    sys.exit(1)

# --- names used ----------------------------------------------------------------------
used = {}  # name -> first place that uses it
for rule in ops.rule_list():
    for name in ops.promql_metric_names(rule.get("expr", "")):
        used.setdefault(name, f"rule {rule.get('alert') or rule.get('record')}")
for where, expr in ops.dashboard_exprs():
    for name in ops.promql_metric_names(expr):
        used.setdefault(name, where)
for name in list(used):
    if name in ops.PROMETHEUS_OWN:
        del used[name]
if len(used) < 20:
    print(f"FAIL: only {len(used)} metric names found in the rules and the dashboard")
    sys.exit(1)

# --- names exported live --------------------------------------------------------------
samples, typed = set(), {}
for path in SCRAPES:
    text = open(path, encoding="utf-8").read()
    if "# TYPE" not in text:
        print(f"FAIL: {path} is not a Prometheus scrape (no # TYPE line)")
        sys.exit(1)
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            typed[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))


def base_of_used(name):
    """True when `name` is the histogram family of a used _bucket/_sum/_count name."""
    return any(u == name + suffix for u in used for suffix in ("_bucket", "_sum", "_count"))


def live(name):
    if name in samples or name in typed:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and typed.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return True
    return False


# --- names registered in code ----------------------------------------------------------
# A name is registered when a service's source passes it as a string literal
# to prometheus-cpp (`BuildCounter().Name("x")`, or a helper such as atlas-rag's
# `counters(r, "x", help)`). A builder chain that ends in `.Add(` creates a
# child with the family, so that name must be live.
registered = {}  # name -> (file, has a child at start-up)
for top in ("core", "worker", "router", "rag"):
    for root, _, files in os.walk(os.path.join(SRC, top, "src")):
        for f in files:
            if not f.endswith((".cpp", ".hpp")):
                continue
            rel = os.path.relpath(os.path.join(root, f), SRC)
            text = open(os.path.join(root, f), encoding="utf-8").read()
            for m in re.finditer(r'"([a-z_:][a-z0-9_:]*)"', text):
                name = m.group(1)
                if name in used or base_of_used(name):
                    registered.setdefault(name, (rel, False))
            for m in re.finditer(r'Build(?:Counter|Gauge|Histogram|Summary)\(\)\s*\.Name\("([^"]+)"\)', text):
                chain = text[m.end(): m.end() + 400].split(";")[0].split("Build")[0]
                if ".Add(" in chain:
                    registered[m.group(1)] = (rel, True)


def base(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in registered:
            return name[: -len(suffix)]
    return name


failed = 0
seen_live, code_only = [], []
for name in sorted(used):
    if live(name):
        seen_live.append(name)
        continue
    reg = registered.get(base(name))
    if reg is None:
        print(f"FAIL: {name} ({used[name]}) is not exported by any live service and no service registers it")
        failed += 1
    elif reg[1]:
        print(f"FAIL: {name} ({used[name]}) is registered with a child at start-up in {reg[0]} "
              f"but missing from the live scrapes")
        failed += 1
    else:
        code_only.append(f"{name} ({reg[0]})")

print(f"ok: {len(seen_live)} of {len(used)} names used by the rules and the dashboard are exported live: "
      + ", ".join(seen_live))
if code_only:
    print(f"note: {len(code_only)} labelled families have no sample yet (prometheus-cpp writes a family "
          f"with its first child); each is registered in code: " + ", ".join(code_only))
sys.exit(1 if failed else 0)
