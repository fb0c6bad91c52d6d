#!/usr/bin/env python3
"""Prometheus for real (issue 17): the shipped conf/prometheus/prometheus.yml
and dpagent-alerts.yml in Debian's own prometheus server, scraping the
shipped snmp.yml through a real prometheus-snmp-exporter from a private
snmpd + dpagentd.

Static: `promtool check rules` on the shipped rules (exit 0, exactly the
number of rules the file holds), `promtool check config` on the shipped
prometheus.yml and on a private copy that differs from it only in
targets, the exporter's address, the two intervals and the dpagent_dist
job's timeout (checked path by path), with the shipped rule file itself
(a symlink, unchanged); every metric an alert expression names is one
that snmp.yml produces in the module of the job it is scraped by.

Live, everything on 127.0.0.1 with random ports, in a temporary directory:
the stack serves the sample exports of both classes (with the one
deleted row set back to updated and the retrying and failed
distributions installed, so that nothing alerts),
prometheus-snmp-exporter runs with the shipped snmp.yml, prometheus with
the private prometheus.yml (scrape and evaluation every 1 s, a private
--storage.tsdb.path).  Through Prometheus' HTTP API: the targets and
their scrape URLs are loopback and up, no Alertmanager or remote storage
is configured; every dp series' value equals the model read with plain
SQL, with its labels (scalars, dpServerTable, dpPackageTable, and each
row of dpDistTable: its State as a label, since when); the rules are
loaded as shipped (names, expressions, labels, annotations) and
inactive.  Then, one after the other, each alert goes pending, FIRING
with exact labels, annotations and value, and is resolved when the
cause goes: rows imported in deleted(3) state (total and per server),
an import 100 000 s old, no import ever (dpLastImportAge -1), dpagentd
stopped (snmpd answers without the MIB), snmpd stopped (the scrapes
fail), the exporter stopped (every job down), the distribution sample
imported (failed on DP02 and DP04, retrying on DP03; then, with their
dpDistStateSince two days back, failing long per row) and the same rows
imported installed.

The one override: the live rule file is the shipped one with every
`for:` set to FOR (2 s) instead of the shipped 5 minutes to an hour,
which no test can wait for; the test checks that nothing else differs,
and promtool checks that file too.

Every process is stopped by PID, also when a test fails (dpstack._live
and class cleanups); the temporary directories are removed.  Nothing is
skipped: a missing program fails with the package to install.
"""

import calendar
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import Stack, agent_conf, dpctl, sql  # noqa: E402
from serverkit import free_tcp_port, need, slurp  # noqa: E402
from serverkit import query as sql_all, query_one as sql_one  # noqa: E402

PROM = os.path.join(dpstack.SOURCE, "conf", "prometheus")
SHIPPED_CONFIG = os.path.join(PROM, "prometheus.yml")
SHIPPED_RULES = os.path.join(PROM, "dpagent-alerts.yml")
SNMP_YML = os.path.join(PROM, "snmp.yml")
SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")
DIST = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
FOR = "2s"          # the live rules' for: (see the module's text)
FOR_SECONDS = 2
POLL = 0.1          # seconds between two looks at the API
RULES = ["DpRowsDeleted", "DpServerRowsDeleted", "DpDistributionFailed",
         "DpDistributionRetrying", "DpDistributionFailingLong",
         "DpImportStale", "DpNeverImported", "DpScrapeFailing",
         "DpAgentNotServing", "SnmpExporterDown"]
# The jobs scraping the stack, and the module each asks for.
SNMP_JOBS = {"dpagent": "dpagent", "dpagent_dist": "dpagent_dist"}
# DpDistStateCode's names; the retrying and failed States (the live
# test's clean import has them installed(0)).
DIST_STATES = {0: "installed", 1: "installPending", 2: "installRetrying",
               3: "installFailed", 4: "removalPending", 5: "removalRetrying",
               6: "removalFailed", 7: "contentUpdating",
               8: "contentMonitoring"}
ALERTING_STATES = (2, 3, 5, 6)
# The sample's records (index in sample-ps7.json) this test changes.
REDISTRIBUTED = [11]        # PS200003 on DP02, deleted(3) in the sample
TO_DELETE = [0, 13, 14]     # PS100012 on DP01, PS100034 + PS100041 on DP03

try:
    import yaml
except ImportError:  # pragma: no cover
    raise SystemExit("python3-yaml is missing: apt-get install python3-yaml")


def log_tail(path):
    return slurp(path, 6000, "(no %s)" % path)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def differences(a, b, path=()):
    """The paths (tuples of keys and list positions) where two YAML
    documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(path + (k,))
            else:
                out.extend(differences(a[k], b[k], path + (k,)))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(differences(x, y, path + (i,)))
        return out
    return [] if a == b and type(a) is type(b) else [path]


def job(config, name):
    jobs = [j for j in config["scrape_configs"] if j["job_name"] == name]
    if len(jobs) != 1:
        raise AssertionError("prometheus.yml: %d jobs %s" % (len(jobs), name))
    return jobs[0]


def private_config(snmp_target, exporter, fast=True):
    """The shipped prometheus.yml with only the targets and the exporter's
    address changed, and with fast the two intervals (1 s) and the
    dpagent_dist job's timeout (1 s)."""
    cfg = copy.deepcopy(load_yaml(SHIPPED_CONFIG))
    if fast:
        cfg["global"]["scrape_interval"] = "1s"
        cfg["global"]["evaluation_interval"] = "1s"
        # a timeout above the interval is refused
        job(cfg, "dpagent_dist")["scrape_timeout"] = "1s"
    for name in SNMP_JOBS:
        dp = job(cfg, name)
        dp["static_configs"][0]["targets"] = [snmp_target]
        for r in dp["relabel_configs"]:
            if r.get("target_label") == "__address__":
                r["replacement"] = exporter
    job(cfg, "snmp_exporter")["static_configs"][0]["targets"] = [exporter]
    return cfg


def live_rules():
    """The shipped rules with every for: set to FOR."""
    rules = copy.deepcopy(load_yaml(SHIPPED_RULES))
    for g in rules["groups"]:
        for r in g["rules"]:
            r["for"] = FOR
    return rules


def shipped_rules():
    return [r for g in load_yaml(SHIPPED_RULES)["groups"] for r in g["rules"]]


def write_yaml(path, doc):
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)


def humanize_duration(v):
    """Prometheus' humanizeDuration template function, for |v| >= 1."""
    sign = "-" if v < 0 else ""
    d = int(abs(v))
    s, m, h, days = d % 60, d // 60 % 60, d // 3600 % 24, d // 86400
    if days:
        return "%s%dd %dh %dm %ds" % (sign, days, h, m, s)
    if h:
        return "%s%dh %dm %ds" % (sign, h, m, s)
    if m:
        return "%s%dm %ds" % (sign, m, s)
    return "%s%.4gs" % (sign, abs(v))


class Server:
    """A real HTTP server program on 127.0.0.1, its output in a log file,
    stopped by PID (registered in dpstack._live, so also at exit)."""

    def __init__(self, argv, log, ready_path):
        self.argv = argv
        self.log = log
        self.ready_path = ready_path
        self.proc = None
        self.port = int(re.search(r"--web\.listen-address=127\.0\.0\.1:"
                                  r"(\d+)", " ".join(argv)).group(1))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def start(self, timeout=30):
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        dpstack._live.append(self.proc)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited (%d):\n%s" % (
                    self.argv[0], self.proc.returncode, log_tail(self.log)))
            try:
                with urllib.request.urlopen(self.url(self.ready_path),
                                            timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("%s not ready in %d s:\n%s" % (
                    self.argv[0], timeout, log_tail(self.log)))
            time.sleep(0.05)

    def stop(self):
        if self.proc is None:
            return None
        rc = dpstack._stop(self.proc)
        return rc


def export(directory, name, changes):
    """A JSON export of the sample's records given as {index: Status}."""
    with open(SAMPLE, encoding="utf-8") as f:
        records = json.load(f)
    out = []
    for i, status in sorted(changes.items()):
        rec = records[i]
        rec["Status"] = status
        out.append(rec)
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)
    return path


def dist_export(directory, name, states):
    """The distribution sample with the State of the records given as
    {index: State} changed."""
    with open(DIST, encoding="utf-8") as f:
        records = json.load(f)
    for i, state in states.items():
        records[i]["State"] = state
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(records, f)
    return path


def dist_alerting():
    """Indexes of the distribution sample's retrying and failed records."""
    with open(DIST, encoding="utf-8") as f:
        return [i for i, r in enumerate(json.load(f))
                if r["State"] in ALERTING_STATES]


class Static(unittest.TestCase):
    """promtool on the shipped files."""

    def setUp(self):
        self.promtool = need("promtool", "prometheus")
        self.tmp = tempfile.mkdtemp(prefix="dpprom.")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def test_check_rules(self):
        r = subprocess.run([self.promtool, "check", "rules", SHIPPED_RULES],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "Checking %s\n  SUCCESS: %d rules found\n"
                         "\n" % (SHIPPED_RULES, len(RULES)), r.stderr)
        self.assertEqual([x["alert"] for x in shipped_rules()], RULES)
        self.assertEqual([g["name"] for g in
                          load_yaml(SHIPPED_RULES)["groups"]], ["dpagent"])
        # the live rules (for: overridden) pass too, and differ only there
        path = os.path.join(self.tmp, "dpagent-alerts.yml")
        write_yaml(path, live_rules())
        r = subprocess.run([self.promtool, "check", "rules", path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: %d rules found" % len(RULES), r.stdout)
        self.assertEqual(differences(load_yaml(SHIPPED_RULES),
                                     load_yaml(path)),
                         [("groups", 0, "rules", i, "for")
                          for i in range(len(RULES))])

    def check_config(self, path):
        r = subprocess.run([self.promtool, "check", "config", path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = os.path.join(os.path.dirname(path), "dpagent-alerts.yml")
        self.assertEqual(r.stdout,
                         "Checking %s\n  SUCCESS: 1 rule files found\n"
                         " SUCCESS: %s is valid prometheus config file "
                         "syntax\n\nChecking %s\n  SUCCESS: %d rules found\n"
                         "\n" % (path, path, rules, len(RULES)), r.stderr)

    def test_check_config(self):
        self.check_config(SHIPPED_CONFIG)
        shipped = load_yaml(SHIPPED_CONFIG)
        # only the targets and ports substituted, with the shipped rule
        # file itself (a symlink to it: unchanged)
        path = os.path.join(self.tmp, "prometheus.yml")
        write_yaml(path, private_config("127.0.0.1:16161", "127.0.0.1:19116",
                                        fast=False))
        os.symlink(SHIPPED_RULES, os.path.join(self.tmp,
                                               "dpagent-alerts.yml"))
        self.check_config(path)
        private = load_yaml(path)
        self.assertEqual([j["job_name"] for j in shipped["scrape_configs"]],
                         ["dpagent", "dpagent_dist", "snmp_exporter"])
        ex = shipped["scrape_configs"].index(job(shipped, "snmp_exporter"))
        ports = [("scrape_configs", ex, "static_configs", 0, "targets", 0)]
        for name in SNMP_JOBS:
            dp = shipped["scrape_configs"].index(job(shipped, name))
            addr = [i for i, r in enumerate(job(shipped, name)[
                "relabel_configs"]) if r.get("target_label") == "__address__"]
            self.assertEqual(len(addr), 1)
            ports += [("scrape_configs", dp, "static_configs", 0, "targets",
                       0),
                      ("scrape_configs", dp, "relabel_configs", addr[0],
                       "replacement")]
            self.assertEqual(private["scrape_configs"][dp]["relabel_configs"][
                addr[0]]["replacement"], "127.0.0.1:19116")
        self.assertEqual(sorted(differences(shipped, private), key=str),
                         sorted(ports, key=str))
        # the live test's: the intervals and the dist job's timeout too
        fast = private_config("127.0.0.1:16161", "127.0.0.1:19116")
        dist = shipped["scrape_configs"].index(job(shipped, "dpagent_dist"))
        self.assertEqual(sorted(differences(shipped, fast), key=str),
                         sorted(ports + [("global", "evaluation_interval"),
                                         ("global", "scrape_interval"),
                                         ("scrape_configs", dist,
                                          "scrape_timeout")],
                                key=str))
        self.assertEqual(job(shipped, "dpagent_dist")["scrape_timeout"],
                         "30s")
        self.assertNotIn("scrape_timeout", job(shipped, "dpagent"))
        self.assertEqual(shipped["global"], {"scrape_interval": "1m",
                                             "evaluation_interval": "1m"})
        self.assertEqual(private["rule_files"], ["dpagent-alerts.yml"])
        # the relabelling users need, as shipped, in both SNMP jobs
        for name, module in SNMP_JOBS.items():
            self.assertEqual(job(shipped, name)["relabel_configs"], [
                {"source_labels": ["__address__"],
                 "target_label": "__param_target"},
                {"source_labels": ["__param_target"],
                 "target_label": "instance"},
                {"target_label": "__address__",
                 "replacement": "127.0.0.1:9116"}])
            self.assertEqual(job(shipped, name)["metrics_path"], "/snmp")
            self.assertEqual(job(shipped, name)["params"],
                             {"module": [module]})
            self.assertEqual(job(shipped, name)["static_configs"],
                             [{"targets": ["monitor01.example.net"]}])

    def test_rules_use_exported_metrics(self):
        snmp = load_yaml(SNMP_YML)
        # the series' names: EnumAsInfo adds _info
        names = dict((m, set(x["name"] + ("_info" if x["type"] ==
                                          "EnumAsInfo" else "")
                             for x in snmp[m]["metrics"]))
                     for m in ("dpagent", "dpagent_servers", "dpagent_dist"))
        keywords = {"unless", "on", "and", "or", "by", "without", "ignoring",
                    "group_left", "group_right", "bool", "up"}
        used = {}
        for r in shipped_rules():
            expr = re.sub(r"\{[^}]*\}", "", r["expr"])
            expr = re.sub(r"\b(on|ignoring|by|without|group_left|group_right)"
                          r"\s*\([^)]*\)", "", expr)
            used[r["alert"]] = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)"
                                              r"\b(?!\s*\()", expr)) - keywords
        self.assertEqual(used, {
            "DpRowsDeleted": {"dpRowsDeleted"},
            "DpServerRowsDeleted": {"dpSrvRowsDeleted"},
            "DpDistributionFailed": {"dpSrvDistFailed"},
            "DpDistributionRetrying": {"dpSrvDistRetrying"},
            "DpDistributionFailingLong": {"dpDistStateSince",
                                          "dpDistState_info"},
            "DpImportStale": {"dpLastImportAge"},
            "DpNeverImported": {"dpLastImportAge"},
            "DpScrapeFailing": set(),
            "DpAgentNotServing": {"dpRowCount"},
            "SnmpExporterDown": set()})
        # each rule's metrics come from the job it is meant for: the
        # dpagent job with either module it may be given, or dpagent_dist
        for alert, metrics in used.items():
            modules = (["dpagent_dist"] if alert == "DpDistributionFailingLong"
                       else ["dpagent", "dpagent_servers"])
            for module in modules:
                self.assertLessEqual(metrics, names[module], (alert, module))
        self.assertEqual(names["dpagent_dist"], {"dpDistState_info",
                                                 "dpDistStateSince"})


class Live(unittest.TestCase):
    """The real stack, exporter and Prometheus; the tests run in order,
    each leaves everything as it found it (nothing alerting)."""

    @classmethod
    def setUpClass(cls):
        prometheus = need("prometheus", "prometheus")
        promtool = need("promtool", "prometheus")
        exporter = need("prometheus-snmp-exporter",
                        "prometheus-snmp-exporter")
        need("snmpd", "snmpd")
        cls.tmp = tempfile.mkdtemp(prefix="dpprom.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.db = os.path.join(cls.tmp, "dp.db")
        dpctl(cls.db, "init")
        dpctl(cls.db, "import", SAMPLE)
        # ConfigMgr redistributed the one deleted row: nothing alerts.
        cls.clean = export(cls.tmp, "clean.json",
                           dict((i, 1) for i in REDISTRIBUTED))
        dpctl(cls.db, "import", cls.clean)
        cls.deleted = export(cls.tmp, "deleted.json",
                             dict((i, 3) for i in TO_DELETE))
        cls.restored = export(cls.tmp, "restored.json",
                              dict((i, 0) for i in TO_DELETE))
        # every distribution without trouble, then the sample itself
        cls.dist_clean = dist_export(cls.tmp, "dist-clean.json",
                                     dict((i, 0) for i in dist_alerting()))
        dpctl(cls.db, "import", cls.dist_clean)

        # subagent mode whatever DP_MODE says: test_6 stops dpagentd alone
        cls.stack = Stack(cls.db, mode="subagent")
        cls.addClassCleanup(cls.stack.close)
        cls.agent_args = ("-c", agent_conf(cls.tmp))
        cls.stack.start_master()
        cls.stack.start_agent(*cls.agent_args)
        cls.target = cls.stack.target()

        cls.exporter = Server(
            [exporter, "--config.file=" + SNMP_YML,
             "--web.listen-address=127.0.0.1:%d" % free_tcp_port()],
            os.path.join(cls.tmp, "exporter.log"), "/")
        cls.addClassCleanup(cls.exporter.stop)
        cls.exporter.start()
        cls.exporter_addr = "127.0.0.1:%d" % cls.exporter.port

        cls.pdir = os.path.join(cls.tmp, "prometheus")
        os.mkdir(cls.pdir)
        cls.config = os.path.join(cls.pdir, "prometheus.yml")
        write_yaml(cls.config, private_config(cls.target, cls.exporter_addr))
        cls.rules_file = os.path.join(cls.pdir, "dpagent-alerts.yml")
        write_yaml(cls.rules_file, live_rules())
        r = subprocess.run([promtool, "check", "config", cls.config],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("promtool check config: %s%s" % (r.stdout,
                                                                  r.stderr))
        cls.prom = Server(
            [prometheus, "--config.file=" + cls.config,
             "--storage.tsdb.path=" + os.path.join(cls.pdir, "data"),
             "--web.listen-address=127.0.0.1:%d" % free_tcp_port(),
             "--web.console.templates=" + os.path.join(cls.pdir, "none"),
             "--web.console.libraries=" + os.path.join(cls.pdir, "none")],
            os.path.join(cls.pdir, "prometheus.log"), "/-/ready")
        cls.addClassCleanup(cls.prom.stop)
        started = time.time()
        cls.prom.start()
        # Prometheus 2.42 waits ~5 s before its first scrapes; on a
        # loaded CI machine (two suites at once) 20 s were seen not to
        # be enough.  Polled: a quick start costs nothing.
        cls.wait_class(lambda: cls.evaluated_after(started),
                       "a rule evaluation after the first scrapes", 60)

    # -- the API --------------------------------------------------------

    @classmethod
    def api(cls, path, **params):
        url = cls.prom.url("/api/v1/" + path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            raise AssertionError("%s: %s %s" % (url, e, e.read()))
        if body.get("status") != "success":
            raise AssertionError("%s: %r" % (url, body))
        return body["data"]

    def query(self, expr):
        """[(labels, value)] of an instant query, sorted by labels."""
        data = self.api("query", query=expr)
        self.assertEqual(data["resultType"], "vector")
        return sorted(((r["metric"], float(r["value"][1]))
                       for r in data["result"]),
                      key=lambda x: sorted(x[0].items()))

    def scalar(self, name):
        got = self.query(name)
        self.assertEqual(len(got), 1, (name, got))
        labels, value = got[0]
        self.assertEqual(labels, {"__name__": name, "instance": self.target,
                                  "job": "dpagent"})
        return value

    @classmethod
    def alerts(cls):
        return cls.api("alerts")["alerts"]

    @classmethod
    def rules(cls):
        groups = cls.api("rules")["groups"]
        return dict((r["name"], r) for g in groups for r in g["rules"])

    @classmethod
    def targets(cls):
        return cls.api("targets")

    @classmethod
    def target_states(cls):
        """For failure messages: each target's health and last error."""
        try:
            return "\n--- targets\n" + "\n".join(
                "%s %s %s %s" % (x["scrapeUrl"], x["health"],
                                 x["lastScrape"], x["lastError"])
                for x in cls.targets()["activeTargets"])
        except (AssertionError, OSError, KeyError) as e:
            return "\n--- targets: %s" % e

    @classmethod
    def evaluated_after(cls, t):
        """The three targets scraped successfully since the time t, and
        the rules evaluated after the last of their scrapes."""
        try:
            targets = cls.targets()["activeTargets"]
            groups = cls.api("rules")["groups"]
        except (AssertionError, OSError):
            return False
        if len(targets) != 3 or any(x["health"] != "up" for x in targets):
            return False
        scraped = [parse_time(x["lastScrape"]) for x in targets]
        return min(scraped) > t and all(
            parse_time(g["lastEvaluation"]) > max(scraped) for g in groups)

    @classmethod
    def wait_class(cls, cond, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError("timed out (%d s) waiting for %s\n"
                                     "--- prometheus.log\n%s\n--- exporter."
                                     "log\n%s\n%s" % (
                                         timeout, what,
                                         log_tail(cls.prom.log),
                                         log_tail(cls.exporter.log),
                                         cls.stack.logs() +
                                         cls.target_states()))
            time.sleep(POLL)

    def wait(self, cond, what, timeout=60):
        self.wait_class(cond, what, timeout)

    def wait_alerts(self, want, what, timeout=60):
        """Polls /api/v1/alerts until the alerts FIRING are exactly want
        ({alertname: number}) and nothing else is active; returns them
        and the states each was seen in on the way."""
        seen = {}
        last = []

        def ready():
            last[:] = self.alerts()
            for a in last:
                seen.setdefault(a["labels"]["alertname"], set()).add(
                    a["state"])
            firing = {}
            for a in last:
                if a["state"] != "firing":
                    return False
                name = a["labels"]["alertname"]
                firing[name] = firing.get(name, 0) + 1
            return firing == want

        try:
            self.wait(ready, what, timeout)
        except AssertionError as e:
            raise AssertionError("%s\nlast alerts: %s" % (e, json.dumps(
                last, indent=1)))
        return sorted(last, key=lambda a: sorted(a["labels"].items())), seen

    def wait_quiet(self, what):
        """No alert active, every rule inactive."""
        self.wait_alerts({}, what)
        self.wait(lambda: all(r["state"] == "inactive" and not r["alerts"]
                              for r in self.rules().values()),
                  "every rule inactive after " + what)

    def assert_alert(self, alert, name, labels, summary, value):
        self.assertEqual(alert["state"], "firing", alert)
        want = dict(labels, alertname=name, instance=self.target,
                    severity=self.shipped[name]["labels"]["severity"])
        want.setdefault("job", "dpagent")
        self.assertEqual(alert["labels"], want)
        self.assertEqual(alert["annotations"]["summary"], summary)
        self.assertEqual(alert["annotations"]["description"],
                         self.render(name, alert))
        self.assertEqual(float(alert["value"]), value, alert)
        # pending for at least FOR before it fired
        self.assertLessEqual(parse_time(alert["activeAt"]),
                             time.time() - FOR_SECONDS + 0.5, alert)

    def render(self, name, alert):
        """The shipped description with the alert's labels (the
        descriptions only use {{ $labels.X }})."""
        text = self.shipped[name]["annotations"]["description"]
        return re.sub(r"\{\{ \$labels\.([a-zA-Z_]+) \}\}",
                      lambda m: alert["labels"][m.group(1)], text)

    @property
    def shipped(self):
        return dict((r["alert"], r) for r in shipped_rules())

    def meta(self):
        return sql_one(self.db, "SELECT * FROM meta")

    def restart_what_stopped(self):
        """Cleanup of the tests that stop a process: a failed test leaves
        the next ones what they expect."""
        if self.stack.master.poll() is not None:
            self.stack.start_master()
        if self.stack.agent.poll() is not None:
            self.stack.start_agent(*self.agent_args)
        else:
            self.stack.wait_served()
        if self.exporter.proc.poll() is not None:
            self.exporter.start()

    # -- the tests, in order ----------------------------------------------

    def test_1_loopback_only(self):
        t = self.targets()
        self.assertEqual(t["droppedTargets"], [])
        by_job = dict((x["labels"]["job"], x) for x in t["activeTargets"])
        self.assertEqual(sorted(by_job), ["dpagent", "dpagent_dist",
                                          "snmp_exporter"])
        for name, module in SNMP_JOBS.items():
            dp = by_job[name]
            self.assertEqual(dp["labels"], {"instance": self.target,
                                            "job": name})
            self.assertEqual(dp["discoveredLabels"]["__address__"],
                             self.target)
            self.assertEqual(dp["scrapeUrl"], "http://%s/snmp?module=%s&"
                             "target=%s" % (self.exporter_addr, module,
                                            urllib.parse.quote(self.target,
                                                               safe="")))
        self.assertEqual(by_job["snmp_exporter"]["scrapeUrl"],
                         "http://%s/metrics" % self.exporter_addr)
        for x in t["activeTargets"]:
            self.assertEqual(x["health"], "up", x)
            self.assertEqual(urllib.parse.urlsplit(x["scrapeUrl"]).hostname,
                             "127.0.0.1")
        # no Alertmanager, no remote storage: nothing else is reached
        am = self.api("alertmanagers")
        self.assertEqual(am["activeAlertmanagers"], [])
        self.assertEqual(am["droppedAlertmanagers"], [])
        loaded = yaml.safe_load(self.api("status/config")["yaml"])
        self.assertNotIn("remote_write", loaded)
        self.assertNotIn("remote_read", loaded)
        self.assertEqual((loaded.get("alerting") or {}).get("alertmanagers"),
                         None)
        flags = self.api("status/flags")
        self.assertEqual(flags["web.listen-address"],
                         "127.0.0.1:%d" % self.prom.port)
        self.assertEqual(flags["storage.tsdb.path"],
                         os.path.join(self.pdir, "data"))
        self.assertEqual([loaded["global"][k] for k in (
            "scrape_interval", "evaluation_interval")], ["1s", "1s"])

    def test_2_values_equal_model(self):
        m = self.meta()
        self.assertEqual([m["rows"], m["n_none"], m["n_updated"],
                          m["n_added"], m["n_deleted"]], [24, 16, 5, 3, 0])
        self.assertEqual([m[c] for c in dpstack.DIST_COUNTS],
                         [24, 21, 2, 0, 0, 1])
        for name, col in dpstack.SCALAR_COLUMNS:
            self.assertEqual(self.scalar(name), m[col], name)
        self.assertEqual(self.scalar("dpLastImport"),
                         m["last_import_ms"] // 1000)
        self.assertEqual(self.scalar("dpLastChange"),
                         m["last_change_ms"] // 1000)
        age = self.scalar("dpLastImportAge")
        self.assertLessEqual(abs(age - (time.time() * 1000 -
                                        m["last_import_ms"]) / 1000), 3)
        cols = {"Rows": "rows", "RowsNone": "n_none",
                "RowsUpdated": "n_updated", "RowsAdded": "n_added",
                "RowsDeleted": "n_deleted", "RowsOther": "n_other",
                "DistRows": "d_rows", "DistInstalled": "d_installed",
                "DistInProgress": "d_inprogress",
                "DistRetrying": "d_retrying", "DistFailed": "d_failed",
                "DistOther": "d_other"}
        servers = sql_all(self.db, "SELECT * FROM server WHERE rows > 0 "
                          "OR d_rows > 0 ORDER BY idx")
        self.assertEqual(len(servers), 4)
        for suffix, col in cols.items():
            got = self.query("dpSrv" + suffix)
            self.assertEqual(got, sorted([
                ({"__name__": "dpSrv" + suffix, "instance": self.target,
                  "job": "dpagent", "dpServerIndex": str(s["idx"]),
                  "dpSrvName": s["name"], "dpSrvSiteCode": s["site_code"]},
                 float(s[col])) for s in servers],
                key=lambda x: sorted(x[0].items())))
        packages = sql_all(self.db, "SELECT * FROM package WHERE rows > 0 "
                           "OR d_rows > 0 ORDER BY idx")
        self.assertEqual(len(packages), 6)
        for suffix, col in cols.items():
            got = self.query("dpPkg" + suffix)
            self.assertEqual(got, sorted([
                ({"__name__": "dpPkg" + suffix, "instance": self.target,
                  "job": "dpagent", "dpPackageIndex": str(p["idx"]),
                  "dpPkgPackageID": p["package_id"]}, float(p[col]))
                for p in packages], key=lambda x: sorted(x[0].items())))
        # every series of the module: 19 scalars, 13 per server, 17 per
        # package (doc/prometheus.md)
        n = len(self.query('{job="dpagent", __name__=~"dp.*"}'))
        self.assertEqual(n, 19 + 13 * len(servers) + 17 * len(packages))
        self.check_dist_rows()
        self.assertEqual(self.query('up'), sorted([
            ({"__name__": "up", "instance": self.target, "job": name}, 1.0)
            for name in SNMP_JOBS] + [
            ({"__name__": "up", "instance": self.exporter_addr,
              "job": "snmp_exporter"}, 1.0)],
            key=lambda x: sorted(x[0].items())))

    def check_dist_rows(self):
        """The dpagent_dist job's series: per row of dpDistTable its
        State as a label and dpDistStateSince (Unix seconds), with the
        server's and package's labels; nothing else."""
        rows = sql_all(self.db, "SELECT d.*, s.name, s.site_code, "
                       "p.package_id FROM dist d JOIN server s ON s.idx = "
                       "d.server_idx JOIN package p ON p.idx = d.package_idx "
                       "ORDER BY d.server_idx, d.package_idx")
        self.assertEqual(len(rows), 24)

        def labels(r, name, **extra):
            return dict({"__name__": name, "instance": self.target,
                         "job": "dpagent_dist",
                         "dpServerIndex": str(r["server_idx"]),
                         "dpPackageIndex": str(r["package_idx"]),
                         "dpSrvName": r["name"],
                         "dpSrvSiteCode": r["site_code"],
                         "dpPkgPackageID": r["package_id"]}, **extra)

        def key(x):
            return sorted(x[0].items())

        self.assertEqual(self.query("dpDistState_info"), sorted([
            (labels(r, "dpDistState_info",
                    dpDistState=DIST_STATES[r["state"]]), 1.0)
            for r in rows], key=key))
        self.assertEqual(self.query("dpDistStateSince"), sorted([
            (labels(r, "dpDistStateSince"),
             float(r["state_since_ms"] // 1000)) for r in rows], key=key))
        self.assertEqual(len(self.query('{job="dpagent_dist", '
                                        '__name__=~"dp.*"}')), 2 * len(rows))

    def test_3_rules_loaded_inactive(self):
        groups = self.api("rules")["groups"]
        self.assertEqual([(g["name"], g["file"], g["interval"])
                          for g in groups],
                         [("dpagent", self.rules_file, 1)])
        got = groups[0]["rules"]
        self.assertEqual([r["name"] for r in got], RULES)
        for r, s in zip(got, shipped_rules()):
            self.assertEqual((r["type"], r["health"], r["lastError"] if
                              "lastError" in r else ""),
                             ("alerting", "ok", ""), r)
            self.assertEqual(r["query"], s["expr"])
            self.assertEqual(r["duration"], FOR_SECONDS)
            self.assertEqual(r["labels"], s["labels"])
            self.assertEqual(r["annotations"], s["annotations"])
            self.assertEqual(r["state"], "inactive", r)
            self.assertEqual(r["alerts"], [])
        self.assertEqual(self.alerts(), [])
        self.assertEqual(self.query("ALERTS"), [])

    def test_4_rows_deleted(self):
        dpctl(self.db, "import", self.deleted)
        m = self.meta()
        self.assertEqual(m["n_deleted"], 3)
        alerts, seen = self.wait_alerts(
            {"DpRowsDeleted": 1, "DpServerRowsDeleted": 2},
            "the deleted-rows alerts to fire")
        self.assertEqual(seen, {"DpRowsDeleted": {"pending", "firing"},
                                "DpServerRowsDeleted": {"pending",
                                                        "firing"}})
        self.assertEqual(self.scalar("dpRowsDeleted"), 3)
        total = [a for a in alerts if a["labels"]["alertname"] ==
                 "DpRowsDeleted"]
        self.assert_alert(total[0], "DpRowsDeleted", {},
                          "3 distribution point rows in deleted state on %s"
                          % self.target, 3)
        per = [a for a in alerts if a["labels"]["alertname"] ==
               "DpServerRowsDeleted"]
        servers = sql_all(self.db, "SELECT * FROM server WHERE n_deleted > 0 "
                          "ORDER BY idx")
        self.assertEqual([(s["name"], s["site_code"], s["n_deleted"])
                          for s in servers],
                         [("DP01.corp.contoso.com", "PS1", 1),
                          ("DP03.branch.contoso.com", "PS2", 2)])
        for a, s in zip(sorted(per, key=lambda a: int(
                a["labels"]["dpServerIndex"])), servers):
            self.assert_alert(a, "DpServerRowsDeleted", {
                "dpServerIndex": str(s["idx"]), "dpSrvName": s["name"],
                "dpSrvSiteCode": s["site_code"]},
                "%d rows in deleted state on %s (%s)" % (
                    s["n_deleted"], s["name"], s["site_code"]),
                s["n_deleted"])
        self.assertIn("snmpwalk dpStatus.%d lists the rows" %
                      servers[0]["idx"],
                      per[0]["annotations"]["description"] +
                      per[1]["annotations"]["description"])
        firing = self.query('ALERTS{alertstate="firing"}')
        self.assertEqual(len(firing), 3)
        # the data returns: ConfigMgr's next export has them as none(0)
        dpctl(self.db, "import", self.restored)
        self.assertEqual(self.meta()["n_deleted"], 0)
        self.wait_quiet("the rows left the deleted state")
        self.assertEqual(self.scalar("dpRowsDeleted"), 0)

    def test_5_import_stale_then_never(self):
        original = self.meta()["last_import_ms"]
        self.addCleanup(sql, self.db, ("UPDATE meta SET last_import_ms = ?",
                                       (original,)))
        old = int(time.time() * 1000) - 100000 * 1000
        sql(self.db, ("UPDATE meta SET last_import_ms = ?", (old,)))
        alerts, seen = self.wait_alerts({"DpImportStale": 1},
                                        "DpImportStale to fire")
        self.assertEqual(seen, {"DpImportStale": {"pending", "firing"}})
        a = alerts[0]
        value = float(a["value"])
        self.assertGreaterEqual(value, 100000)
        self.assertLessEqual(value, 100000 + 30)
        self.assert_alert(a, "DpImportStale", {},
                          "last ConfigMgr import on %s %s ago" % (
                              self.target, humanize_duration(value)), value)
        self.assertRegex(a["annotations"]["summary"],
                         r" 1d 3h 4[67]m \d+s ago$")

        sql(self.db, "UPDATE meta SET last_import_ms = 0")
        alerts, seen = self.wait_alerts({"DpNeverImported": 1},
                                        "DpNeverImported to fire and "
                                        "DpImportStale to resolve")
        self.assertEqual(seen["DpNeverImported"], {"pending", "firing"})
        self.assert_alert(alerts[0], "DpNeverImported", {},
                          "no ConfigMgr export ever imported on %s" %
                          self.target, -1)
        self.assertEqual(self.scalar("dpLastImportAge"), -1)
        self.assertEqual(self.scalar("dpLastImport"), 0)

        sql(self.db, ("UPDATE meta SET last_import_ms = ?", (original,)))
        self.wait_quiet("dpLastImport restored")

    def test_6_agent_stopped(self):
        self.addCleanup(self.restart_what_stopped)
        self.assertEqual(self.stack.stop_agent(), 0)
        alerts, seen = self.wait_alerts({"DpAgentNotServing": 1},
                                        "DpAgentNotServing to fire")
        self.assertEqual(seen, {"DpAgentNotServing": {"pending", "firing"}})
        self.assert_alert(alerts[0], "DpAgentNotServing", {},
                          "snmpd on %s serves no DISTRIBUTION-POINT-MIB" %
                          self.target, 1)
        # snmpd still answers: the scrape is up, without any dp series
        self.assertEqual(self.query('up{job="dpagent"}')[0][1], 1)
        self.assertEqual(self.query('up{job="dpagent_dist"}')[0][1], 1)
        self.assertEqual(self.query('{job=~"dpagent|dpagent_dist", '
                                    '__name__=~"dp.*"}'), [])
        self.stack.start_agent(*self.agent_args)
        self.wait_quiet("dpagentd started again")
        self.assertEqual(self.scalar("dpRowCount"), 24)

    def test_7_snmpd_stopped(self):
        self.addCleanup(self.restart_what_stopped)
        self.stack.stop_master()
        alerts, seen = self.wait_alerts({"DpScrapeFailing": 2},
                                        "DpScrapeFailing to fire")
        self.assertEqual(seen, {"DpScrapeFailing": {"pending", "firing"}})
        self.assert_scrape_failing(alerts)
        self.assertEqual(self.query('up{job="snmp_exporter"}')[0][1], 1)
        self.stack.start_master()
        self.stack.wait_served()  # dpagentd reconnects by itself
        self.wait_quiet("snmpd started again")
        self.assertEqual(self.scalar("dpRowCount"), 24)

    def assert_scrape_failing(self, alerts):
        """One DpScrapeFailing per SNMP job, its name in the labels and
        the description."""
        alerts = sorted(alerts, key=lambda a: a["labels"]["job"])
        self.assertEqual([a["labels"]["job"] for a in alerts],
                         sorted(SNMP_JOBS))
        for a in alerts:
            self.assert_alert(a, "DpScrapeFailing", {"job": a["labels"][
                "job"]}, "SNMP scrape of %s failing" % self.target, 0)
            self.assertTrue(a["annotations"]["description"].startswith(
                "The %s job cannot scrape " % a["labels"]["job"]), a)

    def test_8_exporter_stopped(self):
        self.addCleanup(self.restart_what_stopped)
        self.exporter.stop()
        alerts, seen = self.wait_alerts(
            {"DpScrapeFailing": 2, "SnmpExporterDown": 1},
            "DpScrapeFailing and SnmpExporterDown to fire")
        self.assertEqual(seen, {"DpScrapeFailing": {"pending", "firing"},
                                "SnmpExporterDown": {"pending", "firing"}})
        self.assert_scrape_failing([a for a in alerts if a["labels"][
            "alertname"] == "DpScrapeFailing"])
        by = dict((a["labels"]["alertname"], a) for a in alerts)
        # the exporter's own target: its address is the instance
        a = by["SnmpExporterDown"]
        self.assertEqual(a["labels"], {
            "alertname": "SnmpExporterDown", "instance": self.exporter_addr,
            "job": "snmp_exporter", "severity": "critical"})
        self.assertEqual(a["annotations"]["summary"],
                         "snmp_exporter %s is down" % self.exporter_addr)
        self.assertEqual(float(a["value"]), 0)
        self.exporter.start()
        self.wait_quiet("the exporter started again")
        self.assertEqual(self.scalar("dpRowCount"), 24)


    def test_9_distribution_failed(self):
        # ConfigMgr's summarizer as in the sample: installFailed(3) on
        # DP02, removalFailed(6) on DP04, installRetrying(2) on DP03
        dpctl(self.db, "import", DIST)
        m = self.meta()
        self.assertEqual([m["d_failed"], m["d_retrying"]], [2, 1])
        alerts, seen = self.wait_alerts(
            {"DpDistributionFailed": 2, "DpDistributionRetrying": 1},
            "the distribution alerts to fire")
        self.assertEqual(seen, {"DpDistributionFailed": {"pending", "firing"},
                                "DpDistributionRetrying": {"pending",
                                                           "firing"}})
        for name, col, servers in (
                ("DpDistributionFailed", "d_failed",
                 [("DP02.corp.contoso.com", "PS1", 1),
                  ("DP04.corp.contoso.com", "PS2", 1)]),
                ("DpDistributionRetrying", "d_retrying",
                 [("DP03.branch.contoso.com", "PS2", 1)])):
            rows = sql_all(self.db, "SELECT * FROM server WHERE %s > 0 "
                           "ORDER BY idx" % col)
            self.assertEqual([(s["name"], s["site_code"], s[col])
                              for s in rows], servers)
            got = sorted([a for a in alerts if a["labels"]["alertname"] ==
                          name], key=lambda a: int(a["labels"][
                              "dpServerIndex"]))
            what = ("failed distributions" if col == "d_failed" else
                    "distributions retrying")
            for a, s in zip(got, rows):
                self.assert_alert(a, name, {
                    "dpServerIndex": str(s["idx"]), "dpSrvName": s["name"],
                    "dpSrvSiteCode": s["site_code"]},
                    "%d %s on %s (%s)" % (s[col], what, s["name"],
                                          s["site_code"]), s[col])
                self.assertIn("snmpwalk dpDistState.%d lists the rows" %
                              s["idx"], a["annotations"]["description"])
        # the scraped rows follow the import
        self.wait(lambda: "installFailed" in [
            l["dpDistState"] for l, _ in self.query("dpDistState_info")],
            "dpDistTable scraped after the import")
        self.check_dist_rows()

        # the same rows failing for two days: one alert per row
        long_ago = int(time.time() * 1000) - 2 * 86400 * 1000
        sql(self.db, ("UPDATE dist SET state_since_ms = ? WHERE state IN "
                      "(2, 3, 5, 6)", (long_ago,)))
        alerts, seen = self.wait_alerts(
            {"DpDistributionFailed": 2, "DpDistributionRetrying": 1,
             "DpDistributionFailingLong": 3},
            "DpDistributionFailingLong to fire")
        self.assertEqual(seen["DpDistributionFailingLong"],
                         {"pending", "firing"})
        rows = sql_all(self.db, "SELECT d.*, s.name, s.site_code, "
                       "p.package_id FROM dist d JOIN server s ON s.idx = "
                       "d.server_idx JOIN package p ON p.idx = d.package_idx "
                       "WHERE d.state IN (2, 3, 5, 6) "
                       "ORDER BY d.server_idx, d.package_idx")
        self.assertEqual([(r["name"], r["package_id"], r["state"])
                          for r in rows],
                         [("DP02.corp.contoso.com", "PS100034", 3),
                          ("DP03.branch.contoso.com", "PS200003", 2),
                          ("DP04.corp.contoso.com", "PS100057", 6)])
        got = sorted([a for a in alerts if a["labels"]["alertname"] ==
                      "DpDistributionFailingLong"],
                     key=lambda a: (int(a["labels"]["dpServerIndex"]),
                                    int(a["labels"]["dpPackageIndex"])))
        for a, r in zip(got, rows):
            value = float(a["value"])
            age = time.time() - long_ago / 1000
            self.assertGreaterEqual(value, 2 * 86400)
            self.assertLessEqual(value, age + 1)
            state = DIST_STATES[r["state"]]
            self.assert_alert(a, "DpDistributionFailingLong", {
                "job": "dpagent_dist", "dpServerIndex": str(r["server_idx"]),
                "dpPackageIndex": str(r["package_idx"]),
                "dpSrvName": r["name"], "dpSrvSiteCode": r["site_code"],
                "dpPkgPackageID": r["package_id"], "dpDistState": state},
                "%s %s on %s (%s) for %s" % (
                    r["package_id"], state, r["name"], r["site_code"],
                    humanize_duration(value)), value)
            self.assertRegex(a["annotations"]["summary"], r" for 2d 0h 0m "
                             r"\d+s$")

        # redistributed: the next export has them installed(0)
        dpctl(self.db, "import", self.dist_clean)
        m = self.meta()
        self.assertEqual([m["d_failed"], m["d_retrying"]], [0, 0])
        self.wait_quiet("the distributions installed")
        self.assertEqual(self.query("dpSrvDistFailed > 0"), [])
        self.wait(lambda: "installFailed" not in [
            l["dpDistState"] for l, _ in self.query("dpDistState_info")],
            "dpDistTable scraped after the clean import")
        self.check_dist_rows()


def parse_time(text):
    """RFC 3339 as Prometheus writes it (nanoseconds, Z or an offset) ->
    seconds since the epoch."""
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?"
                 r"(Z|[+-]\d\d:\d\d)$", text)
    if m is None:
        raise AssertionError("not a time: %r" % text)
    t = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    t += float(m.group(7) or 0)
    if m.group(8) != "Z":
        sign = 1 if m.group(8)[0] == "+" else -1
        t -= sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:]) * 60)
    return t


if __name__ == "__main__":
    unittest.main(verbosity=2)
