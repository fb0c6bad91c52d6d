#!/usr/bin/env python3
"""dpagentd against a real snmpd master on loopback, with the real clients.

Every table walked and compared with the model's rows (read with plain SQL,
an oracle independent of the C code); snmpbulkwalk equals snmpwalk; each
scalar; noSuchObject/noSuchInstance; GETNEXT from odd OIDs; an import by a
concurrent dpctl visible within 2 s; the master killed and restarted.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (ROOT, SCALARS, SERVER_ENTRY, PACKAGE_ENTRY,  # noqa
                     ROW_ENTRY, DIST_ENTRY, OBJECTS, Stack, dpctl, model)

SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")
DIST_SAMPLE = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
# A distribution of a server and a package that have no dpTable row: the
# summarizer's instances are not SMS_DistributionPoint's.
DIST_ONLY = json.dumps([{
    "PackageID": "PS300001", "ServerNALPath": "\\\\DP09\\",
    "SiteCode": "PS3", "PackageType": 0, "SecuredTypeID": 2,
    "SecureObjectID": "PS300001", "SourceNALPath": "", "SourceVersion": 7,
    "LastCopied": None, "SummaryDate": "2024-06-09T10:00:00Z",
    "State": 3}])


def make_db(directory):
    db = os.path.join(directory, "dp.db")
    only = os.path.join(directory, "dist-only.json")
    with open(only, "w") as f:
        f.write(DIST_ONLY)
    dpctl(db, "init")
    dpctl(db, "import", SAMPLE)
    dpctl(db, "import", DIST_SAMPLE, only)
    return db


def without_age(rows):
    """The import age moves with the clock: check its type only."""
    return [(o, t, None if o == SCALARS + ".12.0" else v)
            for o, t, v in rows]


class ServedModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dptest.")
        cls.db = make_db(cls.tmp)
        cls.stack = Stack(cls.db)
        cls.stack.start_master()
        cls.stack.start_agent()

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_walk_equals_model(self):
        walked = self.stack.walk(OBJECTS)
        want = model(self.db)
        self.assertGreater(len(want), 24 * 18)
        self.assertEqual([o for o, _, _ in walked], [o for o, _, _ in want])
        self.assertEqual(without_age(walked), without_age(want))

    def test_each_table_walk(self):
        want = model(self.db)
        for prefix in (SCALARS, SERVER_ENTRY, PACKAGE_ENTRY, ROW_ENTRY,
                       DIST_ENTRY):
            got = self.stack.walk(prefix)
            exp = [w for w in want if w[0].startswith(prefix + ".")]
            self.assertTrue(exp, prefix)
            self.assertEqual(without_age(got), without_age(exp), prefix)

    def test_bulkwalk_equals_walk(self):
        a = self.stack.client("snmpwalk", OBJECTS)
        for reps in ("1", "10", "50"):
            b = self.stack.client("snmpbulkwalk", "-Cr" + reps, OBJECTS)
            self.assertEqual(b.returncode, 0, b.stderr)
            self.assertEqual(a.stdout.replace(
                self._age_line(a.stdout), ""), b.stdout.replace(
                self._age_line(b.stdout), ""))

    @staticmethod
    def _age_line(out):
        for line in out.splitlines():
            if line.startswith(SCALARS + ".12.0 "):
                return line
        return ""

    def test_scalars(self):
        import sqlite3
        con = sqlite3.connect(self.db)
        m = con.execute("SELECT servers, packages, rows, n_none, n_updated, "
                        "n_added, n_deleted, n_other, change_counter, "
                        "last_import_ms FROM meta").fetchone()
        con.close()
        got = dict((o, (t, v)) for o, t, v in self.stack.get(
            *["%s.%d.0" % (SCALARS, i) for i in range(1, 20)]))
        # DP09 and PS300001 have a distribution state, no dpTable row.
        self.assertEqual(got[SCALARS + ".1.0"], ("Gauge32", 5))
        self.assertEqual(got[SCALARS + ".2.0"], ("Gauge32", 7))
        self.assertEqual(got[SCALARS + ".3.0"], ("Gauge32", 24))
        self.assertEqual([got["%s.%d.0" % (SCALARS, i)][1]
                          for i in range(1, 9)], list(m[:8]))
        self.assertEqual(sum(got["%s.%d.0" % (SCALARS, i)][1]
                             for i in range(4, 9)), 24)
        self.assertEqual(got[SCALARS + ".10.0"], ("Counter32", m[8]))
        age = got[SCALARS + ".12.0"]
        self.assertEqual(age[0], "INTEGER")
        self.assertGreaterEqual(age[1], 0)
        self.assertLessEqual(age[1], (time.time() * 1000 - m[9]) / 1000 + 2)
        self.assertEqual(got[SCALARS + ".11.0"][0], "STRING")
        self.assertEqual(len(got[SCALARS + ".11.0"][1]), 11)
        self.assertEqual(got[SCALARS + ".13.0"], ("Gauge32", 0))
        # dpDistRows and its buckets: the sample's 24 (18 installed;
        # pending, updating; retrying; two failed; monitoring) and DP09's
        # failed one.
        self.assertEqual([got["%s.%d.0" % (SCALARS, i)]
                          for i in range(14, 20)],
                         [("Gauge32", v) for v in (25, 18, 2, 1, 3, 1)])

    def test_get_misses(self):
        cases = [
            (ROW_ENTRY + ".18.1.999", "noSuchInstance"),
            (ROW_ENTRY + ".18.999.1", "noSuchInstance"),
            (ROW_ENTRY + ".18.1", "noSuchInstance"),
            (ROW_ENTRY + ".18", "noSuchInstance"),
            (ROW_ENTRY + ".18.0.0", "noSuchInstance"),
            (ROW_ENTRY + ".18.1.1.1", "noSuchInstance"),
            (ROW_ENTRY + ".18.4294967295.4294967295", "noSuchInstance"),
            (ROW_ENTRY + ".19.1.1", "noSuchObject"),  # accessible-for-notify
            (ROW_ENTRY + ".21.1.1", "noSuchObject"),
            (ROW_ENTRY + ".24.1.1", "noSuchObject"),
            (ROW_ENTRY + ".0.1.1", "noSuchObject"),
            (OBJECTS + ".4.2.1.1", "noSuchObject"),
            (SERVER_ENTRY + ".1.1", "noSuchObject"),  # not-accessible index
            (SERVER_ENTRY + ".2.999", "noSuchInstance"),
            (PACKAGE_ENTRY + ".2.0", "noSuchInstance"),
            (SCALARS + ".3.1", "noSuchInstance"),
            (SCALARS + ".3", "noSuchInstance"),
            (SCALARS + ".20.0", "noSuchObject"),
            (DIST_ENTRY + ".10.1.1", "noSuchObject"),  # for notify
            (DIST_ENTRY + ".4.1.999", "noSuchInstance"),
            (DIST_ENTRY + ".4.1", "noSuchInstance"),
            (OBJECTS + ".9.1", "noSuchObject"),
        ]
        for oid, want in cases:
            got = self.stack.get(oid)
            self.assertEqual(got, [(oid, want, None)], oid)

    def test_get_hits(self):
        got = self.stack.get(ROW_ENTRY + ".9.1.1", ROW_ENTRY + ".15.1.1",
                             SERVER_ENTRY + ".4.1", PACKAGE_ENTRY + ".2.1",
                             DIST_ENTRY + ".4.2.2", DIST_ENTRY + ".9.1.1",
                             SERVER_ENTRY + ".15.2", PACKAGE_ENTRY + ".18.2")
        want = model(self.db)
        exp = dict((o, (t, v)) for o, t, v in want)
        for oid, typ, val in got:
            self.assertEqual((typ, val), exp[oid], oid)

    def next_of(self, oid):
        r = self.stack.client("snmpgetnext", oid)
        self.assertEqual(r.returncode, 0, r.stderr)
        return dpstack.parse(r.stdout)[0][0]

    def test_getnext_edges(self):
        want = [o for o, _, _ in model(self.db)]
        rows = [o for o in want if o.startswith(ROW_ENTRY + ".")]
        first_dist = [o for o in want if o.startswith(DIST_ENTRY + ".")][0]
        first_row = rows[0]
        last_status = [o for o in rows if o.startswith(ROW_ENTRY + ".18.")]
        s1 = first_row.split(".")[-2]
        cases = [
            (ROOT, want[0]),
            (OBJECTS, want[0]),
            (SCALARS + ".0", want[0]),
            (SCALARS + ".1.0", SCALARS + ".2.0"),
            (SCALARS + ".1.0.5.6", SCALARS + ".2.0"),
            (ROW_ENTRY, first_row),
            (ROW_ENTRY + ".0", first_row),
            (ROW_ENTRY + ".1", first_row),
            (ROW_ENTRY + ".1." + s1, first_row),
            (ROW_ENTRY + ".23.4294967295", first_dist),
            (ROW_ENTRY + ".23.4294967295.4294967295", first_dist),
            (DIST_ENTRY + ".9.4294967295", None),
            (DIST_ENTRY + ".10", None),
            (OBJECTS + ".4", first_row),
            (OBJECTS + ".3.2", first_row),  # past dpPackageEntry
        ]
        for oid, exp in cases:
            got = self.next_of(oid)
            if exp is None:
                self.assertFalse(got.startswith(ROOT + "."), (oid, got))
            else:
                self.assertEqual(got, exp, oid)
        # Each row's successor in a column is the next row, across
        # server boundaries; the last row of a column leads to the next
        # column; the last readable column leaves the table.
        for a, b in zip(last_status, last_status[1:]):
            self.assertEqual(self.next_of(a), b)
        col17 = [o for o in rows if o.startswith(ROW_ENTRY + ".17.")]
        self.assertEqual(self.next_of(col17[-1]), last_status[0])
        # Between columns: the accessible-for-notify ones are skipped.
        first22 = [o for o in rows if o.startswith(ROW_ENTRY + ".22.")][0]
        self.assertEqual(self.next_of(last_status[-1]), first22)
        self.assertEqual(self.next_of(ROW_ENTRY + ".19"), first22)
        last23 = [o for o in rows if o.startswith(ROW_ENTRY + ".23.")][-1]
        self.assertEqual(self.next_of(last23), first_dist)
        dists = [o for o in want if o.startswith(DIST_ENTRY + ".")]
        self.assertFalse(self.next_of(dists[-1]).startswith(ROOT))
        # A 128-sub-identifier OID is answered, not crashed on.
        long_oid = ROW_ENTRY + ".18.1" + ".1" * (128 - 13)
        self.assertEqual(len(long_oid.strip(".").split(".")), 128)
        got = self.next_of(long_oid)
        self.assertTrue(got.startswith(ROW_ENTRY + ".18."), got)
        self.assertIsNone(self.stack.agent.poll())


class LiveModel(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dptest.")
        self.db = make_db(self.tmp)
        self.stack = Stack(self.db)
        self.stack.start_master()
        self.stack.start_agent()

    def tearDown(self):
        self.stack.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_concurrent_import_visible(self):
        before = dict((o, v) for o, _, v in self.stack.get(
            SCALARS + ".9.0", SCALARS + ".10.0", ROW_ENTRY + ".18.1.1"))
        # The same export with row (1,1) moved to another Status.
        src = os.path.join(self.tmp, "changed.json")
        import json
        with open(SAMPLE, encoding="utf-8") as f:
            data = json.load(f)
        new_status = (before[ROW_ENTRY + ".18.1.1"] + 1) % 4
        con = __import__("sqlite3").connect(self.db)
        pkg, nal, site = con.execute(
            "SELECT p.package_id, s.nal_path, s.site_code FROM dp d "
            "JOIN server s ON s.idx = d.server_idx JOIN package p "
            "ON p.idx = d.package_idx WHERE d.server_idx = 1 AND "
            "d.package_idx = 1").fetchone()
        con.close()
        hit = 0
        for obj in data:
            if (obj["PackageID"], obj["ServerNALPath"], obj["SiteCode"]) == \
                    (pkg, nal, site):
                obj["Status"] = new_status
                hit += 1
        self.assertEqual(hit, 1)
        with open(src, "w", encoding="utf-8") as f:
            json.dump(data, f)
        dpctl(self.db, "import", src)
        t0 = time.monotonic()
        while True:
            now = dict((o, v) for o, _, v in self.stack.get(
                SCALARS + ".9.0", SCALARS + ".10.0", ROW_ENTRY + ".18.1.1"))
            if now[ROW_ENTRY + ".18.1.1"] == new_status:
                break
            self.assertLess(time.monotonic() - t0, 2.0, now)
            time.sleep(0.05)
        self.assertEqual(now[SCALARS + ".10.0"], before[SCALARS + ".10.0"] + 1)
        self.assertGreaterEqual(now[SCALARS + ".9.0"],
                                before[SCALARS + ".9.0"])

    @dpstack.subagent_only("the subagent's reconnection to a restarted master")
    def test_master_restart(self):
        self.assertEqual(self.stack.stop_master(signal.SIGKILL), -9)
        r = self.stack.client("snmpget", SCALARS + ".3.0")
        self.assertNotEqual(r.returncode, 0)  # nobody answers
        self.stack.start_master()
        t0 = time.monotonic()
        self.stack.wait_served(timeout=20)
        took = time.monotonic() - t0
        self.assertLess(took, 12)
        self.assertEqual(self.stack.get(SCALARS + ".3.0"),
                         [(SCALARS + ".3.0", "Gauge32", 24)])
        self.assertIsNone(self.stack.agent.poll())
        with open(self.stack.agent_log) as f:
            log = f.read()
        self.assertIn("lost the AgentX master", log)
        self.assertIn("AgentX master is back", log)

    @dpstack.subagent_only("dpagentd's own shutdown and log")
    def test_sigterm_clean_exit(self):
        self.assertEqual(self.stack.stop_agent(signal.SIGTERM), 0)
        with open(self.stack.agent_log) as f:
            self.assertIn("stopping on a signal", f.read())
        got = self.stack.get(SCALARS + ".3.0")
        self.assertEqual(got[0][1], "noSuchObject")


@dpstack.subagent_only("dpagentd's daemonising, dpagentd.conf and --db")
class DaemonAndConfig(unittest.TestCase):
    """Without -f dpagentd daemonises and writes its pid file; the
    database and the socket can come from dpagentd.conf."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dptest.")
        self.db = make_db(self.tmp)
        self.stack = Stack(self.db)
        self.stack.start_master()

    def tearDown(self):
        self.stack.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_daemonise_pidfile(self):
        pidfile = os.path.join(self.tmp, "dpagentd.pid")
        log = os.path.join(self.tmp, "d.log")
        r = subprocess.run([dpstack.tool("dpagentd"), "--db", self.db, "-x",
                            self.stack.sock, "-Lf", log, "-p", pidfile],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        t0 = time.monotonic()
        while not os.path.exists(pidfile):
            self.assertLess(time.monotonic() - t0, 5, "no pid file")
            time.sleep(0.05)
        time.sleep(0.1)
        with open(pidfile) as f:
            pid = int(f.read())
        try:
            self.stack.agent = None
            self.stack.wait_served()
            self.assertEqual(self.stack.get(SCALARS + ".3.0"),
                             [(SCALARS + ".3.0", "Gauge32", 24)])
        finally:
            os.kill(pid, signal.SIGTERM)
        t0 = time.monotonic()
        while os.path.exists("/proc/%d" % pid) and \
                time.monotonic() - t0 < 5:
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/proc/%d" % pid))
        self.assertFalse(os.path.exists(pidfile))

    def test_config_file(self):
        conf = os.path.join(self.tmp, "dpagentd.conf")
        with open(conf, "w") as f:
            f.write("database %s\nagentXSocket %s\nbusyTimeout 200\n"
                    "agentxPingInterval 2\n" % (self.db, self.stack.sock))
        env = dict(os.environ, SNMPCONFPATH=self.tmp)
        self.stack.agent = subprocess.Popen(
            [dpstack.tool("dpagentd"), "-f", "-C", "-c", conf, "-Lf",
             self.stack.agent_log], env=env, stdin=subprocess.DEVNULL)
        dpstack._live.append(self.stack.agent)
        self.stack.wait_served()
        with open(self.stack.agent_log) as f:
            log = f.read()
        self.assertIn("serving " + self.db, log)
        self.assertNotIn("Unknown token", log)
        self.assertNotIn("Warning", log)

    def test_bad_database(self):
        for db, want in ((os.path.join(self.tmp, "missing.db"),
                          "unable to open database file"),
                         (os.path.join(dpstack.DATA, "sample-ps7.json"),
                          "file is not a database")):
            r = subprocess.run([dpstack.tool("dpagentd"), "-f", "--db", db,
                                "-x", self.stack.sock, "-Le"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, db)
            self.assertIn(db + ": ", r.stderr)
            self.assertIn(want, r.stderr)


class Snmptable(unittest.TestCase):
    """snmptable with the MIB loaded: what a user types."""

    def test_tables_with_names(self):
        base = os.path.join(dpstack.BUILD, "base-mibs")
        mibs = os.path.join(dpstack.SOURCE, "mibs")
        tmp = tempfile.mkdtemp(prefix="dptest.")
        try:
            db = make_db(tmp)
            with Stack(db) as st:
                st.start_master()
                st.start_agent()
                r = subprocess.run(
                    ["snmptable", "-v2c", "-c", "public", "-M",
                     base + ":" + mibs, "-m", "DISTRIBUTION-POINT-MIB",
                     "-Cf", "|", st.target(), "dpServerTable"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = r.stdout.splitlines()
                self.assertIn("SNMP table: DISTRIBUTION-POINT-MIB::"
                              "dpServerTable", lines[0])
                header = [x for x in lines if x.startswith("dpSrvNALPath")]
                self.assertEqual(header[0].split("|"), [
                    "dpSrvNALPath", "dpSrvName", "dpSrvSiteCode",
                    "dpSrvRows", "dpSrvRowsNone", "dpSrvRowsUpdated",
                    "dpSrvRowsAdded", "dpSrvRowsDeleted", "dpSrvRowsOther",
                    "dpSrvDistRows", "dpSrvDistInstalled",
                    "dpSrvDistInProgress", "dpSrvDistRetrying",
                    "dpSrvDistFailed", "dpSrvDistOther"])
                body = lines[lines.index(header[0]) + 1:]
                self.assertEqual(len([b for b in body if b]), 5)
                self.assertTrue(any("|DP01.corp.contoso.com|PS1|" in b
                                    for b in body), body)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
