#!/usr/bin/env python3
"""dpctl end to end on the bundled sample exports: exit statuses, what the
database holds afterwards (read with plain SQL), refused files leaving it
byte-for-byte unchanged, backup and restore keeping every index."""

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import DATA, dpctl, tool  # noqa: E402


def dump(db):
    """Every table's content, for "unchanged" checks."""
    con = sqlite3.connect(db)
    out = list(con.iterdump())
    con.close()
    return out


def keys(db):
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT d.server_idx, d.package_idx, p.package_id, s.nal_path, "
        "s.site_code FROM dp d JOIN server s ON s.idx = d.server_idx "
        "JOIN package p ON p.idx = d.package_idx ORDER BY 1, 2").fetchall()
    con.close()
    return rows


class Dpctl(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dpctl.")
        self.db = os.path.join(self.tmp, "dp.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_dpctl(self, *args):
        return subprocess.run([tool("dpctl")] + list(args),
                              capture_output=True, text=True, timeout=120)

    def test_usage_and_version(self):
        r = self.run_dpctl("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: dpctl", r.stdout)
        r = self.run_dpctl("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^dpctl \(dpagent\) \d+\.\d+\.\d+\n$")
        self.assertEqual(self.run_dpctl().returncode, 2)
        r = self.run_dpctl("--db", self.db, "frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("frobnicate: unknown command", r.stderr)
        self.assertEqual(self.run_dpctl("--db", self.db, "import").returncode,
                         2)
        # Issue 18, item 8: an unknown option of a command is a usage
        # error (exit 2, the usage line), never a file name; "--" ends
        # the options; known ones may follow the operands.
        dpctl(self.db, "init")
        for args, msg in ((("import", "--bogus", "x.json"),
                           "import: --bogus: unknown option"),
                          (("list", "--bogus"), "list: --bogus: unknown "
                           "option"),
                          (("backup", "-x"), "backup: -x: unknown option"),
                          (("prune", "--days"), "prune: --days needs a "
                           "value")):
            r = self.run_dpctl("--db", self.db, *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("error: " + msg + "\nusage: dpctl", r.stderr)
        r = self.run_dpctl("--db", self.db, "import",
                           os.path.join(DATA, "sample-ps7.json"),
                           "--snapshot")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("24 records: 24 inserted", r.stderr)
        r = subprocess.run([tool("dpctl"), "--db", self.db, "backup", "--",
                            "-copy.db"], capture_output=True, text=True,
                           cwd=self.tmp, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "-copy.db")))

    def test_missing_database(self):
        r = dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"),
                  check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("create it with 'dpctl --db %s init'" % self.db,
                      r.stderr)
        self.assertFalse(os.path.exists(self.db))

    def test_init_modes(self):
        old = os.umask(0o022)  # dpctl's own umask 007 must win
        try:
            r = dpctl(self.db, "init")
        finally:
            os.umask(old)
        version = int(re.search(r"schema version (\d+)", r.stderr).group(1))
        self.assertGreaterEqual(version, 2)
        mode = stat.S_IMODE(os.stat(self.db).st_mode)
        self.assertEqual(mode, 0o660, oct(mode))  # the group writes too
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0],
                         version)
        self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0],
                         "wal")
        con.close()
        dpctl(self.db, "init")  # again: nothing to migrate, no error

    def test_import_formats_agree(self):
        """The PowerShell 7 JSON, the Windows PowerShell 5.1 JSON
        (UTF-16LE, /Date()/) and the Get-WmiObject CSV of one hierarchy
        give the same rows and keys."""
        dpctl(self.db, "init")
        r = dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        self.assertIn("24 records: 24 inserted, 0 updated, 0 unchanged, "
                      "0 removed", r.stderr)
        first = keys(self.db)
        self.assertEqual(len(first), 24)
        r = dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        self.assertIn("24 records: 0 inserted, 0 updated, 24 unchanged",
                      r.stderr)
        for other in ("sample-wps51-utf16.json", "sample-wmi.csv"):
            path = os.path.join(DATA, other)
            r = dpctl(self.db, "import", path)
            self.assertIn("24 records: 0 inserted", r.stderr, other)
            self.assertEqual(keys(self.db), first, other)
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute(
            "SELECT servers, packages, rows FROM meta").fetchone(),
            (4, 6, 24))
        con.close()

    def test_refused_files_change_nothing(self):
        dpctl(self.db, "init")
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        before = dump(self.db)
        cases = {
            "bad-date-culture.csv": r"record 2 \(PackageID PS100034\): "
                                    r"field LastRefreshTime:",
            "bad-dup-key.json": r"record 4 \(PackageID PS100034\): .*"
                                r"record 2",
            "bad-dup-property.json": r"line \d+, column \d+: duplicate",
            "bad-fieldcount.csv": r"record 2: 36 fields",
            "bad-long-string.json": r"record 2 \(PackageID PS100034\): "
                                    r"field ISVString: 514 octets",
            "bad-status-range.json": r"record 2 \(PackageID PS100034\): "
                                     r"field Status: 4294967296 is outside "
                                     r"Integer32",
            "bad-truncated.json": r"line \d+, column \d+: premature end",
            "bad-types.json": r"record 3 \(PackageID PS100041\): field "
                              r"Status: expected an integer",
            "bad-unterminated.csv": r"line 4, column 1: the file ends inside "
                                    r"a quoted field",
            "bad-utf8.csv": r"record 1 \(PackageID PS100012\): field "
                            r"SiteName: not valid UTF-8",
            "bad-empty.json": r"the file is empty \(0 bytes, no JSON or "
                              r"CSV in it\): not an export; nothing "
                              r"imported",
        }
        for name, pattern in cases.items():
            path = os.path.join(DATA, name)
            # A good file first: the bad one refuses the whole import.
            r = dpctl(self.db, "import",
                      os.path.join(DATA, "ok-new-server.json"), path,
                      check=False)
            self.assertEqual(r.returncode, 1, name)
            self.assertRegex(r.stderr, re.escape(path) + ": " + pattern,
                             name)
            self.assertIn("import refused; the database is unchanged",
                          r.stderr)
            self.assertEqual(dump(self.db), before, name)
        # What a broken pipeline hands over: /dev/null, alone.  Refused,
        # and the import time (dpLastImportAge) does not move.
        r = dpctl(self.db, "import", "/dev/null", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("/dev/null: the file is empty (0 bytes", r.stderr)
        self.assertEqual(dump(self.db), before)

    def test_snapshot_and_stable_indexes(self):
        dpctl(self.db, "init")
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        first = keys(self.db)
        r = dpctl(self.db, "import", "--snapshot",
                  os.path.join(DATA, "ok-new-server.json"))
        n_new = len(keys(self.db))
        self.assertIn("24 removed", r.stderr)
        self.assertLess(n_new, 24)
        # The full set again: every row gets its old index back.
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        again = [k for k in keys(self.db) if k in first]
        self.assertEqual(again, first)

    def test_keys_ignore_case(self):
        """Issue 18, item 6: "ps1" is PS1, "ps100012" is PS100012, as WMI
        compares them: the first spelling is kept, nothing is added, and
        two spellings of one key in one run are a duplicate."""
        dpctl(self.db, "init")
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        first = keys(self.db)
        with open(os.path.join(DATA, "sample-ps7.json"),
                  encoding="utf-8") as f:
            recs = __import__("json").load(f)
        for r in recs:
            r["SiteCode"] = r["SiteCode"].lower()
            r["PackageID"] = r["PackageID"].lower()
            r["ServerNALPath"] = r["ServerNALPath"].upper()
        low = os.path.join(self.tmp, "lower.json")
        with open(low, "w", encoding="utf-8") as f:
            __import__("json").dump(recs, f)
        r = dpctl(self.db, "import", "--snapshot", low)
        self.assertIn("24 records: 0 inserted, 0 updated, 24 unchanged, "
                      "0 removed", r.stderr)
        self.assertEqual(keys(self.db), first)
        before = dump(self.db)
        r = self.run_dpctl("--db", self.db, "import",
                           os.path.join(DATA, "sample-ps7.json"), low)
        self.assertEqual(r.returncode, 1)
        self.assertIn("lower.json: record 1 (PackageID ps100012): same "
                      "class key (PackageID, ServerNALPath, SiteCode) as "
                      "record 1 of %s" % os.path.join(DATA,
                                                      "sample-ps7.json"),
                      r.stderr)
        self.assertEqual(dump(self.db), before)

    def test_control_characters_escaped(self):
        """Issue 18, item 9: ESC, BEL, a newline from an import or a SET
        are shown as \\xNN by list, show and pending; --json is exact."""
        import json
        dpctl(self.db, "init")
        with open(os.path.join(DATA, "sample-single.json"),
                  encoding="utf-8") as f:
            rec = json.load(f)
        rec = rec[0] if isinstance(rec, list) else rec
        hostile = "\x1b[31mred\nforged 9.9 row\x07"
        rec["ISVString"] = hostile
        rec["SiteName"] = "HQ\r\nSITE"
        path = os.path.join(self.tmp, "hostile.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump([rec], f)
        dpctl(self.db, "import", path)
        con = sqlite3.connect(self.db)
        con.execute("INSERT INTO outbox (server_idx, package_idx, "
                    "package_id, server_nal_path, site_code, property, "
                    "old_value, new_value, requested_ms) VALUES "
                    "(1, 1, ?, ?, ?, 'ISVString', '', ?, 1)",
                    (rec["PackageID"], rec["ServerNALPath"],
                     rec["SiteCode"], hostile))
        con.commit()
        con.close()
        show = dpctl(self.db, "show", "1.1").stdout
        self.assertIn("ISVString        \\x1b[31mred\\x0aforged 9.9 "
                      "row\\x07\n", show)
        self.assertIn("SiteName         HQ\\x0d\\x0aSITE\n", show)
        pending = dpctl(self.db, "pending").stdout
        lines = pending.splitlines()
        self.assertEqual(len(lines), 2, pending)
        self.assertTrue(lines[1].endswith(" ISVString  \\x1b[31mred"
                                          "\\x0aforged 9.9 row\\x07"),
                        lines[1])
        for out in (show, pending, dpctl(self.db, "list").stdout,
                    dpctl(self.db, "list", "rows").stdout):
            for c in "\x1b\x07\r":
                self.assertNotIn(c, out)
        # JSON stays exact.
        w = json.loads(dpctl(self.db, "pending", "--json").stdout)
        self.assertEqual(w[0]["NewValue"], hostile)

    def test_list_show(self):
        dpctl(self.db, "init")
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        out = dpctl(self.db, "list").stdout
        self.assertIn("servers 4, packages 6, rows 24", out)
        lines = dpctl(self.db, "list", "rows").stdout.splitlines()
        self.assertEqual(len(lines), 25)
        self.assertTrue(lines[1].startswith("1.1 "), lines[1])
        lines = dpctl(self.db, "list", "rows", "2").stdout.splitlines()
        self.assertEqual(len(lines), 7)
        self.assertTrue(all(x.startswith("2.") for x in lines[1:]))
        out = dpctl(self.db, "show", "1.1").stdout
        self.assertRegex(out, r"(?m)^PackageID +PS100012$")
        self.assertRegex(out, r"(?m)^SiteCode +PS1$")
        self.assertRegex(out, r"(?m)^Status +0 \(none\)$")
        self.assertEqual(out, dpctl(self.db, "show", "PS100012",
                                    "DP01.corp.contoso.com").stdout)
        r = dpctl(self.db, "show", "99.1", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such row", r.stderr)

    def test_distribution_states(self):
        """The second class: both imported in one run, counted in list,
        shown with the row, refused when a file mixes the classes or has
        neither; the summary line of each class."""
        dpctl(self.db, "init")
        r = dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"),
                  os.path.join(DATA, "sample-dist-wps51-utf16.json"))
        self.assertIn("import: 24 records: 24 inserted, 0 updated, 0 "
                      "unchanged, 0 removed, 0 warnings", r.stderr)
        self.assertIn("import: 24 distribution states (SMS_PackageStatus"
                      "DistPointsSummarizer): 24 inserted, 0 updated, 0 "
                      "unchanged, 0 removed, 0 warnings", r.stderr)
        out = dpctl(self.db, "list").stdout
        self.assertIn("\ndistribution states 24 (installed 18, inprogress "
                      "2, retrying 1, failed 2, other 1)\n", out)
        out = dpctl(self.db, "show", "PS100034",
                    "DP02.corp.contoso.com").stdout
        self.assertRegex(out, r"(?m)^Status +1 \(updated\)$")
        self.assertRegex(out, r"(?m)^State +3 \(installFailed\)$")
        self.assertRegex(out, r"(?m)^SourceVersion +4$")
        self.assertRegex(out, r"(?m)^LastCopied +1990-01-01T00:00:00"
                         r"\.000000$")
        self.assertRegex(out, r"(?m)^SummaryDate +2024-06-02T09:15:30"
                         r"\.008000\+00:00$")
        before = dump(self.db)
        for name, want in (
                ("bad-dist-mixed.json", "record 2 (PackageID PS100034): "
                 "field State: a property of SMS_PackageStatusDistPoints"
                 "Summarizer in a record with Status"),
                ("bad-dist-neither.json", "record 1 (PackageID PS100012): "
                 "no property tells its class")):
            r = self.run_dpctl("--db", self.db, "import",
                               os.path.join(DATA, name))
            self.assertEqual(r.returncode, 1, name)
            self.assertIn(name + ": " + want, r.stderr)
            self.assertIn("import refused; the database is unchanged",
                          r.stderr)
            self.assertEqual(dump(self.db), before, name)

    def test_backup_restore(self):
        dpctl(self.db, "init")
        dpctl(self.db, "import", os.path.join(DATA, "sample-ps7.json"))
        out = os.path.join(self.tmp, "backup.db")
        dpctl(self.db, "backup", out)
        r = dpctl(self.db, "backup", out, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists; refusing to overwrite", r.stderr)
        # Restore: the copy replaces the database; indexes are kept.
        restored = os.path.join(self.tmp, "restored.db")
        shutil.copy(out, restored)
        self.assertEqual(keys(restored), keys(self.db))
        self.assertEqual(dpctl(restored, "list", "rows").stdout,
                         dpctl(self.db, "list", "rows").stdout)
        con = sqlite3.connect(restored)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0],
                         "ok")
        con.close()
        dpctl(restored, "import", os.path.join(DATA, "ok-new-server.json"))
        self.assertEqual([k for k in keys(restored) if k in keys(self.db)],
                         keys(self.db))

    def test_prune(self):
        dpctl(self.db, "init")
        r = dpctl(self.db, "prune", "--days", "7")
        self.assertIn("pruned 0 delivered events and 0 acknowledged writes "
                      "older than 7 days", r.stderr)
        self.assertEqual(dpctl(self.db, "prune", "--days", "x",
                               check=False).returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
