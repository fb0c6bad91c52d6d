#!/usr/bin/env python3
"""SETs of dpRefreshNow and dpISVString through a real snmpd master with the
real snmpset, over SNMPv2c and an SNMPv3 authPriv (SHA/AES) user: each
SNMP error, the atomic multi-varbind case, persistence across a dpagentd
restart, import-versus-pending precedence, dpctl pending/ack, a write to a
row removed meanwhile, a busy database."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import DATA, ROW_ENTRY, SCALARS, Stack, dpctl  # noqa: E402

SAMPLE = os.path.join(DATA, "sample-ps7.json")
ISV = ROW_ENTRY + ".6"
REFRESH = ROW_ENTRY + ".11"
RPENDING = ROW_ENTRY + ".22"
IPENDING = ROW_ENTRY + ".23"
USER, AUTH, PRIV = "dpwriter", "writer-auth-secret", "writer-priv-secret"



def sample_write_access():
    """The write-access lines of the sample configuration, as shipped."""
    path = os.path.join(dpstack.SOURCE, "conf", "snmpd.conf.d",
                        "dpagent.conf")
    with open(path) as f:
        text = f.read()
    block = text.split("# BEGIN write access\n")[1].split(
        "# END write access")[0]
    assert "access dpwriters" in block, block
    return block


# v2c "private" exists only here, to test every SNMP error with the
# plainest client; the v3 user gets the sample's own access lines.
EXTRA = ("rwcommunity private 127.0.0.1\n"
         "view systemonly included .1.3.6.1.4.1.32473.77\n" +
         sample_write_access() +
         'createUser %s SHA "%s" AES "%s"\n' % (USER, AUTH, PRIV))


def v3(*args):
    return ["-v3", "-l", "authPriv", "-u", USER, "-a", "SHA", "-A", AUTH,
            "-x", "AES", "-X", PRIV] + list(args)


class Writes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dpset.")
        self.db = os.path.join(self.tmp, "dp.db")
        dpctl(self.db, "init")
        dpctl(self.db, "import", SAMPLE)
        self.stack = Stack(self.db, extra_conf=EXTRA)
        self.stack.start_master()
        self.stack.start_agent()

    def tearDown(self):
        self.stack.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def snmpset(self, *args, auth=("-v2c", "-c", "private")):
        argv = ["snmpset"] + list(auth) + ["-t", "3", "-r", "0", "-m", "",
                                           "-M", "/dev/null", "-On",
                                           self.stack.target()] + list(args)
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=30)

    def error_of(self, *args, **kw):
        r = self.snmpset(*args, **kw)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        for line in r.stderr.splitlines():
            if line.startswith("Reason: "):
                return line.split()[1]
        return r.stderr.strip()

    def value(self, oid):
        return self.stack.get(oid)[0][2]

    def outbox(self):
        con = sqlite3.connect(self.db)
        rows = con.execute(
            "SELECT server_idx, package_idx, property, old_value, new_value, "
            "acked_ms IS NOT NULL, withdrawn_ms IS NOT NULL FROM outbox "
            "ORDER BY id").fetchall()
        con.close()
        return rows

    def test_errors_change_nothing(self):
        before = dpstack.model(self.db)
        cases = [
            ((REFRESH + ".1.1", "s", "yes"), "wrongType"),
            ((ISV + ".1.1", "i", "1"), "wrongType"),
            ((ISV + ".1.1", "s", "a" * 513), "wrongLength"),
            ((REFRESH + ".1.1", "i", "3"), "wrongValue"),
            ((REFRESH + ".1.1", "i", "0"), "wrongValue"),
            ((ISV + ".1.1", "x", "C328"), "wrongValue"),  # not UTF-8
            ((ROW_ENTRY + ".18.1.1", "i", "1"), "notWritable"),
            ((ROW_ENTRY + ".9.1.1", "s", "PS1"), "notWritable"),
            ((SCALARS + ".3.0", "u", "5"), "notWritable"),
            ((ISV + ".1.99", "s", "x"), "noCreation"),
            ((ISV + ".1", "s", "x"), "noCreation"),
            ((REFRESH + ".99.1", "i", "1"), "noCreation"),
        ]
        # A row ConfigMgr marked deleted(3): valid values, but not now.
        con = sqlite3.connect(self.db)
        s, p = con.execute("SELECT server_idx, package_idx FROM dp WHERE "
                           "status = 3 ORDER BY 1, 2").fetchone()
        con.close()
        cases.append(((ISV + ".%d.%d" % (s, p), "s", "x"),
                      "inconsistentValue"))
        cases.append(((REFRESH + ".%d.%d" % (s, p), "i", "1"),
                      "inconsistentValue"))
        for args, want in cases:
            self.assertEqual(self.error_of(*args), want, args)
        self.assertEqual(dpstack.model(self.db)[13:], before[13:])
        self.assertEqual(self.outbox(), [])
        # 512 octets of UTF-8 are fine; so is a multi-byte character.
        r = self.snmpset(ISV + ".1.2", "s", "é" * 256)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.value(ISV + ".1.2"), ("é" * 256).encode())

    def test_atomic_multi_varbind(self):
        err = self.error_of(ISV + ".1.1", "s", "first",
                            REFRESH + ".1.2", "i", "1",
                            REFRESH + ".1.3", "i", "7")
        self.assertEqual(err, "wrongValue")
        self.assertEqual(self.value(ISV + ".1.1"), b"")
        self.assertEqual(self.value(RPENDING + ".1.2"), 2)
        self.assertEqual(self.outbox(), [])
        self.assertEqual(self.value(SCALARS + ".13.0"), 0)

    def test_v3_authpriv_write_and_read_back(self):
        r = self.snmpset(ISV + ".1.1", "s", "owner=acme",
                         REFRESH + ".1.1", "i", "1", auth=v3())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.value(ISV + ".1.1"), b"owner=acme")
        self.assertEqual(self.value(REFRESH + ".1.1"), 2)  # reads false
        self.assertEqual(self.value(RPENDING + ".1.1"), 1)
        self.assertEqual(self.value(IPENDING + ".1.1"), 1)
        self.assertEqual(self.value(SCALARS + ".13.0"), 2)
        self.assertEqual(self.outbox(), [
            (1, 1, "ISVString", "", "owner=acme", 0, 0),
            (1, 1, "RefreshNow", "false", "true", 0, 0)])
        # The v3 writer's view holds only the two writable columns.
        self.assertEqual(self.error_of(ROW_ENTRY + ".18.1.1", "i", "1",
                                       auth=v3()), "noAccess")
        # authNoPriv and v2c read-only get no write access.
        noauth = ["-v3", "-l", "authNoPriv", "-u", USER, "-a", "SHA", "-A",
                  AUTH]
        self.assertIn(self.error_of(ISV + ".1.1", "s", "x", auth=noauth),
                      ("authorizationError", "noAccess"))
        self.assertIn(self.error_of(ISV + ".1.1", "s", "x",
                                    auth=("-v2c", "-c", "public")),
                      ("noAccess", "notWritable", "authorizationError"))
        self.assertEqual(self.value(ISV + ".1.1"), b"owner=acme")

    def test_withdraw_refresh(self):
        self.assertEqual(self.snmpset(REFRESH + ".1.2", "i", "1").returncode,
                         0)
        self.assertEqual(self.value(RPENDING + ".1.2"), 1)
        self.assertEqual(self.snmpset(REFRESH + ".1.2", "i", "2").returncode,
                         0)
        self.assertEqual(self.value(RPENDING + ".1.2"), 2)
        self.assertEqual(self.value(SCALARS + ".13.0"), 0)
        self.assertEqual(self.outbox(), [
            (1, 2, "RefreshNow", "false", "true", 0, 1)])
        # With nothing pending, false(2) is a no-op.
        self.assertEqual(self.snmpset(REFRESH + ".1.2", "i", "2").returncode,
                         0)
        self.assertEqual(len(self.outbox()), 1)

    def test_persistence_precedence_ack(self):
        self.assertEqual(self.snmpset(ISV + ".1.1", "s", "from-snmp")
                         .returncode, 0)
        # A restart of dpagentd loses nothing.
        self.stack.stop_agent()
        self.stack.start_agent()
        self.assertEqual(self.value(ISV + ".1.1"), b"from-snmp")
        # An export that predates the write does not overwrite it.
        with open(SAMPLE, encoding="utf-8") as f:
            data = json.load(f)
        data[0]["ISVString"] = "from-export"
        src = os.path.join(self.tmp, "later.json")
        with open(src, "w", encoding="utf-8") as f:
            json.dump(data, f)
        r = dpctl(self.db, "import", src)
        self.assertIn("kept 1 ISVString value(s) written over SNMP", r.stderr)
        self.assertEqual(self.value(ISV + ".1.1"), b"from-snmp")
        # dpctl pending lists it; ack; then imports win again.
        out = json.loads(dpctl(self.db, "pending", "--json").stdout)
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0]["Property"], "ISVString")
        self.assertEqual(out[0]["NewValue"], "from-snmp")
        self.assertEqual(out[0]["OldValue"], "")
        self.assertEqual(out[0]["PackageID"], data[0]["PackageID"])
        self.assertEqual(out[0]["ServerNALPath"], data[0]["ServerNALPath"])
        if self.stack.mode == "dlmod":
            # Inside snmpd the request's origin is known: the v2c
            # community and the manager's address, and its request-id.
            self.assertRegex(out[0]["Origin"] or "",
                             r"^private@UDP: \[127\.0\.0\.1\]:\d+->"
                             r"\[127\.0\.0\.1\]:%d$" % self.stack.port)
            self.assertIsInstance(out[0]["RequestId"], int)
        else:
            self.assertIsNone(out[0]["Origin"])
        dpctl(self.db, "ack", str(out[0]["Id"]))
        self.assertEqual(json.loads(dpctl(self.db, "pending",
                                          "--json").stdout), [])
        self.assertEqual(dpctl(self.db, "ack", str(out[0]["Id"]),
                               check=False).returncode, 1)
        dpctl(self.db, "import", src)
        self.assertEqual(self.value(ISV + ".1.1"), b"from-export")
        self.assertEqual(self.value(IPENDING + ".1.1"), 2)

    def test_row_removed_meanwhile(self):
        # A snapshot without the row: the write finds no row.
        with open(SAMPLE, encoding="utf-8") as f:
            data = json.load(f)
        con = sqlite3.connect(self.db)
        pkg, nal = con.execute(
            "SELECT p.package_id, s.nal_path FROM dp d JOIN server s ON "
            "s.idx = d.server_idx JOIN package p ON p.idx = d.package_idx "
            "WHERE d.server_idx = 1 AND d.package_idx = 1").fetchone()
        con.close()
        rest = [o for o in data if (o["PackageID"], o["ServerNALPath"]) !=
                (pkg, nal)]
        self.assertEqual(len(rest), 23)
        src = os.path.join(self.tmp, "snap.json")
        with open(src, "w", encoding="utf-8") as f:
            json.dump(rest, f)
        dpctl(self.db, "import", "--snapshot", src)
        self.assertEqual(self.error_of(ISV + ".1.1", "s", "x"), "noCreation")
        self.assertEqual(self.outbox(), [])

    def test_busy_database(self):
        # Another writer holds the database past the busy timeout: the SET
        # fails with commitFailed well within the master's timeout and
        # writes nothing; GETs are still answered.
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import sqlite3, sys, time\n"
             "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
             "c.execute('BEGIN IMMEDIATE')\n"
             "print('locked', flush=True)\n"
             "time.sleep(4)\n", self.db], stdout=subprocess.PIPE, text=True)
        dpstack._live.append(holder)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            t0 = time.monotonic()
            err = self.error_of(ISV + ".1.1", "s", "x")
            took = time.monotonic() - t0
            self.assertEqual(err, "commitFailed")
            self.assertLess(took, 1.5)
            self.assertEqual(self.value(SCALARS + ".3.0"), 24)
        finally:
            holder.kill()
            holder.wait()
        self.assertEqual(self.value(ISV + ".1.1"), b"")
        self.assertEqual(self.outbox(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
