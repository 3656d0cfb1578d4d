#!/usr/bin/env python3
"""monitoring_check.py SRCDIR: check contrib/monitoring/.

With promtool on PATH: `promtool check rules` on the alerting rules. Always
(promtool or not): the rules' structure (groups, alert names, expr, for,
severity, summary), balanced PromQL brackets and quotes, every deployctl_*
metric a rule or a dashboard panel uses is a family deployctl renders
(controller/deploy/metrics.c), every runbook an alert names exists, and the
Grafana dashboard is JSON with unique panel ids and a target per panel.
Exits 77 (skipped) only when python3-yaml is missing."""
import json
import os
import re
import shutil
import subprocess
import sys

src = sys.argv[1]
mon = os.path.join(src, "contrib", "monitoring")
rules_file = os.path.join(mon, "deployctl-alerts.yml")
dash_file = os.path.join(mon, "deployctl-dashboard.json")
problems = []


def bad(msg):
    problems.append(msg)


try:
    import yaml
except ImportError:
    print("monitoring_check: python3-yaml is missing")
    sys.exit(77)

renderer = open(os.path.join(src, "controller", "deploy", "metrics.c")).read()
families = set(re.findall(r'"(deployctl_[a-z_]+)', renderer))
if not families:
    bad("no deployctl_* family found in metrics.c")


def metric_names(expr):
    for name in re.findall(r"\b(deployctl_[a-z_]+)", expr):
        yield re.sub(r"_(bucket|sum|count)$", "", name) if name not in families else name


def check_expr(where, expr):
    if not isinstance(expr, str) or not expr.strip():
        bad("%s: no expr" % where)
        return
    stack, quote = [], None
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in re.sub(r"\\.", "", expr):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}":
            if not stack or stack.pop() != pairs[ch]:
                bad("%s: unbalanced %r in %s" % (where, ch, expr))
                return
    if stack or quote:
        bad("%s: unclosed %s in %s" % (where, stack or quote, expr))
    for name in metric_names(expr):
        if name not in families:
            bad("%s: %s is not a metric deployctl renders" % (where, name))


DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
rules = yaml.safe_load(open(rules_file))
names = set()
if not isinstance(rules, dict) or not isinstance(rules.get("groups"), list) or not rules["groups"]:
    bad("%s: no groups" % rules_file)
    rules = {"groups": []}
nalerts = 0
for g in rules["groups"]:
    gname = g.get("name")
    if not gname or gname in names:
        bad("group without a name or twice: %r" % gname)
    names.add(gname)
    if set(g) - {"name", "rules", "interval", "limit"}:
        bad("group %s: unknown keys %s" % (gname, set(g) - {"name", "rules", "interval"}))
    for i, r in enumerate(g.get("rules") or []):
        where = "%s.rules[%d]" % (gname, i)
        if set(r) - {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}:
            bad("%s: unknown keys %s" % (where, set(r) - {"alert", "expr", "for", "labels", "annotations"}))
        alert = r.get("alert")
        if not alert or not re.match(r"^Deployctl[A-Z][A-Za-z]+$", alert):
            bad("%s: alert name %r" % (where, alert))
        if alert in names:
            bad("%s: alert %s twice" % (where, alert))
        names.add(alert)
        check_expr("%s (%s)" % (where, alert), r.get("expr"))
        if "for" in r and not DURATION.match(str(r["for"])):
            bad("%s: for: %r is not a duration" % (where, r["for"]))
        if (r.get("labels") or {}).get("severity") not in ("info", "warning", "critical"):
            bad("%s: severity must be info, warning or critical" % where)
        ann = r.get("annotations") or {}
        if not ann.get("summary"):
            bad("%s: no summary annotation" % where)
        if ann.get("runbook") and not os.path.exists(os.path.join(src, ann["runbook"])):
            bad("%s: runbook %s does not exist" % (where, ann["runbook"]))
        nalerts += 1
for want in ("DeployctlReleaseFailed", "DeployctlReleaseRolledBack", "DeployctlDriftNotRepaired",
             "DeployctlNoSuccessfulRelease", "DeployctlFetchErrors"):
    if want not in names:
        bad("no alert %s" % want)

dash = json.load(open(dash_file))
ids = set()
for key in ("title", "uid", "panels"):
    if not dash.get(key):
        bad("dashboard: no %s" % key)
for p in dash.get("panels", []):
    where = "dashboard panel %r" % p.get("title")
    if p.get("id") in ids:
        bad("%s: id %s twice" % (where, p.get("id")))
    ids.add(p.get("id"))
    if not p.get("gridPos") or not p.get("targets"):
        bad("%s: no gridPos or targets" % where)
    for t in p.get("targets", []):
        check_expr(where, t.get("expr"))

promtool = shutil.which("promtool")
if promtool:
    r = subprocess.run([promtool, "check", "rules", rules_file], capture_output=True, text=True)
    if r.returncode != 0:
        bad("promtool check rules: " + r.stdout + r.stderr)
for p in problems:
    print("monitoring_check: " + p)
print("monitoring_check: %d alert(s), %d panel(s), %d families known%s: %s" %
      (nalerts, len(ids), len(families), ", promtool" if promtool else ", no promtool (structure only)",
       "FAIL" if problems else "ok"))
sys.exit(1 if problems else 0)
