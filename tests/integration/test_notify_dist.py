#!/usr/bin/env python3
"""dpDistStateChange end to end (issue 13): a real snmpd master on
loopback, dpagentd (or dpagent.so, DP_MODE=dlmod) and a real snmptrapd.

State transitions made by dpctl import of SMS_PackageStatusDistPoints-
Summarizer exports: the first appearance of failed and retrying rows, a
State moving to installFailed(3) and back, a removal by --snapshot (new
State absent(-1)), each with the exact varbinds built from the event row;
Status and State transitions of one import in one sequence, in commit
order; dpDistStateSince moving with the State; dpStatusSummary counting
distribution States by bucket past notifyBacklog.  The oracle is the event
log and the dist table read with plain SQL.
"""

import json
import os
import shutil
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (DIST_CHANGE, DIST_ENTRY, SCALARS,  # noqa: E402
                     SNMP_TRAP_OID, STATUS_CHANGE, STATUS_SUMMARY, SUMMARY,
                     SYS_UPTIME, Stack, TrapReceiver, agent_conf, dpctl,
                     expected_dist_change, expected_status_change,
                     ms_date_and_time)

SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")
DIST = os.path.join(dpstack.DATA, "sample-dist-ps7.json")


def query(db, q, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(q, args).fetchall()
    finally:
        con.close()


def events(db, after=0, kind=None):
    rows = query(db, "SELECT * FROM status_event WHERE seq > ? ORDER BY seq",
                 after)
    return [r for r in rows if kind is None or r["kind"] == kind]


def last_seq(db):
    return query(db, "SELECT coalesce(max(seq), 0) AS m FROM "
                 "status_event")[0]["m"]


def dist_records():
    with open(DIST, encoding="utf-8") as f:
        return json.load(f)


def host(rec):
    return rec["ServerNALPath"].rsplit("\\\\", 1)[1].rstrip("\\")


def write(directory, name, records):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(records, f)
    return path


class Base(unittest.TestCase):
    conf = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dptest.")
        cls.db = os.path.join(cls.tmp, "dp.db")
        dpctl(cls.db, "init")
        dpctl(cls.db, "import", SAMPLE, DIST)
        cls.rx = TrapReceiver().start()
        cls.stack = Stack(cls.db, sinks=[cls.rx.sink()])
        cls.stack.start_master()
        cls.stack.start_agent("-c", agent_conf(cls.tmp, **cls.conf))

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()
        cls.rx.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dist_traps(self, after=0):
        return [t for t in self.rx.of(DIST_CHANGE)
                if t.dist_seq is not None and t.dist_seq > after]

    def wait_dist(self, seqs, after=0):
        want = set(seqs)
        self.rx.wait(lambda r: want <= {t.dist_seq for t in
                                        self.dist_traps(after)},
                     "dpDistStateChange seq %s" % sorted(want))

    def assert_sent(self, evs, after):
        """Each event of evs arrived once, in seq order, with the exact
        varbinds of its event row."""
        self.wait_dist([e["seq"] for e in evs], after)
        got = self.dist_traps(after)
        self.assertEqual([t.dist_seq for t in got], [e["seq"] for e in evs])
        for t, e in zip(got, evs):
            self.assertEqual(t.varbinds[0][0], SYS_UPTIME)
            self.assertEqual(t.varbinds[1:], expected_dist_change(e))


class Transitions(Base):
    def test_1_first_appearance_of_failed_and_retrying(self):
        evs = events(self.db, kind=1)
        # The sample's rows in states 2, 3 and 6, in import order; none
        # for the 21 that appeared installed, pending, updating or
        # monitoring.
        self.assertEqual([(e["package_id"], e["status"], e["prev_status"])
                          for e in evs],
                         [("PS100034", 3, -1), ("PS200003", 2, -1),
                          ("PS100057", 6, -1)])
        self.assert_sent(evs, 0)

    def test_2_to_failed_and_back(self):
        self.wait_dist([e["seq"] for e in events(self.db, kind=1)])
        recs = dist_records()
        i = next(k for k, r in enumerate(recs)
                 if r["PackageID"] == "PS100012" and
                 host(r) == "DP01.corp.contoso.com")
        self.assertEqual(recs[i]["State"], 0)
        key = query(self.db, "SELECT d.server_idx AS s, d.package_idx AS p, "
                    "d.state_since_ms AS since FROM dist d JOIN package p "
                    "ON p.idx = d.package_idx JOIN server s ON "
                    "s.idx = d.server_idx WHERE p.package_id = 'PS100012' "
                    "AND s.name = 'DP01.corp.contoso.com'")[0]
        inst = ".%d.%d" % (key["s"], key["p"])
        before = last_seq(self.db)

        recs[i]["State"] = 3
        dpctl(self.db, "import", write(self.tmp, "failed.json", recs))
        row = query(self.db, "SELECT state, state_since_ms FROM dist WHERE "
                    "server_idx = ? AND package_idx = ?", key["s"],
                    key["p"])[0]
        self.assertEqual(row["state"], 3)
        self.assertGreater(row["state_since_ms"], key["since"])
        self.assertEqual(self.stack.get(DIST_ENTRY + ".4" + inst,
                                        DIST_ENTRY + ".9" + inst), [
            (DIST_ENTRY + ".4" + inst, "INTEGER", 3),
            (DIST_ENTRY + ".9" + inst, "STRING",
             ms_date_and_time(row["state_since_ms"]))])
        self.assertEqual(self.stack.get(SCALARS + ".18.0"),
                         [(SCALARS + ".18.0", "Gauge32", 3)])

        recs[i]["State"] = 0
        dpctl(self.db, "import", write(self.tmp, "back.json", recs))
        evs = events(self.db, before)
        self.assertEqual([(e["kind"], e["status"], e["prev_status"])
                          for e in evs], [(1, 3, 0), (1, 0, 3)])
        self.assert_sent(evs, before)
        self.assertEqual(self.stack.get(SCALARS + ".18.0"),
                         [(SCALARS + ".18.0", "Gauge32", 2)])

    def test_3_removal_and_one_sequence(self):
        self.wait_dist([e["seq"] for e in events(self.db, kind=1)])
        before = last_seq(self.db)
        rows_before = query(self.db, "SELECT rows FROM meta")[0]["rows"]
        # A snapshot of the summarizer without DP03's driver package
        # (retrying): one removal; dpTable keeps its 24 rows.
        recs = [r for r in dist_records()
                if not (r["PackageID"] == "PS200003" and
                        host(r) == "DP03.branch.contoso.com")]
        self.assertEqual(len(recs), 23)
        dpctl(self.db, "import", "--snapshot",
              write(self.tmp, "snapshot.json", recs))
        evs = events(self.db, before)
        self.assertEqual([(e["kind"], e["package_id"], e["status"],
                           e["prev_status"]) for e in evs],
                         [(1, "PS200003", -1, 2)])
        self.assertEqual(query(self.db, "SELECT rows FROM meta")[0]["rows"],
                         rows_before)
        self.assert_sent(evs, before)

        # One import of both classes: a Status and a State transition,
        # one sequence, commit order.
        before = last_seq(self.db)
        with open(SAMPLE, encoding="utf-8") as f:
            dp = json.load(f)
        dp[0]["Status"] = 3 if dp[0]["Status"] != 3 else 0
        recs[0]["State"] = 5
        dpctl(self.db, "import", write(self.tmp, "dp.json", dp),
              write(self.tmp, "dist.json", recs))
        evs = events(self.db, before)
        self.assertEqual([e["kind"] for e in evs], [0, 1])
        self.assertEqual(evs[1]["seq"], evs[0]["seq"] + 1)
        self.assert_sent(evs[1:], before)
        st = [t for t in self.rx.of(STATUS_CHANGE) if t.seq == evs[0]["seq"]]
        self.rx.wait(lambda r: any(t.seq == evs[0]["seq"]
                                   for t in r.of(STATUS_CHANGE)),
                     "dpStatusChange seq %d" % evs[0]["seq"])
        st = [t for t in self.rx.of(STATUS_CHANGE) if t.seq == evs[0]["seq"]]
        self.assertEqual(st[0].varbinds[1:], expected_status_change(evs[0]))


class Summary(Base):
    conf = {"notifyBacklog": 10}

    def test_summary_counts_states(self):
        self.wait_dist([e["seq"] for e in events(self.db, kind=1)])
        before = last_seq(self.db)
        recs = dist_records()
        # 12 to failed (3 or 6 where not already), 6 to retrying, the
        # rest to installed where not, one removed by the snapshot.
        for k, r in enumerate(recs):
            r["State"] = (3, 6, 2, 5, 0, 0)[k % 6]
        removed = recs.pop()
        dpctl(self.db, "import", "--snapshot",
              write(self.tmp, "many.json", recs))
        evs = events(self.db, before)
        self.assertGreater(len(evs), 10)
        self.rx.wait(lambda r: len(r.of(STATUS_SUMMARY)) >= 1,
                     "dpStatusSummary")
        s = self.rx.of(STATUS_SUMMARY)[-1]
        by = {b: 0 for b in ("installed", "inprogress", "retrying",
                             "failed", "other")}
        gone = 0
        for e in evs:
            self.assertEqual(e["kind"], 1)
            v = e["status"]
            if v == -1:
                gone += 1
            elif v == 0:
                by["installed"] += 1
            elif v in (1, 4, 7):
                by["inprogress"] += 1
            elif v in (2, 5):
                by["retrying"] += 1
            elif v in (3, 6):
                by["failed"] += 1
            else:
                by["other"] += 1
        self.assertEqual(gone, 1, removed)
        self.assertTrue(by["failed"] and by["retrying"] and by["installed"])
        want = [(SNMP_TRAP_OID, "OID", STATUS_SUMMARY)] + [
            (SUMMARY + ".%d.0" % i, "Gauge32", v) for i, v in enumerate(
                [len(evs), evs[0]["seq"], evs[-1]["seq"], 0, 0, 0, 0, 0,
                 len(evs), by["installed"], by["inprogress"],
                 by["retrying"], by["failed"], by["other"], gone], 1)]
        self.assertEqual(s.varbinds[1:], want)
        # None of them is sent alone.
        self.assertEqual(self.dist_traps(before), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
