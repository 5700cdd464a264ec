#!/usr/bin/python3
"""Structural checks of the operations artifacts (used by tests/e2e/ops_artifacts.sh).

    ops_checks.py SOURCE_DIR [BIN_DIR]

Prints one "FAIL: ..." line per problem and "ok: ..." per group of checks that
passed; exits 1 when anything failed. Needs only Debian's python3 and
python3-yaml (scripts/bootstrap.sh installs both).

What it checks, in order:
  parse       every JSON and YAML file under grafana/ k8s/ docker/ prometheus/ parses
  metrics     docs/metrics.md lists metrics per binary (first table column, backticked);
              every atlas_rag_* name in rag/src matches the atlas-rag table exactly
  names       every metric name in the alert rules, the dashboard, the Prometheus
              adapter rule and docs/metrics.md's own queries is listed in docs/metrics.md
  rules       each alert has for:, severity, summary, description and a runbook_url
              whose anchor is a heading of docs/operations.md
  rule tests  each alert has a promtool test case where it fires and one where it does not
  dashboard   schemaVersion >= 39, datasource variable, every panel and target uses it,
              timeseries panels only, the required subjects are charted
  grafana     provisioning files and their paths agree with the compose mounts
  k8s         probes, resources, non-root, read-only root file system, selectors that
              match pod labels, scale targets, kustomization lists every manifest,
              secrets only in the Secret template and empty there
  docker      stages, non-root USER, HEALTHCHECK on /healthz with curl present, EXPOSE,
              ENTRYPOINT; runtime libraries cover the built binaries (when built)
  compose     services, KRaft, topics, replicas, build targets, mounts, ${VAR} names
  env         .env.example holds every DESIGN section 8 variable, secrets empty
  operations  docs/operations.md and docs/scaling.md cover the required procedures
"""
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

SRC = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ATLAS_SOURCE_DIR", ".")
BIN = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("ATLAS_BIN_DIR", "")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def ok(msg):
    print("ok: " + msg)


def path(*parts):
    return os.path.join(SRC, *parts)


def read(rel):
    with open(path(rel), encoding="utf-8") as f:
        return f.read()


def group(name):
    """Decorator: runs a check group, reports ok when it added no failure."""
    def wrap(fn):
        def run():
            before = len(failures)
            try:
                fn()
            except Exception as e:  # a crash in a check is a failure, not a pass
                fail(f"{name}: check crashed: {type(e).__name__}: {e}")
            if len(failures) == before:
                ok(name)
        return run
    return wrap


# --- parsing ---------------------------------------------------------------------

DOCS = {}  # relative path -> list of parsed YAML documents / JSON value


@group("parse: every JSON and YAML file under grafana/ k8s/ docker/ prometheus/")
def check_parse():
    count = 0
    for top in ("grafana", "k8s", "docker", "prometheus"):
        for root, _, files in os.walk(path(top)):
            for name in sorted(files):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, SRC)
                try:
                    with open(full, encoding="utf-8") as f:
                        if name.endswith(".json"):
                            DOCS[rel] = json.load(f)
                        elif name.endswith((".yaml", ".yml")):
                            DOCS[rel] = [d for d in yaml.safe_load_all(f) if d is not None]
                        else:
                            continue
                    count += 1
                except Exception as e:
                    fail(f"{rel} does not parse: {e}")
    if count < 20:
        fail(f"expected at least 20 JSON/YAML files under grafana/ k8s/ docker/ prometheus/, found {count}")


# --- PromQL metric names ---------------------------------------------------------------

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "offset", "bool", "inf", "nan", "atan2"}
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE"}  # written by Prometheus itself


def promql_metric_names(expr):
    """Metric names an expression selects (strings, matchers, ranges, grouping labels,
    functions, keywords, Grafana variables and adapter templates left out)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"<<\.\w+>>", " ", s)
    s = re.sub(r"\$\{?\w+\}?", " ", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", s):
        token = m.group(0)
        if s[m.end():].lstrip().startswith("("):
            continue  # a function
        if token.lower() in PROMQL_WORDS:
            continue
        names.add(token)
    return names


# --- docs/metrics.md --------------------------------------------------------------------

METRICS = {}       # binary -> {name: type}
ALL_METRICS = {}   # name -> type


@group("metrics: docs/metrics.md lists the series of every binary")
def check_metrics_doc():
    text = read("docs/metrics.md")
    binary = None
    for line in text.splitlines():
        h = re.match(r"^## (atlas-[a-z]+)\b", line)
        if h:
            binary = h.group(1)
            METRICS[binary] = {}
            continue
        if line.startswith("## "):
            binary = None
            continue
        row = re.match(r"^\|\s*`([^`]+)`\s*\|\s*(counter|gauge|histogram|summary)\s*\|", line)
        if row and binary:
            name, kind = row.groups()
            if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name):
                fail(f"docs/metrics.md: '{name}' is not a Prometheus metric name")
            if name in METRICS[binary]:
                fail(f"docs/metrics.md: {name} listed twice for {binary}")
            if kind == "counter" and not name.endswith("_total"):
                fail(f"docs/metrics.md: counter {name} should end in _total")
            if name in ALL_METRICS and ALL_METRICS[name] != kind:
                fail(f"docs/metrics.md: {name} has two types ({ALL_METRICS[name]}, {kind})")
            METRICS[binary][name] = kind
            ALL_METRICS[name] = kind
    for binary in ("atlas-worker", "atlas-router", "atlas-rag"):
        if not METRICS.get(binary):
            fail(f"docs/metrics.md has no table for {binary} (## {binary} ... | `name` | type |)")
        elif "atlas_ready" not in METRICS[binary]:
            fail(f"docs/metrics.md: {binary} lacks atlas_ready")
    # The gateway exists already: its table must be exactly what the code registers.
    declared = set()
    for root, _, files in os.walk(path("rag/src")):
        for name in files:
            if name.endswith(".cpp"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    declared |= set(re.findall(r'"(atlas_rag_[a-z0-9_]+)"', f.read()))
    documented = {n for n in METRICS.get("atlas-rag", {}) if n.startswith("atlas_rag_")}
    for n in sorted(declared - documented):
        fail(f"docs/metrics.md: atlas-rag registers {n} (rag/src) but the table lacks it")
    for n in sorted(documented - declared):
        fail(f"docs/metrics.md: {n} is listed for atlas-rag but rag/src does not register it")


def known_metric(name):
    if name in ALL_METRICS or name in PROMETHEUS_OWN:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and ALL_METRICS.get(base) in ("histogram", "summary"):
            return suffix != "_bucket" or ALL_METRICS[base] == "histogram"
    return False


def rule_list():
    rules = []
    for grp in DOCS.get("prometheus/atlas-rules.yaml", [{}])[0].get("groups", []):
        rules.extend(grp.get("rules", []))
    return rules


def dashboard_exprs():
    dash = DOCS.get("grafana/atlas-dashboard.json", {})
    out = []
    for panel in all_panels(dash):
        for t in panel.get("targets", []):
            out.append((f"panel '{panel.get('title')}'", t.get("expr", "")))
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append((f"annotation '{a.get('name')}'", a["expr"]))
    return out


def all_panels(dash):
    for panel in dash.get("panels", []):
        yield panel
        for inner in panel.get("panels", []):
            yield inner


@group("names: every metric used by rules, dashboard, adapter rule and docs queries is in docs/metrics.md")
def check_names():
    uses = []
    for rule in rule_list():
        uses.append((f"rule {rule.get('alert') or rule.get('record')}", rule.get("expr", "")))
    uses += dashboard_exprs()
    adapter = DOCS.get("k8s/autoscaling/hpa-latency/prometheus-adapter-rules.yaml", [])
    for doc in adapter:
        cfg = yaml.safe_load(doc.get("data", {}).get("config.yaml", "")) or {}
        for r in cfg.get("rules", []):
            uses.append(("prometheus adapter rule", r.get("seriesQuery", "")))
            uses.append(("prometheus adapter rule", r.get("metricsQuery", "")))
    for m in re.finditer(r"^\| [^|]+ \| `([^`]+)` \|$", read("docs/metrics.md"), re.M):
        uses.append(("docs/metrics.md query", m.group(1)))
    if len(uses) < 40:
        fail(f"expected at least 40 expressions to check, found {len(uses)}")
    for where, expr in uses:
        if not expr.strip():
            fail(f"{where}: empty expression")
        for name in sorted(promql_metric_names(expr)):
            if not known_metric(name):
                fail(f"{where}: metric '{name}' is not listed in docs/metrics.md")


# --- alert rules --------------------------------------------------------------------------

def github_anchor(heading):
    """The anchor GitHub gives a Markdown heading."""
    a = heading.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def markdown_anchors(rel):
    anchors = set()
    in_code = False
    for line in read(rel).splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not in_code:
            anchors.add(github_anchor(m.group(1)))
    return anchors


@group("rules: for, severity, summary, description, runbook_url anchored in docs/operations.md")
def check_rules():
    rules = [r for r in rule_list() if "alert" in r]
    if len(rules) < 10:
        fail(f"expected at least 10 alerts in prometheus/atlas-rules.yaml, found {len(rules)}")
    anchors = markdown_anchors("docs/operations.md")
    names = set()
    required = {"AtlasTokenBudget80", "AtlasTokenBudget100", "AtlasSlowP95", "AtlasDeadLetters",
                "AtlasEscalations", "AtlasLLMUnavailable", "AtlasRagErrors", "AtlasRagDatabaseDown",
                "AtlasConsumerLagHigh", "AtlasNotReady", "AtlasDown"}
    for r in rules:
        a = r["alert"]
        if a in names:
            fail(f"alert {a} defined twice")
        names.add(a)
        if "for" not in r:
            fail(f"alert {a} has no 'for:'")
        sev = r.get("labels", {}).get("severity")
        if sev not in ("info", "warning", "critical"):
            fail(f"alert {a}: severity label is {sev!r}, want info, warning or critical")
        ann = r.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not str(ann.get(key, "")).strip():
                fail(f"alert {a} has no {key} annotation")
        url = str(ann.get("runbook_url", ""))
        m = re.fullmatch(r"docs/operations\.md#([a-z0-9_-]+)", url)
        if not m:
            fail(f"alert {a}: runbook_url '{url}' is not docs/operations.md#<anchor>")
        elif m.group(1) not in anchors:
            fail(f"alert {a}: runbook_url anchor #{m.group(1)} is not a heading of docs/operations.md")
    for a in sorted(required - names):
        fail(f"prometheus/atlas-rules.yaml lacks the alert {a}")
    # The manual's rule divided by something that is not a series.
    text = read("prometheus/atlas-rules.yaml")
    if re.search(r"/\s*DAILY_TOKEN_BUDGET", text):
        fail("prometheus/atlas-rules.yaml divides by DAILY_TOKEN_BUDGET, which is not a series")


@group("rule tests: every alert has a firing and a non-firing promtool case")
def check_rule_tests():
    tests = DOCS.get("prometheus/atlas-rules.test.yaml", [{}])[0]
    if "atlas-rules.yaml" not in [os.path.basename(f) for f in tests.get("rule_files", [])]:
        fail("prometheus/atlas-rules.test.yaml does not load atlas-rules.yaml")
    fires, quiet = set(), set()
    for case in tests.get("tests", []):
        for t in case.get("alert_rule_test", []):
            (fires if t.get("exp_alerts") else quiet).add(t.get("alertname"))
    for r in rule_list():
        a = r.get("alert")
        if not a:
            continue
        if a not in fires:
            fail(f"prometheus/atlas-rules.test.yaml has no case where {a} fires")
        if a not in quiet:
            fail(f"prometheus/atlas-rules.test.yaml has no case where {a} does not fire")


# --- dashboard --------------------------------------------------------------------------------

@group("dashboard: current model, datasource variable used by every panel, required subjects")
def check_dashboard():
    dash = DOCS.get("grafana/atlas-dashboard.json")
    if not isinstance(dash, dict):
        fail("grafana/atlas-dashboard.json is missing or not an object")
        return
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 39:
        fail(f"dashboard schemaVersion is {dash.get('schemaVersion')!r}, want >= 39")
    if dash.get("id") is not None:
        fail("dashboard 'id' must be null so that it imports into any Grafana")
    variables = dash.get("templating", {}).get("list", [])
    ds_vars = [v for v in variables if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if not ds_vars:
        fail("dashboard has no variable of type datasource with query prometheus")
        return
    var = "${" + ds_vars[0]["name"] + "}"
    ids = set()
    panels = [p for p in all_panels(dash) if p.get("type") != "row"]
    if len(panels) < 15:
        fail(f"dashboard has {len(panels)} panels, expected at least 15")
    for p in all_panels(dash):
        title = p.get("title", "?")
        if p.get("id") in ids:
            fail(f"dashboard panel id {p.get('id')} used twice")
        ids.add(p.get("id"))
        if "gridPos" not in p:
            fail(f"panel '{title}' has no gridPos")
        if p.get("type") == "row":
            continue
        if p.get("type") in ("graph", "singlestat", "table-old"):
            fail(f"panel '{title}' uses the removed panel type {p['type']}")
        if p.get("type") != "timeseries":
            fail(f"panel '{title}' is {p.get('type')}, the dashboard uses timeseries panels")
        if (p.get("datasource") or {}).get("uid") != var:
            fail(f"panel '{title}' does not use the datasource variable {var}")
        if not p.get("targets"):
            fail(f"panel '{title}' has no query")
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != var:
                fail(f"panel '{title}' query {t.get('refId')} does not use {var}")
            if not t.get("refId") or not t.get("expr"):
                fail(f"panel '{title}' has a query without refId or expr")
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("expr") and (a.get("datasource") or {}).get("uid") != var:
            fail(f"annotation '{a.get('name')}' does not use {var}")
    used = set()
    for _, expr in dashboard_exprs():
        used |= promql_metric_names(expr)
    used = {re.sub(r"_(bucket|sum|count)$", "", n) if known_metric(n) and n not in ALL_METRICS else n
            for n in used}
    required = ["atlas_daily_tokens_used", "atlas_daily_token_budget", "atlas_tokens_total",
                "atlas_run_seconds", "atlas_tasks_total", "atlas_llm_attempts_total",
                "atlas_llm_fallbacks_total", "atlas_llm_circuit_open",
                "atlas_worker_rag_requests_total", "atlas_worker_rag_fallback_total",
                "atlas_worker_rag_cache_entries", "atlas_tasks_inflight",
                "atlas_consumer_lag_messages", "atlas_webhooks_total", "atlas_deliveries_total",
                "atlas_retries_scheduled_total", "atlas_dead_letters_total",
                "atlas_escalations_total", "atlas_ready", "atlas_rag_queries_total"]
    for name in required:
        if name not in used:
            fail(f"dashboard has no panel on {name}")


@group("grafana: provisioning agrees with the compose mounts")
def check_grafana_provisioning():
    ds = DOCS.get("grafana/provisioning/datasources/prometheus.yaml", [{}])[0]
    if not any(d.get("type") == "prometheus" for d in ds.get("datasources", [])):
        fail("grafana/provisioning/datasources: no prometheus data source")
    prov = DOCS.get("grafana/provisioning/dashboards/atlas.yaml", [{}])[0]
    paths = [p.get("options", {}).get("path") for p in prov.get("providers", [])]
    compose = DOCS.get("docker/docker-compose.min.yml", [{}])[0]
    mounts = compose.get("services", {}).get("grafana", {}).get("volumes", [])
    targets = {}
    for m in mounts:
        parts = str(m).split(":")
        if len(parts) >= 2:
            targets[parts[1]] = parts[0]
    dash_target = [t for t, s in targets.items() if s.endswith("grafana/atlas-dashboard.json")]
    if not dash_target:
        fail("compose does not mount grafana/atlas-dashboard.json into grafana")
    elif os.path.dirname(dash_target[0]) not in paths:
        fail(f"dashboard provider path {paths} does not hold the mounted {dash_target[0]}")
    if "/etc/grafana/provisioning" not in targets:
        fail("compose does not mount grafana/provisioning at /etc/grafana/provisioning")


# --- Kubernetes ---------------------------------------------------------------------------------

def k8s_objects():
    for rel, docs in DOCS.items():
        if rel.startswith("k8s/") and isinstance(docs, list) and not rel.endswith("kustomization.yaml"):
            for d in docs:
                if isinstance(d, dict) and "kind" in d:
                    yield rel, d


def pod_templates():
    """(rel, kind, name, pod template) of every workload."""
    for rel, d in k8s_objects():
        kind, name = d["kind"], d.get("metadata", {}).get("name")
        if kind in ("Deployment", "StatefulSet", "DaemonSet"):
            yield rel, kind, name, d.get("spec", {}).get("template", {})
        elif kind == "CronJob":
            yield rel, kind, name, d["spec"]["jobTemplate"]["spec"].get("template", {})


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


SNIPPET_MARK = "# atlas: "  # "# atlas: template|snippet, not applied by kustomize"


@group("k8s: probes, resources, security, selectors, scale targets, kustomization, secrets")
def check_k8s():
    deployments = {}
    for rel, kind, name, tpl in pod_templates():
        labels = tpl.get("metadata", {}).get("labels", {})
        spec = tpl.get("spec", {})
        pod_sc = spec.get("securityContext", {})
        if kind == "Deployment":
            deployments[name] = (rel, labels, spec)
            sel = next(d for r, d in k8s_objects() if d["kind"] == "Deployment"
                       and d["metadata"]["name"] == name)["spec"].get("selector", {}).get("matchLabels", {})
            if not matches(sel, labels):
                fail(f"{rel}: Deployment {name} selector {sel} does not match its pod labels {labels}")
        for c in spec.get("containers", []):
            where = f"{rel}: {kind} {name} container {c.get('name')}"
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
            if kind == "Deployment":
                for probe, wanted in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                    get = c.get(probe, {}).get("httpGet", {})
                    if get.get("path") != wanted:
                        fail(f"{where}: {probe} must be an httpGet of {wanted}")
                    port = get.get("port")
                    if isinstance(port, str) and port not in ports:
                        fail(f"{where}: {probe} port '{port}' is not a declared container port")
                if not ports:
                    fail(f"{where}: no container port declared")
            res = c.get("resources", {})
            for key in ("cpu", "memory"):
                if key not in res.get("requests", {}):
                    fail(f"{where}: no resources.requests.{key}")
            if "memory" not in res.get("limits", {}):
                fail(f"{where}: no resources.limits.memory")
            sc = c.get("securityContext", {})
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                fail(f"{where}: runAsNonRoot is not set")
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if uid in (0, None):
                fail(f"{where}: runAsUser must be a non-zero uid")
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{where}: readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{where}: allowPrivilegeEscalation is not false")
            for env in c.get("env", []):
                if re.search(r"(KEY|SECRET|TOKEN|PASSWORD)$", env.get("name", "")) and "value" in env:
                    fail(f"{where}: secret {env['name']} given as a plain value; use {env['name']}_FILE")
    for name in ("atlas-worker", "atlas-router", "atlas-rag"):
        if name not in deployments:
            fail(f"k8s/ has no Deployment {name}")
    all_pod_labels = [tpl.get("metadata", {}).get("labels", {}) for _, _, _, tpl in pod_templates()]

    kinds = {}
    for rel, d in k8s_objects():
        kind, name = d["kind"], d["metadata"].get("name")
        kinds.setdefault(kind, []).append(name)
        spec = d.get("spec", {})
        if kind == "Service":
            dep = [n for n, (_, labels, _) in deployments.items() if matches(spec.get("selector"), labels)]
            if not dep:
                fail(f"{rel}: Service {name} selects no Deployment's pods")
            for p in spec.get("ports", []):
                tp = p.get("targetPort")
                if dep and isinstance(tp, str):
                    ports = {cp.get("name") for c in deployments[dep[0]][2].get("containers", [])
                             for cp in c.get("ports", [])}
                    if tp not in ports:
                        fail(f"{rel}: Service {name} targetPort '{tp}' is not a port of {dep[0]}")
        elif kind == "PodDisruptionBudget":
            if not any(matches(spec.get("selector", {}).get("matchLabels"), l)
                       for _, l, _ in deployments.values()):
                fail(f"{rel}: PodDisruptionBudget {name} selects no Deployment's pods")
        elif kind == "NetworkPolicy":
            if not any(matches(spec.get("podSelector", {}).get("matchLabels"), l) for l in all_pod_labels):
                fail(f"{rel}: NetworkPolicy {name} selects no pod of k8s/")
            if "Egress" not in spec.get("policyTypes", []):
                fail(f"{rel}: NetworkPolicy {name} is not an egress policy")
            ports = {(p.get("protocol", "TCP"), p.get("port")) for e in spec.get("egress", [])
                     for p in e.get("ports", [])}
            if ("UDP", 53) not in ports:
                fail(f"{rel}: NetworkPolicy {name} does not allow DNS")
        elif kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            target = spec.get("scaleTargetRef", {}).get("name")
            if target not in deployments:
                fail(f"{rel}: {kind} {name} scales '{target}', which is not a Deployment of k8s/")
            if kind == "HorizontalPodAutoscaler":
                if d.get("apiVersion") != "autoscaling/v2":
                    fail(f"{rel}: HPA must use autoscaling/v2")
                metric_names = [m.get(m.get("type", "").lower(), {}).get("metric", {}).get("name")
                                for m in spec.get("metrics", [])]
                if not any(n and n.startswith("atlas_run_seconds") for n in metric_names):
                    fail(f"{rel}: HPA does not scale on an atlas_run_seconds metric")
            else:
                t = [t for t in spec.get("triggers", []) if t.get("type") == "kafka"]
                if not t:
                    fail(f"{rel}: ScaledObject has no kafka trigger")
                elif (t[0].get("metadata", {}).get("consumerGroup") != "atlas-worker"
                      or t[0].get("metadata", {}).get("topic") != "architect_in"):
                    fail(f"{rel}: the kafka trigger must watch group atlas-worker on architect_in")
        elif kind == "ConfigMap" and d["metadata"].get("namespace", "atlas") == "atlas":
            for key in d.get("data", {}):
                if re.search(r"(KEY|SECRET|TOKEN|PASSWORD)$", key) or key == "DATABASE_URL":
                    fail(f"{rel}: secret {key} in a ConfigMap")
        elif kind == "Secret":
            for key, value in {**d.get("stringData", {}), **d.get("data", {})}.items():
                if value not in ("", None):
                    fail(f"{rel}: Secret template has a value for {key}")
    for kind in ("Namespace", "ConfigMap", "Service", "PodDisruptionBudget", "NetworkPolicy",
                 "HorizontalPodAutoscaler", "ScaledObject", "CronJob", "Secret"):
        if kind not in kinds:
            fail(f"k8s/ has no {kind}")
    if "atlas-index-refresh" not in kinds.get("CronJob", []):
        fail("k8s/ has no CronJob atlas-index-refresh")

    # Kustomization: every manifest is reachable from k8s/kustomization.yaml.
    listed = set()

    def walk(directory):
        kfile = os.path.join(directory, "kustomization.yaml")
        rel_k = os.path.relpath(kfile, SRC)
        if rel_k not in DOCS:
            fail(f"{rel_k} is missing")
            return
        k = DOCS[rel_k][0]
        listed.add(rel_k)
        for entry in k.get("resources", []) + k.get("components", []):
            target = os.path.normpath(os.path.join(directory, entry))
            if os.path.isdir(target):
                walk(target)
            elif os.path.isfile(target):
                listed.add(os.path.relpath(target, SRC))
            else:
                fail(f"{rel_k} lists {entry}, which does not exist")

    walk(path("k8s"))
    # Alternative components (exactly one autoscaler is enabled at a time) count
    # as listed when the root kustomization names them.
    root_text = read("k8s/kustomization.yaml")
    for rel in sorted(r for r in DOCS if r.endswith("/kustomization.yaml") and r not in listed):
        directory = os.path.dirname(rel)
        if (DOCS[rel] and DOCS[rel][0].get("kind") == "Component"
                and os.path.relpath(directory, "k8s") in root_text):
            walk(path(directory))
    for rel in sorted(r for r in DOCS if r.startswith("k8s/")):
        if rel in listed:
            continue
        if read(rel).startswith(SNIPPET_MARK):
            continue  # a template or snippet, marked as such on its first line
        if rel.endswith("kustomization.yaml"):
            fail(f"{rel} is not reachable from k8s/kustomization.yaml")
        else:
            fail(f"{rel} is neither listed in a kustomization nor marked '{SNIPPET_MARK}...'")


# --- Docker ---------------------------------------------------------------------------------------

def dockerfile_stages(text):
    """[(name, base, [(instruction, argument)])] with continuation lines joined."""
    text = re.sub(r"\\\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, arg = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", arg.strip(), re.I)
            stages.append((m.group(2) or "", m.group(1), []))
        elif stages:
            stages[-1][2].append((instr, arg.strip()))
    return stages


SERVICE_PORTS = {"atlas-worker": "8000", "atlas-router": "8080", "atlas-rag": "8501"}
RUNTIME_PACKAGES = set()


@group("docker: stages, non-root USER, HEALTHCHECK on /healthz, EXPOSE, ENTRYPOINT")
def check_dockerfile():
    text = read("docker/Dockerfile")
    stages = dockerfile_stages(text)
    by_name = {s[0]: s for s in stages}

    def ancestry(name):
        chain = []
        while name in by_name:
            chain.append(by_name[name])
            name = by_name[name][1]
        return chain

    build = by_name.get("build")
    if not build or "bookworm" not in build[1].replace("${DEBIAN_RELEASE}", "bookworm"):
        fail("docker/Dockerfile: no 'build' stage FROM debian:bookworm")
    elif not any(i == "RUN" and "bootstrap.sh" in a for i, a in build[2]):
        fail("docker/Dockerfile: the build stage does not install scripts/bootstrap.sh's packages")
    runtime = by_name.get("runtime")
    if not runtime or "bookworm-slim" not in runtime[1].replace("${DEBIAN_RELEASE}", "bookworm"):
        fail("docker/Dockerfile: no 'runtime' stage FROM debian:bookworm-slim")
    else:
        for i, a in runtime[2]:
            m = re.search(r"apt-get install\s+(.*?)(?:&&|$)", a)
            if i == "RUN" and m:
                RUNTIME_PACKAGES.update(w for w in m.group(1).split() if not w.startswith("-"))
        for lib in ("librdkafka1", "libpqxx-6.4", "libcurl4", "libprometheus-cpp-core1.0", "curl"):
            if lib not in RUNTIME_PACKAGES:
                fail(f"docker/Dockerfile: runtime stage does not install {lib}")
        if any(p.endswith("-dev") for p in RUNTIME_PACKAGES):
            fail("docker/Dockerfile: runtime stage installs -dev packages")
    for service, port in SERVICE_PORTS.items():
        if service not in by_name:
            fail(f"docker/Dockerfile: no stage {service}")
            continue
        chain = ancestry(service)
        if "runtime" not in [s[0] for s in chain]:
            fail(f"docker/Dockerfile: {service} does not build on the runtime stage")
        instrs = by_name[service][2]
        users = [a for i, a in instrs if i == "USER"]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            fail(f"docker/Dockerfile: {service} does not switch to a non-root USER")
        hc = [a for i, a in instrs if i == "HEALTHCHECK"]
        if not hc or "/healthz" not in hc[-1] or "curl" not in hc[-1]:
            fail(f"docker/Dockerfile: {service} has no HEALTHCHECK calling /healthz with curl")
        if port not in " ".join(a for i, a in instrs if i == "EXPOSE").split():
            fail(f"docker/Dockerfile: {service} does not EXPOSE {port}")
        ep = [a for i, a in instrs if i == "ENTRYPOINT"]
        if not ep or service not in ep[-1]:
            fail(f"docker/Dockerfile: {service} ENTRYPOINT is not its binary")
        if not any(i == "COPY" and f"/build/bin/{service}" in a for i, a in instrs):
            fail(f"docker/Dockerfile: {service} does not copy its binary from the build stage")
    for name, _, instrs in stages:
        if name not in ("build", "runtime") and not any(i == "USER" for i, _ in instrs):
            fail(f"docker/Dockerfile: final stage {name or '?'} has no USER")
    for i, a in [x for s in stages for x in s[2]]:
        if i == "COPY" and "--from" not in a:
            for src in a.split()[:-1]:
                if not src.startswith("--") and not os.path.exists(path(src)):
                    fail(f"docker/Dockerfile: COPY source {src} does not exist")


@group("docker: runtime packages cover the shared libraries of the built binaries")
def check_runtime_libraries():
    base = {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:bookworm-slim
    if not BIN or not shutil.which("readelf") or not shutil.which("dpkg"):
        print("  (skipped: no ATLAS_BIN_DIR, readelf or dpkg)")
        return
    checked = 0
    for binary in ("atlas-worker", "atlas-router", "atlas-rag", "atlasctl"):
        exe = os.path.join(BIN, binary)
        if not os.access(exe, os.X_OK):
            print(f"  ({binary} not built: not checked)")
            continue
        checked += 1
        out = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True).stdout
        for soname in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out):
            owner = subprocess.run(["dpkg", "-S", "*/" + soname], capture_output=True, text=True)
            pkgs = {line.split(":")[0] for line in owner.stdout.splitlines() if ":" in line}
            if not pkgs:
                fail(f"{binary} needs {soname}, which no installed package provides")
            elif not pkgs & (RUNTIME_PACKAGES | base):
                fail(f"{binary} needs {soname} from {sorted(pkgs)}, not installed by the runtime stage")
    if checked == 0:
        print("  (no binary built: nothing checked)")


def env_example():
    names = {}
    for line in read(".env.example").splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            names[m.group(1)] = m.group(2)
    return names


@group("compose: services, KRaft Kafka, topics, replicas, build targets, mounts, variables")
def check_compose():
    compose = DOCS.get("docker/docker-compose.min.yml", [{}])[0]
    services = compose.get("services", {})
    for s in ("kafka", "kafka-init", "postgres", "atlas-worker", "atlas-router", "atlas-rag",
              "prometheus", "grafana"):
        if s not in services:
            fail(f"docker-compose.min.yml has no service {s}")
    kafka_env = services.get("kafka", {}).get("environment", {})
    if "controller" not in str(kafka_env.get("KAFKA_PROCESS_ROLES", "")):
        fail("docker-compose.min.yml: kafka does not run in KRaft mode (KAFKA_PROCESS_ROLES)")
    init = json.dumps(services.get("kafka-init", {}))
    for topic in ("architect_in", "architect_out", "architect_retry", "architect_dlq", "docs.added"):
        if topic not in init:
            fail(f"docker-compose.min.yml: kafka-init does not create {topic}")
    if not str(services.get("postgres", {}).get("image", "")).startswith("postgres:16"):
        fail("docker-compose.min.yml: postgres is not PostgreSQL 16")
    if services.get("atlas-worker", {}).get("deploy", {}).get("replicas") != 2:
        fail("docker-compose.min.yml: atlas-worker does not run 2 replicas")
    stages = {s[0] for s in dockerfile_stages(read("docker/Dockerfile"))}
    for name, svc in services.items():
        b = svc.get("build")
        if b:
            if b.get("target") not in stages:
                fail(f"docker-compose.min.yml: {name} builds target {b.get('target')}, not a stage")
            if os.path.normpath(os.path.join(path("docker"), b.get("context", "."), b.get("dockerfile", ""))) \
                    != os.path.normpath(path("docker/Dockerfile")):
                fail(f"docker-compose.min.yml: {name} does not build docker/Dockerfile from the repository root")
        for v in svc.get("volumes", []):
            src = str(v).split(":")[0]
            if src.startswith("."):
                if not os.path.exists(os.path.normpath(os.path.join(path("docker"), src))):
                    fail(f"docker-compose.min.yml: {name} mounts {src}, which does not exist")
        if name.startswith("atlas-") and svc.get("env_file") != "../.env":
            fail(f"docker-compose.min.yml: {name} is not configured from ../.env")
    prom = services.get("prometheus", {}).get("volumes", [])
    if not any(str(v).startswith("../prometheus:") for v in prom):
        fail("docker-compose.min.yml: prometheus does not mount prometheus/")
    env = env_example()
    text = read("docker/docker-compose.min.yml")
    for var in sorted(set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))):
        if var not in env:
            fail(f"docker-compose.min.yml uses ${{{var}}}, which .env.example does not define")


# --- .env.example -------------------------------------------------------------------------------------

DESIGN_VARIABLES = [  # DESIGN.md section 8, the contract's variables
    "KAFKA_BROKERS", "KAFKA_TOPIC_IN", "KAFKA_TOPIC_OUT", "KAFKA_TOPIC_RETRY", "KAFKA_TOPIC_DLQ",
    "DATABASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL", "LLM_CHAIN", "LLM_TIMEOUT_S", "LLM_MAX_ATTEMPTS", "TASK_DEADLINE_S",
    "TOKEN_BUDGET_PER_RUN", "DAILY_TOKEN_BUDGET", "RAG_URL", "RAG_TOP_K",
    "RAG_RELEVANCY_THRESHOLD", "RAG_COLLAPSE_BY_FILE", "WORKER_MAX_INFLIGHT", "METRICS_PORT",
    "ROUTER_PORT", "DELIVERY_MAX_ATTEMPTS", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN",
    "SLACK_API_URL", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY", "GITHUB_API_URL", "RAG_PORT", "LOG_LEVEL", "LOG_FORMAT",
]


@group("env: .env.example holds every DESIGN section 8 variable, secrets empty; ConfigMap agrees")
def check_env_example():
    env = env_example()
    for var in DESIGN_VARIABLES:
        if var not in env:
            fail(f".env.example does not set {var}")
    for var, value in env.items():
        if re.search(r"(KEY|SECRET|TOKEN|PASSWORD)$", var) or var == "DATABASE_URL":
            if value.strip():
                fail(f".env.example has a value for the secret {var}")
        if var.startswith("KAFKA_PROPERTY_"):
            fail(f".env.example sets {var}: an empty librdkafka property is passed as it is; comment it out")
    cm = [d for r, d in k8s_objects() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "atlas-config"]
    for key in (cm[0].get("data", {}) if cm else {}):
        if key not in env:
            fail(f"k8s ConfigMap atlas-config sets {key}, which .env.example does not name")


# --- documentation ---------------------------------------------------------------------------------------

@group("operations: docs/operations.md and docs/scaling.md cover the procedures")
def check_operations_doc():
    ops = read("docs/operations.md")
    for needle in ("atlasctl dlq list", "atlasctl dlq replay", "atlasctl dlq purge", "atlasctl budget set",
                   "set_budget", "_FILE", "atlasctl status", "atlasctl doctor", "/readyz", "/healthz",
                   "mermaid"):
        if needle not in ops:
            fail(f"docs/operations.md does not mention {needle}")
    scaling = read("docs/scaling.md")
    for needle in ("WORKER_MAX_INFLIGHT", "partition", "KEDA", "HorizontalPodAutoscaler", "max_connections"):
        if needle not in scaling:
            fail(f"docs/scaling.md does not mention {needle}")


def main():
    check_parse()
    check_metrics_doc()
    check_names()
    check_rules()
    check_rule_tests()
    check_dashboard()
    check_grafana_provisioning()
    check_k8s()
    check_dockerfile()
    check_runtime_libraries()
    check_compose()
    check_env_example()
    check_operations_doc()
    if failures:
        print(f"{len(failures)} problem(s) in the operations artifacts")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
