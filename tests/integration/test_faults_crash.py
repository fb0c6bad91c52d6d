#!/usr/bin/env python3
"""Crashes and a full disk (issue 7): dpagentd SIGKILLed during a storm
of SETs, dpctl import SIGKILLed mid-import, an import that runs out of
disk (RLIMIT_FSIZE; a small tmpfs when mount works).  Afterwards the
database passes PRAGMA integrity_check and holds exactly what was
committed: every answered SET with its outbox row, the old snapshot after
a killed or refused import.  See doc/faults.md."""

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import ROW_ENTRY, dpctl, model  # noqa: E402
import faultkit as fk  # noqa: E402

ISV = ROW_ENTRY + ".6"
REFRESH = ROW_ENTRY + ".11"
CLIENTS = 4
KILLS = 3


class SetStorm(unittest.TestCase):
    """CLIENTS snmpset clients, each on its own rows, write dpISVString
    and dpRefreshNow in one SET (two varbinds) as fast as they are
    answered; dpagentd is SIGKILLed KILLS times in the middle."""

    def setUp(self):
        self.tmp = fk.TempDir()
        self.db = fk.make_db(self.tmp.path)
        self.stack = fk.FastStack(self.db,
                                  extra_conf="rwcommunity private 127.0.0.1\n")
        self.stack.start_master()
        self.stack.start_agent()

    def tearDown(self):
        self.stack.close()
        self.tmp.close()

    def storm(self, round_, rows, results, stop):
        def client(k):
            argv = ["snmpset", "-v2c", "-c", "private", "-t", "1", "-r", "0",
                    "-m", "", "-M", "/dev/null", "-On", self.stack.target()]
            n = 0
            while not stop.is_set():
                s, p = rows[(k + CLIENTS * n) % len(rows)]
                value = "r%d-c%d-%d" % (round_, k, n)
                n += 1
                r = subprocess.run(argv + [
                    "%s.%d.%d" % (ISV, s, p), "s", value,
                    "%s.%d.%d" % (REFRESH, s, p), "i", "1"],
                    capture_output=True, text=True, timeout=30)
                results.append(((s, p), value, r.returncode, r.stdout))
        return [threading.Thread(target=client, args=(k,), daemon=True)
                for k in range(CLIENTS)]

    def test_killed_during_a_set_storm(self):
        rows = [r[:2] for r in fk.query(
            self.db, "SELECT server_idx, package_idx FROM dp ORDER BY 1, 2")]
        original = {r[:2]: r[2] for r in fk.query(
            self.db, "SELECT server_idx, package_idx, isv_string FROM dp")}
        results = []
        for round_ in range(KILLS):
            stop = threading.Event()
            threads = self.storm(round_, rows, results, stop)
            start = len(results)
            for t in threads:
                t.start()
            try:
                fk.wait_for(lambda: sum(1 for x in results[start:]
                                        if x[2] == 0) >= 20,
                            "20 answered SETs", timeout=30, interval=0.01)
                self.assertEqual(self.stack.stop_agent(signal.SIGKILL),
                                 -signal.SIGKILL)
                time.sleep(0.3)  # SETs keep coming to a dead subagent
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=30)
            self.assertEqual(fk.integrity(self.db), [("ok",)])
            self.stack.start_agent()
        self.check(rows, original, results)
        # dpagentd serves what the database holds.
        self.assertEqual(fk.walk_all(self.stack), fk.masked(model(self.db)))

    def check(self, rows, original, results):
        answered = [(row, v) for row, v, rc, out in results if rc == 0]
        attempted = {v: row for row, v, _, _ in results}
        for row, v, rc, out in results:
            if rc == 0:
                s, p = row
                self.assertEqual(out, '%s.%d.%d = STRING: "%s"\n'
                                 '%s.%d.%d = INTEGER: 1\n' %
                                 (ISV, s, p, v, REFRESH, s, p))
        self.assertGreaterEqual(len(answered), 20 * KILLS)
        self.assertGreater(len(results), len(answered), "some SETs failed")

        isv = {r[:2]: r[2] for r in fk.query(
            self.db, "SELECT server_idx, package_idx, isv_string FROM dp")}
        outbox = fk.query(self.db, "SELECT server_idx, package_idx, "
                          "property, old_value, new_value, request_id, "
                          "requested_ms FROM outbox ORDER BY id")
        queued = {}
        for s, p, prop, old, new, req, when in outbox:
            queued.setdefault((s, p), []).append((prop, old, new, req, when))
        # Every answered SET is in the database with its outbox row.
        isv_values = {new for rows_ in queued.values()
                      for prop, _, new, _, _ in rows_ if prop == "ISVString"}
        for row, v in answered:
            self.assertIn(v, isv_values, "answered SET %s of %s" % (v, row))
        for row in rows:
            q = queued.get(row, [])
            writes = [x for x in q if x[0] == "ISVString"]
            refreshes = [x for x in q if x[0] == "RefreshNow"]
            # Nothing half-written: the two varbinds of each SET went in
            # together (one refresh per ISVString write, of the same
            # AgentX transaction), every queued value was sent to this row, and the
            # ISVString writes chain from the original value to the value
            # the row holds.
            self.assertEqual(sorted(x[3] for x in refreshes),
                             sorted(x[3] for x in writes),
                             "row %s" % (row,))
            self.assertTrue(all(x[1:3] == ("false", "true")
                                for x in refreshes))
            prev = original[row]
            for _, old, new, _, _ in writes:
                self.assertEqual(attempted.get(new), row)
                self.assertEqual(old, prev, "row %s" % (row,))
                prev = new
            self.assertEqual(isv[row], prev, "row %s" % (row,))
        pending = fk.query(self.db, "SELECT pending_writes FROM meta")[0][0]
        self.assertEqual(pending, len(outbox))
        if os.environ.get("DP_VERBOSE"):
            print("\n%d SETs, %d answered, %d in the database" %
                  (len(results), len(answered), len(isv_values)),
                  file=sys.stderr)


class ImportFaults(unittest.TestCase):
    """dpctl import of a large export, killed or out of disk: the old
    snapshot stays exactly as it was, and a re-run succeeds."""

    ROWS = 60000

    @classmethod
    def setUpClass(cls):
        cls.tmp = fk.TempDir()
        cls.export = fk.gen_export(os.path.join(cls.tmp.path, "big.json"),
                                   cls.ROWS)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def setUp(self):
        self.dir = fk.TempDir()
        self.db = fk.make_db(self.dir.path)
        fk.bump(self.db, [(1, 1), (2, 3)])  # events and counters too
        self.before = fk.state(self.db)

    def tearDown(self):
        self.dir.close()

    def assert_unchanged_then_rerun(self, db=None):
        db = db or self.db
        self.assertEqual(fk.integrity(db), [("ok",)])
        self.assertEqual(fk.state(db), self.before)
        r = dpctl(db, "import", "--snapshot", self.export)
        self.assertEqual(r.stderr.splitlines()[-1],
                         "info: import: %d records: %d inserted, 0 updated, "
                         "0 unchanged, 24 removed, 0 warnings" %
                         (self.ROWS, self.ROWS))
        self.assertEqual(fk.query(db, "SELECT rows FROM meta"),
                         [(self.ROWS,)])
        self.assertEqual(fk.integrity(db), [("ok",)])

    def test_killed_mid_import(self):
        wal = self.db + "-wal"
        p = fk.spawn([dpstack.tool("dpctl"), "--db", self.db, "import",
                      "--snapshot", self.export],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # Mid-import: the transaction spills pages into the WAL.
            fk.wait_for(lambda: p.poll() is not None or (
                os.path.exists(wal) and os.path.getsize(wal) > (1 << 20)),
                "the import to write", timeout=60, interval=0.005)
            self.assertIsNone(p.poll(), "the import ended before the kill")
            self.assertEqual(fk.stop(p, signal.SIGKILL), -signal.SIGKILL)
        finally:
            fk.stop(p, signal.SIGKILL)
            p.stderr.close()
        self.assert_unchanged_then_rerun()

    def limited(self, limit):
        def pre():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        return pre

    def test_file_size_limit(self):
        # RLIMIT_FSIZE 1 MiB past the database: the WAL cannot grow.
        limit = os.path.getsize(self.db) + (1 << 20)
        r = subprocess.run([dpstack.tool("dpctl"), "--db", self.db,
                            "import", "--snapshot", self.export],
                           preexec_fn=self.limited(limit),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 2, r.stderr)
        self.assertRegex(lines[0], r"^error: %s: record \d+ \(PackageID "
                         r"P[0-9A-F]+\): the database refused it: [a-z ]+: "
                         r"disk I/O error \(File too large\)$" %
                         re.escape(self.export))
        self.assertEqual(lines[1], "error: import refused; the database "
                         "is unchanged")
        self.assert_unchanged_then_rerun()

    def test_tmpfs_full(self):
        mnt = os.path.join(self.dir.path, "mnt")
        os.mkdir(mnt)
        size = os.path.getsize(self.db) + (2 << 20)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size,
                            "dpfaults", mnt], capture_output=True, text=True)
        if m.returncode != 0:
            self.skipTest("cannot mount a tmpfs here (%s); "
                          "test_file_size_limit covers a full disk" %
                          m.stderr.strip())
        try:
            db = os.path.join(mnt, "dp.db")
            with open(self.db, "rb") as src, open(db, "wb") as dst:
                dst.write(src.read())
            r = dpctl(db, "import", "--snapshot", self.export, check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 2, r.stderr)
            self.assertRegex(lines[0], r"^error: %s: record \d+ \(PackageID "
                             r"P[0-9A-F]+\): the database refused it: "
                             r"[a-z ]+: database or disk is full$" %
                             re.escape(self.export))
            self.assertEqual(lines[1], "error: import refused; the "
                             "database is unchanged")
            self.assertEqual(fk.integrity(db), [("ok",)])
            self.assertEqual(fk.state(db), self.before)
        finally:
            subprocess.run(["umount", mnt], check=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
