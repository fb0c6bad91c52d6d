#!/usr/bin/env python3
"""The monitoring integrations against real programs (issue 6).

check_dp: every mode (agent, -s by name, short name, NAL path, --site,
-k), each threshold form (10, 10:, ~:10, 10:20, @10:20, decimals) on each
Status, the import age, each exit code, SNMPv2c and SNMPv3 (authPriv,
authNoPriv, wrong pass phrase, unknown user), timeouts against a dead
port and a port that never answers (UNKNOWN within -t + 1 s), a master
without dpagentd, a never-imported agent, usage errors; the numbers and
listed rows against the model read with plain SQL, and -vvv traces that
show it never walks dpTable beyond one server's dpStatus column.

check_dp --dist, with the summarizer sample imported too (DP_MODE picks
the agent's mode): each scope and bucket, -w/-c and the age thresholds
(states made old by plain SQL), exit codes, status line, perfdata and
the listed rows oldest first against the model; -vvv traces that show
what of dpDistTable it reads (nothing when nothing failed; the failing
servers' dpDistState, or GETs of a package failing everywhere); a
re-import that clears the failures; and, behind a relay that slows every
request, a whole-agent list that cannot finish in half of -t answering
in time on the rows read (a sure alert, or UNKNOWN).

Zabbix: conf/zabbix/dpagent_template.yaml parsed with python3-yaml:
version-4 UUIDs, every OID resolved with snmptranslate against our MIB
to the object its key names, value maps equal to the MIB's enumerations,
triggers and macros.  The template in a real Zabbix 6.0 server (import,
poller, discovery, triggers, trapper) is test_server_zabbix.py.

Prometheus: Debian's prometheus-snmp-generator builds conf/prometheus/
snmp.yml from generator.yml and our MIB without errors and identical to
the committed file; prometheus-snmp-exporter (loopback, random port,
stopped by PID) scrapes the live stack with the labels and values of the
model.

Nothing is skipped: a missing tool fails its test with what to install.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (PACKAGE_ENTRY, ROOT, ROW_ENTRY, SCALARS,  # noqa: E402
                     SERVER_ENTRY, Stack, dpctl)

SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")
SOURCE = dpstack.SOURCE
TEMPLATE = os.path.join(SOURCE, "conf", "zabbix", "dpagent_template.yaml")
PROM = os.path.join(SOURCE, "conf", "prometheus")
MIBS = os.path.join(SOURCE, "mibs")
BASE_MIBS = os.path.join(dpstack.BUILD, "base-mibs")
V3 = ("createUser dpmon SHA-256 authpass123 AES privpass123\n"
      "rouser dpmon authpriv\n"
      "createUser dpauth SHA authpass123\n"
      "rouser dpauth auth\n")
BUCKETS = ["none", "updated", "added", "deleted", "other"]

# The first line: status, text, perfdata in the guidelines' format.
STATUS_LINE = re.compile(
    r"^DP (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*?)"
    r"(?: \|((?: '[a-z_]+'=(?:-?[0-9.]+[a-zA-Z%]*|U)"
    r"(?:;[^; ]*){0,4})+))?$")
PERF = re.compile(r"'([a-z_]+)'=(-?[0-9.]+|U)([a-zA-Z%]*)((?:;[^; ]*){0,4})")


def slurp(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def need(program, package):
    path = shutil.which(program)
    if path is None:
        raise AssertionError("%s not found: install the Debian package %s "
                             "(scripts/deps.sh)" % (program, package))
    return path


def check_dp_path():
    path = os.environ.get("DP_CHECK_DP") or os.path.join(dpstack.BUILD,
                                                         "check_dp")
    if not os.path.exists(path):
        raise AssertionError("check_dp not built (%s)" % path)
    return os.path.abspath(path)


def make_db(directory, extra=None):
    db = os.path.join(directory, "dp.db")
    dpctl(db, "init")
    dpctl(db, "import", SAMPLE)
    if extra is not None:
        dpctl(db, "import", extra)
    return db


class Oracle:
    """The model, read with plain SQL."""

    def __init__(self, db):
        self.con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        self.con.row_factory = sqlite3.Row

    def meta(self):
        return self.con.execute("SELECT * FROM meta").fetchone()

    def servers(self):
        return self.con.execute("SELECT * FROM server WHERE rows > 0 "
                                "ORDER BY idx").fetchall()

    def server(self, name):
        return self.con.execute("SELECT * FROM server WHERE name = ?",
                                (name,)).fetchone()

    def packages(self):
        return self.con.execute("SELECT * FROM package WHERE rows > 0 "
                                "ORDER BY idx").fetchall()

    def package(self, pid):
        return self.con.execute("SELECT * FROM package WHERE package_id = ?",
                                (pid,)).fetchone()

    def rows_of_server(self, sidx, status):
        return [r[0] for r in self.con.execute(
            "SELECT p.package_id FROM dp d JOIN package p ON "
            "p.idx = d.package_idx WHERE d.server_idx = ? AND d.status = ? "
            "ORDER BY d.package_idx", (sidx, status))]

    def servers_of_package(self, pidx, status):
        return ["%s (%s)" % (r[0], r[1]) for r in self.con.execute(
            "SELECT s.name, s.site_code FROM dp d JOIN server s ON "
            "s.idx = d.server_idx WHERE d.package_idx = ? AND d.status = ? "
            "ORDER BY d.server_idx", (pidx, status))]

    def close(self):
        self.con.close()


def counts(row):
    return [row["rows"]] + [row["n_" + b] for b in BUCKETS]


class Result:
    def __init__(self, proc, elapsed):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed
        lines = proc.stdout.split("\n")
        self.first = lines[0]
        self.lines = [x for x in lines[1:] if x]
        m = STATUS_LINE.match(self.first)
        if m is None:
            raise AssertionError("status line not in the guidelines' "
                                 "format: %r" % self.first)
        self.state, self.text = m.group(1), m.group(2)
        self.perf = {}
        for p in PERF.finditer(m.group(3) or ""):
            # value, UOM, warn, crit, min, max; trailing ones may be absent
            rest = (p.group(4).split(";")[1:] + [""] * 4)[:4]
            self.perf[p.group(1)] = (p.group(2), p.group(3)) + tuple(rest)

    def value(self, label):
        return int(self.perf[label][0])

    def __repr__(self):
        return "exit %d: %s" % (self.code, self.out + self.err)


def run_check(*args, timeout=30):
    start = time.monotonic()
    proc = subprocess.run([check_dp_path()] + list(args),
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc, time.monotonic() - start)


class CheckDp(unittest.TestCase):
    """check_dp against the sample (4 servers x 6 packages)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dpmon.")
        cls.db = make_db(cls.tmp)
        cls.stack = Stack(cls.db, extra_conf=V3)
        cls.stack.start_master()
        cls.stack.start_agent()
        cls.oracle = Oracle(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.oracle.close()
        cls.stack.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, *args, code=None):
        r = run_check("-H", "127.0.0.1", "-p", str(self.stack.port),
                      *args)
        if code is not None:
            self.assertEqual(r.code, code, "%s: %r" % (args, r))
            self.assertEqual(r.state, ["OK", "WARNING", "CRITICAL",
                                       "UNKNOWN"][code], r)
        return r

    def assert_counts(self, r, want):
        self.assertEqual([r.value("rows")] + [r.value(b) for b in BUCKETS],
                         want, r)

    # -- whole agent -------------------------------------------------------

    def test_agent_ok(self):
        r = self.check(code=0)
        m = self.oracle.meta()
        # The sample's exact numbers, and the model's.
        self.assertEqual(r.text.split(";")[0], "4 servers, 6 packages, "
                         "24 rows: 16 none, 4 updated, 3 added, 1 deleted, "
                         "0 other")
        self.assert_counts(r, [24, 16, 4, 3, 1, 0])
        self.assert_counts(r, [m["rows"], m["n_none"], m["n_updated"],
                               m["n_added"], m["n_deleted"], m["n_other"]])
        self.assertEqual(r.value("servers"), 4)
        self.assertEqual(r.value("packages"), 6)
        self.assertEqual(r.value("pending_writes"), 0)
        age = int(r.perf["import_age"][0])
        self.assertEqual(r.perf["import_age"][1], "s")
        self.assertLessEqual(abs(age - (time.time() * 1000 -
                                        m["last_import_ms"]) / 1000), 2)
        self.assertRegex(r.text, r"; last import %d s ago$" % age)
        # min 0 and max = rows for the counts, no thresholds given
        self.assertEqual(r.perf["deleted"], ("1", "", "", "", "0", "24"))
        # the bounded list: servers with deleted rows, most first
        self.assertEqual(r.lines, ["deleted rows by server (1 in all):",
                                   "DP02.corp.contoso.com (PS1): 1"])

    def test_agent_threshold_forms(self):
        # dpRowsDeleted is 1 in the sample.
        cases = [
            (["-w", "0"], 1), (["-w", "1"], 0), (["-c", "0"], 2),
            (["-c", "1"], 0), (["-w", "0", "-c", "5"], 1),
            (["-w", "0", "-c", "0"], 2),
            (["-w", "2:"], 1), (["-w", "1:"], 0),      # N:
            (["-c", "~:0"], 2), (["-c", "~:1"], 0),    # ~:N
            (["-c", "2:5"], 2), (["-c", "0:1"], 0),    # N:M
            (["-c", "@1:5"], 2), (["-c", "@2:5"], 0),  # @N:M
            (["-w", "@0:0"], 0), (["-w", "@1"], 1),    # @N = @0:N
            (["-w", ":0"], 1),                         # :N = 0:N
            (["-w", "0.5"], 1), (["-w", "1.5"], 0),    # decimals
            (["-c", "-1:0"], 2), (["-c", "~:"], 0),    # negative, open
        ]
        for args, code in cases:
            r = self.check(*args, code=code)
            warn = args[args.index("-w") + 1] if "-w" in args else ""
            crit = args[args.index("-c") + 1] if "-c" in args else ""
            # The ranges are echoed in the perfdata of the checked count.
            self.assertEqual(r.perf["deleted"][2:4], (warn, crit), r)
            self.assertEqual(r.perf["none"][2:4], ("", ""), r)
            if code:
                self.assertIn("1 deleted (%s, range %s)" % (
                    r.state, crit if code == 2 else warn), r.text)

    def test_agent_other_status(self):
        # -S picks the count the thresholds apply to: none is 16.
        r = self.check("-S", "none", "-w", "15", "-c", "20", code=1)
        self.assertEqual(r.perf["none"][2:4], ("15", "20"))
        self.assertEqual(r.perf["deleted"][2:4], ("", ""))
        self.check("-S", "none", "-c", "16", code=0)
        self.check("-S", "updated", "-c", "@4", code=2)
        self.check("-S", "added", "-w", "3:3", code=0)
        self.check("-S", "other", "-c", "0", code=0)
        r = self.check("-S", "none", "-n", "2", code=0)
        servers = sorted(self.oracle.servers(),
                         key=lambda s: (-s["n_none"], s["idx"]))
        self.assertEqual(r.lines, ["none rows by server (16 in all):"] + [
            "%s (%s): %d" % (s["name"], s["site_code"], s["n_none"])
            for s in servers[:2]])

    def test_age_thresholds(self):
        self.check("--age-warning", "100000000", code=0)
        r = self.check("--age-warning", "@0:100000000", code=1)
        self.assertRegex(r.text, r"last import \d+ s ago \(WARNING, range "
                         r"@0:100000000\)$")
        self.assertEqual(r.perf["import_age"][2:4], ("@0:100000000", ""))
        self.check("--age-critical", "@0:100000000", "--age-warning",
                   "@0:100000000", code=2)
        # the worse of the two checks wins
        self.check("-w", "0", "--age-critical", "@0:100000000", code=2)
        self.check("-c", "0", "--age-warning", "@0:100000000", code=2)

    # -- one server --------------------------------------------------------

    def test_server_by_name(self):
        srv = self.oracle.server("DP02.corp.contoso.com")
        r = self.check("-s", "DP02.corp.contoso.com", "-c", "0", code=2)
        self.assert_counts(r, counts(srv))
        self.assert_counts(r, [6, 4, 1, 0, 1, 0])
        self.assertTrue(r.text.startswith(
            "server DP02.corp.contoso.com (PS1): 6 rows: 4 none, 1 updated, "
            "0 added, 1 deleted (CRITICAL, range 0), 0 other; last import "),
            r)
        self.assertEqual(r.lines, ["deleted rows (1 of 1):", "PS200003"])
        self.assertEqual(self.oracle.rows_of_server(srv["idx"], 3),
                         ["PS200003"])
        self.assertNotIn("servers", r.perf)  # agent-wide only

    def test_server_short_name_nal_path_case(self):
        srv = self.oracle.server("DP03.branch.contoso.com")
        for arg in ("dp03", "dp03.BRANCH.contoso.com", srv["nal_path"]):
            r = self.check("-s", arg, "-w", "0", code=0)
            self.assertIn("server DP03.branch.contoso.com (PS2): ", r.text)
            self.assert_counts(r, counts(srv))
        self.check("-s", "DP03.branch.contoso.com", "--site", "PS2",
                   code=0)
        r = self.check("-s", "DP03.branch.contoso.com", "--site", "PS1",
                       code=3)
        self.assertIn("not found", r.text)
        r = self.check("-s", "nosuch.corp.contoso.com", code=3)
        self.assertEqual(r.text, "server nosuch.corp.contoso.com not found "
                         "in dpServerTable (4 servers)")
        # a NAL path matches exactly, not by case
        self.check("-s", srv["nal_path"].lower(), code=3)

    def test_server_row_list(self):
        for srv in self.oracle.servers():
            for status, name in enumerate(BUCKETS[:4]):
                want = self.oracle.rows_of_server(srv["idx"], status)
                r = self.check("-s", srv["name"], "-S", name, "-v",
                               code=0)
                self.assertEqual(r.lines[0], "dpServerIndex %d, NAL path %s"
                                 % (srv["idx"], srv["nal_path"]))
                if not want:
                    self.assertEqual(r.lines[1:], [])
                    continue
                self.assertEqual(r.lines[1], "%s rows (%d of %d):" % (
                    name, len(want), len(want)))
                self.assertEqual([x.split(" [")[0] for x in r.lines[2:]],
                                 want)
        # bounded by -n
        srv = self.oracle.server("DP01.corp.contoso.com")
        want = self.oracle.rows_of_server(srv["idx"], 0)
        self.assertEqual(len(want), 4)
        r = self.check("-s", "DP01.corp.contoso.com", "-S", "none", "-n",
                       "2", code=0)
        self.assertEqual(r.lines, ["none rows (first 2 of 4):"] + want[:2])
        r = self.check("-s", "DP01.corp.contoso.com", "-S", "none", "-n",
                       "0", code=0)
        self.assertEqual(r.lines, [])

    # -- one package -------------------------------------------------------

    def test_package(self):
        pkg = self.oracle.package("PS200003")
        r = self.check("-k", "ps200003", "-w", "0", "-v", code=1)
        self.assert_counts(r, counts(pkg))
        self.assert_counts(r, [4, 3, 0, 0, 1, 0])
        self.assertTrue(r.text.startswith("package PS200003: 4 rows: 3 none,"
                                          " 0 updated, 0 added, 1 deleted "
                                          "(WARNING, range 0), 0 other"), r)
        self.assertEqual(r.lines, [
            "dpPackageIndex %d, PackageType 3, ObjectTypeID 23" % pkg["idx"],
            "deleted rows (1 of 1):",
            "DP02.corp.contoso.com (PS1) [dpStatus.%d.%d]" % (
                self.oracle.server("DP02.corp.contoso.com")["idx"],
                pkg["idx"])])
        r = self.check("-k", "PS200003", "-c", "@1", code=2)
        r = self.check("-k", "NOSUCH01", code=3)
        self.assertEqual(r.text, "package NOSUCH01 not found in "
                         "dpPackageTable (6 packages)")

    def test_package_row_list(self):
        for pkg in self.oracle.packages():
            for status, name in enumerate(BUCKETS[:4]):
                want = self.oracle.servers_of_package(pkg["idx"], status)
                r = self.check("-k", pkg["package_id"], "-S", name, code=0)
                self.assert_counts(r, counts(pkg))
                if want:
                    self.assertEqual(r.lines, ["%s rows (%d of %d):" % (
                        name, len(want), len(want))] + want)
                else:
                    self.assertEqual(r.lines, [])
        pkg = self.oracle.package("PS100034")
        want = self.oracle.servers_of_package(pkg["idx"], 0)
        r = self.check("-k", "PS100034", "-S", "none", "-n", "1", code=0)
        self.assertEqual(r.lines, ["none rows (first 1 of %d):" % len(want),
                                   want[0]])

    # -- never a walk of dpTable --------------------------------------------

    def requests(self, r):
        """[(command, [oid...])] of a -vvv trace."""
        out, cur = [], None
        for line in r.err.splitlines():
            if line.startswith("> "):
                cur = (line.split()[1], [])
                out.append(cur)
            elif line.startswith("< "):
                cur = None
            elif cur is not None and line.startswith("  "):
                cur[1].append(re.sub(r"^iso", ".1", line.strip()))
        return out

    def test_bounded_reads(self):
        table = ROW_ENTRY + "."
        srv = self.oracle.server("DP02.corp.contoso.com")
        for args, mode in ((["-s", "DP02.corp.contoso.com", "-S", "none"],
                            "server"),
                           (["-k", "PS100012", "-S", "none"], "package"),
                           ([], "agent")):
            r = self.check("-vvv", *args, code=0)
            reqs = self.requests(r)
            self.assertTrue(reqs, r.err)
            for cmd, oids in reqs:
                for oid in oids:
                    if not oid.startswith(table):
                        continue
                    if cmd == "GETBULK":
                        # only the server's own dpStatus column
                        self.assertEqual(mode, "server", (cmd, oid))
                        self.assertTrue(oid.startswith(
                            "%s.18.%d" % (ROW_ENTRY, srv["idx"])), oid)
                    else:
                        self.assertEqual(cmd, "GET")
                        self.assertNotEqual(mode, "agent")

    # -- SNMPv3 -------------------------------------------------------------

    def test_v3(self):
        v2 = self.check("-w", "0", code=1)
        r = self.check("-P", "3", "-U", "dpmon", "-L", "authPriv", "-a",
                       "SHA-256", "-A", "authpass123", "-x", "AES", "-X",
                       "privpass123", "-w", "0", code=1)
        self.assertEqual(r.text.split("; last import")[0],
                         v2.text.split("; last import")[0])
        self.check("-P", "3", "-U", "dpmon", "-a", "SHA-256", "-A",
                   "authpass123", "-X", "privpass123", "-s", "dp02", code=0)
        self.check("-P", "3", "-U", "dpauth", "-L", "authNoPriv", "-a",
                   "SHA", "-A", "authpass123", "-k", "PS100012", code=0)
        r = self.check("-P", "3", "-U", "dpmon", "-a", "SHA-256", "-A",
                       "wrongpass123", "-X", "privpass123", code=3)
        self.assertIn("Authentication failure", r.text)
        r = self.check("-P", "3", "-U", "nobody", "-A", "authpass123",
                       code=3)
        self.assertIn("Unknown user name", r.text)
        # the view is authPriv only for dpmon
        r = self.check("-P", "3", "-U", "dpmon", "-a", "SHA-256", "-A",
                       "authpass123", "-L", "authNoPriv", code=None)
        self.assertIn(r.code, (2, 3), r)
        r = self.check("-P", "3", "-U", "dpmon", "-a", "SHA-256", "-A",
                       "short", code=3)
        self.assertIn("pass phrase", r.text)
        r = self.check("-P", "3", "-U", "dpmon", "-a", "SHA-999", "-A",
                       "authpass123", code=3)
        self.assertIn("unknown authentication protocol SHA-999", r.text)

    # -- usage --------------------------------------------------------------

    def test_usage(self):
        for args, text in (
                ([], "-H HOST is required"),
                (["-H", "h", "-w", "5:2"], "bad warning range: 5:2"),
                (["-H", "h", "-c", "x"], "bad critical range: x"),
                (["-H", "h", "-c", "@"], "bad critical range: @"),
                (["-H", "h", "-c", "1e"], "bad critical range: 1e"),
                (["-H", "h", "-c", "nan"], "bad critical range: nan"),
                (["-H", "h", "--age-warning", "~"],
                 "bad age warning range: ~"),
                (["-H", "h", "-P", "1"], "bad protocol 1: 2c or 3"),
                (["-H", "h", "-P", "3", "-C", "x", "-U", "u"],
                 "-C is for SNMPv2c, not -P 3"),
                (["-H", "h", "-P", "3"], "-P 3 needs -U USER"),
                (["-H", "h", "-P", "3", "-U", "u", "-L", "authPriv", "-A",
                  "authpass1"], "-L authPriv needs -X"),
                (["-H", "h", "-U", "u"], "-L, -U, -a, -A, -x and -X need "
                 "-P 3"),
                (["-H", "h", "-s", "a", "-k", "b"],
                 "-s and -k exclude each other"),
                (["-H", "h", "--site", "PS1"], "--site needs -s"),
                (["-H", "h", "-t", "0"], "bad timeout 0: 1 to 3600 seconds"),
                (["-H", "h", "-p", "70000"], "bad port: 70000"),
                (["-H", "h", "-S", "gone"], "bad status gone: none, updated,"
                 " added, deleted or other"),
                (["-H", "h", "-n", "1001"], "bad max-rows 1001: 0 to 1000"),
                (["-H", "h", "-q"], "unknown option -q"),
                (["-H", "h", "extra"], "unexpected argument: extra"),
                (["-H"], "option -H needs a value")):
            r = run_check(*args)
            self.assertEqual(r.code, 3, (args, r))
            self.assertEqual(r.first, "DP UNKNOWN - " + text, args)
            self.assertIn("Usage:", r.out)
        for flag in ("-h", "--help"):
            r = subprocess.run([check_dp_path(), flag], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 3)
            self.assertIn("Usage:", r.stdout)
            self.assertIn("--age-critical", r.stdout)
        for flag in ("-V", "--version"):
            r = subprocess.run([check_dp_path(), flag], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 3)
            self.assertRegex(r.stdout, r"^check_dp \S+ \(dpagent\)\n$")


# -- check_dp --dist ----------------------------------------------------------

DIST_SAMPLE = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
DIST_BUCKETS = ["installed", "inprogress", "retrying", "failed", "other"]
DIST_STATES = ["installed", "installPending", "installRetrying",
               "installFailed", "removalPending", "removalRetrying",
               "removalFailed", "contentUpdating", "contentMonitoring"]
DIST_COUNTS = dpstack.DIST_COUNTS  # d_rows, d_installed, ... d_other
DIST_ENTRY = dpstack.DIST_ENTRY


def dist_bucket(state):
    """The bucket of a State, as the MIB's DESCRIPTIONs define them."""
    return {0: "installed", 1: "inprogress", 4: "inprogress",
            7: "inprogress", 2: "retrying", 5: "retrying", 3: "failed",
            6: "failed"}.get(state, "other")


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def write_dist_import(path, states):
    """The rows of the summarizer sample named in states, {(server FQDN,
    PackageID): State}, with those States."""
    with open(DIST_SAMPLE, encoding="utf-8-sig") as f:
        recs = json.load(f)
    out = []
    for (server, pid), state in states.items():
        rec = [r for r in recs if r["PackageID"] == pid and
               r["ServerNALPath"].endswith("\\\\%s\\" % server)]
        if len(rec) != 1:
            raise AssertionError("not in the sample: %s %s" % (server, pid))
        out.append(dict(rec[0], State=state))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)


class DistOracle(Oracle):
    """The distributions of the model, read with plain SQL."""

    def dist_rows(self, bucket, server=None, package=None):
        """The rows of a bucket in check_dp's order: oldest State first
        (by the second), then by server and package index."""
        rows = [r for r in self.con.execute(
            "SELECT d.server_idx, d.package_idx, d.state, "
            "d.state_since_ms, p.package_id, s.name, s.site_code "
            "FROM dist d JOIN server s ON s.idx = d.server_idx "
            "JOIN package p ON p.idx = d.package_idx")
            if dist_bucket(r["state"]) == bucket and
            (server is None or r["name"] == server) and
            (package is None or r["package_id"] == package)]
        rows.sort(key=lambda r: (r["state_since_ms"] // 1000,
                                 r["server_idx"], r["package_idx"]))
        return rows


class CheckDpDist(unittest.TestCase):
    """check_dp --dist against the two samples (4 servers x 6 packages;
    DP02/PS100034 installFailed, DP04/PS100057 removalFailed,
    DP03/PS200003 installRetrying, two in progress, one monitoring), in
    the mode DP_MODE names."""

    # Seconds each row has been in its State, set by plain SQL before
    # every test: DP04's failure is the older one.
    AGES = {("DP02.corp.contoso.com", "PS100034"): 600,
            ("DP04.corp.contoso.com", "PS100057"): 7200,
            ("DP03.branch.contoso.com", "PS200003"): 90000}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dpmon.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.db = make_db(cls.tmp, DIST_SAMPLE)
        cls.stack = Stack(cls.db, extra_conf=V3)
        cls.addClassCleanup(cls.stack.close)
        cls.stack.start_master()
        cls.stack.start_agent()
        cls.oracle = DistOracle(cls.db)
        cls.addClassCleanup(cls.oracle.close)

    def setUp(self):
        self.set_ages(self.AGES)

    def set_ages(self, ages):
        now = int(time.time() * 1000)
        dpstack.sql(self.db, *[(
            "UPDATE dist SET state_since_ms = ? WHERE server_idx = "
            "(SELECT idx FROM server WHERE name = ?) AND package_idx = "
            "(SELECT idx FROM package WHERE package_id = ?)",
            (now - age * 1000, server, pid))
            for (server, pid), age in ages.items()])

    def dist(self, *args, code=None):
        t0 = int(time.time())
        r = run_check("-H", "127.0.0.1", "-p", str(self.stack.port),
                      "--dist", *args)
        r.t0, r.t1 = t0, int(time.time())
        if code is not None:
            self.assertEqual(r.code, code, "%s: %r" % (args, r))
            self.assertEqual(r.state, ["OK", "WARNING", "CRITICAL",
                                       "UNKNOWN"][code], r)
        return r

    def assert_age(self, r, age, since_ms):
        """age: now - since, with now when check_dp ran."""
        since = since_ms // 1000
        self.assertGreaterEqual(age, r.t0 - since, r)
        self.assertLessEqual(age, r.t1 - since, r)

    def assert_text(self, r, scope, row, bucket="failed", verdict="",
                    rows=None, age_verdict=""):
        """The status line: the counts of row (meta, server or package),
        the verdict after the bucket's, the age of the oldest of rows
        (None: not read) and the import's."""
        parts = ["%d %s%s" % (row[c], b, verdict if b == bucket else "")
                 for b, c in zip(DIST_BUCKETS, DIST_COUNTS[1:])]
        text = "%s%d distribution%s: %s" % (
            scope, row["d_rows"], "" if row["d_rows"] == 1 else "s",
            ", ".join(parts))
        pattern = re.escape(text)
        if rows:
            pattern += re.escape("; oldest %s: " % bucket) + r"(\d+)" + \
                re.escape(" s" + age_verdict)
        pattern += r"; last import (\d+) s ago$"
        m = re.match(pattern, r.text)
        self.assertIsNotNone(m, (pattern, r))
        if rows:
            self.assert_age(r, int(m.group(1)), rows[0]["state_since_ms"])

    def assert_perf(self, r, row, bucket="failed", warn="", crit="",
                    rows=None, age_warn="", age_crit=""):
        """Every bucket's count, the thresholds on the checked one, the
        age of the oldest (U: not read; 0 with an empty bucket)."""
        self.assertEqual(list(r.perf), ["rows"] + DIST_BUCKETS +
                         ["oldest_age", "import_age"], r)
        self.assertEqual(r.perf["rows"], (str(row["d_rows"]), "", "", "",
                                          "0", ""))
        for b, c in zip(DIST_BUCKETS, DIST_COUNTS[1:]):
            self.assertEqual(r.perf[b], (
                str(row[c]), "", warn if b == bucket else "",
                crit if b == bucket else "", "0", str(row["d_rows"])), r)
        oldest = r.perf["oldest_age"]
        if rows is None:
            self.assertEqual(oldest, ("U", "", age_warn, age_crit, "0", ""))
        elif not rows:
            self.assertEqual(oldest, ("0", "s", age_warn, age_crit, "0",
                                      ""))
        else:
            self.assertEqual(oldest[1:], ("s", age_warn, age_crit, "0", ""))
            self.assert_age(r, int(oldest[0]), rows[0]["state_since_ms"])
        self.assertEqual(r.perf["import_age"][1:], ("s", "", "", "0", ""))

    def assert_lines(self, r, rows, bucket="failed", n=10, verbose=False,
                     skip=0, header=None, more=None):
        """The rows after the status line (after skip lines): the header,
        the rows oldest first, at most n, then how many more (more: that
        number; by default the rows not shown)."""
        lines = r.lines[skip:]
        if not rows:
            self.assertEqual(lines, [], r)
            return
        self.assertEqual(lines[0], header or "%s distributions, oldest "
                         "first:" % bucket, r)
        shown = rows[:n]
        if more is None:
            more = len(rows) - len(shown)
        self.assertEqual(len(lines), 1 + len(shown) + (more > 0), r)
        for line, x in zip(lines[1:], shown):
            pattern = re.escape("%s on %s (%s): %s since %s (" % (
                x["package_id"], x["name"], x["site_code"],
                DIST_STATES[x["state"]], iso(x["state_since_ms"]))) + \
                r"(\d+) s\)"
            if verbose:
                pattern += re.escape(" [dpDistState.%d.%d]" % (
                    x["server_idx"], x["package_idx"]))
            m = re.match(pattern + "$", line)
            self.assertIsNotNone(m, (pattern, line))
            self.assert_age(r, int(m.group(1)), x["state_since_ms"])
        if more > 0:
            self.assertEqual(lines[-1], "... and %d more" % more)

    # -- whole agent ---------------------------------------------------------

    def test_agent(self):
        m = self.oracle.meta()
        self.assertEqual([m[c] for c in DIST_COUNTS], [24, 18, 2, 1, 2, 1])
        rows = self.oracle.dist_rows("failed")
        self.assertEqual([(x["name"], x["package_id"],
                           DIST_STATES[x["state"]]) for x in rows],
                         [("DP04.corp.contoso.com", "PS100057",
                           "removalFailed"),
                          ("DP02.corp.contoso.com", "PS100034",
                           "installFailed")])
        r = self.dist(code=0)  # no threshold: reported, not judged
        self.assert_text(r, "", m, rows=rows)
        self.assert_perf(r, m, rows=rows)
        self.assert_lines(r, rows)
        self.assertGreaterEqual(int(r.perf["oldest_age"][0]), 7200)
        # -v: the instance of each row
        self.assert_lines(self.dist("-v", code=0), rows, verbose=True)
        # DP02's failure made the older one: the order follows
        self.set_ages({("DP02.corp.contoso.com", "PS100034"): 9000})
        rows = self.oracle.dist_rows("failed")
        self.assertEqual([x["package_id"] for x in rows],
                         ["PS100034", "PS100057"])
        r = self.dist(code=0)
        self.assert_lines(r, rows)
        self.assert_perf(r, m, rows=rows)
        self.assertGreaterEqual(int(r.perf["oldest_age"][0]), 9000)

    def test_thresholds(self):
        m = self.oracle.meta()  # dpDistFailed is 2
        rows = self.oracle.dist_rows("failed")
        for args, code in ((["-w", "0"], 1), (["-w", "2"], 0),
                           (["-c", "1"], 2), (["-c", "2"], 0),
                           (["-w", "1", "-c", "5"], 1),
                           (["-w", "0", "-c", "1"], 2),
                           (["-c", "@2:5"], 2), (["-w", "3:"], 1),
                           (["-c", "~:1.5"], 2), (["-c", "~:"], 0)):
            r = self.dist(*args, code=code)
            warn = args[args.index("-w") + 1] if "-w" in args else ""
            crit = args[args.index("-c") + 1] if "-c" in args else ""
            verdict = "" if code == 0 else " (%s, range %s)" % (
                r.state, crit if code == 2 else warn)
            self.assert_text(r, "", m, verdict=verdict, rows=rows)
            self.assert_perf(r, m, warn=warn, crit=crit, rows=rows)
            self.assert_lines(r, rows)

    def test_other_buckets(self):
        m = self.oracle.meta()
        for bucket in ("retrying", "inprogress", "other"):
            rows = self.oracle.dist_rows(bucket)
            self.assertEqual(len(rows), m["d_" + bucket])
            r = self.dist("--dist-bucket", bucket, "-w", "0", code=1)
            self.assert_text(r, "", m, bucket=bucket,
                             verdict=" (WARNING, range 0)", rows=rows)
            self.assert_perf(r, m, bucket=bucket, warn="0", rows=rows)
            self.assert_lines(r, rows, bucket=bucket)
        rows = self.oracle.dist_rows("retrying")
        self.assertEqual([(x["name"], x["package_id"], x["state"])
                          for x in rows],
                         [("DP03.branch.contoso.com", "PS200003", 2)])
        r = self.dist("--dist-bucket", "retrying", "-c", "0", "-w", "5",
                      code=2)
        self.assert_perf(r, m, bucket="retrying", warn="5", crit="0",
                         rows=rows)
        self.assertGreaterEqual(int(r.perf["oldest_age"][0]), 90000)
        # the failed ones are counted, not judged, then
        self.dist("--dist-bucket", "retrying", "-c", "1", code=0)

    def test_max_rows(self):
        m = self.oracle.meta()
        rows = self.oracle.dist_rows("inprogress")
        self.assertEqual(len(rows), 2)
        r = self.dist("--dist-bucket", "inprogress", "-n", "1", code=0)
        self.assert_lines(r, rows, bucket="inprogress", n=1)
        self.assertEqual(r.lines[-1], "... and 1 more")
        # -n 0 and no age threshold: the counts only, no age read
        r = self.dist("-n", "0", "-c", "0", code=2)
        self.assertEqual(r.lines, [])
        self.assert_text(r, "", m, verdict=" (CRITICAL, range 0)")
        self.assert_perf(r, m, crit="0")

    def test_age_thresholds(self):
        m = self.oracle.meta()
        failed = self.oracle.dist_rows("failed")      # oldest: 7200 s
        retrying = self.oracle.dist_rows("retrying")  # 90000 s
        for args, code, rows, bucket in (
                (["--dist-age-warning", "3600"], 1, failed, "failed"),
                (["--dist-age-critical", "3600"], 2, failed, "failed"),
                (["--dist-age-warning", "3600", "--dist-age-critical",
                  "7000"], 2, failed, "failed"),
                (["--dist-age-warning", "10000", "--dist-age-critical",
                  "20000"], 0, failed, "failed"),
                (["--dist-age-critical", "@0:3600"], 0, failed, "failed"),
                (["--dist-bucket", "retrying", "--dist-age-critical",
                  "86400"], 2, retrying, "retrying"),
                (["--dist-bucket", "retrying", "--dist-age-critical",
                  "100000"], 0, retrying, "retrying")):
            r = self.dist(*args, code=code)
            aw = args[args.index("--dist-age-warning") + 1] \
                if "--dist-age-warning" in args else ""
            ac = args[args.index("--dist-age-critical") + 1] \
                if "--dist-age-critical" in args else ""
            verdict = "" if code == 0 else " (%s, range %s)" % (
                r.state, ac if code == 2 else aw)
            self.assert_text(r, "", m, bucket=bucket, rows=rows,
                             age_verdict=verdict)
            self.assert_perf(r, m, bucket=bucket, rows=rows, age_warn=aw,
                             age_crit=ac)
        # An age threshold reads the rows even with -n 0.
        r = self.dist("-n", "0", "--dist-age-critical", "3600", code=2)
        self.assertEqual(r.lines, [])
        self.assert_perf(r, m, rows=failed, age_crit="3600")
        # The worse of count and age wins.
        self.dist("-c", "0", "--dist-age-warning", "3600", code=2)
        self.dist("-w", "5", "--dist-age-critical", "3600", code=2)
        self.dist("-w", "0", "--dist-age-warning", "3600", code=1)
        # One server's, one package's oldest.
        self.dist("-s", "dp02", "--dist-age-warning", "3600", code=0)
        r = self.dist("-s", "dp02", "--dist-age-warning", "300", code=1)
        self.assertRegex(r.text, r"; oldest failed: \d+ s \(WARNING, range "
                         r"300\);")
        self.dist("-k", "PS100057", "--dist-age-critical", "3600", code=2)
        self.dist("-k", "PS100034", "--dist-age-critical", "3600", code=0)
        # An empty bucket's age is 0 and not judged.
        r = self.dist("-s", "dp01", "--dist-age-critical", "@0:", code=0)
        srv = self.oracle.server("DP01.corp.contoso.com")
        self.assert_perf(r, srv, rows=[], age_crit="@0:")
        self.assertNotIn("oldest", r.text)

    # -- one server, one package ---------------------------------------------

    def test_server(self):
        srv = self.oracle.server("DP02.corp.contoso.com")
        self.assertEqual([srv[c] for c in DIST_COUNTS], [6, 5, 0, 0, 1, 0])
        rows = self.oracle.dist_rows("failed", server=srv["name"])
        r = self.dist("-s", "dp02", "-c", "0", code=2)
        self.assertTrue(r.text.startswith(
            "server DP02.corp.contoso.com (PS1): 6 distributions: 5 "
            "installed, 0 inprogress, 0 retrying, 1 failed (CRITICAL, range "
            "0), 0 other; oldest failed: "), r)
        self.assert_text(r, "server DP02.corp.contoso.com (PS1): ", srv,
                         verdict=" (CRITICAL, range 0)", rows=rows)
        self.assert_perf(r, srv, crit="0", rows=rows)
        self.assert_lines(r, rows)
        self.assertEqual([x["package_id"] for x in rows], ["PS100034"])
        # Every server, every bucket, by name, with -v.
        for srv in self.oracle.servers():
            for bucket in DIST_BUCKETS[1:]:
                rows = self.oracle.dist_rows(bucket, server=srv["name"])
                r = self.dist("-s", srv["name"], "--dist-bucket", bucket,
                              "-v", code=0)
                self.assertEqual(r.lines[0], "dpServerIndex %d, NAL path %s"
                                 % (srv["idx"], srv["nal_path"]))
                self.assert_text(r, "server %s (%s): " % (
                    srv["name"], srv["site_code"]), srv, bucket=bucket,
                    rows=rows)
                self.assert_perf(r, srv, bucket=bucket, rows=rows)
                self.assert_lines(r, rows, bucket=bucket, verbose=True,
                                  skip=1)
        # A server without failures; one not in the tables.
        srv = self.oracle.server("DP01.corp.contoso.com")
        r = self.dist("-s", "DP01.corp.contoso.com", "-c", "0", code=0)
        self.assert_perf(r, srv, crit="0", rows=[])
        self.assertEqual(r.lines, [])
        r = self.dist("-s", "nosuch.corp.contoso.com", "-c", "0", code=3)
        self.assertEqual(r.text, "server nosuch.corp.contoso.com not found "
                         "in dpServerTable (4 servers)")
        self.assertEqual(r.perf, {})

    def test_package(self):
        pkg = self.oracle.package("PS100057")
        self.assertEqual([pkg[c] for c in DIST_COUNTS], [4, 2, 0, 0, 1, 1])
        rows = self.oracle.dist_rows("failed", package="PS100057")
        r = self.dist("-k", "ps100057", "-w", "0", code=1)
        self.assert_text(r, "package PS100057: ", pkg,
                         verdict=" (WARNING, range 0)", rows=rows)
        self.assert_perf(r, pkg, warn="0", rows=rows)
        self.assert_lines(r, rows)
        self.assertEqual([(x["name"], x["state"]) for x in rows],
                         [("DP04.corp.contoso.com", 6)])
        for pkg in self.oracle.packages():
            for bucket in DIST_BUCKETS[1:]:
                rows = self.oracle.dist_rows(bucket,
                                             package=pkg["package_id"])
                r = self.dist("-k", pkg["package_id"], "--dist-bucket",
                              bucket, "-v", code=0)
                self.assertEqual(r.lines[0], "dpPackageIndex %d" %
                                 pkg["idx"])
                self.assert_text(r, "package %s: " % pkg["package_id"],
                                 pkg, bucket=bucket, rows=rows)
                self.assert_perf(r, pkg, bucket=bucket, rows=rows)
                self.assert_lines(r, rows, bucket=bucket, verbose=True,
                                  skip=1)
        r = self.dist("-k", "NOSUCH01", code=3)
        self.assertEqual(r.text, "package NOSUCH01 not found in "
                         "dpPackageTable (6 packages)")

    def test_v3(self):
        v2 = self.dist("-c", "0", code=2)
        r = self.dist("-P", "3", "-U", "dpmon", "-L", "authPriv", "-a",
                      "SHA-256", "-A", "authpass123", "-x", "AES", "-X",
                      "privpass123", "-c", "0", code=2)
        self.assertEqual(re.sub(r"\d+ s", "N s", r.text),
                         re.sub(r"\d+ s", "N s", v2.text))
        self.assertEqual(len(r.lines), 3)

    def test_default_unchanged(self):
        # Without --dist: dpTable's Status, exactly as before.
        r = run_check("-H", "127.0.0.1", "-p", str(self.stack.port), "-w",
                      "0")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.text.split(";")[0], "4 servers, 6 packages, "
                         "24 rows: 16 none, 4 updated, 3 added, 1 deleted "
                         "(WARNING, range 0), 0 other")
        self.assertEqual(list(r.perf), ["servers", "packages", "rows"] +
                         BUCKETS + ["import_age", "pending_writes"])
        self.assertEqual(r.lines, ["deleted rows by server (1 in all):",
                                   "DP02.corp.contoso.com (PS1): 1"])

    # -- what it reads ---------------------------------------------------------

    requests = CheckDp.requests

    def assert_reads(self, r, bulk=(), gets=()):
        """Of dpDistTable, the GETBULKs start only under the prefixes of
        bulk and the GETs are only of the instances of gets."""
        reqs = self.requests(r)
        self.assertTrue(reqs, r.err)
        table = DIST_ENTRY + "."
        for cmd, oids in reqs:
            for oid in oids:
                if not oid.startswith(table):
                    continue
                if cmd == "GETBULK":
                    self.assertTrue([p for p in bulk if oid == p or
                                     oid.startswith(p + ".")], (cmd, oid))
                else:
                    self.assertEqual(cmd, "GET", oid)
                    self.assertIn(oid, gets)
        return reqs

    def test_bounded_reads(self):
        failed = self.oracle.dist_rows("failed")
        inst = [".%d.%d" % (x["server_idx"], x["package_idx"])
                for x in failed]
        row_gets = [DIST_ENTRY + ".%d%s" % (c, i) for c in (1, 9)
                    for i in inst]
        # Whole agent: the servers that have failures, their rows only.
        srvs = sorted(set(x["server_idx"] for x in failed))
        self.assertEqual(len(srvs), 2)
        r = self.dist("-vvv", code=0)
        self.assert_reads(r, bulk=["%s.4.%d" % (DIST_ENTRY, s)
                                   for s in srvs], gets=row_gets)
        # -n 0: two GETs, the scalars (nothing of the tables).
        r = self.dist("-vvv", "-n", "0", code=0)
        reqs = self.assert_reads(r)
        self.assertEqual([c for c, _ in reqs], ["GET", "GET"])
        for _, oids in reqs:
            for oid in oids:
                self.assertTrue(oid.startswith(SCALARS + "."), oid)
        # -s: that server's dpDistState; -k: a GET per failing server.
        r = self.dist("-vvv", "-s", "dp02", code=0)
        srv = self.oracle.server("DP02.corp.contoso.com")["idx"]
        self.assert_reads(r, bulk=["%s.4.%d" % (DIST_ENTRY, srv)],
                          gets=[DIST_ENTRY + ".%d.%d.%d" % (
                              c, srv, x["package_idx"]) for c in (1, 9)
                              for x in failed if x["server_idx"] == srv])
        pkg = self.oracle.package("PS100057")["idx"]
        r = self.dist("-vvv", "-k", "PS100057", code=0)
        self.assert_reads(r, gets=[DIST_ENTRY + ".%d.%d.%d" % (c, s, pkg)
                                   for c in (4, 9) for s in srvs])

    def test_package_failing_everywhere(self):
        # PS100012 failed on every server: a GET per (failing package,
        # failing server) costs less than the servers' walks.
        pid = self.oracle.package("PS100012")["idx"]
        dpstack.sql(self.db, ("UPDATE dist SET state = 3 WHERE "
                              "package_idx = ?", (pid,)))
        try:
            time.sleep(0.3)  # past the agent's read-ahead
            m = self.oracle.meta()
            rows = self.oracle.dist_rows("failed")
            self.assertEqual(len(rows), m["d_failed"])
            self.assertEqual(len(rows), 6)
            r = self.dist("-vvv", "-c", "5", code=2)
            self.assert_text(r, "", m, verdict=" (CRITICAL, range 5)",
                             rows=rows)
            self.assert_perf(r, m, crit="5", rows=rows)
            self.assert_lines(r, rows, verbose=True)  # -vvv has -v
            srvs = sorted(set(x["server_idx"] for x in rows))
            pkgs = sorted(set(x["package_idx"] for x in rows))
            self.assertEqual((len(srvs), len(pkgs)), (4, 3))
            self.assert_reads(r, gets=[
                DIST_ENTRY + ".4.%d.%d" % (s, p) for s in srvs
                for p in pkgs] + [DIST_ENTRY + ".%d.%d.%d" % (
                    c, x["server_idx"], x["package_idx"]) for c in (1, 9)
                    for x in rows])
        finally:
            dpstack.sql(self.db, ("UPDATE dist SET state = 0 WHERE "
                                  "package_idx = ?", (pid,)))
            time.sleep(0.3)

    # -- a re-import that clears the failures -----------------------------------

    def test_reimport_clears(self):
        path = os.path.join(self.tmp, "installed.json")
        write_dist_import(path, {("DP02.corp.contoso.com", "PS100034"): 0,
                                 ("DP04.corp.contoso.com", "PS100057"): 0})
        try:
            dpctl(self.db, "import", path)
            time.sleep(0.3)  # past the agent's read-ahead
            m = self.oracle.meta()
            self.assertEqual([m[c] for c in DIST_COUNTS],
                             [24, 20, 2, 1, 0, 1])
            self.assertEqual(self.oracle.dist_rows("failed"), [])
            r = self.dist("-vvv", "-c", "0", "--dist-age-critical", "1",
                          code=0)
            self.assert_text(r, "", m, rows=[])
            self.assert_perf(r, m, crit="0", rows=[], age_crit="1")
            self.assertEqual(r.lines, [])
            # nothing failed: not a single read of the tables
            for _, oids in self.requests(r):
                for oid in oids:
                    self.assertTrue(oid.startswith(SCALARS + "."), oid)
            self.dist("-s", "dp02", "-c", "0", code=0)
            self.dist("-k", "PS100057", "-c", "0", code=0)
            self.dist("--dist-bucket", "retrying", "-w", "0", code=1)
        finally:
            dpctl(self.db, "import", DIST_SAMPLE)
            time.sleep(0.3)
        # Failed again, since the import.
        r = self.dist("-c", "0", code=2)
        self.assertEqual(self.oracle.meta()["d_failed"], 2)
        self.assertLessEqual(int(r.perf["oldest_age"][0]), 30)

    def test_usage(self):
        for args, text in (
                (["--dist-bucket", "failed"], "--dist-bucket, "
                 "--dist-age-warning and --dist-age-critical need --dist"),
                (["--dist-age-warning", "5"], "--dist-bucket, "
                 "--dist-age-warning and --dist-age-critical need --dist"),
                (["--dist-age-critical", "5", "-s", "dp01"], "--dist-bucket, "
                 "--dist-age-warning and --dist-age-critical need --dist"),
                (["--dist", "-S", "none"], "-S is for dpTable's Status; "
                 "with --dist, --dist-bucket picks the bucket"),
                (["--dist", "--dist-bucket", "installed"], "bad "
                 "distribution bucket installed: failed, retrying, "
                 "inprogress or other"),
                (["--dist", "--dist-age-warning", "x"],
                 "bad distribution age warning range: x"),
                (["--dist", "--dist-age-critical", "5:1"],
                 "bad distribution age critical range: 5:1"),
                (["--dist", "-s", "a", "-k", "b"],
                 "-s and -k exclude each other")):
            r = run_check("-H", "h", *args)
            self.assertEqual(r.code, 3, (args, r))
            self.assertEqual(r.first, "DP UNKNOWN - " + text, args)
            self.assertIn("Usage:", r.out)
        r = run_check("-H", "h", "--dist", "--dist-bucket")
        self.assertEqual(r.code, 3, r)
        self.assertTrue(r.first.endswith(" needs a value"), r)
        r = subprocess.run([check_dp_path(), "--help"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 3)
        for opt in ("--dist\n", "--dist-bucket=failed|retrying|inprogress|"
                    "other", "--dist-age-warning=", "--dist-age-critical="):
            self.assertIn(opt, r.stdout)


class SlowRelay:
    """A UDP relay on 127.0.0.1 that holds each request delay seconds
    before it passes it on to 127.0.0.1:port, and passes the answers
    back: an agent with a slow network, for a client that sends one
    request at a time (check_dp).  A thread of this process."""

    def __init__(self, port, delay):
        import select
        import threading
        self.select = select.select
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.connect(("127.0.0.1", port))
        self.delay = delay
        self.done = False
        self.client = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            ready = self.select([self.front, self.back], [], [], 0.05)[0]
            for s in ready:
                if s is self.front:
                    data, self.client = s.recvfrom(65535)
                    time.sleep(self.delay)
                    self.back.send(data)
                else:
                    data = s.recv(65535)
                    if self.client is not None:
                        self.front.sendto(data, self.client)

    def close(self):
        self.done = True
        self.thread.join()
        self.front.close()
        self.back.close()


class CheckDpDistBudget(unittest.TestCase):
    """--dist on an agent where listing the whole agent's failures needs
    more round trips than 40 % of -t allows: 100 servers, each with one
    failed distribution of its own package (so one walk per server is the
    cheaper way), behind a relay that holds each request 20 ms: 2 s of
    walks, -t 2.  The answer comes within -t, on the rows read, and says
    so."""

    SERVERS = 100
    TIMEOUT = "2"

    @classmethod
    def export(cls, path):
        with open(DIST_SAMPLE, encoding="utf-8-sig") as f:
            base = json.load(f)[0]
        recs = []
        for i in range(1, cls.SERVERS + 1):
            host = "DPB%03d.corp.contoso.com" % i
            nal = '["Display=\\\\%s\\"]MSWNET:["SMS_SITE=PS1"]\\\\%s\\' % (
                host, host)
            for pid, state in (("PB000000", 0), ("PB%06d" % i, 3)):
                recs.append(dict(base, PackageID=pid, SecureObjectID=pid,
                                 ServerNALPath=nal, SiteCode="PS1",
                                 State=state))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(recs, f)

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dpmon.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.db = os.path.join(cls.tmp, "dp.db")
        path = os.path.join(cls.tmp, "budget.json")
        cls.export(path)
        dpctl(cls.db, "init")
        dpctl(cls.db, "import", path)
        # server i's failure is 100 + 10 i seconds old: the oldest are
        # on the servers walked last
        now = int(time.time() * 1000)
        dpstack.sql(cls.db, ("UPDATE dist SET state_since_ms = ? - "
                             "(100 + 10 * server_idx) * 1000 WHERE "
                             "state = 3", (now,)))
        cls.stack = Stack(cls.db)
        cls.addClassCleanup(cls.stack.close)
        cls.stack.start_master()
        cls.stack.start_agent()
        cls.relay = SlowRelay(cls.stack.port, 0.02)
        cls.addClassCleanup(cls.relay.close)
        cls.oracle = DistOracle(cls.db)
        cls.addClassCleanup(cls.oracle.close)

    def run_dist(self, port, *args):
        t0 = int(time.time())
        r = run_check("-H", "127.0.0.1", "-p", str(port), "--dist", *args)
        r.t0, r.t1 = t0, int(time.time())
        return r

    assert_age = CheckDpDist.assert_age

    def test_complete(self):
        # Straight to the agent, 10 s: every row, exactly.
        rows = self.oracle.dist_rows("failed")
        self.assertEqual(len(rows), self.SERVERS)
        self.assertEqual(rows[0]["name"], "DPB100.corp.contoso.com")
        r = self.run_dist(self.stack.port, "-t", "10")
        self.assertEqual(r.code, 0, r)
        m = re.match(r"^200 distributions: 100 installed, 0 inprogress, 0 "
                     r"retrying, 100 failed, 0 other; oldest failed: (\d+) "
                     r"s; last import \d+ s ago$", r.text)
        self.assertIsNotNone(m, r)
        self.assert_age(r, int(m.group(1)), rows[0]["state_since_ms"])
        CheckDpDist.assert_lines(self, r, rows)
        self.assertEqual(r.lines[-1], "... and 90 more")

    def partial(self, *args, code, code_none=3):
        """A check through the relay with -t 2: state, the number of rows
        read, the listed rows of those and the lower bound, checked.  A
        machine so loaded that not one row was read in time (the budget
        spent on the counts and dpServerTable) gives code_none instead of
        code: a lower bound of 0 decides no age threshold."""
        r = self.run_dist(self.relay.port, "-t", self.TIMEOUT, *args)
        self.assertLess(r.elapsed, 2.5, r)
        m = re.match(r"^200 distributions: 100 installed, 0 inprogress, 0 "
                     r"retrying, 100 failed(?: \([A-Z]+, range [^)]*\))?, 0 "
                     r"other; oldest failed: at least (\d+) s \((\d+) of "
                     r"100 read in time\)( \([^)]*\))?; last import \d+ s "
                     r"ago$", r.text)
        self.assertIsNotNone(m, r)
        n = int(m.group(2))
        self.assertEqual(r.code, code if n else code_none, r)
        self.assertLess(n, self.SERVERS, r)
        self.assertEqual(r.perf["oldest_age"][:2], ("U", ""))
        self.assertEqual(r.perf["failed"][0], "100")
        if n == 0:
            self.assertEqual((int(m.group(1)), r.lines), (0, []), r)
            return r, m.group(3) or ""
        # The rows read are those of the first n servers walked.
        rows = self.oracle.dist_rows("failed")
        read = sorted(rows, key=lambda x: x["server_idx"])[:n]
        read.sort(key=lambda x: (x["state_since_ms"] // 1000,
                                 x["server_idx"], x["package_idx"]))
        self.assert_age(r, int(m.group(1)), read[0]["state_since_ms"])
        self.assertLess(int(m.group(1)),
                        (r.t1 * 1000 - rows[0]["state_since_ms"]) / 1000)
        shown = min(n, 10)
        CheckDpDist.assert_lines(
            self, r, read, header="failed distributions, oldest first of "
            "the %d of 100 read in time:" % n, more=self.SERVERS - shown)
        self.assertEqual(len(r.lines), 2 + shown)
        return r, m.group(3) or ""

    def test_partial(self):
        self.partial(code=0, code_none=0)
        # An age an alert is sure of: every failure is over 100 s old.
        undecided = " (UNKNOWN: not every row read)"
        r, verdict = self.partial("--dist-age-critical", "50", code=2)
        self.assertEqual(verdict, " (CRITICAL, range 50)" if r.code == 2
                         else undecided)
        r, verdict = self.partial("--dist-age-critical", "@0:50", code=0)
        self.assertEqual(verdict, "" if r.code == 0 else undecided)
        # One the rows not read could cross: UNKNOWN, unless CRITICAL.
        for args in (["--dist-age-critical", "1000000"],
                     ["--dist-age-warning", "50", "--dist-age-critical",
                      "1000000"]):
            r, verdict = self.partial(*args, code=3)
            self.assertEqual(verdict, " (UNKNOWN: not every row read)")
        self.partial("-c", "0", "--dist-age-critical", "1000000", code=2,
                     code_none=2)

    def test_one_server_and_package_within_budget(self):
        # -s and -k read as much as the numbers of servers and packages
        # say, not the rows: through the relay, -t 2, complete.
        for args, pid in ((["-s", "DPB100.corp.contoso.com"], "PB000100"),
                          (["-k", "PB000100"], "PB000100")):
            r = self.run_dist(self.relay.port, "-t", self.TIMEOUT, *args)
            self.assertEqual(r.code, 0, r)
            self.assertNotIn("read in time", r.text)
            rows = self.oracle.dist_rows("failed", package=pid)
            CheckDpDist.assert_lines(self, r, rows)
            self.assertEqual(len(rows), 1)


class CheckDpFailures(unittest.TestCase):
    """Timeouts, a master without dpagentd, an agent never imported."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dpmon.")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_timeout(self, port, t, *extra):
        r = run_check("-H", "127.0.0.1", "-p", str(port), "-t", str(t),
                      *extra)
        self.assertEqual(r.code, 3, r)
        self.assertEqual(r.state, "UNKNOWN")
        self.assertIn("timeout", r.text)
        self.assertIn("within %d s" % t, r.text)
        self.assertLessEqual(r.elapsed, t + 1, r)
        self.assertGreaterEqual(r.elapsed, t * 0.9 if t < 2 else t - 1, r)

    def test_timeout_dead_port(self):
        port = dpstack.free_udp_port()  # nothing listens there
        for t in (1, 3):
            self.assert_timeout(port, t)
        self.assert_timeout(port, 2, "-s", "dp01")
        self.assert_timeout(port, 1, "--dist", "-k", "PS100012")
        self.assert_timeout(port, 2, "-P", "3", "-U", "u", "-A",
                            "authpass123")

    def test_timeout_silent_port(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))  # receives, never answers
        try:
            self.assert_timeout(s.getsockname()[1], 2)
            self.assert_timeout(s.getsockname()[1], 1, "-k", "PS100012")
        finally:
            s.close()

    def test_master_without_agent(self):
        db = make_db(self.tmp)
        with Stack(db) as stack:
            stack.start_master()
            for args in ([], ["-s", "dp01"], ["-k", "PS100012"],
                         ["--dist"], ["--dist", "-s", "dp01"],
                         ["--dist", "-k", "PS100012"]):
                r = run_check("-H", "127.0.0.1", "-p", str(stack.port),
                              *args)
                self.assertEqual(r.code, 2, r)
                self.assertEqual(r.text, "127.0.0.1 does not serve "
                                 "DISTRIBUTION-POINT-MIB: is dpagentd running"
                                 " and connected to snmpd?")
            r = run_check("-H", "127.0.0.1", "-p", str(stack.port), "-C",
                          "wrong", "-t", "1")
            self.assertEqual(r.code, 3, r)  # snmpd drops it: a timeout
            self.assertIn("timeout", r.text)

    def test_never_imported(self):
        db = os.path.join(self.tmp, "empty.db")
        dpctl(db, "init")
        with Stack(db) as stack:
            stack.start_master()
            stack.start_agent()
            r = run_check("-H", "127.0.0.1", "-p", str(stack.port))
            self.assertEqual(r.code, 2, r)
            self.assertTrue(r.text.endswith("; CRITICAL: no import has ever "
                                            "completed"), r)
            self.assertEqual(r.perf["import_age"][0], "U")
            for args in (["-s", "dp01"], ["-k", "PS100012"],
                         ["--dist", "-s", "dp01"]):
                r = run_check("-H", "127.0.0.1", "-p", str(stack.port),
                              "--age-warning", "0:", *args)
                self.assertEqual(r.code, 2, r)
                self.assertIn("no import has ever completed", r.text)
            r = run_check("-H", "127.0.0.1", "-p", str(stack.port),
                          "--dist", "--dist-age-critical", "0")
            self.assertEqual(r.code, 2, r)
            self.assertEqual(r.text, "0 distributions: 0 installed, 0 "
                             "inprogress, 0 retrying, 0 failed, 0 other; "
                             "CRITICAL: no import has ever completed")
            self.assertEqual(r.perf["oldest_age"], ("0", "s", "", "0", "0",
                                                    ""))
            self.assertEqual(r.perf["import_age"][0], "U")

    def test_ambiguous_server(self):
        # The same NAL path in a second site: two rows of dpServerTable.
        with open(SAMPLE, encoding="utf-8") as f:
            rec = json.load(f)[0]
        rec["SiteCode"] = "PS2"
        extra = os.path.join(self.tmp, "second-site.json")
        with open(extra, "w", encoding="utf-8") as f:
            json.dump([rec], f)
        db = make_db(self.tmp, extra)
        with Stack(db) as stack:
            stack.start_master()
            stack.start_agent()
            base = ["-H", "127.0.0.1", "-p", str(stack.port)]
            r = run_check(*base, "-s", "DP01.corp.contoso.com")
            self.assertEqual(r.code, 3, r)
            self.assertEqual(r.text, "server DP01.corp.contoso.com is "
                             "ambiguous: DP01.corp.contoso.com (PS1), "
                             "DP01.corp.contoso.com (PS2); give the full "
                             "name, the NAL path or --site")
            r = run_check(*base, "-s", "DP01.corp.contoso.com", "--site",
                          "ps2", "-S", "none")
            self.assertEqual(r.code, 0, r)
            self.assertEqual(r.value("rows"), 1)
            self.assertEqual(r.lines, ["none rows (1 of 1):",
                                       rec["PackageID"]])


# -- Zabbix -----------------------------------------------------------------

def load_template():
    try:
        import yaml
    except ImportError:
        raise AssertionError("python3-yaml is missing: install the Debian "
                             "package python3-yaml (scripts/deps.sh)")
    with open(TEMPLATE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def translate(*oids):
    """snmptranslate of numeric OIDs with our MIB: module::name.suffix"""
    need("snmptranslate", "snmp")
    r = subprocess.run(["snmptranslate", "-M", BASE_MIBS + ":" + MIBS,
                        "-m", "DISTRIBUTION-POINT-MIB"] + list(oids),
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stderr:
        raise AssertionError("snmptranslate: %s" % r.stderr)
    return r.stdout.split()


def mib_detail(name):
    r = subprocess.run(["snmptranslate", "-M", BASE_MIBS + ":" + MIBS,
                        "-m", "DISTRIBUTION-POINT-MIB", "-Td",
                        "DISTRIBUTION-POINT-MIB::" + name],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("snmptranslate -Td %s: %s" % (name, r.stderr))
    return r.stdout


def mib_enum(name):
    """{value: label} of an enumerated object, from snmptranslate -Td."""
    m = re.search(r"SYNTAX\s+INTEGER\s*\{([^}]*)\}", mib_detail(name))
    if m is None:
        raise AssertionError("%s is not enumerated" % name)
    return dict((v, k) for k, v in re.findall(r"(\w+)\((-?\d+)\)",
                                              m.group(1)))


# Each key of the template, and the object it must read.
ZBX_ITEMS = {
    "dp.servers": "dpServerCount.0", "dp.packages": "dpPackageCount.0",
    "dp.rows": "dpRowCount.0", "dp.rows.none": "dpRowsNone.0",
    "dp.rows.updated": "dpRowsUpdated.0", "dp.rows.added": "dpRowsAdded.0",
    "dp.rows.deleted": "dpRowsDeleted.0", "dp.rows.other": "dpRowsOther.0",
    "dp.changes": "dpChangeCounter.0", "dp.import.age": "dpLastImportAge.0",
    "dp.pending.writes": "dpPendingWrites.0",
    "dp.dist.rows": "dpDistRows.0", "dp.dist.installed": "dpDistInstalled.0",
    "dp.dist.inprogress": "dpDistInProgress.0",
    "dp.dist.retrying": "dpDistRetrying.0", "dp.dist.failed": "dpDistFailed.0",
    "dp.dist.other": "dpDistOther.0",
}
ZBX_PROTOTYPES = {
    "dp.server.rows": "dpSrvRows", "dp.server.rows.none": "dpSrvRowsNone",
    "dp.server.rows.updated": "dpSrvRowsUpdated",
    "dp.server.rows.added": "dpSrvRowsAdded",
    "dp.server.rows.deleted": "dpSrvRowsDeleted",
    "dp.server.rows.other": "dpSrvRowsOther",
    "dp.server.dist.rows": "dpSrvDistRows",
    "dp.server.dist.installed": "dpSrvDistInstalled",
    "dp.server.dist.inprogress": "dpSrvDistInProgress",
    "dp.server.dist.retrying": "dpSrvDistRetrying",
    "dp.server.dist.failed": "dpSrvDistFailed",
    "dp.server.dist.other": "dpSrvDistOther",
    "dp.package.type": "dpPkgPackageType",
    "dp.package.objecttype": "dpPkgObjectTypeID",
    "dp.package.rows": "dpPkgRows", "dp.package.rows.none": "dpPkgRowsNone",
    "dp.package.rows.updated": "dpPkgRowsUpdated",
    "dp.package.rows.added": "dpPkgRowsAdded",
    "dp.package.rows.deleted": "dpPkgRowsDeleted",
    "dp.package.rows.other": "dpPkgRowsOther",
}
ZBX_DISCOVERY = {
    "dp.server.discovery": {"{#DPSRVNAME}": "dpSrvName",
                            "{#DPSRVSITE}": "dpSrvSiteCode",
                            "{#DPSRVNALPATH}": "dpSrvNALPath"},
    "dp.package.discovery": {"{#DPPKGID}": "dpPkgPackageID",
                             "{#DPPKGSOURCESITE}": "dpPkgSourceSite",
                             "{#DPPKGSITENAME}": "dpPkgSiteName"},
}
ZBX_TRAPS = {"dpStatusChange": ROOT + ".0.1",
             "dpStatusSummary": ROOT + ".0.2",
             "dpDistStateChange": ROOT + ".0.3"}
DISCOVERY = re.compile(r"^discovery\[(.*)\]$")
TRAPKEY = re.compile(r'^snmptrap\["(.*)"\]$')


def trap_regex(key):
    m = TRAPKEY.match(key)
    if m is None:
        raise AssertionError("not an snmptrap[] key: %r" % key)
    return m.group(1).replace('\\"', '"')


class ZabbixTemplate(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.data = load_template()
        cls.tmpl = cls.data["zabbix_export"]["templates"][0]
        cls.items = dict((i["key"], i) for i in cls.tmpl["items"])
        cls.rules = dict((r["key"], r) for r in cls.tmpl["discovery_rules"])

    def test_format(self):
        exp = self.data["zabbix_export"]
        self.assertEqual(exp["version"], "6.0")
        self.assertEqual(len(exp["templates"]), 1)
        self.assertEqual([g["name"] for g in exp["groups"]],
                         [g["name"] for g in self.tmpl["groups"]])
        uuids = re.findall(r"uuid: (\S+)", slurp(TEMPLATE))
        self.assertEqual(len(uuids), len(set(uuids)))
        for u in uuids:  # Zabbix 6.0 refuses any other version
            self.assertRegex(u, r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
        snmp = [k for k, i in self.items.items() if i["type"] == "SNMP_AGENT"]
        self.assertEqual(sorted(snmp), sorted(ZBX_ITEMS))
        self.assertEqual(sorted(self.rules), sorted(ZBX_DISCOVERY))
        protos = [p["key"].split("[")[0] for r in self.rules.values()
                  for p in r["item_prototypes"]]
        self.assertEqual(sorted(protos), sorted(ZBX_PROTOTYPES))
        for p in (p for r in self.rules.values()
                  for p in r["item_prototypes"]):
            self.assertEqual(p["type"], "SNMP_AGENT")
            self.assertTrue(p["snmp_oid"].endswith(".{#SNMPINDEX}"))
            self.assertTrue(p["key"].endswith("[{#SNMPINDEX}]"))

    def test_every_oid_resolves(self):
        oids, want = [], []
        for key, name in ZBX_ITEMS.items():
            oids.append(self.items[key]["snmp_oid"])
            want.append("DISTRIBUTION-POINT-MIB::" + name)
        for rule in self.rules.values():
            args = DISCOVERY.match(rule["snmp_oid"]).group(1).split(",")
            macros = dict(zip(args[0::2], args[1::2]))
            self.assertEqual(sorted(macros),
                             sorted(ZBX_DISCOVERY[rule["key"]]))
            for macro, oid in macros.items():
                oids.append(oid)
                want.append("DISTRIBUTION-POINT-MIB::" +
                            ZBX_DISCOVERY[rule["key"]][macro])
            for p in rule["item_prototypes"]:
                oids.append(p["snmp_oid"].replace(".{#SNMPINDEX}", ""))
                want.append("DISTRIBUTION-POINT-MIB::" +
                            ZBX_PROTOTYPES[p["key"].split("[")[0]])
        for name, oid in ZBX_TRAPS.items():
            item = [i for i in self.items.values() if i["type"] == "SNMP_TRAP"
                    and name in i["key"]]
            self.assertEqual(len(item), 1, name)
            rx = trap_regex(item[0]["key"])
            for form in (oid, oid[1:], "iso" + oid[2:],
                         "DISTRIBUTION-POINT-MIB::" + name):
                self.assertTrue(re.search(rx, "value=OID: %s\n" % form),
                                form)
            others = [o for o in ZBX_TRAPS.values() if o != oid]
            for other in [oid + "0", oid + ".5"] + others:
                self.assertFalse(re.search(rx, "value=OID: %s\n" % other),
                                 (name, other))
            oids.append(oid)
            want.append("DISTRIBUTION-POINT-MIB::" + name)
        self.assertEqual(translate(*oids), want)
        # Readable objects for the polled ones, notifications for traps.
        for name in set(w.split("::")[1].split(".")[0] for w in want):
            d = mib_detail(name)
            if name in ZBX_TRAPS:
                self.assertIn("NOTIFICATION-TYPE", d)
            else:
                self.assertIn("MAX-ACCESS\tread-only", d)

    def test_value_maps_equal_mib(self):
        maps = dict((m["name"], dict((x["value"], x["newvalue"])
                                     for x in m["mappings"]))
                    for m in self.tmpl["valuemaps"])
        self.assertEqual(sorted(maps), [
            "DISTRIBUTION-POINT-MIB::DpDistStateCode",
            "DISTRIBUTION-POINT-MIB::DpObjectTypeCode",
            "DISTRIBUTION-POINT-MIB::DpPackageTypeCode",
            "DISTRIBUTION-POINT-MIB::DpStatusCode",
            "SNMPv2-TC::TruthValue"])
        self.assertEqual(maps["DISTRIBUTION-POINT-MIB::DpStatusCode"],
                         mib_enum("dpStatus"))
        self.assertEqual(maps["DISTRIBUTION-POINT-MIB::DpDistStateCode"],
                         mib_enum("dpDistState"))
        self.assertEqual(len(mib_enum("dpDistState")), 10)  # absent(-1)
        self.assertEqual(maps["DISTRIBUTION-POINT-MIB::DpPackageTypeCode"],
                         mib_enum("dpPkgPackageType"))
        self.assertEqual(maps["DISTRIBUTION-POINT-MIB::DpObjectTypeCode"],
                         mib_enum("dpPkgObjectTypeID"))
        self.assertEqual(maps["SNMPv2-TC::TruthValue"],
                         mib_enum("dpBitsEnabled"))
        used = set(p["valuemap"]["name"] for r in self.rules.values()
                   for p in r["item_prototypes"] if "valuemap" in p)
        self.assertEqual(used, {"DISTRIBUTION-POINT-MIB::DpPackageTypeCode",
                                "DISTRIBUTION-POINT-MIB::DpObjectTypeCode"})

    def test_triggers_and_macros(self):
        macros = dict((m["macro"], m["value"]) for m in self.tmpl["macros"])
        name = self.tmpl["template"]
        keys = set(self.items) | set(p["key"] for r in self.rules.values()
                                     for p in r["item_prototypes"])
        triggers = list(self.data["zabbix_export"].get("triggers", []))
        for i in self.tmpl["items"]:
            triggers += i.get("triggers", [])
        for r in self.rules.values():
            for p in r["item_prototypes"]:
                triggers += p.get("trigger_prototypes", [])
        self.assertEqual(len(triggers), 9)
        exprs = [t[k] for t in triggers
                 for k in ("expression", "recovery_expression") if k in t]
        self.assertEqual(len(exprs), 10)
        for e in exprs:
            # Every /host/key names the template and one of its keys (a
            # trap key holds "," and ")": the longest known key first).
            rest = e
            for key in sorted(keys, key=len, reverse=True):
                rest = rest.replace("/%s/%s" % (name, key), "/ITEM")
            self.assertNotIn("/" + name + "/", rest, e)
            self.assertEqual(re.findall(r"\(/([^,)]*)", rest),
                             ["ITEM"] * rest.count("(/"), e)
            for m in re.findall(r"\{\$([A-Z.]+)", e):
                self.assertIn("{$%s}" % m, macros, e)
        joined = "\n".join(exprs)
        self.assertIn("dp.import.age)>{$DP.IMPORT.MAXAGE}", joined)
        self.assertIn("dp.import.age)=-1", joined)
        self.assertIn('dp.server.rows.deleted[{#SNMPINDEX}])>'
                      '{$DP.DELETED.MAX:"{#DPSRVNAME}"}', joined)
        self.assertIn('dp.package.rows.deleted[{#SNMPINDEX}])>'
                      '{$DP.DELETED.MAX:"{#DPPKGID}"}', joined)
        self.assertIn("dp.server.dist.failed[{#SNMPINDEX}])>0", joined)
        self.assertIn('dp.server.dist.failed[{#SNMPINDEX}],'
                      '{$DP.DIST.FAILED.MAX:"{#DPSRVNAME}"})>0', joined)
        self.assertIn("dp.dist.failed)=0", joined)
        self.assertEqual(macros["{$DP.DIST.FAILED.MAX}"], "1h")
        # Package discovery is filtered by a macro that, by default,
        # matches no PackageID of the sample (nor any real one).
        flt = self.rules["dp.package.discovery"]["filter"]
        self.assertEqual(flt["conditions"][0],
                         {"macro": "{#DPPKGID}",
                          "value": "{$DP.PACKAGE.MATCHES}",
                          "formulaid": "A"})
        with open(SAMPLE, encoding="utf-8") as f:
            ids = set(r["PackageID"] for r in json.load(f))
        rx = re.compile(macros["{$DP.PACKAGE.MATCHES}"])
        self.assertEqual([i for i in ids if rx.search(i)], [])
        self.assertTrue(re.search("^(PS100012|PS10005A)$", "PS100012"))


# -- Prometheus ---------------------------------------------------------------

def generate(outdir):
    gen = need("prometheus-snmp-generator", "prometheus-snmp-exporter")
    if not os.path.isdir(BASE_MIBS):
        raise AssertionError("base MIBs not fetched: %s (build the "
                             "dp_base_mibs target)" % BASE_MIBS)
    shutil.copy(os.path.join(PROM, "generator.yml"), outdir)
    out = os.path.join(outdir, "snmp.yml")
    r = subprocess.run([gen, "generate", "--fail-on-parse-errors", "-o",
                        out], cwd=outdir, capture_output=True, text=True,
                       env=dict(os.environ, MIBDIRS=BASE_MIBS + ":" + MIBS))
    return r, out


def parse_metrics(text):
    """Prometheus text format -> {(name, frozenset(labels)): value}."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if m is None:
            raise AssertionError("unparsed metric line %r" % line)
        labels = frozenset(
            (k, v.encode().decode("unicode_escape"))
            for k, v in label_re.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


class Prometheus(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dpmon.")
        cls.db = make_db(cls.tmp)
        cls.stack = Stack(cls.db)
        cls.stack.start_master()
        cls.stack.start_agent()
        cls.oracle = Oracle(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.oracle.close()
        cls.stack.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_generator(self):
        r, out = generate(self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stderr, r"level=(warn|error)")
        with open(out) as a, open(os.path.join(PROM, "snmp.yml")) as b:
            self.assertEqual(a.read(), b.read(),
                             "conf/prometheus/snmp.yml is not what "
                             "generator.yml generates: regenerate it")
        # It walks the scalars and the two summary tables, never dpTable.
        walks = re.findall(r"^  - (1\.3\.6\.[0-9.]+)$", slurp(out),
                           re.M)
        # dpTable (.1.4) is never walked; of dpDistTable, the
        # dpagent_dist module walks two columns and looks up the names
        # of their servers and packages.
        self.assertEqual(set(walks), {ROOT[1:] + x for x in (
            ".1.1", ".1.2", ".1.3", ".1.2.1.3", ".1.2.1.4", ".1.3.1.2",
            ".1.6.1.4", ".1.6.1.9")})
        # A broken MIB path is an error, not an empty module.
        r2 = subprocess.run(["prometheus-snmp-generator", "generate",
                             "--fail-on-parse-errors", "-o",
                             os.path.join(self.tmp, "x.yml")],
                            cwd=self.tmp, capture_output=True, text=True,
                            env=dict(os.environ, MIBDIRS=MIBS))
        self.assertNotEqual(r2.returncode, 0)

    def scrape(self, module):
        exe = need("prometheus-snmp-exporter", "prometheus-snmp-exporter")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        log = open(os.path.join(self.tmp, "exporter.log"), "w")
        proc = subprocess.Popen(
            [exe, "--config.file=" + os.path.join(PROM, "snmp.yml"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        dpstack._live.append(proc)
        try:
            base = "http://127.0.0.1:%d" % port
            deadline = time.monotonic() + 15
            while True:
                if proc.poll() is not None:
                    raise AssertionError("exporter exited: %s" %
                                         slurp(log.name))
                try:
                    urllib.request.urlopen(base + "/", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            url = "%s/snmp?module=%s&target=127.0.0.1:%d" % (
                base, module, self.stack.port)
            text = urllib.request.urlopen(url, timeout=30).read().decode()
        finally:
            self.assertIn(dpstack._stop(proc), (0, -15))  # SIGTERM
            log.close()
        return parse_metrics(text)

    def test_scrape(self):
        got = self.scrape("dpagent")
        m = self.oracle.meta()

        def v(name, **labels):
            key = (name, frozenset(labels.items()))
            self.assertIn(key, got, "missing %s%s" % (name, labels))
            return got[key]

        for name, col in dpstack.SCALAR_COLUMNS:
            self.assertEqual(v(name), m[col], name)
        self.assertEqual([v("dpRowCount"), v("dpRowsNone"),
                          v("dpRowsDeleted")], [24, 16, 1])
        self.assertEqual(v("dpLastImport"), m["last_import_ms"] // 1000)
        self.assertEqual(v("dpLastChange"), m["last_change_ms"] // 1000)
        self.assertGreaterEqual(v("dpLastImportAge"), 0)
        self.assertEqual(v("snmp_scrape_pdus_returned") > 0, True)
        names = {"rows": "Rows", "n_none": "RowsNone",
                 "n_updated": "RowsUpdated", "n_added": "RowsAdded",
                 "n_deleted": "RowsDeleted", "n_other": "RowsOther"}
        for s in self.oracle.servers():
            lab = dict(dpServerIndex=str(s["idx"]), dpSrvName=s["name"],
                       dpSrvSiteCode=s["site_code"])
            for col, n in names.items():
                self.assertEqual(v("dpSrv" + n, **lab), s[col])
            self.assertEqual(v("dpSrvNALPath", dpSrvNALPath=s["nal_path"],
                               **lab), 1)
        self.assertEqual(v("dpSrvRowsDeleted", dpServerIndex="2",
                           dpSrvName="DP02.corp.contoso.com",
                           dpSrvSiteCode="PS1"), 1)
        ptype = mib_enum("dpPkgPackageType")
        otype = mib_enum("dpPkgObjectTypeID")
        for p in self.oracle.packages():
            lab = dict(dpPackageIndex=str(p["idx"]),
                       dpPkgPackageID=p["package_id"])
            for col, n in names.items():
                self.assertEqual(v("dpPkg" + n, **lab), p[col])
            self.assertEqual(v("dpPkgPackageType_info",
                               dpPkgPackageType=ptype[str(p["package_type"])],
                               **lab), 1)
            self.assertEqual(v("dpPkgObjectTypeID_info",
                               dpPkgObjectTypeID=otype[
                                   str(p["object_type_id"])], **lab), 1)
            self.assertEqual(v("dpPkgSourceSite",
                               dpPkgSourceSite=p["source_site"], **lab), 1)
        self.assertEqual(v("dpPkgRowsDeleted", dpPackageIndex="6",
                           dpPkgPackageID="PS200003"), 1)
        # Nothing of dpTable, and no series for the index objects.
        for name, _ in got:
            self.assertFalse(name.startswith("dpStatus") or
                             name in ("dpServerIndex", "dpPackageIndex") or
                             name.startswith("dpPackageID"), name)
        n = len([k for k in got if k[0].startswith("dp")])
        self.assertEqual(n, 19 + 4 * 13 + 6 * 17)

    def test_scrape_servers_module(self):
        got = self.scrape("dpagent_servers")
        self.assertFalse([k for k in got if k[0].startswith("dpPkg")])
        self.assertEqual(got[("dpSrvRowsDeleted", frozenset(
            dict(dpServerIndex="2", dpSrvName="DP02.corp.contoso.com",
                 dpSrvSiteCode="PS1").items()))], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
