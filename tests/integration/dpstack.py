"""A private Net-SNMP stack for integration tests: a real snmpd master on
127.0.0.1 and a high UDP port with its AgentX socket in a temporary
directory, dpagentd connected to it, and the real clients (snmpget,
snmpwalk, snmpbulkwalk, snmptable) to query them.

Two modes (environment DP_MODE, or Stack(mode=...)):

  subagent (default)  dpagentd, an AgentX subagent of the private snmpd;
  dlmod               no dpagentd: the private snmpd loads dpagent.so
                      ("dlmod dpagent BUILD/dpagent.so" and dpagentDatabase
                      in its snmpd.conf).  "The agent" is then snmpd with the
                      module: start_agent() writes the module's lines (and
                      the dpagentd.conf tokens given with -c, as dpagent*
                      tokens) and (re)starts snmpd; stop_agent() stops
                      snmpd; self.agent is the snmpd process and agent_log
                      its log.  start_master() alone starts snmpd without
                      the module until start_agent() was called.

Under valgrind (environment DP_VALGRIND=1, subagent mode only): every
dpagentd that start_agent() starts runs under valgrind memcheck (VALGRIND
below: --error-exitcode=99, definite leaks count as errors, log in the
stack's directory as valgrind.PID.log, tests/valgrind.supp for library
noise).  Waits for processes to start and stop are SLOW times longer.
When the Stack stops such a dpagentd with SIGTERM (stop_agent(), close())
it must exit 0; 99 (errors or definite leaks) or anything else fails the
test with the valgrind log.  Tests that kill dpagentd with SIGKILL (no
leak check then) or measure timing tightly skip themselves with
skip_under_valgrind(reason).

Every process started here is stopped by PID, also when a test fails or
the run is interrupted.  Nothing touches the system's snmpd or its files.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

ROOT = ".1.3.6.1.4.1.32473.77"
OBJECTS = ROOT + ".1"
SCALARS = OBJECTS + ".1"
# The dpScalars counters and the column of the meta table each serves.
SCALAR_COLUMNS = (("dpServerCount", "servers"),
                  ("dpPackageCount", "packages"),
                  ("dpRowCount", "rows"), ("dpRowsNone", "n_none"),
                  ("dpRowsUpdated", "n_updated"),
                  ("dpRowsAdded", "n_added"),
                  ("dpRowsDeleted", "n_deleted"),
                  ("dpRowsOther", "n_other"),
                  ("dpChangeCounter", "change_counter"),
                  ("dpPendingWrites", "pending_writes"),
                  ("dpDistRows", "d_rows"),
                  ("dpDistInstalled", "d_installed"),
                  ("dpDistInProgress", "d_inprogress"),
                  ("dpDistRetrying", "d_retrying"),
                  ("dpDistFailed", "d_failed"),
                  ("dpDistOther", "d_other"))
# The counts of dpDistTable's rows by State bucket, in dpScalars,
# dpServerEntry and dpPackageEntry order, as the model's columns.
DIST_COUNTS = ("d_rows", "d_installed", "d_inprogress", "d_retrying",
               "d_failed", "d_other")
SERVER_ENTRY = OBJECTS + ".2.1"
PACKAGE_ENTRY = OBJECTS + ".3.1"
ROW_ENTRY = OBJECTS + ".4.1"
DIST_ENTRY = OBJECTS + ".6.1"

MODE = os.environ.get("DP_MODE", "subagent")
if MODE not in ("subagent", "dlmod"):
    raise RuntimeError("DP_MODE must be subagent or dlmod, not %r" % MODE)

# dpagentd.conf token -> snmpd.conf token of dpagent.so
DLMOD_TOKENS = {"database": "dpagentDatabase",
                "busyTimeout": "dpagentBusyTimeout",
                "notifyRate": "dpagentNotifyRate",
                "notifyBacklog": "dpagentNotifyBacklog"}

VALGRIND = os.environ.get("DP_VALGRIND", "") not in ("", "0")
if VALGRIND and MODE == "dlmod":
    raise RuntimeError("DP_VALGRIND=1 checks dpagentd: subagent mode only")
if VALGRIND and shutil.which("valgrind") is None:
    raise RuntimeError("DP_VALGRIND=1 but valgrind is not installed")
VALGRIND_ERROR = 99  # valgrind's exit code for errors or definite leaks
# Valgrind starts dpagentd ~20x slower and checks leaks at exit: every wait
# for a process to start or stop is this many times longer.
SLOW = 10 if VALGRIND else 1

BUILD = os.environ.get("DP_BUILD_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SOURCE, "tests", "data")

_live = []  # processes to stop at exit, whatever happens


def _stop_all():
    for proc in list(_live):
        _stop(proc)


atexit.register(_stop_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, lambda s, f: (_stop_all(), os._exit(128 + s)))


def _stop(proc, sig=signal.SIGTERM):
    if proc in _live:
        _live.remove(proc)
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=5 * SLOW)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def free_udp_port():
    """A UDP port on 127.0.0.1 that nothing uses right now."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port > 10000:
            return port
    raise RuntimeError("no free UDP port")


def tool(name):
    path = os.path.join(BUILD, name)
    if not os.path.exists(path):
        raise RuntimeError("%s not built (DP_BUILD_DIR=%s)" % (name, BUILD))
    return os.path.abspath(path)


def dpctl(db, *args, check=True):
    r = subprocess.run([tool("dpctl"), "--db", db] + list(args),
                       capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError("dpctl %s failed (%d): %s" %
                             (" ".join(args), r.returncode, r.stderr))
    return r


def agent_conf(directory, **tokens):
    """A dpagentd.conf; agentxPingInterval 1 makes reconnection quick."""
    path = os.path.join(directory, "dpagentd.conf")
    tokens.setdefault("agentxPingInterval", 1)
    with open(path, "w") as f:
        for k, v in tokens.items():
            f.write("%s %s\n" % (k, v))
    return path


def sql(db, *statements):
    """Each statement (text or (text, args)) in one transaction, as another
    writer of the database would."""
    con = sqlite3.connect(db, timeout=10)
    try:
        for st in statements:
            if isinstance(st, tuple):
                con.execute(*st)
            else:
                con.execute(st)
        con.commit()
    finally:
        con.close()


def expected_status_change(ev):
    """The varbinds after sysUpTime.0 of the dpStatusChange of ev, a
    status_event row."""
    inst = ".%d.%d" % (ev["server_idx"], ev["package_idx"])
    col = ROW_ENTRY + ".%d" + inst
    return [(SNMP_TRAP_OID, "OID", STATUS_CHANGE),
            (col % 18, "INTEGER", ev["status"]),
            (col % 19, "INTEGER", ev["prev_status"]),
            (col % 9, "STRING", ev["package_id"].encode()),
            (col % 14, "STRING", ev["server_nal_path"].encode()),
            (col % 15, "STRING", ev["site_code"].encode()),
            (col % 20, "STRING", ms_date_and_time(ev["at_ms"])),
            (col % 21, "Gauge32", ev["seq"] & 0xffffffff)]


def expected_dist_change(ev):
    """The varbinds after sysUpTime.0 of the dpDistStateChange of ev, a
    status_event row of kind 1 (status and prev_status hold States)."""
    inst = ".%d.%d" % (ev["server_idx"], ev["package_idx"])
    col = DIST_ENTRY + ".%d" + inst
    return [(SNMP_TRAP_OID, "OID", DIST_CHANGE),
            (col % 4, "INTEGER", ev["status"]),
            (col % 10, "INTEGER", ev["prev_status"]),
            (col % 1, "STRING", ev["package_id"].encode()),
            (col % 2, "STRING", ev["server_nal_path"].encode()),
            (col % 3, "STRING", ev["site_code"].encode()),
            (col % 11, "STRING", ms_date_and_time(ev["at_ms"])),
            (col % 12, "Gauge32", ev["seq"] & 0xffffffff)]


def seqs_of(receiver, after=0):
    """dpSequence of the dpStatusChanges a TrapReceiver got, after seq."""
    return [t.seq for t in receiver.of(STATUS_CHANGE)
            if t.seq is not None and t.seq > after]


def first_appearances(seqs):
    """seqs without the repeats of a resend, in order."""
    seen, out = set(), []
    for s in seqs:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def subagent_only(reason):
    """A unittest skip decorator for what only the AgentX subagent has
    (DP_MODE=dlmod prints the reason)."""
    import unittest
    return unittest.skipIf(MODE == "dlmod", "subagent only: " + reason)


def skip_under_valgrind(reason):
    """A unittest skip decorator for what DP_VALGRIND=1 cannot run: a
    SIGKILLed dpagentd (valgrind never gets to check it) or a tight
    timing (dpagentd runs ~20x slower)."""
    import unittest
    return unittest.skipIf(VALGRIND, "not under valgrind: " + reason)


def valgrind_argv(log_dir):
    """The valgrind command line dpagentd runs under with DP_VALGRIND=1."""
    argv = ["valgrind", "--tool=memcheck", "--error-exitcode=%d" %
            VALGRIND_ERROR, "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite", "--track-fds=no",
            "--num-callers=30",
            "--log-file=" + os.path.join(log_dir, "valgrind.%p.log")]
    supp = os.path.join(SOURCE, "tests", "valgrind.supp")
    if os.path.exists(supp):
        argv.append("--suppressions=" + supp)
    return argv


class Stack:
    """snmpd (master agentx) + dpagentd on a private socket and port, or
    snmpd with dpagent.so (mode "dlmod", see the module's text)."""

    def __init__(self, db, community="public", extra_conf="", sinks=(),
                 mode=None, address="127.0.0.1"):
        """address: the loopback address snmpd listens on and sends its
        notifications from (clientaddr), so that a receiver that finds
        hosts by source address (Zabbix) can tell two stacks apart."""
        self.mode = mode or MODE
        self.address = address
        self.module_conf = None  # dlmod: snmpd.conf lines of the module
        self.dir = tempfile.mkdtemp(prefix="dpstack.")
        self.db = db
        self.port = free_udp_port()
        self.sock = os.path.join(self.dir, "agentx.sock")
        self.community = community
        self.master = None
        self.agent = None
        self.agent_log = os.path.join(self.dir, "dpagentd.log")
        self.master_log = os.path.join(self.dir, "snmpd.log")
        if self.mode == "dlmod":
            self.agent_log = self.master_log
        self.conf = os.path.join(self.dir, "snmpd.conf")
        with open(self.conf, "w") as f:
            f.write("agentaddress udp:%s:%d\n" % (address, self.port))
            if address != "127.0.0.1":
                f.write("[snmp] clientaddr %s\n" % address)
            f.write("master agentx\n")
            f.write("agentXSocket %s\n" % self.sock)
            f.write("agentXPerms 0600 0700\n")
            f.write("agentXTimeout 1\nagentXRetries 1\n")
            f.write("rocommunity %s 127.0.0.1\n" % community)
            # Not self.dir: snmpd rewrites PERSISTENTDIR/snmpd.conf.
            persist = os.path.join(self.dir, "persist")
            os.mkdir(persist, 0o700)
            f.write("[snmp] persistentDir %s\n" % persist)
            f.write(extra_conf.replace("@DIR@", self.dir))
            # Notification targets: "trap2sink 127.0.0.1:PORT public",
            # informsink, trapsess lines (TrapReceiver.sink()).
            for line in sinks:
                f.write(line + "\n")

    # -- processes ---------------------------------------------------------

    def start_master(self):
        env = dict(os.environ, MIBS="")
        confs = [self.conf]
        if self.mode == "dlmod" and self.module_conf is not None:
            # A sanitizer build's module needs its runtimes in snmpd.
            if os.environ.get("DP_SNMPD_PRELOAD"):
                env["LD_PRELOAD"] = os.environ["DP_SNMPD_PRELOAD"]
            path = os.path.join(self.dir, "dpagent-module.conf")
            with open(path, "w") as f:
                f.write(self.module_conf)
            confs.append(path)
        self.master = subprocess.Popen(
            ["snmpd", "-f", "-Lf", self.master_log, "-C", "-c",
             ",".join(confs),
             "-p", os.path.join(self.dir, "snmpd.pid")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        _live.append(self.master)
        if self.mode == "dlmod" and self.module_conf is not None:
            self.agent = self.master
        self._wait(lambda: self.get_raw(".1.3.6.1.2.1.1.3.0")[0] == 0,
                   "snmpd to answer", self.master)

    def stop_master(self, sig=signal.SIGTERM):
        return _stop(self.master, sig)

    def _module_lines(self, extra):
        """dlmod: the snmpd.conf lines loading dpagent.so, from the
        dpagentd arguments a test gives (--db, -c FILE with dpagentd.conf
        tokens; agentX* tokens have no meaning in the master)."""
        db = self.db
        tokens = []
        args = list(extra)
        while args:
            a = args.pop(0)
            if a in ("--db", "-d"):
                db = args.pop(0)
            elif a == "-c":
                with open(args.pop(0)) as f:
                    for line in f:
                        parts = line.split(None, 1)
                        if parts and parts[0] in DLMOD_TOKENS:
                            if parts[0] == "database":
                                db = parts[1].strip()
                            else:
                                tokens.append("%s %s" % (
                                    DLMOD_TOKENS[parts[0]],
                                    parts[1].strip()))
            elif a.startswith("-L") or a.startswith("-D"):
                continue
            else:
                raise AssertionError("dlmod mode: no equivalent of "
                                     "dpagentd's %s" % a)
        return "".join(l + "\n" for l in
                       ["dlmod dpagent %s" % tool("dpagent.so"),
                        "dpagentDatabase %s" % db] + tokens)

    def start_agent(self, *extra, wait=True):
        if self.mode == "dlmod":
            # The module is part of snmpd: (re)start it with the module.
            self.module_conf = self._module_lines(extra)
            if self.master is not None and self.master.poll() is None:
                self.stop_master()
            self.start_master()
            if wait:
                self.wait_served()
            return
        self.agent = subprocess.Popen(
            (valgrind_argv(self.dir) if VALGRIND else []) +
            [tool("dpagentd"), "-f", "--db", self.db, "-x", self.sock,
             "-Lf", self.agent_log] + list(extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        _live.append(self.agent)
        if wait:
            self.wait_served()

    def wait_served(self, timeout=15):
        self._wait(lambda: "No Such Object" not in
                   self.get_raw(SCALARS + ".3.0")[1] and
                   self.get_raw(SCALARS + ".3.0")[0] == 0,
                   "DISTRIBUTION-POINT-MIB to be served", self.agent,
                   timeout)

    def stop_agent(self, sig=signal.SIGTERM):
        # dlmod: self.agent is snmpd; start_agent() starts it again.
        rc = _stop(self.agent, sig)
        problem = self._valgrind_verdict(self.agent, rc, sig)
        if problem:
            raise AssertionError(problem)
        return rc

    def _valgrind_verdict(self, proc, rc, sig=signal.SIGTERM):
        """With DP_VALGRIND: what is wrong with a dpagentd that was
        stopped with sig and exited rc, with the valgrind logs; None if
        nothing (or not under valgrind)."""
        if not VALGRIND or proc is None or proc.args[0] != "valgrind" or \
                sig != signal.SIGTERM or rc == 0:
            return None
        what = ("valgrind found errors or definite leaks"
                if rc == VALGRIND_ERROR else
                "dpagentd exited %s on SIGTERM under valgrind" % rc)
        # valgrind runs in dpagentd's process: %p is proc.pid
        path = os.path.join(self.dir, "valgrind.%d.log" % proc.pid)
        text = "(no valgrind log)"
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                text = f.read()[-20000:]
        return "%s (pid %d):\n--- %s\n%s\n%s" % (
            what, proc.pid, os.path.basename(path), text, self.logs())

    def _wait(self, ready, what, proc, timeout=15):
        """Polls ready() for timeout seconds (times SLOW)."""
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise AssertionError("%s exited (%d) while waiting for %s:"
                                     "\n%s" % (proc.args[0], proc.returncode,
                                               what, self.logs()))
            if ready():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s\n%s" %
                             (what, self.logs()))

    def logs(self):
        out = []
        for path in sorted(set((self.master_log, self.agent_log))):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("--- %s\n%s" % (os.path.basename(path),
                                               f.read()[-4000:]))
        return "\n".join(out)

    def close(self):
        problem = None
        if self.agent is not None and self.agent.returncode is None:
            problem = self._valgrind_verdict(self.agent, _stop(self.agent))
        for p in (self.agent, self.master):
            if p is not None:
                _stop(p)
        shutil.rmtree(self.dir, ignore_errors=True)
        if problem:
            raise AssertionError(problem)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- clients -----------------------------------------------------------

    def target(self):
        return "%s:%d" % (self.address, self.port)

    def client(self, cmd, *args, opts=("-On", "-Oe", "-Ox"), timeout=600):
        argv = [cmd, "-v2c", "-c", self.community, "-t", "3", "-r", "1",
                "-m", "", "-M", "/dev/null"] + list(opts) + \
            [self.target()] + list(args)
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout)

    def get_raw(self, *oids):
        r = self.client("snmpget", *oids)
        return r.returncode, r.stdout + r.stderr

    def get(self, *oids):
        r = self.client("snmpget", *oids)
        if r.returncode != 0:
            raise AssertionError("snmpget %s: %s" % (oids, r.stderr))
        return parse(r.stdout)

    def walk(self, oid, cmd="snmpwalk", *opts):
        r = self.client(cmd, *(list(opts) + [oid]))
        if r.returncode != 0:
            raise AssertionError("%s %s: %s" % (cmd, oid, r.stderr))
        return parse(r.stdout)


# -- notifications: a real snmptrapd on loopback ---------------------------

SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
STATUS_CHANGE = ROOT + ".0.1"
STATUS_SUMMARY = ROOT + ".0.2"
DIST_CHANGE = ROOT + ".0.3"
SUMMARY = OBJECTS + ".5"


class Trap:
    """One notification as snmptrapd logged it: SNMP version (1 = v2c,
    3 = v3), community or user, the varbinds [(oid, type, value)] as
    parse() gives them, and when this process read it."""

    def __init__(self, version, user, varbinds, arrived):
        self.version = version
        self.user = user
        self.varbinds = varbinds
        self.arrived = arrived

    @property
    def trap_oid(self):
        for oid, _, val in self.varbinds[:2]:
            if oid == SNMP_TRAP_OID:
                return val
        return None

    @property
    def uptime(self):
        """sysUpTime.0 in hundredths of a second."""
        oid, typ, val = self.varbinds[0]
        if oid != SYS_UPTIME or typ != "Timeticks":
            return None
        return int(val.split(")")[0].lstrip("("))

    def value(self, prefix):
        """(instance suffix, value) of the first varbind under prefix."""
        for oid, _, val in self.varbinds:
            if oid.startswith(prefix + "."):
                return oid[len(prefix) + 1:], val
        return None, None

    @property
    def seq(self):
        """dpStatusEventSeq of a dpStatusChange, else None."""
        return self.value(ROW_ENTRY + ".21")[1]

    @property
    def dist_seq(self):
        """dpDistStateEventSeq of a dpDistStateChange, else None."""
        return self.value(DIST_ENTRY + ".12")[1]

    def __repr__(self):
        return "Trap(v%s %s %r)" % (self.version, self.user, self.varbinds)


class TrapReceiver:
    """snmptrapd -f on 127.0.0.1 and a free UDP port that accepts
    community "public" (plus extra_conf, e.g. an SNMPv3 user) and logs
    each notification as one parseable line: numeric OIDs, every string
    in hex (-On -Ox, hexOutputLength 0), varbinds tab-separated.  poll()
    reads what arrived since the last call and stamps it with the time it
    was read (the log is flushed per notification)."""

    FORMAT = "DPTRAP\t%s\t%u\t%v\n"

    def __init__(self, extra_conf="", env=None, mibs=None):
        """mibs: (MIBDIRS, MIBS) to load, as an operator would (none by
        default)."""
        self.dir = tempfile.mkdtemp(prefix="dptrapd.")
        self.mibs = mibs or ("/dev/null", "")
        self.port = free_udp_port()
        self.log = os.path.join(self.dir, "snmptrapd.log")
        self.conf = os.path.join(self.dir, "snmptrapd.conf")
        self.env = env or {}
        self.proc = None
        self.received = []
        self._pos = 0
        self._partial = b""
        with open(self.conf, "w") as f:
            f.write("authCommunity log,execute public\n")
            f.write("[snmp] hexOutputLength 0\n")
            f.write("[snmp] persistentDir %s\n" % self.dir)
            f.write(extra_conf.replace("@DIR@", self.dir))

    def address(self):
        return "127.0.0.1:%d" % self.port

    def sink(self, kind="trap2sink", community="public"):
        """A snmpd.conf line sending notifications here."""
        return "%s %s %s" % (kind, self.address(), community)

    def start(self):
        env = dict(os.environ, MIBS="", **self.env)
        self.proc = subprocess.Popen(
            ["snmptrapd", "-f", "-Lf", self.log, "-C", "-c", self.conf,
             "-p", os.path.join(self.dir, "snmptrapd.pid"),
             "-m", self.mibs[1], "-M", self.mibs[0], "-On", "-Ox",
             "-F", self.FORMAT,
             "udp:" + self.address()],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        _live.append(self.proc)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("snmptrapd exited (%d):\n%s" %
                                     (self.proc.returncode, self.logs()))
            if os.path.exists(self.log):
                with open(self.log, "rb") as f:
                    if b"NET-SNMP version" in f.read():
                        return self
            time.sleep(0.02)
        raise AssertionError("snmptrapd did not start:\n" + self.logs())

    def stop(self):
        if self.proc is not None:
            _stop(self.proc)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def logs(self):
        if not os.path.exists(self.log):
            return "(no snmptrapd log)"
        with open(self.log, errors="replace") as f:
            return "--- snmptrapd.log\n" + f.read()[-4000:]

    def poll(self):
        """Notifications logged since the last call (also appended to
        self.received)."""
        if not os.path.exists(self.log):
            return []
        with open(self.log, "rb") as f:
            f.seek(self._pos)
            data = f.read()
        now = time.time()
        self._pos += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        new = []
        for raw in lines:
            if not raw.startswith(b"DPTRAP\t"):
                continue
            parts = raw.decode("ascii", "replace").split("\t")
            new.append(Trap(int(parts[1]), parts[2],
                            parse("\n".join(parts[3:])), now))
        self.received.extend(new)
        return new

    def of(self, trap_oid=STATUS_CHANGE):
        """What has been received of one notification."""
        return [t for t in self.received if t.trap_oid == trap_oid]

    def wait(self, ready, what, timeout=30, interval=0.01):
        """Polls until ready(self) is true."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if ready(self):
                return
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s (%d "
                                     "notifications received)\n%s" %
                                     (what, len(self.received),
                                      self.logs()))
            time.sleep(interval)


_LINE = re.compile(r"^(\.[0-9.]+) = (?:([A-Za-z0-9-]+): ?)?(.*)$")


def parse(text):
    """snmpget/snmpwalk output with -On -Oe -Ox -> [(oid, type, value)].
    Octet strings become bytes, numbers int; the exceptions
    noSuchObject/noSuchInstance/endOfMibView become their names."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None:
            if out and out[-1][1] == "STRING":
                oid, typ, acc = out[-1]
                out[-1] = (oid, typ, acc + " " + line.strip())
                continue
            if not line.strip():
                continue
            raise AssertionError("unparsed line: %r" % line)
        oid, typ, val = m.groups()
        if typ is None:  # = "" or an exception text
            if val == '""':
                out.append((oid, "STRING", ""))
            elif "No Such Object" in val:
                out.append((oid, "noSuchObject", None))
            elif "No Such Instance" in val:
                out.append((oid, "noSuchInstance", None))
            elif "No more variables" in val:
                out.append((oid, "endOfMibView", None))
            else:
                raise AssertionError("unparsed value: %r" % line)
        elif typ in ("Hex-STRING", "STRING"):
            out.append((oid, "STRING", val.strip().strip('"')))
        else:
            out.append((oid, typ, val))
    result = []
    for oid, typ, val in out:
        if typ == "STRING":
            hexs = val.replace('"', "").split()
            result.append((oid, "STRING", bytes(int(h, 16) for h in hexs)))
        elif typ in ("INTEGER", "Gauge32", "Counter32", "Counter64"):
            result.append((oid, typ, int(val.split()[0])))
        else:
            result.append((oid, typ, val))
    return result


# -- the oracle: what the model holds, read with plain SQL -----------------

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})"
                  r"(?:([+-])(\d{2}):(\d{2}))?$")


def date_and_time(text):
    """SNMPv2-TC DateAndTime of the model's canonical time text."""
    m = _ISO.match(text)
    if m is None:
        raise AssertionError("not canonical: %r" % text)
    y, mo, d, h, mi, s, us = (int(x) for x in m.groups()[:7])
    b = bytes([y >> 8, y & 255, mo, d, h, mi, s, us // 100000])
    if m.group(8):
        b += bytes([ord(m.group(8)), int(m.group(9)), int(m.group(10))])
    return b


def ms_date_and_time(ms):
    t = time.gmtime(ms // 1000)
    return bytes([t.tm_year >> 8, t.tm_year & 255, t.tm_mon, t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec, (ms % 1000) // 100,
                  ord("+"), 0, 0])


def model(db):
    """Every readable instance of dpObjects, in OID order, as the
    [(oid, type, value)] that a walk with -On -Oe -Ox must return."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.row_factory = sqlite3.Row
    out = []
    m = con.execute("SELECT * FROM meta").fetchone()
    scal = [("Gauge32", m["servers"]), ("Gauge32", m["packages"]),
            ("Gauge32", m["rows"]), ("Gauge32", m["n_none"]),
            ("Gauge32", m["n_updated"]), ("Gauge32", m["n_added"]),
            ("Gauge32", m["n_deleted"]), ("Gauge32", m["n_other"]),
            ("STRING", ms_date_and_time(m["last_change_ms"])),
            ("Counter32", m["change_counter"] & 0xffffffff),
            ("STRING", ms_date_and_time(m["last_import_ms"])),
            ("INTEGER", None),  # the age moves with the clock
            ("Gauge32", m["pending_writes"])] + \
        [("Gauge32", m[c]) for c in DIST_COUNTS]
    for i, (typ, val) in enumerate(scal, 1):
        out.append(("%s.%d.0" % (SCALARS, i), typ, val))

    counts = ["rows", "n_none", "n_updated", "n_added", "n_deleted",
              "n_other"] + list(DIST_COUNTS)
    srv = con.execute("SELECT * FROM server WHERE rows > 0 OR d_rows > 0 "
                      "ORDER BY idx").fetchall()
    cols = [("STRING", lambda r: r["nal_path"].encode()),
            ("STRING", lambda r: r["name"].encode()),
            ("STRING", lambda r: r["site_code"].encode())] + \
        [("Gauge32", (lambda c: lambda r: r[c])(c)) for c in counts]
    for c, (typ, f) in enumerate(cols, 2):
        for r in srv:
            out.append(("%s.%d.%d" % (SERVER_ENTRY, c, r["idx"]), typ, f(r)))

    pkg = con.execute("SELECT * FROM package WHERE rows > 0 OR d_rows > 0 "
                      "ORDER BY idx").fetchall()
    cols = [("STRING", lambda r: r["package_id"].encode()),
            ("INTEGER", lambda r: r["package_type"]),
            ("INTEGER", lambda r: r["object_type_id"]),
            ("STRING", lambda r: r["secure_object_id"].encode()),
            ("STRING", lambda r: r["source_site"].encode()),
            ("STRING", lambda r: r["site_name"].encode())] + \
        [("Gauge32", (lambda c: lambda r: r[c])(c)) for c in counts]
    for c, (typ, f) in enumerate(cols, 2):
        for r in pkg:
            out.append(("%s.%d.%d" % (PACKAGE_ENTRY, c, r["idx"]), typ,
                        f(r)))

    rows = con.execute(
        "SELECT d.*, p.package_id, s.nal_path, s.site_code AS skey, "
        "EXISTS (SELECT 1 FROM outbox o WHERE o.server_idx = d.server_idx "
        "AND o.package_idx = d.package_idx AND o.property = 'RefreshNow' "
        "AND o.acked_ms IS NULL AND o.withdrawn_ms IS NULL) "
        "AS refresh_pending, "
        "EXISTS (SELECT 1 FROM outbox o WHERE o.server_idx = d.server_idx "
        "AND o.package_idx = d.package_idx AND o.property = 'ISVString' "
        "AND o.acked_ms IS NULL AND o.withdrawn_ms IS NULL) AS isv_pending "
        "FROM dp d JOIN server s ON s.idx = d.server_idx "
        "JOIN package p ON p.idx = d.package_idx "
        "ORDER BY d.server_idx, d.package_idx").fetchall()

    def tv(b):
        return 1 if b else 2

    cols = [("INTEGER", lambda r: tv(r["bits_enabled"])),
            ("INTEGER", lambda r: tv(r["is_peer_dp"])),
            ("INTEGER", lambda r: tv(r["is_protected"])),
            ("STRING", lambda r: bytes(r["isv_data"])),
            ("Gauge32", lambda r: r["isv_data_size"]),
            ("STRING", lambda r: r["isv_string"].encode()),
            ("STRING", lambda r: date_and_time(r["last_refresh_time"])),
            ("INTEGER", lambda r: r["object_type_id"]),
            ("STRING", lambda r: r["package_id"].encode()),
            ("INTEGER", lambda r: r["package_type"]),
            ("INTEGER", lambda r: 2),  # RefreshNow reads false, as in WMI
            ("STRING", lambda r: r["resource_type"].encode()),
            ("STRING", lambda r: r["secure_object_id"].encode()),
            ("STRING", lambda r: r["nal_path"].encode()),
            ("STRING", lambda r: r["skey"].encode()),
            ("STRING", lambda r: r["site_name"].encode()),
            ("STRING", lambda r: r["source_site"].encode()),
            ("INTEGER", lambda r: r["status"])]
    cols = list(enumerate(cols, 1)) + [
        (22, ("INTEGER", lambda r: tv(r["refresh_pending"]))),
        (23, ("INTEGER", lambda r: tv(r["isv_pending"])))]
    for c, (typ, f) in cols:
        for r in rows:
            out.append(("%s.%d.%d.%d" % (ROW_ENTRY, c, r["server_idx"],
                                         r["package_idx"]), typ, f(r)))

    dist = con.execute(
        "SELECT d.*, p.package_id, s.nal_path, s.site_code AS skey "
        "FROM dist d JOIN server s ON s.idx = d.server_idx "
        "JOIN package p ON p.idx = d.package_idx "
        "ORDER BY d.server_idx, d.package_idx").fetchall()
    cols = [("STRING", lambda r: r["package_id"].encode()),
            ("STRING", lambda r: r["nal_path"].encode()),
            ("STRING", lambda r: r["skey"].encode()),
            ("INTEGER", lambda r: r["state"]),
            ("Gauge32", lambda r: r["source_version"]),
            ("STRING", lambda r: date_and_time(r["last_copied"])),
            ("STRING", lambda r: date_and_time(r["summary_date"])),
            ("STRING", lambda r: r["source_nal_path"].encode()),
            ("STRING", lambda r: ms_date_and_time(r["state_since_ms"]))]
    for c, (typ, f) in enumerate(cols, 1):
        for r in dist:
            out.append(("%s.%d.%d.%d" % (DIST_ENTRY, c, r["server_idx"],
                                         r["package_idx"]), typ, f(r)))
    con.close()
    return out
