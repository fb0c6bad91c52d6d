#!/usr/bin/env python3
"""Faults around a running stack (issue 7): the master killed and
restarted 20 times under a walking client with Status transitions made
while it is down; a long writer holding the database past busyTimeout;
a database restored from `dpctl backup`.

What each test asserts is what dpagentd does now, exactly (doc/faults.md).
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (ROW_ENTRY, STATUS_CHANGE, TrapReceiver,  # noqa: E402
                     dpctl, model, parse)
import faultkit as fk  # noqa: E402

ISV = ROW_ENTRY + ".6"
PACKAGE_ID = ROW_ENTRY + ".9"
RESTARTS = 20


class MasterKilled(unittest.TestCase):
    """snmpd SIGKILLed and restarted RESTARTS times while a client walks;
    two Status transitions made each time while the master is down."""

    def setUp(self):
        self.tmp = fk.TempDir()
        self.db = fk.make_db(self.tmp.path)
        self.rx = TrapReceiver().start()
        self.stack = fk.FastStack(self.db, sinks=[self.rx.sink()])
        self.stack.start_master()
        self.stack.start_agent("-c", fk.agent_conf(self.tmp.path,
                                                   notifyRate=1000))

    def tearDown(self):
        self.stack.close()
        self.rx.close()
        self.tmp.close()

    def test_restarts_under_a_walk(self):
        rows = [r[:2] for r in fk.query(
            self.db, "SELECT server_idx, package_idx FROM dp ORDER BY 1, 2")]
        self.assertEqual(len(rows), 24)
        static = [v for v in model(self.db)
                  if v[0].startswith(PACKAGE_ID + ".")]
        before = fk.last_seq(self.db)
        stop = threading.Event()
        walks = []  # (returncode, varbinds or stderr)

        def walker():
            # A client walking a column that no fault changes, with a
            # short timeout so that it notices each loss at once.
            argv = ["snmpbulkwalk", "-v2c", "-c", "public", "-t", "1",
                    "-r", "0", "-m", "", "-M", "/dev/null", "-On", "-Oe",
                    "-Ox", "-Cr5", self.stack.target(), PACKAGE_ID]
            while not stop.is_set():
                r = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=60)
                walks.append((r.returncode, parse(r.stdout)
                              if r.returncode == 0 else r.stderr))

        th = threading.Thread(target=walker, daemon=True)
        th.start()
        try:
            for i in range(RESTARTS):
                t0 = time.monotonic()
                self.assertEqual(self.stack.stop_master(signal.SIGKILL),
                                 -signal.SIGKILL)
                cycle = fk.last_seq(self.db)
                fk.bump(self.db, [rows[(2 * i) % 24], rows[(2 * i + 1) % 24]])
                want = [e["seq"] for e in fk.events(self.db, cycle)]
                self.assertEqual(len(want), 2)
                self.stack.start_master()
                t1 = time.monotonic()
                self.stack.wait_served()
                t2 = time.monotonic()
                # The table is served again, exactly the model.
                self.assertEqual(fk.walk_all(self.stack),
                                 fk.masked(model(self.db)),
                                 "walk after restart %d" % (i + 1))
                self.rx.wait(lambda r: set(want) <= set(fk.seqs_of(r)),
                             "restart %d's transitions %s" % (i + 1, want))
                if os.environ.get("DP_VERBOSE"):
                    print("restart %d: master %.2f s, served %.2f s, "
                          "checked %.2f s" % (i + 1, t1 - t0, t2 - t1,
                                              time.monotonic() - t2),
                          file=sys.stderr)
        finally:
            stop.set()
            th.join(timeout=30)

        # Every transition arrived, in commit order, with its event's
        # exact values; resends (at least once) only repeat.
        evs = fk.events(self.db, before)
        self.assertEqual(len(evs), 2 * RESTARTS)
        got = fk.seqs_of(self.rx, before)
        self.assertEqual(fk.first_appearances(got),
                         [e["seq"] for e in evs])
        for ev in evs:
            for t in self.rx.of(STATUS_CHANGE):
                if t.seq == ev["seq"]:
                    self.assertEqual(t.varbinds[1:], fk.expected_trap(ev))
        fk.wait_delivered(self.db, evs[-1]["seq"])

        # The walking client: every walk that succeeded returned the
        # column or, cut by a loss, the beginning of it: never a wrong
        # value, a duplicate or a disorder.
        ok = [w for rc, w in walks if rc == 0]
        complete = [w for w in ok if w == static]
        for w in ok:
            if len(w) == 1 and w[0][0] == PACKAGE_ID and \
                    w[0][1] in ("noSuchObject", "noSuchInstance"):
                continue  # not registered (yet): nothing served
            self.assertEqual(w, static[:len(w)])
        self.assertGreater(len(complete), RESTARTS // 2,
                           "%d walks, %d complete" % (len(walks),
                                                      len(complete)))
        with open(self.stack.agent_log) as f:
            log = f.read()
        self.assertEqual(log.count("AgentX master is back: serving "
                                   "DISTRIBUTION-POINT-MIB again"), RESTARTS)
        if os.environ.get("DP_VERBOSE"):
            print("\n%d walks, %d complete, %d cut; %d notifications for "
                  "%d transitions" % (len(walks), len(complete),
                                      len(ok) - len(complete), len(got),
                                      len(evs)), file=sys.stderr)


class LongWriter(unittest.TestCase):
    """Another process holds the write lock (BEGIN IMMEDIATE / EXCLUSIVE
    with an uncommitted write) for longer than busyTimeout (250 ms).  In
    WAL mode readers never wait for a writer: GETs are answered at once
    from the last committed state; a SET fails with commitFailed after
    busyTimeout, well within the master's agentXTimeout (1 s); nothing
    hangs.  After the writer commits, its write is served."""

    def setUp(self):
        self.tmp = fk.TempDir()
        self.db = fk.make_db(self.tmp.path)
        self.rx = TrapReceiver().start()
        self.stack = fk.FastStack(self.db, sinks=[self.rx.sink()],
                           extra_conf="rwcommunity private 127.0.0.1\n")
        self.stack.start_master()
        self.stack.start_agent("-c", fk.agent_conf(self.tmp.path,
                                                   busyTimeout=250))
        self.holder = None

    def tearDown(self):
        if self.holder is not None:
            self.holder.close()
        self.stack.close()
        self.rx.close()
        self.tmp.close()

    def snmpset(self, *args):
        argv = ["snmpset", "-v2c", "-c", "private", "-t", "3", "-r", "0",
                "-m", "", "-M", "/dev/null", "-On", self.stack.target()]
        t0 = time.monotonic()
        r = subprocess.run(argv + list(args), capture_output=True,
                           text=True, timeout=30)
        return r, time.monotonic() - t0

    def hold(self, mode, value, package):
        self.holder = fk.LockHolder(
            self.db, mode, "UPDATE dp SET isv_string = '%s' WHERE "
            "server_idx = 1 AND package_idx = %d" % (value, package))

    def test_held_past_busy_timeout(self):
        for n, mode in enumerate(("IMMEDIATE", "EXCLUSIVE")):
            with self.subTest(mode=mode):
                self.one_hold(n, mode)

    def one_hold(self, n, mode):
        value = "by the %s writer" % mode.lower()
        oid = ISV + ".1.%d" % (n + 1)
        before = fk.last_seq(self.db)
        # A transition committed just before the lock is taken: its
        # delivery cannot be recorded while the lock is held.
        fk.bump(self.db, [(2, 1 + n)])
        committed = fk.masked(model(self.db))
        (ev,) = fk.events(self.db, before)
        old = [v for v in committed if v[0] == oid]
        self.assertEqual(len(old), 1)
        self.hold(mode, value, n + 1)
        time.sleep(0.4)  # past busyTimeout

        t0 = time.monotonic()
        self.assertEqual(fk.walk_all(self.stack), committed)
        self.assertLess(time.monotonic() - t0, 1.0, "a walk while held")
        self.assertEqual(self.stack.get(oid), old)

        r, took = self.snmpset(ISV + ".1.2", "s", "refused")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("Reason: commitFailed", r.stderr)
        self.assertIn("Failed object: " + ISV + ".1.2", r.stderr)
        self.assertGreaterEqual(took, 0.25)
        self.assertLess(took, 1.0, "commitFailed within agentXTimeout")
        self.assertIsNone(self.stack.agent.poll())

        # The notification is sent although its delivery cannot be
        # recorded yet.
        self.rx.wait(lambda r: ev["seq"] in fk.seqs_of(r, before),
                     "the transition's notification while held")

        self.holder.release()
        self.holder = None
        # The writer's commit is served (the read-ahead lives 100 ms).
        fk.wait_for(lambda: self.stack.get(oid) ==
                    [(oid, "STRING", value.encode())],
                    "the writer's value to be served", timeout=2)
        self.assertEqual(fk.walk_all(self.stack), fk.masked(model(self.db)))
        # The refused SET left nothing; a SET works again.
        self.assertEqual(fk.query(self.db, "SELECT count(*) FROM outbox "
                                  "WHERE new_value = 'refused'"), [(0,)])
        r, _ = self.snmpset(ISV + ".1.2", "s", "accepted %d" % n)
        self.assertEqual(r.returncode, 0, r.stderr)
        fk.wait_delivered(self.db, ev["seq"])
        time.sleep(0.3)
        self.rx.poll()
        self.assertEqual(fk.seqs_of(self.rx, before), [ev["seq"]],
                         "sent once: the delivery was kept in memory")

    def test_dpctl_waits_then_refuses(self):
        # dpctl's busy timeout is 5 s; a writer holding longer makes an
        # import fail whole, saying so, and change nothing.
        self.holder = fk.LockHolder(self.db, "IMMEDIATE", "SELECT 1")
        before = fk.state(self.db)
        t0 = time.monotonic()
        r = dpctl(self.db, "import", fk.SAMPLE, check=False)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines(), [
            "error: import: starting the import: database is locked "
            "(another process held the write lock for longer than "
            "5000 ms)",
            "error: import refused; the database is unchanged"])
        self.assertGreaterEqual(took, 5.0)
        self.assertLess(took, 9.0)
        self.holder.release()
        self.holder = None
        self.assertEqual(fk.state(self.db), before)
        self.assertEqual(fk.integrity(self.db), [("ok",)])


class Backup(unittest.TestCase):
    """A database restored from `dpctl backup` as the README says (stop
    dpagentd, remove -wal and -shm, copy the backup over the file) keeps
    every index, every trigger and every surrogate counter, and is served
    with the same walk."""

    def test_restore(self):
        tmp = fk.TempDir()
        try:
            self.restore(tmp.path)
        finally:
            tmp.close()

    def restore(self, tmp):
        db = fk.make_db(tmp)
        # History worth keeping: a server added and removed again (so the
        # AUTOINCREMENT counter is past the largest index), transitions,
        # a delivered and an undelivered event, queued writes.
        extra = os.path.join(tmp, "extra.json")
        fk.gen_export(extra, 6, servers=1)
        dpctl(db, "import", extra)
        dpctl(db, "import", "--snapshot", fk.SAMPLE)
        fk.bump(db, [(1, 1), (2, 2), (4, 6)])
        fk.sql(db, "UPDATE status_event SET delivered_ms = 1 WHERE seq = "
               "(SELECT min(seq) FROM status_event)")
        fk.sql(db, "INSERT INTO outbox (server_idx, package_idx, "
               "package_id, server_nal_path, site_code, property, "
               "old_value, new_value, requested_ms) SELECT d.server_idx, "
               "d.package_idx, p.package_id, s.nal_path, s.site_code, "
               "'ISVString', d.isv_string, 'queued', 5 FROM dp d JOIN "
               "server s ON s.idx = d.server_idx JOIN package p ON p.idx = "
               "d.package_idx WHERE d.server_idx = 3 AND d.package_idx = 2")
        seq = fk.query(db, "SELECT name, seq FROM sqlite_sequence "
                       "ORDER BY name")
        self.assertGreater(dict(seq)["server"], fk.query(
            db, "SELECT max(idx) FROM server WHERE rows > 0")[0][0])

        with fk.FastStack(db) as st:
            st.start_master()
            st.start_agent()
            # Quiescent first: the notifier records deliveries.
            fk.wait_delivered(db, fk.last_seq(db))
            served = fk.walk_all(st)
            backup = os.path.join(tmp, "backup.db")
            r = dpctl(db, "backup", backup)
            self.assertEqual(r.stderr, "info: %s: consistent copy of %s "
                             "written\n" % (backup, db))
        self.assertEqual(served, fk.masked(model(db)))

        restored = os.path.join(tmp, "restored", "dpagent.db")
        os.mkdir(os.path.dirname(restored))
        shutil.copyfile(backup, restored)
        self.assertEqual(fk.integrity(restored), [("ok",)])
        self.assertEqual(fk.schema(restored), fk.schema(db))
        self.assertEqual(fk.query(restored, "PRAGMA user_version"),
                         fk.query(db, "PRAGMA user_version"))
        self.assertEqual(fk.state(restored), fk.state(db))
        names = [n for _, n, _, _ in fk.schema(restored)]
        for want in ("status_event_undelivered", "outbox_open"):
            self.assertIn(want, names)

        with fk.FastStack(restored) as st:
            st.start_master()
            st.start_agent()
            self.assertEqual(fk.walk_all(st), served)
        self.assertEqual(fk.query(restored, "PRAGMA journal_mode"),
                         [("wal",)])
        # The counters go on where they were: a new server gets the next
        # index of the original, never a reused one.
        dpctl(restored, "import", extra)
        dpctl(db, "import", extra)
        self.assertEqual(fk.query(restored, "SELECT idx, nal_path FROM "
                                  "server ORDER BY idx"),
                         fk.query(db, "SELECT idx, nal_path FROM server "
                                  "ORDER BY idx"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
