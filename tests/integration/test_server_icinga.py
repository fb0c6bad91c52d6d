#!/usr/bin/env python3
"""check_dp in a real Icinga 2 (issue 17).

A private Icinga 2 (Debian's icinga2, 2.13) runs as root on loopback with
every path in a temporary directory (-DConfigDir, -DDataDir, -DLogDir,
-DCacheDir, -DSpoolDir, -DInitRunDir): nothing of /etc/icinga2 or
/var/lib/icinga2 is read or written.  Its icinga2.conf includes the ITL
(<itl>, <plugins>) as the stock one does, then the SHIPPED
conf/icinga2/dpagent.conf and conf/icinga2/dpagent-services.conf.sample
unchanged, and three hosts whose dp_* variables drive the sample's apply
rules:

  dpagent     the private stack (snmpd + dpagentd, a non-default
              community, so that -C must be passed), SNMPv2c
  dpagent-v3  the same stack over SNMPv3 authPriv (SHA-256/AES) with a
              dp_community on the host that must NOT be passed
  dead        a UDP port where nothing listens

1. `icinga2 daemon -C` exits 0 and prints no warning or critical line;
   the apply rules make exactly the expected services.
2. The daemon runs (foreground, its own process group, stopped by PID);
   the ApiListener on 127.0.0.1 and a free TCP port (a throw-away
   certificate made with `icinga2 pki new-cert`) serves /v1 to an
   ApiUser.  After each change of the data or the stack, the test asks
   for an immediate check (POST /v1/actions/reschedule-check) and polls
   GET /v1/objects/services until every service has a check result that
   started after the change; then each service's state, output and
   performance data are compared with what the model (plain SQL) says,
   exactly, and its command line with the dp_* variables it was given.

The database also holds the summarizer sample (sample-dist-ps7.json:
DP02/PS100034 installFailed, DP04/PS100057 removalFailed, two hours old
by plain SQL, DP03/PS200003 installRetrying) for the sample's --dist
apply rules (dp_dist_agent, dp_dist_servers, dp_dist_packages).

The phases: the sample export; an import that puts four rows of DP01 in
deleted(3); plain SQL that sets every deleted row back to none(0);
dpagentd stopped (the master still answers: CRITICAL, doc/check_dp.md);
dpagentd started again; an import of the two failed distributions as
installed(0), which takes the --dist services back to OK (the retrying
one stays WARNING).  The dead port is UNKNOWN (timeout).

Nothing is skipped: a missing program fails with what to install.
"""

import base64
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import dpctl, sql  # noqa: E402
from serverkit import (check_dp_fixture, check_dp_path,  # noqa: E402
                       free_tcp_port, need, query, start_daemon,
                       stop_daemon, write_import)

SOURCE = dpstack.SOURCE
COMMAND_CONF = os.path.join(SOURCE, "conf", "icinga2", "dpagent.conf")
SERVICES_CONF = os.path.join(SOURCE, "conf", "icinga2",
                             "dpagent-services.conf.sample")
COMMUNITY = "dpsecret"
V3 = ("createUser dpmon SHA-256 authpass123 AES privpass123\n"
      "rouser dpmon authpriv\n")
NODE = "dpagent-test"
STATES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
BUCKETS = ["none", "updated", "added", "deleted", "other"]
PHASE_TIMEOUT = 25  # seconds for every service to be checked again
DIST_SAMPLE = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
DIST_BUCKETS = ["installed", "inprogress", "retrying", "failed", "other"]
DIST_STATES = ["installed", "installPending", "installRetrying",
               "installFailed", "removalPending", "removalRetrying",
               "removalFailed", "contentUpdating", "contentMonitoring"]
DP04_FAILING = 7200  # seconds DP04/PS100057 has been removalFailed

def icinga_string(s):
    return json.dumps(s)  # a JSON string is an Icinga 2 string literal


# -- the model, read with plain SQL -----------------------------------------

def expected_perf(row, meta, svars, agent):
    """The performance data check_dp must print for a scope, except the
    import age's value: [(label, value or None, uom, warn, crit, min,
    max)]."""
    out = []
    if agent:
        out += [("servers", row["servers"], "", "", "", "0", ""),
                ("packages", row["packages"], "", "", "", "0", "")]
    out.append(("rows", row["rows"], "", "", "", "0", ""))
    status = svars.get("dp_status", "deleted")
    for b in BUCKETS:
        w = svars.get("dp_warning", "") if b == status else ""
        c = svars.get("dp_critical", "") if b == status else ""
        out.append((b, row["n_" + b], "", w, c, "0", str(row["rows"])))
    out.append(("import_age", None, "s", svars.get("dp_age_warning", ""),
                svars.get("dp_age_critical", ""), "0", ""))
    if agent:
        out.append(("pending_writes", meta["pending_writes"], "", "", "",
                    "0", ""))
    return out


def dist_bucket(state):
    return {0: "installed", 1: "inprogress", 4: "inprogress",
            7: "inprogress", 2: "retrying", 5: "retrying", 3: "failed",
            6: "failed"}.get(state, "other")


def dist_rows(db, bucket, server=None, package=None):
    """The distributions of a bucket in a scope (server: a name or its
    first label), in check_dp's order: oldest State first (by the
    second), then by server and package index."""
    def server_is(name):
        return server is None or name.lower() == server.lower() or \
            name.lower().startswith(server.lower() + ".")
    rows = [r for r in query(
        db, "SELECT d.server_idx, d.package_idx, d.state, "
        "d.state_since_ms, p.package_id, s.name, s.site_code FROM dist d "
        "JOIN server s ON s.idx = d.server_idx "
        "JOIN package p ON p.idx = d.package_idx")
        if dist_bucket(r["state"]) == bucket and server_is(r["name"]) and
        (package is None or r["package_id"] == package)]
    rows.sort(key=lambda r: (r["state_since_ms"] // 1000, r["server_idx"],
                             r["package_idx"]))
    return rows


def write_dist_import(path, states):
    """The summarizer sample's rows {(server FQDN, PackageID): State}
    with those States."""
    with open(DIST_SAMPLE, encoding="utf-8-sig") as f:
        recs = json.load(f)
    out = [dict(r, State=states[k]) for r in recs for k in states
           if r["PackageID"] == k[1] and
           r["ServerNALPath"].endswith("\\\\%s\\" % k[0])]
    if len(out) != len(states):
        raise AssertionError("not in the sample: %r" % states)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)


def expected_dist_perf(row, svars):
    """The performance data of a --dist service, the ages' values
    excepted."""
    bucket = svars.get("dp_dist_bucket", "failed")
    total = str(row["d_rows"])
    out = [("rows", total, "", "", "", "0", "")]
    for b in DIST_BUCKETS:
        w = svars.get("dp_warning", "") if b == bucket else ""
        c = svars.get("dp_critical", "") if b == bucket else ""
        out.append((b, str(row["d_" + b]), "", w, c, "0", total))
    out.append(("oldest_age", None, "s", svars.get("dp_dist_age_warning", ""),
                svars.get("dp_dist_age_critical", ""), "0", ""))
    out.append(("import_age", None, "s", svars.get("dp_age_warning", ""),
                svars.get("dp_age_critical", ""), "0", ""))
    return out


# Icinga 2 stores each value as a string without the label's quotes.
PERF = re.compile(r"^'?([a-z_]+)'?=(-?[0-9.]+|U)([a-zA-Z%]*)"
                  r"((?:;[^;]*){0,4})$")


def parse_perf(items):
    out = []
    for item in items:
        m = PERF.match(item)
        if m is None:
            raise AssertionError("performance data not in the guidelines' "
                                 "format: %r" % item)
        rest = (m.group(4).split(";")[1:] + [""] * 4)[:4]
        out.append((m.group(1), m.group(2), m.group(3)) + tuple(rest))
    return out


# -- the scenario -----------------------------------------------------------

# host -> service -> the service's own dp_* variables, as the host's
# dictionaries give them to the sample's apply rules.
AGENT_VARS = {"dp_warning": "0", "dp_critical": "3",
              "dp_age_warning": "90000", "dp_age_critical": "180000"}
SERVER_VARS = {"DP02.corp.contoso.com": {"dp_critical": "0"},
               "dp01": {"dp_warning": "0", "dp_critical": "5"},
               "DP99.corp.contoso.com": {"dp_critical": "0"}}
PACKAGE_VARS = {"PS200003": {"dp_warning": "0", "dp_critical": "1"}}
V3_PACKAGE_VARS = {"PS100012": {"dp_warning": "0", "dp_critical": "5"}}
# --dist, from the sample's apply rules: the whole agent (-c 1), one
# server, two packages (one in another bucket); over SNMPv3 the age.
DIST_AGENT_VARS = {"dp_warning": "0", "dp_critical": "1"}
DIST_SERVER_VARS = {"dp04": {"dp_critical": "0"}}
DIST_PACKAGE_VARS = {"PS100034": {"dp_warning": "0", "dp_critical": "5"},
                     "PS200003": {"dp_dist_bucket": "retrying",
                                  "dp_warning": "0"}}
V3_DIST_AGENT_VARS = {"dp_dist_age_warning": "3600",
                      "dp_dist_age_critical": "7000"}
# A service of the test's own (not from the sample): another Status.
ADDED_VARS = {"dp_status": "added", "dp_warning": "2", "dp_max_rows": 0}

STACK_SERVICES = ["dpagent!dp", "dpagent!dp-server-DP02.corp.contoso.com",
                  "dpagent!dp-server-dp01",
                  "dpagent!dp-server-DP99.corp.contoso.com",
                  "dpagent!dp-package-PS200003", "dpagent!dp-added",
                  "dpagent-v3!dp-package-PS100012",
                  "dpagent!dp-dist", "dpagent!dp-dist-server-dp04",
                  "dpagent!dp-dist-package-PS100034",
                  "dpagent!dp-dist-package-PS200003", "dpagent-v3!dp-dist"]
DEAD_SERVICES = ["dead!dp"]

# The states of each phase (the sample: 1 deleted row, on DP02 for
# PS200003; 3 added rows).
SAMPLE_STATES = {
    "dpagent!dp": "WARNING",                           # 1 deleted: -w 0
    "dpagent!dp-server-DP02.corp.contoso.com": "CRITICAL",  # 1: -c 0
    "dpagent!dp-server-dp01": "OK",                    # 0 deleted
    "dpagent!dp-server-DP99.corp.contoso.com": "UNKNOWN",   # not found
    "dpagent!dp-package-PS200003": "WARNING",          # 1: -w 0 -c 1
    "dpagent!dp-added": "WARNING",                     # 3 added: -w 2
    "dpagent-v3!dp-package-PS100012": "OK",            # 0 deleted
}
# --dist: 2 failed (DP04's two hours old), 1 retrying; the imports and
# SQL of dpTable below leave them as they are.
DIST_SAMPLE_STATES = {
    "dpagent!dp-dist": "CRITICAL",                     # 2 failed: -c 1
    "dpagent!dp-dist-server-dp04": "CRITICAL",         # 1: -c 0
    "dpagent!dp-dist-package-PS100034": "WARNING",     # 1: -w 0 -c 5
    "dpagent!dp-dist-package-PS200003": "WARNING",     # 1 retrying: -w 0
    "dpagent-v3!dp-dist": "CRITICAL",                  # 7200 s: 3600, 7000
}
SAMPLE_STATES.update(DIST_SAMPLE_STATES)
# DP01's four rows in none(0) go to deleted(3) by an import.
DP01_DELETED = ["PS100012", "PS100034", "PS100057", "PS200003"]
IMPORT_STATES = {
    "dpagent!dp": "CRITICAL",                          # 5 deleted: -c 3
    "dpagent!dp-server-DP02.corp.contoso.com": "CRITICAL",
    "dpagent!dp-server-dp01": "WARNING",               # 4: -w 0 -c 5
    "dpagent!dp-server-DP99.corp.contoso.com": "UNKNOWN",
    "dpagent!dp-package-PS200003": "CRITICAL",         # 2: -c 1
    "dpagent!dp-added": "WARNING",
    "dpagent-v3!dp-package-PS100012": "WARNING",       # 1: -w 0
}
IMPORT_STATES.update(DIST_SAMPLE_STATES)
# Plain SQL: every deleted row back to none.
SQL_STATES = dict((k, "OK") for k in SAMPLE_STATES)
SQL_STATES["dpagent!dp-server-DP99.corp.contoso.com"] = "UNKNOWN"
SQL_STATES["dpagent!dp-added"] = "WARNING"
SQL_STATES.update(DIST_SAMPLE_STATES)
NO_AGENT_STATES = dict((k, "CRITICAL") for k in SAMPLE_STATES)
# The summarizer's two failed rows imported as installed(0).
DIST_INSTALLED = {("DP02.corp.contoso.com", "PS100034"): 0,
                  ("DP04.corp.contoso.com", "PS100057"): 0}
REIMPORT_STATES = dict(SQL_STATES)
REIMPORT_STATES.update((k, "OK") for k in DIST_SAMPLE_STATES)
REIMPORT_STATES["dpagent!dp-dist-package-PS200003"] = "WARNING"


class Icinga:
    """A private icinga2 daemon: its configuration, API and process."""

    def __init__(self, directory, stack_port, dead_port):
        self.dir = directory
        self.api_port = free_tcp_port()
        self.password = base64.b16encode(os.urandom(12)).decode()
        self.proc = None
        for d in ("etc", "data", "data/certs", "log", "cache", "spool",
                  "run"):
            os.makedirs(os.path.join(directory, d), exist_ok=True)
        self.conf = os.path.join(directory, "etc", "icinga2.conf")
        self.out = os.path.join(directory, "icinga2.out")
        self.defines = ["-DConfigDir=" + os.path.join(directory, "etc"),
                        "-DDataDir=" + os.path.join(directory, "data"),
                        "-DLogDir=" + os.path.join(directory, "log"),
                        "-DCacheDir=" + os.path.join(directory, "cache"),
                        "-DSpoolDir=" + os.path.join(directory, "spool"),
                        "-DInitRunDir=" + os.path.join(directory, "run"),
                        "-DRunAsUser=root", "-DRunAsGroup=root"]
        self._certificate()
        self._config(stack_port, dead_port)

    def _certificate(self):
        """The ApiListener's identity: a self-signed certificate for
        NodeName from icinga2's own `pki new-cert`, which is also its CA
        (DataDir/certs/)."""
        certs = os.path.join(self.dir, "data", "certs")
        key = os.path.join(certs, NODE + ".key")
        crt = os.path.join(certs, NODE + ".crt")
        r = subprocess.run(
            [need("icinga2", "icinga2"), "pki", "new-cert", "--cn", NODE,
             "--key", key, "--cert", crt] + self.defines,
            capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or not os.path.exists(crt):
            raise AssertionError("icinga2 pki new-cert (%d): %s" % (
                r.returncode, r.stdout + r.stderr))
        shutil.copy(crt, os.path.join(certs, "ca.crt"))
        self.ca = crt

    def _config(self, stack_port, dead_port):
        def dictionary(d):
            return "{ %s }" % "; ".join(
                "%s = %s" % (k, icinga_string(v) if isinstance(v, str)
                             else v) for k, v in sorted(d.items()))

        def entries(var, d):
            return "".join('\tvars.%s[%s] = %s\n' % (var, icinga_string(k),
                                                      dictionary(v))
                           for k, v in d.items())

        log = os.path.join(self.dir, "log", "icinga2.log")
        with open(self.conf, "w") as f:
            f.write("""// A private Icinga 2 for test_server_icinga.py
const PluginDir = %(plugindir)s
const NodeName = %(node)s
const ZoneName = NodeName

object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }

include <itl>
include <plugins>

object CheckerComponent "checker" { }
object FileLogger "main-log" {
	path = %(log)s
	severity = "information"
}
object ApiListener "api" {
	bind_host = "127.0.0.1"
	bind_port = %(api_port)d
	accept_config = false
	accept_commands = false
}
object ApiUser "dptest" {
	password = %(password)s
	permissions = [ "objects/query/*", "actions/reschedule-check" ]
}

// As the stock conf.d/templates.conf, with a short interval.
template Host "generic-host" {
	max_check_attempts = 1
	check_interval = 1m
	check_command = "dummy"
	vars.dummy_state = 0
}
template Service "generic-service" {
	max_check_attempts = 1
	check_interval = 5s
	retry_interval = 5s
}

// What a user installs, unchanged.
include %(command_conf)s
include %(services_conf)s

object Host "dpagent" {
	import "generic-host"
	address = "127.0.0.1"
	vars.dp_port = %(stack_port)d
	vars.dp_community = %(community)s
	vars.dp_timeout = 5
	vars.dp_agent = %(agent)s
	vars.dp_dist_agent = %(dist_agent)s
%(servers)s%(packages)s%(dist_servers)s%(dist_packages)s}

object Service "dp-added" {
	import "generic-service"
	host_name = "dpagent"
	check_command = "dp"
%(added)s}

object Host "dpagent-v3" {
	import "generic-host"
	address = "127.0.0.1"
	vars.dp_port = %(stack_port)d
	vars.dp_timeout = 5
	vars.dp_community = "not-for-v3"
	vars.dp_v3 = true
	vars.dp_user = "dpmon"
	vars.dp_seclevel = "authPriv"
	vars.dp_authproto = "SHA-256"
	vars.dp_authpasswd = "authpass123"
	vars.dp_privproto = "AES"
	vars.dp_privpasswd = "privpass123"
	vars.dp_dist_agent = %(v3_dist_agent)s
%(v3packages)s}

object Host "dead" {
	import "generic-host"
	address = "127.0.0.1"
	vars.dp_port = %(dead_port)d
	vars.dp_timeout = 2
	vars.dp_agent = { dp_warning = "0" }
}
""" % {"plugindir": icinga_string(os.path.dirname(check_dp_path())),
                "node": icinga_string(NODE), "log": icinga_string(log),
                "api_port": self.api_port,
                "password": icinga_string(self.password),
                "command_conf": icinga_string(COMMAND_CONF),
                "services_conf": icinga_string(SERVICES_CONF),
                "stack_port": stack_port, "dead_port": dead_port,
                "community": icinga_string(COMMUNITY),
                "agent": dictionary(AGENT_VARS),
                "servers": entries("dp_servers", SERVER_VARS),
                "packages": entries("dp_packages", PACKAGE_VARS),
                "v3packages": entries("dp_packages", V3_PACKAGE_VARS),
                "dist_agent": dictionary(DIST_AGENT_VARS),
                "v3_dist_agent": dictionary(V3_DIST_AGENT_VARS),
                "dist_servers": entries("dp_dist_servers",
                                        DIST_SERVER_VARS),
                "dist_packages": entries("dp_dist_packages",
                                         DIST_PACKAGE_VARS),
                "added": "".join("\tvars.%s = %s\n" % (
                    k, icinga_string(v) if isinstance(v, str) else v)
                    for k, v in sorted(ADDED_VARS.items()))})

    def argv(self, *extra):
        return [need("icinga2", "icinga2"), "daemon", "-c", self.conf] + \
            self.defines + list(extra)

    def validate(self):
        return subprocess.run(self.argv("-C"), capture_output=True,
                              text=True, timeout=120)

    def start(self):
        """The daemon in the foreground, in its own process group;
        returns once the API answers."""
        self.proc = start_daemon(self.argv(), self.out)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("icinga2 exited (%d):\n%s" % (
                    self.proc.returncode, self.logs()))
            try:
                self.services()
                return
            except urllib.error.HTTPError as e:  # it answers: no retry
                raise AssertionError("Icinga 2 API: %s\n%s" % (
                    e, self.logs()))
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise AssertionError("the Icinga 2 API did not answer "
                                         "within 30 s:\n" + self.logs())
            time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            stop_daemon(self.proc)

    def logs(self):
        if not os.path.exists(self.out):
            return "(no icinga2 output)"
        with open(self.out, errors="replace") as f:
            return "--- icinga2 output\n" + f.read()[-6000:]

    def api(self, method, path, body=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.check_hostname = False  # the certificate names NodeName
        req = urllib.request.Request(
            "https://127.0.0.1:%d%s" % (self.api_port, path), method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Accept": "application/json",
                     "Content-Type": "application/json",
                     "Authorization": "Basic " + base64.b64encode(
                         ("dptest:" + self.password).encode()).decode()})
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.loads(r.read().decode())

    def services(self):
        """name -> attrs of every Service."""
        r = self.api("GET", "/v1/objects/services?attrs=state&"
                     "attrs=last_check_result&attrs=vars")
        return dict((x["name"], x["attrs"]) for x in r["results"])

    def check_now(self, names):
        """Every service of names checked again, from now on; returns
        their attrs once each has a result of a check started after the
        call."""
        t0 = time.time()
        flt = " || ".join('(host.name == %s && service.name == %s)' % (
            icinga_string(n.split("!")[0]), icinga_string(n.split("!")[1]))
            for n in names)
        r = self.api("POST", "/v1/actions/reschedule-check",
                     {"type": "Service", "filter": flt, "force": True})
        if len(r["results"]) != len(names) or \
                any(x["code"] != 200 for x in r["results"]):
            raise AssertionError("reschedule-check: %r" % r)
        deadline = time.monotonic() + PHASE_TIMEOUT
        while True:
            svcs = self.services()
            late = [n for n in names
                    if not svcs[n]["last_check_result"] or
                    svcs[n]["last_check_result"]["execution_start"] < t0]
            if not late:
                return svcs
            if time.monotonic() > deadline:
                raise AssertionError("not checked again within %d s: %s\n%s"
                                     % (PHASE_TIMEOUT, late, self.logs()))
            time.sleep(0.1)


class IcingaServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("icinga2", "icinga2")
        need("snmpd", "snmpd")
        check_dp_fixture(cls, "dpicinga.", COMMUNITY, V3)
        dpctl(cls.db, "import", DIST_SAMPLE)
        sql(cls.db, ("UPDATE dist SET state_since_ms = ? WHERE state = 6",
                     (int(time.time() * 1000) - DP04_FAILING * 1000,)))
        cls.icinga = Icinga(os.path.join(cls.tmp, "icinga2"),
                            cls.stack.port, cls.dead_port)
        cls.addClassCleanup(cls.icinga.stop)

    def test_1_validate(self):
        r = self.icinga.validate()
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        bad = [line for line in out.splitlines()
               if re.search(r"\] (warning|critical)/", line)]
        self.assertEqual(bad, [], out)
        # The apply rules of the sample: one service per dictionary
        # entry, plus dp-added; every CheckCommand of the ITL and ours.
        self.assertIn("information/ConfigItem: Instantiated %d Services." %
                      (len(STACK_SERVICES) + len(DEAD_SERVICES)), out)
        self.assertIn("information/cli: Finished validating the "
                      "configuration file(s).", out)

    def assert_service(self, name, attrs, want):
        cr = attrs["last_check_result"]
        what = "%s: %s" % (name, json.dumps(cr, indent=1))
        self.assertEqual(STATES[int(attrs["state"])], want, what)
        self.assertEqual(int(cr["exit_status"]), STATES.index(want), what)
        self.assertTrue(cr["output"].startswith("DP %s - " % want), what)
        # The command line: check_dp from PluginDir with exactly the
        # options of the dp_* variables.
        host, svc = name.split("!")
        svars = attrs["vars"] or {}
        cmd = cr["command"]
        self.assertEqual(cmd[0], check_dp_path(), what)
        # --dist (a flag, set_if) exactly when dp_dist is true
        self.assertEqual(cmd.count("--dist"),
                         1 if svars.get("dp_dist") else 0, what)
        cmd = [a for a in cmd if a != "--dist"]
        self.assertEqual(len(cmd) % 2, 1, what)
        self.assertEqual(len(set(cmd[1::2])), len(cmd[1::2]), what)
        self.assertEqual(dict(zip(cmd[1::2], cmd[2::2])),
                         self.expected_args(host, svars), what)
        return cr

    def expected_args(self, host, svars):
        opts = {"-H": "127.0.0.1", "-p": str(self.stack.port), "-t": "5"}
        if host == "dead":  # no dp_community: check_dp's default
            opts.update({"-p": str(self.dead_port), "-t": "2"})
        if host == "dpagent":
            opts["-C"] = COMMUNITY
        if host == "dpagent-v3":
            opts.update({"-P": "3", "-U": "dpmon", "-L": "authPriv",
                         "-a": "SHA-256", "-A": "authpass123", "-x": "AES",
                         "-X": "privpass123"})
        flags = {"dp_server": "-s", "dp_package": "-k", "dp_status": "-S",
                 "dp_warning": "-w", "dp_critical": "-c",
                 "dp_age_warning": "--age-warning",
                 "dp_age_critical": "--age-critical", "dp_max_rows": "-n",
                 "dp_dist_bucket": "--dist-bucket",
                 "dp_dist_age_warning": "--dist-age-warning",
                 "dp_dist_age_critical": "--dist-age-critical"}
        for var, flag in flags.items():
            if var in svars:
                opts[flag] = str(svars[var])
        return opts

    def assert_counts(self, name, attrs):
        """A served scope: the numbers of the model, exactly."""
        cr = attrs["last_check_result"]
        svars = attrs["vars"] or {}
        if svars.get("dp_dist"):
            return self.assert_dist(name, attrs)
        row, meta = self.oracle.scope(svars.get("dp_server"),
                                      svars.get("dp_package"))
        agent = "dp_server" not in svars and "dp_package" not in svars
        got = parse_perf(cr["performance_data"])
        want = expected_perf(row, meta, svars, agent)
        self.assertEqual([g[0] for g in got], [w[0] for w in want], name)
        for g, w in zip(got, want):
            label, value, uom, warn, crit, lo, hi = w
            if label == "import_age":
                age = (time.time() * 1000 - meta["last_import_ms"]) / 1000
                self.assertLessEqual(abs(int(g[1]) - age), 30, (name, g))
                self.assertEqual(g[2:], (uom, warn, crit, lo, hi),
                                 (name, g))
            else:
                self.assertEqual(g, (label, str(value), uom, warn, crit, lo,
                                     hi), name)
        # The status line says the same numbers.
        status = svars.get("dp_status", "deleted")
        self.assertIn("%d %s" % (row["n_" + status], status),
                      cr["output"].split("\n")[0], name)
        return row

    def assert_dist(self, name, attrs):
        """A --dist service: the counts of the model, the oldest row's
        age as of the check, and the rows after the status line."""
        cr = attrs["last_check_result"]
        svars = attrs["vars"]
        bucket = svars.get("dp_dist_bucket", "failed")
        row, meta = self.oracle.scope(svars.get("dp_server"),
                                      svars.get("dp_package"))
        rows = dist_rows(self.db, bucket, svars.get("dp_server"),
                         svars.get("dp_package"))
        checked = int(cr["execution_start"])

        def assert_age(age, since_ms):
            self.assertLessEqual(checked - since_ms // 1000, age, (name, cr))
            self.assertLessEqual(age, checked - since_ms // 1000 + 5,
                                 (name, cr))

        got = parse_perf(cr["performance_data"])
        want = expected_dist_perf(row, svars)
        self.assertEqual([g[0] for g in got], [w[0] for w in want], name)
        for g, w in zip(got, want):
            if w[0] == "oldest_age":
                if rows:
                    assert_age(int(g[1]), rows[0]["state_since_ms"])
                else:
                    self.assertEqual(g[1], "0", (name, g))
                self.assertEqual(g[2:], w[2:], (name, g))
            elif w[0] == "import_age":
                age = (time.time() * 1000 - meta["last_import_ms"]) / 1000
                self.assertLessEqual(abs(int(g[1]) - age), 30, (name, g))
                self.assertEqual(g[2:], w[2:], (name, g))
            else:
                self.assertEqual(g, w, name)
        lines = cr["output"].split("\n")
        self.assertIn("%d %s" % (row["d_" + bucket], bucket), lines[0], name)
        lines = lines[1:]
        if not rows:
            self.assertEqual(lines, [], name)
            return row
        self.assertEqual(lines[0], "%s distributions, oldest first:" %
                         bucket, name)
        self.assertEqual(len(lines), 1 + len(rows), (name, lines))
        for line, x in zip(lines[1:], rows):
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                  time.gmtime(x["state_since_ms"] // 1000))
            m = re.match(re.escape("%s on %s (%s): %s since %s (" % (
                x["package_id"], x["name"], x["site_code"],
                DIST_STATES[x["state"]], since)) + r"(\d+) s\)$", line)
            self.assertIsNotNone(m, (name, line))
            assert_age(int(m.group(1)), x["state_since_ms"])
        return row

    def assert_phase(self, svcs, states):
        got = dict((n, STATES[int(svcs[n]["state"])]) for n in states)
        self.assertEqual(got, states)
        for name, want in states.items():
            self.assert_service(name, svcs[name], want)

    def test_2_states(self):
        r = self.icinga.validate()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.icinga.start()
        svcs = self.icinga.services()
        self.assertEqual(sorted(svcs), sorted(STACK_SERVICES +
                                              DEAD_SERVICES))

        # 1. The sample; the dead port.
        svcs = self.icinga.check_now(STACK_SERVICES + DEAD_SERVICES)
        self.assert_phase(svcs, SAMPLE_STATES)
        for name in SAMPLE_STATES:
            if name != "dpagent!dp-server-DP99.corp.contoso.com":
                self.assert_counts(name, svcs[name])
        row = self.assert_counts("dpagent!dp", svcs["dpagent!dp"])
        self.assertEqual((row["rows"], row["n_deleted"], row["n_added"]),
                         (24, 1, 3))
        cr = svcs["dpagent!dp-server-DP99.corp.contoso.com"][
            "last_check_result"]
        self.assertEqual(cr["output"], "DP UNKNOWN - server "
                         "DP99.corp.contoso.com not found in dpServerTable "
                         "(4 servers)")
        self.assertEqual(cr["performance_data"], [])
        self.assert_service("dead!dp", svcs["dead!dp"], "UNKNOWN")
        self.assertEqual(svcs["dead!dp"]["last_check_result"]["output"],
                         "DP UNKNOWN - timeout: no complete answer from "
                         "127.0.0.1 port %d within 2 s" % self.dead_port)
        # The rows after the status line: DP02's deleted package.
        out = svcs["dpagent!dp-server-DP02.corp.contoso.com"][
            "last_check_result"]["output"]
        self.assertEqual(out.split("\n")[1:], ["deleted rows (1 of 1):",
                                               "PS200003"])
        # --dist: the failed rows, DP04's (two hours old) first.
        self.assertEqual(
            [(x["name"], x["package_id"], x["state"])
             for x in dist_rows(self.db, "failed")],
            [("DP04.corp.contoso.com", "PS100057", 6),
             ("DP02.corp.contoso.com", "PS100034", 3)])
        out = svcs["dpagent!dp-dist"]["last_check_result"]["output"]
        # (Icinga 2 keeps the blank before the performance data's |)
        self.assertRegex(out.split("\n")[0].rstrip(), r"^DP CRITICAL - 24 "
                         r"distributions: 18 installed, 2 inprogress, 1 "
                         r"retrying, 2 failed \(CRITICAL, range 1\), 1 "
                         r"other; oldest failed: \d+ s; last import \d+ s "
                         r"ago$")
        out = svcs["dpagent-v3!dp-dist"]["last_check_result"]["output"]
        self.assertRegex(out.split("\n")[0], r"; oldest failed: \d+ s "
                         r"\(CRITICAL, range 7000\);")

        # 2. An import puts DP01's four rows in none(0) in deleted(3).
        path = os.path.join(self.tmp, "dp01-deleted.json")
        write_import(path, DP01_DELETED)
        dpctl(self.db, "import", path)
        svcs = self.icinga.check_now(STACK_SERVICES)
        self.assert_phase(svcs, IMPORT_STATES)
        for name in IMPORT_STATES:
            if name != "dpagent!dp-server-DP99.corp.contoso.com":
                self.assert_counts(name, svcs[name])
        self.assertEqual(self.oracle.scope()[0]["n_deleted"], 5)
        self.assertEqual(self.oracle.scope("dp01")[0]["n_deleted"], 4)

        # 3. Plain SQL: every deleted row back to none(0).
        sql(self.db, "UPDATE dp SET status = 0 WHERE status = 3")
        svcs = self.icinga.check_now(STACK_SERVICES)
        self.assert_phase(svcs, SQL_STATES)
        for name in SQL_STATES:
            if name != "dpagent!dp-server-DP99.corp.contoso.com":
                self.assert_counts(name, svcs[name])
        self.assertEqual(self.oracle.scope()[0]["n_deleted"], 0)

        # 4. dpagentd stopped: the master answers without the MIB.
        self.stack.stop_agent()
        svcs = self.icinga.check_now(STACK_SERVICES)
        self.assert_phase(svcs, NO_AGENT_STATES)
        for name in NO_AGENT_STATES:
            cr = svcs[name]["last_check_result"]
            self.assertEqual(cr["output"], "DP CRITICAL - 127.0.0.1 does "
                             "not serve DISTRIBUTION-POINT-MIB: is dpagentd "
                             "running and connected to snmpd?", name)
            self.assertEqual(cr["performance_data"], [], name)

        # 5. dpagentd back: the states of the data again.
        self.stack.start_agent()
        svcs = self.icinga.check_now(STACK_SERVICES)
        self.assert_phase(svcs, SQL_STATES)
        for name in SQL_STATES:
            if name != "dpagent!dp-server-DP99.corp.contoso.com":
                self.assert_counts(name, svcs[name])

        # 6. The failed distributions imported as installed(0).
        path = os.path.join(self.tmp, "dist-installed.json")
        write_dist_import(path, DIST_INSTALLED)
        dpctl(self.db, "import", path)
        svcs = self.icinga.check_now(STACK_SERVICES)
        self.assert_phase(svcs, REIMPORT_STATES)
        for name in REIMPORT_STATES:
            if name != "dpagent!dp-server-DP99.corp.contoso.com":
                self.assert_counts(name, svcs[name])
        self.assertEqual(dist_rows(self.db, "failed"), [])

        self.icinga.stop()
        self.assertEqual(self.icinga.proc.returncode, 0, self.icinga.logs())


if __name__ == "__main__":
    unittest.main(verbosity=2)
