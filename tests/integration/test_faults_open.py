#!/usr/bin/env python3
"""A database that cannot be used (issue 7): missing, a directory,
unreadable, with a damaged header, truncated, of a newer schema.  dpagentd
refuses to start and dpctl refuses the command, both with exit status 1
and one message that names the file and the problem (doc/faults.md), and
neither changes the file."""

import hashlib
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
import faultkit as fk  # noqa: E402

NOBODY = 65534

with open(os.path.join(dpstack.SOURCE, "src", "model", "dp_store.h")) as _f:
    SCHEMA = int(re.search(r"#define DP_SCHEMA_VERSION (\d+)",
                           _f.read()).group(1))


def as_nobody():
    """Root reads a mode-000 file anyway: the unreadable case runs its
    programs as nobody."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def digest(path):
    if os.path.isdir(path) or not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class BadDatabase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fk.TempDir()
        os.chmod(cls.tmp.path, 0o755)  # nobody must reach the files
        cls.good = fk.make_db(cls.tmp.path, "good.db")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def copy(self, name):
        path = os.path.join(self.tmp.path, name)
        with open(self.good, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        return path

    def cases(self):
        """(name, path, message, preexec)"""
        t = self.tmp.path
        out = []
        db = os.path.join(t, "missing.db")
        out.append(("missing", db, "%s: unable to open database file: No "
                    "such file or directory (create it with 'dpctl --db %s "
                    "init')" % (db, db), None))
        db = os.path.join(t, "adir.db")
        os.mkdir(db)
        out.append(("directory", db, "%s: unable to open database file: it "
                    "is a directory" % db, None))
        db = self.copy("unreadable.db")
        os.chmod(db, 0)
        out.append(("unreadable", db, "%s: unable to open database file: "
                    "Permission denied" % db,
                    as_nobody if os.geteuid() == 0 else None))
        db = self.copy("header.db")
        with open(db, "r+b") as f:
            f.write(b"this is no SQLite header")
        out.append(("damaged header", db, "%s: not a dpagent database, or "
                    "its header is damaged (file is not a database): check "
                    "the path, or restore the database from a backup" % db,
                    None))
        db = self.copy("truncated.db")
        os.truncate(db, os.path.getsize(db) // 2)
        out.append(("truncated", db, "%s: the database is damaged (database "
                    "disk image is malformed): restore it from a backup "
                    "('dpctl backup' writes one)" % db, None))
        db = self.copy("newer.db")
        fk.sql(db, "PRAGMA user_version = %d" % (SCHEMA + 1))
        out.append(("newer schema", db, "%s: database schema version %d is "
                    "newer than this dpagent's (%d): upgrade dpagent" %
                    (db, SCHEMA + 1, SCHEMA), None))
        return out

    def test_dpagentd_and_dpctl(self):
        sock = os.path.join(self.tmp.path, "no-master.sock")
        for name, db, msg, pre in self.cases():
            before = digest(db)
            with self.subTest(program="dpagentd", case=name):
                r = subprocess.run(
                    [dpstack.tool("dpagentd"), "-f", "-C", "--db", db, "-x",
                     sock, "-Le"], preexec_fn=pre, capture_output=True,
                    text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stderr)
                # The master's absence is only a warning (it may come
                # later); the database's problem ends the program, said
                # once, last.
                lines = r.stderr.splitlines()
                self.assertIn("Warning: Failed to connect to the agentx "
                              "master agent (%s): " % sock, lines)
                self.assertEqual(lines[-1], msg)
                self.assertEqual(lines.count(msg), 1)
            commands = [("list",), ("import", fk.SAMPLE)]
            if name != "missing":
                commands.append(("init",))  # init creates a missing one
            for cmd in commands:
                with self.subTest(program="dpctl " + cmd[0], case=name):
                    r = subprocess.run(
                        [dpstack.tool("dpctl"), "--db", db] + list(cmd),
                        preexec_fn=pre, capture_output=True, text=True,
                        timeout=30)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertEqual(r.stderr.splitlines(),
                                     ["error: " + msg])
                    self.assertEqual(r.stdout, "")
            self.assertEqual(digest(db), before, "%s: file changed" % name)
            self.assertFalse(os.path.exists(db + "-wal"), name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
