#!/usr/bin/env python3
"""Security (issue 7): dpagentd gives up root, warns about files other
local users could write, and no value from the network or a file name
reaches a shell.

- dpagentd started as root with --user nobody serves the table through a
  private snmpd; /proc/PID/status shows nobody's real, effective, saved
  and filesystem IDs and only nobody's group; the database's -wal and
  -shm files are nobody's; the log says so, once.
- an unknown user, a group without a user, a switch asked for by a
  process that is not root: exit 1 with the exact message, nothing left
  behind (pid file), no connection to the master.
- a world-writable database, database directory, AgentX socket and
  socket directory: the exact warning each (also from dpagent.so).
- conf/dpagent-trap-handler fed hostile varbinds under sh and bash, and
  scripts/dpagent-import-newest fed hostile file names: nothing runs,
  everything is logged literally on one line.

What needs root (chown, switching users) is skipped with its reason
otherwise.
"""

import grp
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import ROW_ENTRY, Stack, dpctl, model, tool  # noqa: E402

SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")
TRAP_HANDLER = os.path.join(dpstack.SOURCE, "conf", "dpagent-trap-handler")
IMPORT_NEWEST = os.path.join(dpstack.SOURCE, "scripts",
                             "dpagent-import-newest")

IS_ROOT = os.geteuid() == 0
needs_root = unittest.skipUnless(IS_ROOT, "needs root (chown, setuid)")
try:
    NOBODY = pwd.getpwnam("nobody")
except KeyError:
    NOBODY = None
needs_nobody = unittest.skipIf(NOBODY is None, "no user nobody")
subagent = unittest.skipIf(dpstack.MODE == "dlmod",
                           "dpagentd's own behaviour (DP_MODE=dlmod)")


def make_db(directory):
    db = os.path.join(directory, "dp.db")
    dpctl(db, "init")
    dpctl(db, "import", SAMPLE)
    return db


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def log_lines(path):
    """The messages of a Net-SNMP -Lf log, without the empty lines."""
    return [l for l in read(path).splitlines() if l.strip()]


def proc_ids(pid):
    """Uid, Gid (real, effective, saved, filesystem) and Groups of a
    process, from /proc/PID/status."""
    out = {}
    for line in read("/proc/%d/status" % pid).splitlines():
        key, _, val = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            out[key] = [int(x) for x in val.split()]
    return out


class TempDir:
    """A directory under /tmp that other users may traverse (0755)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="dpsec.")
        os.chmod(self.path, 0o755)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def run_dpagentd(*args, user=None, group=None, timeout=20):
    """dpagentd -f -Le ... to its exit (for start-up failures)."""
    return subprocess.run([tool("dpagentd"), "-f", "-Le"] + list(args),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, user=user, group=group)


@subagent
@needs_root
@needs_nobody
class DropToNobody(unittest.TestCase):
    """dpagentd started as root with --user nobody."""

    @classmethod
    def setUpClass(cls):
        # Class cleanups run even when setUpClass fails half-way.
        cls.tmp = TempDir()
        cls.addClassCleanup(cls.tmp.close)
        dbdir = os.path.join(cls.tmp.path, "db")
        os.mkdir(dbdir, 0o750)
        cls.db = make_db(dbdir)
        for p in (dbdir, cls.db):
            os.chown(p, NOBODY.pw_uid, NOBODY.pw_gid)
        # dpctl closed it: SQLite removed -wal and -shm, so that dpagentd
        # creates them, as whoever it runs as.
        for ext in ("-wal", "-shm"):
            assert not os.path.exists(cls.db + ext), ext
        # The socket for group nogroup only (a later agentXPerms line wins
        # over dpstack's 0600), in a directory nobody may traverse.
        cls.stack = Stack(cls.db, mode="subagent",
                          extra_conf="agentXPerms 0660 0711 root %s\n" %
                          grp.getgrgid(NOBODY.pw_gid).gr_name)
        cls.addClassCleanup(cls.stack.close)
        os.chmod(cls.stack.dir, 0o711)
        cls.stack.start_master()
        cls.stack.start_agent("--user", "nobody")

    def test_serves_the_table(self):
        want = [r for r in model(self.db) if r[0].startswith(ROW_ENTRY + ".")]
        self.assertEqual(len(want), 24 * 20)
        self.assertEqual(self.stack.walk(ROW_ENTRY), want)

    def test_process_ids_are_nobody(self):
        ids = proc_ids(self.stack.agent.pid)
        self.assertEqual(ids["Uid"], [NOBODY.pw_uid] * 4)
        self.assertEqual(ids["Gid"], [NOBODY.pw_gid] * 4)
        # initgroups(): nobody's groups only, none of root's.
        want = sorted(set([NOBODY.pw_gid] + [
            g.gr_gid for g in grp.getgrall() if "nobody" in g.gr_mem]))
        self.assertEqual(sorted(ids["Groups"]), want)

    def test_wal_and_shm_are_nobodys(self):
        for ext in ("-wal", "-shm"):
            st = os.stat(self.db + ext)
            self.assertEqual((st.st_uid, st.st_gid),
                             (NOBODY.pw_uid, NOBODY.pw_gid), ext)

    def test_log_says_so_and_warns_of_nothing(self):
        lines = log_lines(self.stack.agent_log)
        want = "dropped privileges to nobody (uid %d, gid %d)" % (
            NOBODY.pw_uid, NOBODY.pw_gid)
        self.assertEqual(lines.count(want), 1, lines)
        # The drop comes before the connection to the master.
        connected = [i for i, l in enumerate(lines)
                     if l.startswith("connected to the AgentX master")]
        self.assertTrue(connected, lines)
        self.assertLess(lines.index(want), connected[0])
        self.assertEqual([l for l in lines if "world-writable" in l], [])


@subagent
class StartupRefusals(unittest.TestCase):
    """Exit 1 with the exact message, before touching the master."""

    def setUp(self):
        self.tmp = TempDir()
        self.db = make_db(self.tmp.path)
        self.pidfile = os.path.join(self.tmp.path, "dpagentd.pid")
        self.sock = os.path.join(self.tmp.path, "no-master.sock")

    def tearDown(self):
        self.tmp.close()

    def common(self, *args, **kw):
        return run_dpagentd("--db", self.db, "-x", self.sock, "-p",
                            self.pidfile, *args, **kw)

    def assert_refused(self, r, message):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(message, r.stderr.splitlines(), r.stderr)
        # Refused before the library connects (not even as root) and
        # before the database is opened.
        self.assertNotIn("agentx master", r.stderr)
        self.assertNotIn("schema version", r.stderr)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_unknown_user(self):
        r = self.common("--user", "dp-no-such-user")
        self.assert_refused(r, "unknown user 'dp-no-such-user'")

    def test_unknown_user_from_the_configuration(self):
        conf = os.path.join(self.tmp.path, "dpagentd.conf")
        with open(conf, "w") as f:
            f.write("agentuser dp-no-such-user\n")
        r = self.common("-C", "-c", conf)
        self.assert_refused(r, "unknown user 'dp-no-such-user'")

    def test_unknown_group(self):
        r = self.common("--user", "root", "--group", "dp-no-such-group")
        self.assert_refused(r, "unknown group 'dp-no-such-group'")

    @needs_root
    def test_group_without_user(self):
        try:
            pwd.getpwnam("dpagent")
            self.skipTest("user dpagent exists: it is the default user")
        except KeyError:
            pass
        r = self.common("--group", "root")
        self.assert_refused(
            r, "group root asked for without a user: give --user USER too")

    @needs_root
    @needs_nobody
    def test_switch_without_root(self):
        os.chmod(self.tmp.path, 0o777)  # the pid file, as nobody
        r = self.common("--user", "root", user=NOBODY.pw_uid,
                        group=NOBODY.pw_gid)
        self.assert_refused(r, "cannot switch to user root (group root): "
                            "not started as root")


@subagent
@needs_root
class RootWithoutUser(unittest.TestCase):
    def test_warns_when_there_is_no_default_user(self):
        try:
            pwd.getpwnam("dpagent")
            self.skipTest("user dpagent exists: dpagentd would drop to it")
        except KeyError:
            pass
        tmp = TempDir()
        self.addCleanup(tmp.close)
        db = make_db(tmp.path)
        with Stack(db, mode="subagent") as stack:
            stack.start_master()
            stack.start_agent()
            lines = log_lines(stack.agent_log)
            self.assertIn("running as root: there is no user dpagent to "
                          "drop to; create it, or give --user USER "
                          "(--user root keeps root without this warning)",
                          lines)
            self.assertEqual(proc_ids(stack.agent.pid)["Uid"], [0] * 4)
            stack.stop_agent()
            stack.start_agent("--user", "root")
            self.assertIn("running as root, as asked (user root)",
                          log_lines(stack.agent_log))


class WorldWritable(unittest.TestCase):
    """One warning line naming the path and its mode."""

    def setUp(self):
        self.tmp = TempDir()
        self.dbdir = os.path.join(self.tmp.path, "db")
        os.mkdir(self.dbdir, 0o755)
        self.db = make_db(self.dbdir)

    def tearDown(self):
        self.tmp.close()

    def db_warning(self):
        return ("database %s is world-writable (mode 0666): any local "
                "user can change it" % self.db)

    def dir_warning(self, d, what, path, mode="0777"):
        return ("directory %s is world-writable without the sticky bit "
                "(mode %s): any local user can replace the %s %s" %
                (os.path.realpath(d), mode, what, path))

    def served_log(self, stack, *extra):
        stack.start_master()
        stack.start_agent(*extra)
        lines = log_lines(stack.agent_log)
        if stack.mode == "dlmod":
            pfx = "dpagent: "
            lines = [l[len(pfx):] for l in lines if l.startswith(pfx)]
        return lines

    def test_database_and_its_directory(self):
        os.chmod(self.db, 0o666)
        os.chmod(self.dbdir, 0o777)
        with Stack(self.db) as stack:
            lines = self.served_log(stack)
        self.assertIn(self.db_warning(), lines)
        self.assertIn(self.dir_warning(self.dbdir, "database", self.db),
                      lines)
        self.assertEqual(len([l for l in lines if "world-writable" in l]),
                         2, lines)

    def test_sticky_directory_is_fine(self):
        os.chmod(self.dbdir, 0o1777)
        with Stack(self.db) as stack:
            lines = self.served_log(stack)
        self.assertEqual([l for l in lines if "world-writable" in l], [])

    @subagent
    def test_agentx_socket_and_its_directory(self):
        with Stack(self.db, mode="subagent") as stack:
            stack.start_master()
            os.chmod(stack.sock, 0o666)
            os.chmod(stack.dir, 0o777)
            stack.start_agent()
            lines = log_lines(stack.agent_log)
        self.assertIn("AgentX socket %s is world-writable (mode 0666): any "
                      "local user can connect to it" % stack.sock, lines)
        self.assertIn(self.dir_warning(stack.dir, "AgentX socket",
                                       stack.sock), lines)
        self.assertEqual(len([l for l in lines if "world-writable" in l]),
                         2, lines)

    def test_in_master_module(self):
        os.chmod(self.db, 0o666)
        with Stack(self.db, mode="dlmod") as stack:
            lines = self.served_log(stack)
        self.assertIn(self.db_warning(), lines)


# -- conf/dpagent-trap-handler: varbinds from the network -------------------

class TrapHandler(unittest.TestCase):
    """snmptrapd's traphandle input with hostile values; the handler must
    run nothing and log them literally, on one line."""

    def setUp(self):
        self.tmp = TempDir()
        self.d = self.tmp.path
        self.log = os.path.join(self.d, "traps.log")

    def tearDown(self):
        self.tmp.close()

    def pwned(self, n):
        return os.path.join(self.d, "pwned%d" % n)

    def feed(self, shell, text):
        r = subprocess.run([shell, TRAP_HANDLER], input=text.encode(),
                           capture_output=True, timeout=30, cwd=self.d,
                           env=dict(os.environ, DPAGENT_TRAP_LOG=self.log))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def hostile(self):
        p = self.pwned
        row = ".1.3.6.1.4.1.32473.77.1.4.1.%d.1.2"
        # "$(touch pwned8)" in hex, as snmptrapd shows non-printable text.
        hexed = " ".join("%02X" % b for b in ("$(touch %s)" % p(8)).encode())
        lines = [
            "host.example$(touch %s)" % p(1),
            "UDP: [127.0.0.1]:1234->[127.0.0.1]:162",
            ".1.3.6.1.2.1.1.3.0 0:0:00:01.00",
            ".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.4.1.32473.77.0.1",
            row % 18 + " 3",
            row % 19 + " 2$(touch %s)" % p(9),
            row % 9 + ' "PS1$(touch %s)`touch %s`"' % (p(2), p(3)),
            row % 14 + ' "\\\\\\\\DP01$(touch %s);\\\\"' % p(4),
            row % 15 + ' "%s"' % hexed,
            row % 20 + ' "$(touch %s)\x1b[2J\r"' % p(5),
            row % 21 + " 42; touch %s" % p(6),
            # A string with a newline in it comes as a line of its own.
            "rm -rf %s; touch %s" % (self.d, p(7)),
            "",
        ]
        want = ("dpStatusChange seq=? index=1.2 server=DP01$(touch %s); "
                "site=$(touch %s) package=PS1$(touch %s)`touch %s` "
                "status=?->deleted(3) at=$(touch %s)[2J from=host.example"
                "$(touch %s)\n" % (p(4), p(8), p(2), p(3), p(5), p(1)))
        return "\n".join(lines), want

    def check(self, shell):
        text, want = self.hostile()
        self.feed(shell, text)
        self.assertEqual(read(self.log), want)
        self.assertEqual(sorted(os.listdir(self.d)), ["traps.log"])

    def test_sh(self):
        self.check("sh")

    def test_bash(self):
        if shutil.which("bash") is None:
            self.skipTest("no bash")
        self.check("bash")

    def test_summary_numbers_only(self):
        p = self.pwned
        s = ".1.3.6.1.4.1.32473.77.1.5.%d.0"
        text = "\n".join([
            "h", "t",
            ".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.4.1.32473.77.0.2",
            s % 1 + " 5",
            s % 2 + " 1$(touch %s)" % p(1),
            s % 3 + " `touch %s`" % p(2),
            s % 4 + " a[$(touch %s)]" % p(3),
            s % 5 + " 1", s % 6 + " 1", s % 7 + " 1", s % 8 + " 2", ""])
        self.feed("sh", text)
        self.assertEqual(read(self.log),
                         "dpStatusSummary seq=?..? transitions=5 none=? "
                         "updated=1 added=1 deleted=1 other=2 from=h\n")
        self.assertEqual(sorted(os.listdir(self.d)), ["traps.log"])


# -- scripts/dpagent-import-newest: file names from the upload account ------

class ImportHostileNames(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.d = self.tmp.path
        for sub in ("incoming", "done", "failed"):
            os.mkdir(os.path.join(self.d, sub))
        self.db = os.path.join(self.d, "dp.db")
        dpctl(self.db, "init")

    def tearDown(self):
        self.tmp.close()

    def put(self, name, mtime, content=None):
        path = os.path.join(self.d, "incoming", name)
        if content is None:
            shutil.copyfile(SAMPLE, path)
        else:
            with open(path, "w") as f:
                f.write(content)
        os.utime(path, (mtime, mtime))
        return path

    def run_script(self, *args, cwd=None):
        env = dict(os.environ, DPCTL=tool("dpctl"), DPAGENT_DB=self.db,
                   DPAGENT_IMPORT_IDLE="0")
        return subprocess.run(
            ["sh", IMPORT_NEWEST, "-s", "0", "-w", "0"] + list(args),
            capture_output=True, text=True, timeout=120, env=env,
            cwd=cwd or self.d)

    def test_hostile_names(self):
        d = self.d
        t = int(time.time()) - 100
        # No "/" in a name: relative, run from d, whose listing shows
        # anything they would create.
        newest = "-rf \n$(touch pwned1);`touch pwned2`.json"
        older = ["dp export 1.json", "--snapshot.json",
                 "'; touch pwned3 #.json", "a\nb\n.json", "-.json"]
        for i, name in enumerate(older):
            self.put(name, t + i)
        self.put(newest, t + 50)
        other = "notes $(touch pwned4).txt"
        self.put(other, t, "hello")
        r = self.run_script(os.path.join(d, "incoming"))
        self.assertEqual(r.returncode, 1, r.stderr)  # the .txt failed
        self.assertEqual(os.listdir(os.path.join(d, "incoming")), [])
        done = sorted(os.listdir(os.path.join(d, "done")))
        self.assertEqual(done, sorted(
            [newest, newest + ".log"] + older +
            [n + ".superseded" for n in older]))
        self.assertEqual(sorted(os.listdir(os.path.join(d, "failed"))),
                         sorted([other, other + ".err"]))
        self.assertTrue(read(os.path.join(
            d, "done", older[0] + ".superseded")).startswith(
            "not imported: superseded by %s, a newer export, imported at "
            % newest))
        # Nothing ran: no file but ours in the test directory.
        self.assertEqual(sorted(os.listdir(d)),
                         ["done", "dp.db", "failed", "incoming"])
        # Imported: the sample's 24 rows.
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute("SELECT rows FROM meta").fetchone()[0],
                         24)
        con.close()
        # Logged literally, one line each (control characters as "?").
        lines = r.stderr.splitlines()
        shown = newest.replace("\n", "?")
        self.assertIn("dpagent-import-newest: importing " + shown, lines)
        self.assertIn("dpagent-import-newest: %s: imported; moved to %s/"
                      % (shown, os.path.join(d, "done")), lines)
        self.assertIn("dpagent-import-newest: a?b?.json: superseded by %s; "
                      "moved to %s/ unimported" % (shown,
                                                   os.path.join(d, "done")),
                      lines)
        for line in lines:
            self.assertTrue(line.startswith("dpagent-import-newest: "), line)

    def test_relative_spool_starting_with_dash(self):
        os.rename(os.path.join(self.d, "incoming"),
                  os.path.join(self.d, "-incoming"))
        self.put_dash = os.path.join(self.d, "-incoming", "dp.json")
        shutil.copyfile(SAMPLE, self.put_dash)
        r = self.run_script("--", "-incoming")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.d, "done"))),
                         ["dp.json", "dp.json.log"])

    def test_planted_link_is_not_followed(self):
        # A link named like the note the script writes, pointing at the
        # database: the note is refused, the database stays whole.
        t = int(time.time()) - 100
        self.put("old.json", t)
        self.put("new.json", t + 10)
        os.symlink(self.db, os.path.join(self.d, "done",
                                         "old.json.superseded"))
        # move_to picks a new name when done/old.json exists.
        before = os.path.getsize(self.db)
        r = self.run_script(os.path.join(self.d, "incoming"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dpagent-import-newest: old.json.superseded: exists, "
                      "not overwritten", r.stderr.splitlines())
        self.assertGreaterEqual(os.path.getsize(self.db), before)
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute("SELECT rows FROM meta").fetchone()[0],
                         24)
        con.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
