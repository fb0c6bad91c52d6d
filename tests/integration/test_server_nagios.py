#!/usr/bin/env python3
"""check_dp in a real Nagios 4 (issue 17).

A private Nagios Core (Debian's nagios4, 4.4) runs on loopback from a
nagios.cfg in a temporary directory: every file it reads or writes (log,
status.dat, command FIFO, query socket, check results, object cache, lock
file) is there; nothing of /etc/nagios4 or /var/lib/nagios4 is used.  It
is started as root and drops to the user nagios (nagios_user, as the
package runs it), so the directory belongs to nagios.  Its objects are
the SHIPPED conf/nagios/dpagent.cfg unchanged (cfg_file=) and a file of
the test's own: a contact and a time period (so that -v has nothing to
warn about), and three hosts that use the template dpagent-snmp:

  dpagent     the private stack (snmpd + dpagentd) with a community that
              is not the default, _DP_PORT the stack's port
  dpagent-v3  the same stack over SNMPv3 authPriv (SHA-256/AES), the pass
              phrases in resource.cfg as $USER21$ and $USER22$
  dead        a UDP port where nothing listens

and services that use each of the eighteen shipped commands.  The
database also holds the summarizer sample (tests/data/sample-dist-ps7.json:
DP02/PS100034 installFailed, DP04/PS100057 removalFailed, DP03/PS200003
installRetrying), DP04's failure made two hours old by plain SQL, for the
--dist services.

1. `nagios4 -v` exits 0 with "Total Warnings: 0" and "Total Errors: 0".
2. `nagios4 nagios.cfg` runs in the foreground (its own process group,
   stopped by PID), interval_length=1 and status_update_interval=1.
   After each change of the data or the stack the test waits for the next
   second of the clock, writes SCHEDULE_FORCED_SVC_CHECK for every
   service to the command FIFO and polls status.dat until each service's
   last_check is at or after that second; then each service's
   current_state, plugin_output, long_plugin_output and performance_data
   are compared with what the model (plain SQL) says, exactly.

The phases: the sample export; an import that puts four rows of DP01 in
deleted(3); plain SQL that sets every deleted row back to none(0);
dpagentd stopped (the master still answers: CRITICAL, doc/check_dp.md);
dpagentd started again; an import of the summarizer's two failed rows as
installed(0), which takes the --dist services back to OK (the retrying
one stays WARNING).  The dead port is UNKNOWN (timeout).

Nothing is skipped: a missing program or user fails with what to install.
"""

import json
import math
import os
import pwd
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import dpctl, sql  # noqa: E402
from serverkit import (check_dp_fixture, check_dp_path, need,  # noqa: E402
                       query, start_daemon, stop_daemon, write_import)

SOURCE = dpstack.SOURCE
COMMANDS_CFG = os.path.join(SOURCE, "conf", "nagios", "dpagent.cfg")
COMMUNITY = "dpsecret"
V3 = ("createUser dpmon SHA-256 authpass123 AES privpass123\n"
      "rouser dpmon authpriv\n")
STATES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
BUCKETS = ["none", "updated", "added", "deleted", "other"]
PHASE_TIMEOUT = 25  # seconds for every service to be checked again
DIST_SAMPLE = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
DIST_BUCKETS = ["installed", "inprogress", "retrying", "failed", "other"]
DIST_STATES = ["installed", "installPending", "installRetrying",
               "installFailed", "removalPending", "removalRetrying",
               "removalFailed", "contentUpdating", "contentMonitoring"]
DP04_FAILING = 7200  # seconds DP04/PS100057 has been removalFailed

# -- the model, read with plain SQL -----------------------------------------

PERF = re.compile(r"'([a-z_]+)'=(-?[0-9.]+|U)([a-zA-Z%]*)((?:;[^; ]*){0,4})")


def parse_perf(text):
    out = []
    pos = 0
    for m in PERF.finditer(text):
        if text[pos:m.start()].strip():
            raise AssertionError("performance data not in the guidelines' "
                                 "format: %r" % text)
        pos = m.end()
        rest = (m.group(4).split(";")[1:] + [""] * 4)[:4]
        out.append((m.group(1), m.group(2), m.group(3)) + tuple(rest))
    if text[pos:].strip():
        raise AssertionError("performance data not in the guidelines' "
                             "format: %r" % text)
    return out


def dist_bucket(state):
    return {0: "installed", 1: "inprogress", 4: "inprogress",
            7: "inprogress", 2: "retrying", 5: "retrying", 3: "failed",
            6: "failed"}.get(state, "other")


def dist_rows(db, bucket, server=None, package=None):
    """The distributions of a bucket in a scope (server: a name or its
    first label), in check_dp's order: oldest State first (by the
    second), then by server and package index."""
    def server_is(name):
        return server is None or name.lower() == server.lower() or \
            name.lower().startswith(server.lower() + ".")
    rows = [r for r in query(
        db, "SELECT d.server_idx, d.package_idx, d.state, "
        "d.state_since_ms, p.package_id, s.name, s.site_code FROM dist d "
        "JOIN server s ON s.idx = d.server_idx "
        "JOIN package p ON p.idx = d.package_idx")
        if dist_bucket(r["state"]) == bucket and server_is(r["name"]) and
        (package is None or r["package_id"] == package)]
    rows.sort(key=lambda r: (r["state_since_ms"] // 1000, r["server_idx"],
                             r["package_idx"]))
    return rows


def write_dist_import(path, states):
    """The summarizer sample's rows {(server FQDN, PackageID): State}
    with those States."""
    with open(DIST_SAMPLE, encoding="utf-8-sig") as f:
        recs = json.load(f)
    out = [dict(r, State=states[k]) for r in recs for k in states
           if r["PackageID"] == k[1] and
           r["ServerNALPath"].endswith("\\\\%s\\" % k[0])]
    if len(out) != len(states):
        raise AssertionError("not in the sample: %r" % states)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)


# -- the scenario -----------------------------------------------------------

class Svc:
    """A service of the test: its host, description, check_command, the
    scope it checks and the check_dp options it amounts to (for the
    thresholds in the performance data)."""

    def __init__(self, host, desc, command, server=None, package=None,
                 status="deleted", warn="", crit="", age_warn="",
                 age_crit="", dist=False, bucket="failed", dist_age_warn="",
                 dist_age_crit=""):
        self.host, self.desc, self.command = host, desc, command
        self.server, self.package, self.status = server, package, status
        self.warn, self.crit = warn, crit
        self.age_warn, self.age_crit = age_warn, age_crit
        # --dist: the bucket and the thresholds on its oldest row's age
        self.dist, self.bucket = dist, bucket
        self.dist_age_warn, self.dist_age_crit = dist_age_warn, dist_age_crit

    @property
    def key(self):
        return "%s;%s" % (self.host, self.desc)


SERVICES = [
    # SNMPv2c, each command
    Svc("dpagent", "DP agent", "check_dp!0!3", warn="0", crit="3"),
    Svc("dpagent", "DP DP02", "check_dp_server!DP02.corp.contoso.com!~:!0",
        server="DP02.corp.contoso.com", warn="~:", crit="0"),
    Svc("dpagent", "DP dp01", "check_dp_server!dp01!0!5", server="dp01",
        warn="0", crit="5"),
    Svc("dpagent", "DP DP99", "check_dp_server!DP99.corp.contoso.com!~:!0",
        server="DP99.corp.contoso.com", warn="~:", crit="0"),
    Svc("dpagent", "DP PS200003", "check_dp_package!PS200003!0!1",
        package="PS200003", warn="0", crit="1"),
    Svc("dpagent", "DP age", "check_dp_age!90000!180000", age_warn="90000",
        age_crit="180000"),
    Svc("dpagent", "DP added", "check_dp_args!-S added -w 2 -n 0",
        status="added", warn="2"),
    # SNMPv3, each command
    Svc("dpagent-v3", "DP agent", "check_dp_v3!0!3", warn="0", crit="3"),
    Svc("dpagent-v3", "DP DP02",
        "check_dp_v3_server!DP02.corp.contoso.com!~:!0",
        server="DP02.corp.contoso.com", warn="~:", crit="0"),
    Svc("dpagent-v3", "DP PS100012", "check_dp_v3_package!PS100012!0!5",
        package="PS100012", warn="0", crit="5"),
    Svc("dpagent-v3", "DP age", "check_dp_v3_age!90000!180000",
        age_warn="90000", age_crit="180000"),
    Svc("dpagent-v3", "DP added", "check_dp_v3_args!-S added -w 2 -n 0",
        status="added", warn="2"),
    # --dist, SNMPv2c, each command, and another bucket
    Svc("dpagent", "DP dist", "check_dp_dist!0!1", dist=True, warn="0",
        crit="1"),
    Svc("dpagent", "DP dist DP04", "check_dp_dist_server!dp04!~:!0",
        server="dp04", dist=True, warn="~:", crit="0"),
    Svc("dpagent", "DP dist PS100034",
        "check_dp_dist_package!PS100034!0!5", package="PS100034",
        dist=True, warn="0", crit="5"),
    Svc("dpagent", "DP dist age", "check_dp_dist_age!3600!86400",
        dist=True, dist_age_warn="3600", dist_age_crit="86400"),
    Svc("dpagent", "DP dist retrying",
        "check_dp_args!--dist --dist-bucket retrying -w 0", dist=True,
        bucket="retrying", warn="0"),
    # --dist, SNMPv3, each command
    Svc("dpagent-v3", "DP dist", "check_dp_v3_dist!0!1", dist=True,
        warn="0", crit="1"),
    Svc("dpagent-v3", "DP dist DP02",
        "check_dp_v3_dist_server!DP02.corp.contoso.com!0!0",
        server="DP02.corp.contoso.com", dist=True, warn="0", crit="0"),
    Svc("dpagent-v3", "DP dist PS100057",
        "check_dp_v3_dist_package!PS100057!~:!0", package="PS100057",
        dist=True, warn="~:", crit="0"),
    Svc("dpagent-v3", "DP dist age", "check_dp_v3_dist_age!3600!7000",
        dist=True, dist_age_warn="3600", dist_age_crit="7000"),
]
DEAD = Svc("dead", "DP agent", "check_dp!0!0", warn="0", crit="0")
BY_KEY = dict((s.key, s) for s in SERVICES)

# The states of each phase (the sample: 1 deleted row, on DP02 for
# PS200003; 3 added rows).
SAMPLE_STATES = {
    "dpagent;DP agent": "WARNING",        # 1 deleted: -w 0 -c 3
    "dpagent;DP DP02": "CRITICAL",        # 1: -c 0
    "dpagent;DP dp01": "OK",              # 0
    "dpagent;DP DP99": "UNKNOWN",         # not found
    "dpagent;DP PS200003": "WARNING",     # 1: -w 0 -c 1
    "dpagent;DP age": "OK",               # seconds old
    "dpagent;DP added": "WARNING",        # 3 added: -w 2
    "dpagent-v3;DP agent": "WARNING",
    "dpagent-v3;DP DP02": "CRITICAL",
    "dpagent-v3;DP PS100012": "OK",       # 0: -w 0 -c 5
    "dpagent-v3;DP age": "OK",
    "dpagent-v3;DP added": "WARNING",
}
# --dist: 2 failed (DP02/PS100034, DP04/PS100057 two hours old), 1
# retrying.  The imports and SQL of dpTable below leave them as they are.
DIST_SAMPLE_STATES = {
    "dpagent;DP dist": "CRITICAL",            # 2 failed: -c 1
    "dpagent;DP dist DP04": "CRITICAL",       # 1: -c 0
    "dpagent;DP dist PS100034": "WARNING",    # 1: -w 0 -c 5
    "dpagent;DP dist age": "WARNING",         # 7200 s: 3600, 86400
    "dpagent;DP dist retrying": "WARNING",    # 1 retrying: -w 0
    "dpagent-v3;DP dist": "CRITICAL",
    "dpagent-v3;DP dist DP02": "CRITICAL",    # 1: -c 0
    "dpagent-v3;DP dist PS100057": "CRITICAL",  # 1: -c 0
    "dpagent-v3;DP dist age": "CRITICAL",     # 7200 s: 3600, 7000
}
SAMPLE_STATES.update(DIST_SAMPLE_STATES)
# DP01's four rows in none(0) go to deleted(3) by an import.
DP01_DELETED = ["PS100012", "PS100034", "PS100057", "PS200003"]
IMPORT_STATES = dict(SAMPLE_STATES)
IMPORT_STATES.update({
    "dpagent;DP agent": "CRITICAL",       # 5 deleted: -c 3
    "dpagent;DP dp01": "WARNING",         # 4: -w 0 -c 5
    "dpagent;DP PS200003": "CRITICAL",    # 2: -c 1
    "dpagent-v3;DP agent": "CRITICAL",
    "dpagent-v3;DP PS100012": "WARNING",  # 1: -w 0
})
# Plain SQL: every deleted row back to none.
SQL_STATES = dict((k, "OK") for k in SAMPLE_STATES)
SQL_STATES.update({"dpagent;DP DP99": "UNKNOWN",
                   "dpagent;DP added": "WARNING",
                   "dpagent-v3;DP added": "WARNING"})
SQL_STATES.update(DIST_SAMPLE_STATES)
NO_AGENT_STATES = dict((k, "CRITICAL") for k in SAMPLE_STATES)
# The summarizer's two failed rows imported as installed(0).
DIST_INSTALLED = {("DP02.corp.contoso.com", "PS100034"): 0,
                  ("DP04.corp.contoso.com", "PS100057"): 0}
REIMPORT_STATES = dict(SQL_STATES)
REIMPORT_STATES.update((k, "OK") for k in DIST_SAMPLE_STATES)
REIMPORT_STATES["dpagent;DP dist retrying"] = "WARNING"


def read_status(path):
    """status.dat -> {"host;service": {key: value}} of the servicestatus
    blocks (Nagios writes it to a temporary file and renames it)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = {}
    for block in re.finditer(r"^servicestatus \{\n(.*?)^\t\}", text,
                             re.M | re.S):
        d = {}
        for line in block.group(1).splitlines():
            k, _, v = line.strip().partition("=")
            d[k] = v
        out["%s;%s" % (d["host_name"], d["service_description"])] = d
    return out


class Nagios:
    """A private nagios4: its nagios.cfg, objects, FIFO and process."""

    def __init__(self, directory, stack_port, dead_port):
        self.dir = directory
        self.proc = None
        self.cfg = os.path.join(directory, "nagios.cfg")
        self.status = os.path.join(directory, "status.dat")
        self.fifo = os.path.join(directory, "nagios.cmd")
        self.out = os.path.join(directory, "nagios.out")
        self.log = os.path.join(directory, "nagios.log")
        os.makedirs(os.path.join(directory, "checkresults"))

        def p(name):
            return os.path.join(directory, name)

        main = [
            "log_file=" + self.log,
            "cfg_file=" + COMMANDS_CFG,  # what a user installs, unchanged
            "cfg_file=" + p("objects.cfg"),
            "object_cache_file=" + p("objects.cache"),
            "precached_object_file=" + p("objects.precache"),
            "resource_file=" + p("resource.cfg"),
            "status_file=" + self.status,
            "status_update_interval=1",
            "nagios_user=nagios",
            "nagios_group=nagios",
            "check_external_commands=1",
            "command_file=" + self.fifo,
            "query_socket=" + p("nagios.qh"),
            "lock_file=" + p("nagios.lock"),
            "temp_file=" + p("nagios.tmp"),
            "temp_path=" + directory,
            "check_result_path=" + p("checkresults"),
            "check_result_reaper_frequency=1",
            "debug_file=" + p("nagios.debug"),
            "debug_level=0",
            "use_syslog=0",
            "log_initial_states=1",
            "interval_length=1",
            "retain_state_information=0",
            "state_retention_file=" + p("retention.dat"),
            "check_for_updates=0",
            "enable_notifications=0",
            "enable_flap_detection=0",
            "check_service_freshness=0",
            "service_inter_check_delay_method=n",
            "host_inter_check_delay_method=n",
            "illegal_object_name_chars=`~!$%^&*|'\"<>?,()=",
            "illegal_macro_output_chars=`~$&|'\"<>",
        ]
        with open(self.cfg, "w") as f:
            f.write("# A private Nagios for tests/integration/"
                    "test_server_nagios.py\n")
            f.write("".join(line + "\n" for line in main))
        with open(p("resource.cfg"), "w") as f:
            f.write("$USER1$=%s\n$USER21$=authpass123\n"
                    "$USER22$=privpass123\n" %
                    os.path.dirname(check_dp_path()))
        with open(p("objects.cfg"), "w") as f:
            f.write(self._objects(stack_port, dead_port))
        nagios = pwd.getpwnam("nagios")
        for root, dirs, files in os.walk(directory):
            for name in [root] + [os.path.join(root, x) for x in files]:
                os.chown(name, nagios.pw_uid, nagios.pw_gid)

    @staticmethod
    def _define(kind, **attrs):
        return "define %s {\n%s}\n\n" % (kind, "".join(
            "\t%-28s %s\n" % (k, v) for k, v in attrs.items()))

    def _objects(self, stack_port, dead_port):
        d = self._define
        out = d("timeperiod", timeperiod_name="dp-always", alias="always",
                **dict((day, "00:00-24:00") for day in (
                    "sunday", "monday", "tuesday", "wednesday",
                    "thursday", "friday", "saturday")))
        out += d("command", command_name="dp-notify",
                 command_line="/bin/true")
        out += d("command", command_name="dp-host-up",
                 command_line="/bin/true")
        out += d("contact", contact_name="dptest",
                 host_notifications_enabled=0,
                 service_notifications_enabled=0,
                 host_notification_period="dp-always",
                 service_notification_period="dp-always",
                 host_notification_options="n",
                 service_notification_options="n",
                 host_notification_commands="dp-notify",
                 service_notification_commands="dp-notify")
        common = dict(address="127.0.0.1", check_command="dp-host-up",
                      max_check_attempts=1, check_interval=60,
                      check_period="dp-always",
                      notification_period="dp-always", contacts="dptest")
        out += d("host", use="dpagent-snmp", host_name="dpagent",
                 _DP_PORT=stack_port, _DP_COMMUNITY=COMMUNITY,
                 _DP_TIMEOUT=5, **common)
        out += d("host", use="dpagent-snmp", host_name="dpagent-v3",
                 _DP_PORT=stack_port, _DP_TIMEOUT=5, _DP_SECNAME="dpmon",
                 _DP_AUTHPROTO="SHA-256", _DP_PRIVPROTO="AES", **common)
        out += d("host", use="dpagent-snmp", host_name="dead",
                 _DP_PORT=dead_port, _DP_TIMEOUT=2, **common)
        for s in SERVICES + [DEAD]:
            out += d("service", host_name=s.host,
                     service_description=s.desc, check_command=s.command,
                     max_check_attempts=1, check_interval=5,
                     retry_interval=5, check_period="dp-always",
                     notification_period="dp-always", contacts="dptest")
        return out

    def validate(self):
        return subprocess.run([need("nagios4", "nagios4"), "-v", self.cfg],
                              capture_output=True, text=True, timeout=120)

    def start(self):
        """nagios4 in the foreground, in its own process group; returns
        once it has written status.dat and opened its command FIFO."""
        self.proc = start_daemon([need("nagios4", "nagios4"), self.cfg],
                                 self.out)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nagios4 exited (%d):\n%s" % (
                    self.proc.returncode, self.logs()))
            if os.path.exists(self.status) and os.path.exists(self.fifo):
                try:
                    if len(read_status(self.status)) == \
                            len(SERVICES) + 1:
                        return
                except KeyError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError("nagios4 did not start within 30 s:\n"
                                     + self.logs())
            time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            stop_daemon(self.proc)

    def logs(self):
        out = []
        for path in (self.out, self.log):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("--- %s\n%s" % (os.path.basename(path),
                                               f.read()[-6000:]))
        return "\n".join(out)

    def command(self, line):
        fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, ("[%d] %s\n" % (time.time(), line)).encode())
        finally:
            os.close(fd)

    def check_now(self, services):
        """Every service checked again from the next second of the clock
        on (last_check counts whole seconds); returns status.dat's
        servicestatus once each has a check that started then or later."""
        t1 = math.floor(time.time()) + 1
        while time.time() < t1:  # the next second, not a guess
            time.sleep(t1 - time.time())
        for s in services:
            self.command("SCHEDULE_FORCED_SVC_CHECK;%s;%s;%d" % (
                s.host, s.desc, t1))
        deadline = time.monotonic() + PHASE_TIMEOUT
        while True:
            st = read_status(self.status)
            late = [s.key for s in services
                    if st[s.key]["has_been_checked"] != "1" or
                    int(st[s.key]["last_check"]) < t1]
            if not late:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("not checked again within %d s: %s\n%s"
                                     % (PHASE_TIMEOUT, late, self.logs()))
            time.sleep(0.1)


class NagiosServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("nagios4", "nagios4")
        need("snmpd", "snmpd")
        try:
            pwd.getpwnam("nagios")
        except KeyError:
            raise AssertionError("no user nagios: install the Debian "
                                 "package nagios4 (scripts/deps.sh)")
        check_dp_fixture(cls, "dpnagios.", COMMUNITY, V3)
        dpctl(cls.db, "import", DIST_SAMPLE)
        sql(cls.db, ("UPDATE dist SET state_since_ms = ? WHERE state = 6",
                     (int(time.time() * 1000) - DP04_FAILING * 1000,)))
        os.chmod(cls.tmp, 0o755)  # nagios reads its directory below
        cls.nagios = Nagios(os.path.join(cls.tmp, "nagios"),
                            cls.stack.port, cls.dead_port)
        cls.addClassCleanup(cls.nagios.stop)

    def test_1_validate(self):
        r = self.nagios.validate()
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertRegex(out, r"\nTotal Warnings: 0\n", out)
        self.assertRegex(out, r"\nTotal Errors: +0\n", out)
        self.assertNotRegex(out, r"(?m)^(Warning|Error)", out)
        self.assertIn("\tChecked %d services.\n" % (len(SERVICES) + 1), out)
        self.assertIn("\tChecked 3 hosts.\n", out)
        # ours: 18 check_dp commands; the test's: 2
        self.assertIn("\tChecked 20 commands.\n", out)

    def assert_service(self, svc, st, want):
        what = "%s: %s" % (svc.key, json.dumps(st, indent=1))
        self.assertEqual(STATES[int(st["current_state"])], want, what)
        self.assertEqual(st["state_type"], "1", what)  # HARD
        self.assertTrue(st["plugin_output"].startswith("DP %s - " % want),
                        what)

    def assert_counts(self, svc, st):
        """A served scope: the numbers of the model, exactly."""
        if svc.dist:
            return self.assert_dist(svc, st)
        row, meta = self.oracle.scope(svc.server, svc.package)
        agent = svc.server is None and svc.package is None
        want = []
        if agent:
            want += [("servers", str(row["servers"]), "", "", "", "0", ""),
                     ("packages", str(row["packages"]), "", "", "", "0",
                      "")]
        want.append(("rows", str(row["rows"]), "", "", "", "0", ""))
        for b in BUCKETS:
            w, c = (svc.warn, svc.crit) if b == svc.status else ("", "")
            want.append((b, str(row["n_" + b]), "", w, c, "0",
                         str(row["rows"])))
        want.append(("import_age", None, "s", svc.age_warn, svc.age_crit,
                     "0", ""))
        if agent:
            want.append(("pending_writes", str(meta["pending_writes"]), "",
                         "", "", "0", ""))
        got = parse_perf(st["performance_data"])
        self.assertEqual([g[0] for g in got], [w[0] for w in want],
                         (svc.key, st["performance_data"]))
        for g, w in zip(got, want):
            if w[0] == "import_age":
                age = (time.time() * 1000 - meta["last_import_ms"]) / 1000
                self.assertLessEqual(abs(int(g[1]) - age), 30, (svc.key, g))
                self.assertEqual(g[2:], w[2:], (svc.key, g))
            else:
                self.assertEqual(g, w, svc.key)
        self.assertIn("%d %s" % (row["n_" + svc.status], svc.status),
                      st["plugin_output"], svc.key)
        return row

    def assert_dist(self, svc, st):
        """A --dist service: the counts of the model, the oldest row's
        age as of the check, and the rows after the status line."""
        row, meta = self.oracle.scope(svc.server, svc.package)
        rows = dist_rows(self.db, svc.bucket, svc.server, svc.package)
        total = str(row["d_rows"])
        want = [("rows", total, "", "", "", "0", "")]
        for b in DIST_BUCKETS:
            w, c = (svc.warn, svc.crit) if b == svc.bucket else ("", "")
            want.append((b, str(row["d_" + b]), "", w, c, "0", total))
        want.append(("oldest_age", None, "s", svc.dist_age_warn,
                     svc.dist_age_crit, "0", ""))
        want.append(("import_age", None, "s", svc.age_warn, svc.age_crit,
                     "0", ""))
        got = parse_perf(st["performance_data"])
        self.assertEqual([g[0] for g in got], [w[0] for w in want],
                         (svc.key, st["performance_data"]))
        checked = int(st["last_check"])  # when the check started

        def assert_age(age, since_ms):
            # check_dp's clock is at the start of the check or a little
            # after it
            self.assertLessEqual(checked - since_ms // 1000, age,
                                 (svc.key, st))
            self.assertLessEqual(age, checked - since_ms // 1000 + 5,
                                 (svc.key, st))

        for g, w in zip(got, want):
            if w[0] == "oldest_age":
                if rows:
                    assert_age(int(g[1]), rows[0]["state_since_ms"])
                else:
                    self.assertEqual(g[1], "0", (svc.key, g))
                self.assertEqual(g[2:], w[2:], (svc.key, g))
            elif w[0] == "import_age":
                age = (time.time() * 1000 - meta["last_import_ms"]) / 1000
                self.assertLessEqual(abs(int(g[1]) - age), 30, (svc.key, g))
                self.assertEqual(g[2:], w[2:], (svc.key, g))
            else:
                self.assertEqual(g, w, svc.key)
        self.assertIn("%d %s" % (row["d_" + svc.bucket], svc.bucket),
                      st["plugin_output"], svc.key)
        # The rows after the status line (status.dat escapes newlines).
        text = st["long_plugin_output"]
        lines = text.split("\\n") if text else []
        if not rows:
            self.assertEqual(lines, [], svc.key)
            return row
        self.assertEqual(lines[0], "%s distributions, oldest first:" %
                         svc.bucket, svc.key)
        self.assertEqual(len(lines), 1 + len(rows), (svc.key, lines))
        for line, x in zip(lines[1:], rows):
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                  time.gmtime(x["state_since_ms"] // 1000))
            m = re.match(re.escape("%s on %s (%s): %s since %s (" % (
                x["package_id"], x["name"], x["site_code"],
                DIST_STATES[x["state"]], since)) + r"(\d+) s\)$", line)
            self.assertIsNotNone(m, (svc.key, line))
            assert_age(int(m.group(1)), x["state_since_ms"])
        return row

    def assert_phase(self, st, states, served=True):
        got = dict((k, STATES[int(st[k]["current_state"])]) for k in states)
        self.assertEqual(got, states)
        for key, want in states.items():
            self.assert_service(BY_KEY[key], st[key], want)
            if served and want != "UNKNOWN":
                self.assert_counts(BY_KEY[key], st[key])

    def test_2_states(self):
        r = self.nagios.validate()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.nagios.start()

        # 1. The sample; the dead port.
        st = self.nagios.check_now(SERVICES + [DEAD])
        self.assert_phase(st, SAMPLE_STATES)
        row = self.oracle.scope()[0]
        self.assertEqual((row["rows"], row["n_deleted"], row["n_added"]),
                         (24, 1, 3))
        unknown = st["dpagent;DP DP99"]
        self.assertEqual(unknown["plugin_output"], "DP UNKNOWN - server "
                         "DP99.corp.contoso.com not found in dpServerTable "
                         "(4 servers)")
        self.assertEqual(unknown["performance_data"], "")
        dead = st[DEAD.key]
        self.assert_service(DEAD, dead, "UNKNOWN")
        self.assertEqual(dead["plugin_output"], "DP UNKNOWN - timeout: no "
                         "complete answer from 127.0.0.1 port %d within 2 s"
                         % self.dead_port)
        # The rows after the status line (status.dat escapes newlines).
        self.assertEqual(st["dpagent;DP DP02"]["long_plugin_output"],
                         "deleted rows (1 of 1):\\nPS200003")
        self.assertEqual(st["dpagent;DP agent"]["long_plugin_output"],
                         "deleted rows by server (1 in all):\\n"
                         "DP02.corp.contoso.com (PS1): 1")
        self.assertEqual(st["dpagent;DP added"]["long_plugin_output"], "")
        # --dist: the failed rows, DP04's (two hours old) first; Nagios
        # writes the status line's ; as :
        self.assertEqual(
            [(x["name"], x["package_id"], x["state"])
             for x in dist_rows(self.db, "failed")],
            [("DP04.corp.contoso.com", "PS100057", 6),
             ("DP02.corp.contoso.com", "PS100034", 3)])
        out = st["dpagent;DP dist"]["plugin_output"]
        self.assertRegex(out, r"^DP CRITICAL - 24 distributions: 18 "
                         r"installed, 2 inprogress, 1 retrying, 2 failed "
                         r"\(CRITICAL, range 1\), 1 other: oldest failed: "
                         r"\d+ s: last import \d+ s ago$")
        self.assertRegex(st["dpagent-v3;DP dist age"]["plugin_output"],
                         r": oldest failed: \d+ s \(CRITICAL, range 7000\):")

        # 2. An import puts DP01's four rows in none(0) in deleted(3).
        path = os.path.join(self.tmp, "dp01-deleted.json")
        write_import(path, DP01_DELETED)
        dpctl(self.db, "import", path)
        st = self.nagios.check_now(SERVICES)
        self.assert_phase(st, IMPORT_STATES)
        self.assertEqual(self.oracle.scope()[0]["n_deleted"], 5)
        self.assertEqual(self.oracle.scope("dp01")[0]["n_deleted"], 4)

        # 3. Plain SQL: every deleted row back to none(0).
        sql(self.db, "UPDATE dp SET status = 0 WHERE status = 3")
        st = self.nagios.check_now(SERVICES)
        self.assert_phase(st, SQL_STATES)
        self.assertEqual(self.oracle.scope()[0]["n_deleted"], 0)

        # 4. dpagentd stopped: the master answers without the MIB.
        self.stack.stop_agent()
        st = self.nagios.check_now(SERVICES)
        self.assert_phase(st, NO_AGENT_STATES, served=False)
        for key in NO_AGENT_STATES:
            self.assertEqual(st[key]["plugin_output"], "DP CRITICAL - "
                             "127.0.0.1 does not serve "
                             "DISTRIBUTION-POINT-MIB: is dpagentd running "
                             "and connected to snmpd?", key)
            self.assertEqual(st[key]["performance_data"], "", key)

        # 5. dpagentd back: the states of the data again.
        self.stack.start_agent()
        st = self.nagios.check_now(SERVICES)
        self.assert_phase(st, SQL_STATES)

        # 6. The failed distributions imported as installed(0).
        path = os.path.join(self.tmp, "dist-installed.json")
        write_dist_import(path, DIST_INSTALLED)
        dpctl(self.db, "import", path)
        st = self.nagios.check_now(SERVICES)
        self.assert_phase(st, REIMPORT_STATES)
        self.assertEqual(dist_rows(self.db, "failed"), [])
        self.assertEqual(st["dpagent;DP dist"]["long_plugin_output"], "")

        self.nagios.stop()
        self.assertEqual(self.nagios.proc.returncode, 0, self.nagios.logs())


if __name__ == "__main__":
    unittest.main(verbosity=2)
