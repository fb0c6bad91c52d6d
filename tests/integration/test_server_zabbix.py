#!/usr/bin/env python3
"""The Zabbix template in a real Zabbix 6.0 server (issues 17 and 13).

Debian's zabbix-server-pgsql on a private PostgreSQL cluster, the
frontend's JSON-RPC API under `php -S` (tests/integration/zabbixkit.py),
two live stacks: dpagentd on 127.0.0.1 (both sample exports, the
SMS_DistributionPoint one and the summarizer one) and dpagent.so in
snmpd on 127.0.0.2 (a database never imported into, then imported).
Through the API: conf/zabbix/dpagent_template.yaml imported with
configuration.import (and a copy with one UUID that is not version 4
refused, as Zabbix 6.0 refuses it), its intervals shortened, one host
per stack.  Then, exactly: the items each discovery rule creates (with
the package filter), every polled item's value against the model read
with SQL, value-map names of the package items, every trigger's state
before and after imports that change Status, the stale-import and
never-imported triggers, and each trap item receiving notifications
through a real snmptrapd running Zabbix's zabbix_trap_receiver.pl (taken
from Debian's source package at test time), for every form in which
snmptrapd writes the trap OID; the server must log no unmatched trap.
Distribution health (issue 13): the dpDist* scalars and each server's
distribution buckets against a recount of the dist table, the failed and
failing-for-longer triggers of each server through imports and
{$DP.DIST.FAILED.MAX}, and dpDistStateChange traps (first appearances,
transitions to and from installFailed(3) and removalFailed(6) by dpctl
import and by other writers) with their exact varbinds, in every form,
driving the trap trigger.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
import zabbixkit as zk  # noqa: E402
from dpstack import Stack, dpctl  # noqa: E402
from serverkit import query, query_one, wait_for  # noqa: E402
from test_monitoring import (BASE_MIBS, MIBS, SAMPLE, TEMPLATE,  # noqa: E402
                             Oracle, mib_detail, mib_enum, slurp)

SUBAGENT, INMASTER = "dp-subagent", "dp-inmaster"
PACKAGES = "^PS1000(12|5A)$"  # {$DP.PACKAGE.MATCHES} on both hosts
UUID_V4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
BUCKETS = ("none", "updated", "added", "deleted", "other")
STATUS_CHANGE, STATUS_SUMMARY = dpstack.STATUS_CHANGE, dpstack.STATUS_SUMMARY
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
DIST_SAMPLE = os.path.join(dpstack.DATA, "sample-dist-ps7.json")
DIST_CHANGE = dpstack.ROOT + ".0.3"
DIST_COLUMN = dpstack.OBJECTS + ".6.1.%d"  # dpDistEntry
DIST_BUCKETS = ("installed", "inprogress", "retrying", "failed", "other")
FAILED = (3, 6)  # installFailed, removalFailed
# The sample's two failed distributions, installed.
HEALED = {("DP02.corp.contoso.com", "PS100034"): 0,
          ("DP04.corp.contoso.com", "PS100057"): 0}
# Each form in which snmptrapd writes the OID of dpDistStateChange and
# of its dpDistState varbind (zabbix_trap_receiver.pl prints the State
# as a number in every one of them).
DIST_FORMS = [
    ("default", [], "", "iso.3.6.1.4.1.32473.77.0.3",
     "iso.3.6.1.4.1.32473.77.1.6.1.4"),
    ("numeric", ["-On"], "", ".1.3.6.1.4.1.32473.77.0.3",
     ".1.3.6.1.4.1.32473.77.1.6.1.4"),
    ("standard-mibs", [], "SNMPv2-SMI",
     "SNMPv2-SMI::enterprises.32473.77.0.3",
     "SNMPv2-SMI::enterprises.32473.77.1.6.1.4"),
    ("our-mib", [], "DISTRIBUTION-POINT-MIB",
     "DISTRIBUTION-POINT-MIB::dpDistStateChange",
     "DISTRIBUTION-POINT-MIB::dpDistState"),
    ("full", ["-Of"], "", ".iso.3.6.1.4.1.32473.77.0.3",
     ".iso.3.6.1.4.1.32473.77.1.6.1.4"),
    ("full-names", ["-Of"], "DISTRIBUTION-POINT-MIB",
     ".iso.org.dod.internet.private.enterprises.dpEnterprise.dpMIB."
     "dpNotifications.dpDistStateChange",
     ".iso.org.dod.internet.private.enterprises.dpEnterprise.dpMIB."
     "dpObjects.dpDistTable.dpDistEntry.dpDistState"),
]


def dist_bucket(state):
    """The bucket of a State, as DISTRIBUTION-POINT-MIB defines them."""
    if state == 0:
        return "installed"
    if state in (1, 4, 7):
        return "inprogress"
    if state in (2, 5):
        return "retrying"
    if state in FAILED:
        return "failed"
    return "other"


def dist_recount(db):
    """{server_idx: {bucket: n}} and the totals ("rows" too), counted
    from the rows of the dist table with plain SQL; equal to the counts
    the model's triggers keep (server.d_*, meta.d_*), else the model is
    wrong and nothing here can be compared."""
    per, total = {}, dict((b, 0) for b in ("rows",) + DIST_BUCKETS)
    for r in query(db, "SELECT server_idx, state FROM dist"):
        c = per.setdefault(r["server_idx"], dict.fromkeys(total, 0))
        for d in (c, total):
            d["rows"] += 1
            d[dist_bucket(r["state"])] += 1
    kept = dict((r["idx"], r) for r in query(db, "SELECT * FROM server"))
    meta = query_one(db, "SELECT * FROM meta")
    for b in ("rows",) + DIST_BUCKETS:
        if meta["d_" + b] != total[b]:
            raise AssertionError("meta.d_%s %d, recount %d" %
                                 (b, meta["d_" + b], total[b]))
        for idx, s in kept.items():
            n = per.get(idx, {}).get(b, 0)
            if s["d_" + b] != n:
                raise AssertionError("server %d d_%s %d, recount %d" %
                                     (idx, b, s["d_" + b], n))
    return per, total


def live(db, table):
    """The rows of dpServerTable or dpPackageTable: a row of either
    class."""
    return query(db, "SELECT * FROM %s WHERE rows > 0 OR d_rows > 0 "
                 "ORDER BY idx" % table)


def dist_events(db, after=0):
    return query(db, "SELECT * FROM status_event WHERE kind = 1 AND "
                 "seq > ? ORDER BY seq", after)


def trap_line(oid, asn_type, value):
    """A varbind as zabbix_trap_receiver.pl writes it."""
    return "  %-30s type=%-2d value=%s\n" % (oid, asn_type, value)


def net_snmp_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def dist_trap_lines(ev):
    """The varbinds of the dpDistStateChange of event ev (a status_event
    row of kind 1) as the receiver writes them behind Debian's default
    snmptrapd (no MIB loaded, no -On)."""
    def iso(oid):
        return "iso" + oid[2:]
    inst = ".%d.%d" % (ev["server_idx"], ev["package_idx"])
    col = iso(DIST_COLUMN) + inst
    when = " ".join("%02X" % b for b in dpstack.ms_date_and_time(
        ev["at_ms"])) + " "
    return [trap_line(iso(SNMP_TRAP_OID), 6, "OID: " + iso(DIST_CHANGE)),
            trap_line(col % 4, 2, "INTEGER: %d" % ev["status"]),
            trap_line(col % 10, 2, "INTEGER: %d" % ev["prev_status"]),
            trap_line(col % 1, 4, "STRING: " +
                      net_snmp_string(ev["package_id"])),
            trap_line(col % 2, 4, "STRING: " +
                      net_snmp_string(ev["server_nal_path"])),
            trap_line(col % 3, 4, "STRING: " +
                      net_snmp_string(ev["site_code"])),
            trap_line(col % 11, 4, "Hex-STRING: " + when),
            trap_line(col % 12, 66, "Gauge32: %d" % ev["seq"])]


def template_text():
    with open(TEMPLATE, encoding="utf-8") as f:
        return f.read()


def import_rules():
    every = {"createMissing": True, "updateExisting": True}
    return {"groups": {"createMissing": True}, "templates": every,
            "items": every, "discoveryRules": every, "triggers": every,
            "valueMaps": every}


def records():
    with open(SAMPLE, encoding="utf-8") as f:
        return json.load(f)


def dist_records():
    with open(DIST_SAMPLE, encoding="utf-8-sig") as f:
        return json.load(f)


def write_json(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(recs, f)
    return path


class TrapDaemon:
    """snmptrapd -f with embedded Perl running zabbix_trap_receiver.pl,
    on a fixed port, restarted with other output options per round."""

    def __init__(self, parent, receiver):
        self.dir = os.path.join(parent, "snmptrapd")
        os.mkdir(self.dir)
        self.port = dpstack.free_udp_port()
        self.conf = os.path.join(self.dir, "snmptrapd.conf")
        # Not self.dir: snmptrapd writes PERSISTENTDIR/snmptrapd.conf at
        # exit, which would replace this file at the first restart.
        persist = os.path.join(self.dir, "persist")
        os.mkdir(persist, 0o700)
        with open(self.conf, "w") as f:
            f.write("authCommunity execute public\n"
                    "perl do \"%s\";\n"
                    "[snmp] persistentDir %s\n" % (receiver, persist))
        self.proc = None
        self.log = None
        self.starts = 0

    def sink(self):
        return "trap2sink 127.0.0.1:%d public" % self.port

    def start(self, name, opts, mibs):
        """opts: snmptrapd's output options; mibs: the MIBS to load (as
        an operator's snmp.conf would: Debian's says `mibs :`)."""
        self.stop()
        # A log of its own per start: "NET-SNMP version" in it means this
        # snmptrapd is listening (a trap sent before would be lost).
        self.starts += 1
        name = "%d-%s" % (self.starts, name)
        self.log = os.path.join(self.dir, name + ".log")
        argv = ["snmptrapd", "-f", "-Lf", self.log, "-C", "-c", self.conf,
                "-p", os.path.join(self.dir, "pid"), "-M",
                BASE_MIBS + ":" + MIBS, "-m", mibs] + list(opts) + \
            ["udp:127.0.0.1:%d" % self.port]
        out = os.path.join(self.dir, name + ".out")
        with open(out, "wb") as f:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=f, stderr=subprocess.STDOUT,
                                         env=dict(os.environ, MIBS=""))
        dpstack._live.append(self.proc)
        # (The receiver's "Loaded" line on stdout is block-buffered by
        # Perl: the first trap through it is the proof that it runs.)
        wait_for(lambda: "NET-SNMP version" in slurp(self.log),
                 "snmptrapd to start", self.proc, self.log, timeout=15)
        for line in slurp(self.log).splitlines() + slurp(out).splitlines():
            if "perl" in line.lower() and "callback function" not in line:
                raise AssertionError("snmptrapd's embedded Perl (is "
                                     "libsnmp-perl installed?): " + line)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            dpstack._stop(self.proc)


class ZabbixServer60(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = zk.tempdir()
        cls.stacks = []
        cls.parts = []
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        t0 = time.monotonic()
        cls.trap_file = os.path.join(cls.tmp, "snmptraps.log")
        open(cls.trap_file, "w").close()
        os.chmod(cls.trap_file, 0o666)
        cls.pg = zk.PgCluster(cls.tmp).start()
        cls.parts.append(cls.pg)
        cls.pg.create_zabbix_db()
        cls.server = zk.ZabbixServer(cls.tmp, cls.pg, cls.trap_file)
        cls.parts.append(cls.server)
        cls.server.start()
        cls.fe = zk.ZabbixFrontend(cls.tmp, cls.pg, cls.server)
        cls.parts.append(cls.fe)
        cls.fe.start()
        api = cls.fe.api
        # The database's own "Zabbix server" host polls an agent we do
        # not run: disable it, so that the log holds only our hosts.
        for h in api("host.get", output=["hostid"],
                     filter={"host": "Zabbix server"}):
            api("host.update", hostid=h["hostid"], status=1)

        cls.imported = api("configuration.import", format="yaml",
                           source=template_text(), rules=import_rules())
        tmpl = api("template.get", output=["templateid"],
                   filter={"host": "ConfigMgr distribution points by SNMP"})
        cls.templateid = tmpl[0]["templateid"]
        # Intervals shortened on the template, as an administrator would
        # for a test host; hosts inherit them.
        for i in api("item.get", templateids=cls.templateid,
                     output=["itemid", "type"]):
            if i["type"] == "20":  # SNMP agent
                api("item.update", itemid=i["itemid"], delay="2s")
        for r in api("discoveryrule.get", templateids=cls.templateid,
                     output=["itemid"]):
            api("discoveryrule.update", itemid=r["itemid"], delay="3s")
        for p in api("itemprototype.get", templateids=cls.templateid,
                     output=["itemid"]):
            api("itemprototype.update", itemid=p["itemid"], delay="2s")

        receiver = zk.trap_receiver(cls.tmp, cls.trap_file)
        cls.trapd = TrapDaemon(cls.tmp, receiver)
        cls.parts.append(cls.trapd)
        # Debian's default snmptrapd: no MIB loaded, no -On.
        cls.trapd.start("default", [], "")

        cls.db1 = os.path.join(cls.tmp, "subagent.db")
        dpctl(cls.db1, "init")
        dpctl(cls.db1, "import", SAMPLE)
        cls.db2 = os.path.join(cls.tmp, "inmaster.db")
        dpctl(cls.db2, "init")  # never imported into, yet
        conf2 = dpstack.agent_conf(cls.tmp, notifyBacklog=2)
        cls.s1 = Stack(cls.db1, sinks=[cls.trapd.sink()], mode="subagent")
        cls.stacks.append(cls.s1)
        cls.s1.start_master()
        cls.s1.start_agent()
        cls.s2 = Stack(cls.db2, sinks=[cls.trapd.sink()], mode="dlmod",
                       address="127.0.0.2")
        cls.stacks.append(cls.s2)
        cls.s2.start_agent("-c", conf2)

        cls.hosts = {}
        group = api("hostgroup.get", output=["groupid"],
                    filter={"name": "Templates/Applications"})
        for name, stack in ((SUBAGENT, cls.s1), (INMASTER, cls.s2)):
            res = api("host.create", host=name,
                      groups=[{"groupid": group[0]["groupid"]}],
                      templates=[{"templateid": cls.templateid}],
                      interfaces=[{"type": 2, "main": 1, "useip": 1,
                                   "ip": stack.address, "dns": "",
                                   "port": str(stack.port),
                                   "details": {"version": 2,
                                               "community": "public",
                                               "bulk": 1}}],
                      macros=[{"macro": "{$DP.PACKAGE.MATCHES}",
                               "value": PACKAGES},
                              {"macro": "{$DP.IMPORT.MAXAGE}",
                               "value": "3600"},
                              {"macro": "{$DP.DIST.FAILED.MAX}",
                               "value": "1h"}])
            cls.hosts[name] = res["hostids"][0]
        cls.db_of = {SUBAGENT: cls.db1, INMASTER: cls.db2}

        # The summarizer export, once the server polls the subagent's
        # host: its first appearances in a retrying or failed State
        # become dpDistStateChange traps at once, and a trap from an
        # address the server knows no host of would be unmatched.
        def polled():
            return any(i["lastclock"] != "0" for i in api(
                "item.get", hostids=cls.hosts[SUBAGENT],
                output=["lastclock"], filter={"type": 20}))
        wait_for(polled, "the server to poll %s" % SUBAGENT,
                 cls.server.proc, cls.server.log, timeout=90, interval=0.5)
        dpctl(cls.db1, "import", DIST_SAMPLE)
        # The state of the trap trigger ("a distribution failed") that the
        # tests have driven each host to: the last of those traps is
        # removalFailed(6) (asserted in test_2).
        cls.dist_trap = {SUBAGENT: True, INMASTER: False}
        cls.t_setup = time.monotonic() - t0

    @classmethod
    def _stop(cls):
        for s in cls.stacks:
            s.close()
        for p in reversed(cls.parts):
            p.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    # -- helpers -----------------------------------------------------------

    def api(self, method, **kw):
        return self.fe.api(method, **kw)

    def items(self, host):
        return self.api("item.get", hostids=self.hosts[host],
                        output=["itemid", "key_", "lastvalue", "lastclock",
                                "state", "error", "type", "valuemapid"])

    def wait(self, ready, what, timeout=90):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            ok, last = ready()
            if ok:
                return last
            time.sleep(0.5)
        self.fail("%s: not within %d s; last seen:\n%s\nzabbix_server.log:"
                  "\n%s" % (what, timeout, json.dumps(last, indent=1,
                                                      default=str)[:6000],
                            self.server.text()[-3000:]))

    def expected_keys(self, db):
        srv = [s["idx"] for s in live(db, "server")]
        pkg = [p["idx"] for p in live(db, "package")
               if re.search(PACKAGES, p["package_id"])]
        keys = {"dp.servers", "dp.packages", "dp.rows", "dp.changes",
                "dp.import.age", "dp.pending.writes"}
        keys |= set("dp.rows." + b for b in BUCKETS)
        keys |= set("dp.dist." + b for b in ("rows",) + DIST_BUCKETS)
        for i in srv:
            keys |= set("dp.server.%s[%d]" % (k, i) for k in
                        ["rows"] + ["rows." + b for b in BUCKETS] +
                        ["dist." + b for b in ("rows",) + DIST_BUCKETS])
        for i in pkg:
            keys |= set("dp.package.%s[%d]" % (k, i) for k in
                        ["type", "objecttype", "rows"] +
                        ["rows." + b for b in BUCKETS])
        return keys

    def expected_values(self, db):
        """{key: value} for every polled item, from the model."""
        o = Oracle(db)
        try:
            m = o.meta()
            want = {"dp.servers": m["servers"], "dp.packages": m["packages"],
                    "dp.rows": m["rows"], "dp.pending.writes": 0,
                    "dp.changes": 0}
            for b in BUCKETS:
                want["dp.rows." + b] = m["n_" + b]
            per, total = dist_recount(db)
            for b, n in total.items():
                want["dp.dist." + b] = n
            for s in live(db, "server"):
                want["dp.server.rows[%d]" % s["idx"]] = s["rows"]
                for b in BUCKETS:
                    want["dp.server.rows.%s[%d]" % (b, s["idx"])] = \
                        s["n_" + b]
                for b in ("rows",) + DIST_BUCKETS:
                    want["dp.server.dist.%s[%d]" % (b, s["idx"])] = \
                        per.get(s["idx"], {}).get(b, 0)
            for p in live(db, "package"):
                if not re.search(PACKAGES, p["package_id"]):
                    continue
                i = p["idx"]
                want["dp.package.type[%d]" % i] = p["package_type"]
                want["dp.package.objecttype[%d]" % i] = p["object_type_id"]
                want["dp.package.rows[%d]" % i] = p["rows"]
                for b in BUCKETS:
                    want["dp.package.rows.%s[%d]" % (b, i)] = p["n_" + b]
        finally:
            o.close()
        return want

    def wait_values(self, host, db, timeout=90):
        """Every polled item of the host holds the model's value, and
        the discovered items are exactly the model's."""
        keys = self.expected_keys(db)

        def ready():
            want = self.expected_values(db)
            got = dict((i["key_"], i) for i in self.items(host)
                       if i["type"] == "20")
            diff = {}
            if set(got) != keys:
                diff["keys missing"] = sorted(keys - set(got))
                diff["keys extra"] = sorted(set(got) - keys)
            for k, i in got.items():
                if i["state"] != "0" or i["lastclock"] == "0":
                    diff[k] = "state %s clock %s %s" % (
                        i["state"], i["lastclock"], i["error"])
                elif k == "dp.import.age":
                    continue
                elif k in want and int(float(i["lastvalue"])) != want[k]:
                    diff[k] = "%s, model %s" % (i["lastvalue"], want[k])
            return not diff, diff
        self.wait(ready, "%s: items and values equal to the model" % host,
                  timeout)
        return dict((i["key_"], i) for i in self.items(host))

    def expected_problems(self, host, maxage_exceeded=False,
                          failing_long=()):
        """{trigger: PROBLEM?} of every trigger but the no-data one, from
        the model ({$DP.DELETED.MAX} is 0).  failing_long: the servers
        (names; True: all) whose {$DP.DIST.FAILED.MAX} is short enough
        that a failed distribution has failed for longer (the sample's
        have failed since the setup)."""
        db = self.db_of[host]
        o = Oracle(db)
        try:
            m = o.meta()
        finally:
            o.close()
        per, _ = dist_recount(db)
        want = {"dp.rows.deleted": m["n_deleted"] > 0,
                "dp.import.age never": m["last_import_ms"] == 0,
                "dp.import.age stale": maxage_exceeded,
                "dist trap": self.dist_trap[host]}
        for s in live(db, "server"):
            i = s["idx"]
            failed = per.get(i, {}).get("failed", 0) > 0
            want["dp.server.rows.deleted[%d]" % i] = s["n_deleted"] > 0
            want["dp.server.dist.failed[%d] failed" % i] = failed
            want["dp.server.dist.failed[%d] long" % i] = failed and (
                failing_long is True or s["name"] in failing_long)
        for p in live(db, "package"):
            if re.search(PACKAGES, p["package_id"]):
                want["dp.package.rows.deleted[%d]" % p["idx"]] = \
                    p["n_deleted"] > 0
        return want

    def trigger_states(self, host):
        """{trigger: PROBLEM?}, and the triggers Zabbix cannot evaluate
        with its error (only the trap trigger may be, on a host that has
        received no dpDistStateChange yet)."""
        out, unknown = {}, {}
        for t in self.api("trigger.get", hostids=self.hosts[host],
                          output=["description", "value", "state",
                                  "error"],
                          selectItems=["key_"]):
            keys = [i["key_"] for i in t["items"]]
            key = keys[0]
            if any(k.startswith("snmptrap[") for k in keys):
                key = "dist trap"
            elif key == "dp.import.age":
                key += " never" if "ever" in t["description"] else " stale"
            elif key.startswith("dp.server.dist.failed["):
                key += " long" if "longer than" in t["description"] \
                    else " failed"
            if key == "dp.rows":
                continue  # nodata(): not driven here
            if key in out:
                raise AssertionError("%s: two triggers are %s" % (host, key))
            out[key] = t["value"] == "1"
            if t["state"] != "0":
                unknown[key] = t["error"]
        return out, unknown

    def wait_triggers(self, host, want, timeout=90):
        def ready():
            got, unknown = self.trigger_states(host)
            allowed = set() if self.dist_traps_seen(host) else {"dist trap"}
            return (got == want and set(unknown) <= allowed,
                    {"got": got, "want": want, "unknown": unknown})
        self.wait(ready, "%s: trigger states" % host, timeout)

    def dist_traps_seen(self, host):
        return bool(self.history(self.trap_item(host, "dpDistStateChange")))

    def history(self, itemid, after=0):
        """Zabbix stores the trap text without its header line and
        without the last newline: wait_trap() puts that back."""
        return self.api("history.get", history=2, itemids=[itemid],
                        output="extend", sortfield="clock",
                        sortorder="ASC", time_from=after)

    def trap_item(self, host, name):
        for i in self.items(host):
            if i["type"] == "17" and name in i["key_"]:
                return i["itemid"]
        self.fail("%s: no trap item for %s" % (host, name))

    def assert_only_cold_starts_unmatched(self):
        """The server logs each trap no item took; only snmpd's own
        coldStart (sent when each master starts) may be among them."""
        blocks = re.split(r"\n(?= *\d+:\d{8}:\d{6}\.\d{3} )",
                          self.server.text())
        unmatched = [b for b in blocks if "unmatched trap received" in b]
        self.assertGreaterEqual(len(unmatched), 2)  # one per master
        for b in unmatched:
            oid = re.search(r"\.1\.4\.1\.0 +type=6 +value=OID: (\S+)", b)
            self.assertIsNotNone(oid, b)
            self.assertRegex(oid.group(1), r"^(\.?(1|iso)\.3\.6\.1\.6\.3\.1\.1"
                             r"\.5\.1|(SNMPv2-MIB::)?coldStart)$", b)

    # -- the tests, in order -----------------------------------------------

    def test_1_import(self):
        self.assertEqual(self.imported, True)
        uuids = re.findall(r"uuid: (\S+)", template_text())
        self.assertEqual(len(uuids), 58)
        self.assertEqual(len(set(uuids)), 58)
        for u in uuids:
            self.assertRegex(u, UUID_V4)
        # The server's validation is real: the same template with its own
        # UUID of another version (and another name, so that nothing can
        # match the imported one) is refused.
        text = template_text()
        own = re.search(r"templates:\n +-\n +uuid: (\S+)", text).group(1)
        self.assertEqual(uuid.UUID(own).version, 4)
        bad = text.replace(own, own[:12] + "1" + own[13:], 1)
        bad = bad.replace("ConfigMgr distribution points by SNMP",
                          "dpagent uuid check")
        with self.assertRaises(zk.ApiError) as cm:
            self.api("configuration.import", format="yaml", source=bad,
                     rules={"templates": {"createMissing": True}})
        self.assertIn('Invalid parameter "/1/uuid": UUIDv4 is expected',
                      str(cm.exception))

    def test_2_subagent_items_and_values(self):
        items = self.wait_values(SUBAGENT, self.db1)
        polled = [k for k, i in items.items() if i["type"] == "20"]
        # 17 scalars, 4 servers x 12, 2 of the 6 packages x 8.
        self.assertEqual(len(polled), 17 + 4 * 12 + 2 * 8)
        self.assertEqual(sorted(k for k, i in items.items()
                                if i["type"] == "17"),
                         sorted(k for k in items if k.startswith(
                             "snmptrap[")))
        self.assertEqual(len([i for i in items.values()
                              if i["type"] == "17"]), 3)
        age = int(items["dp.import.age"]["lastvalue"])
        self.assertGreaterEqual(age, 0)
        self.assertLess(age, 600)
        # Value maps: the package items show the MIB's names.
        maps = dict((m["valuemapid"], m) for m in self.api(
            "valuemap.get", valuemapids=sorted(set(
                i["valuemapid"] for i in items.values())),
            output=["valuemapid", "name"], selectMappings="extend"))
        enums = {"dp.package.type": ("DISTRIBUTION-POINT-MIB::"
                                     "DpPackageTypeCode",
                                     mib_enum("dpPkgPackageType")),
                 "dp.package.objecttype": ("DISTRIBUTION-POINT-MIB::"
                                           "DpObjectTypeCode",
                                           mib_enum("dpPkgObjectTypeID"))}
        seen = 0
        for k, i in items.items():
            base = k.split("[")[0]
            if base not in enums:
                self.assertEqual(i["valuemapid"], "0", k)
                continue
            name, enum = enums[base]
            vm = maps[i["valuemapid"]]
            self.assertEqual(vm["name"], name)
            shown = dict((m["value"], m["newvalue"]) for m in vm["mappings"])
            self.assertEqual(shown[i["lastvalue"]], enum[i["lastvalue"]], k)
            seen += 1
        self.assertEqual(seen, 4)
        # The State value map, absent(-1) included, as Zabbix holds it.
        syntax = re.search(r"SYNTAX\s+INTEGER\s*\{([^}]*)\}",
                           mib_detail("dpDistState")).group(1)
        states = dict((v, k) for k, v in re.findall(r"(\w+)\((-?\d+)\)",
                                                    syntax))
        self.assertEqual(len(states), 10)
        vm = self.api("valuemap.get", hostids=self.templateid,
                      filter={"name": "DISTRIBUTION-POINT-MIB::"
                              "DpDistStateCode"}, selectMappings="extend")
        self.assertEqual(len(vm), 1)
        self.assertEqual(dict((m["value"], m["newvalue"])
                              for m in vm[0]["mappings"]), states)
        # The summarizer import's first appearances in a retrying or
        # failed State, each a dpDistStateChange with its varbinds.
        events = dist_events(self.db1)
        self.assertEqual([(e["package_id"], e["status"], e["prev_status"])
                          for e in events],
                         [("PS100034", 3, -1), ("PS200003", 2, -1),
                          ("PS100057", 6, -1)])
        self.wait_dist_traps(SUBAGENT, events)

    def test_3_triggers_follow_imports(self):
        self.wait_values(SUBAGENT, self.db1)
        before = self.expected_problems(SUBAGENT)
        # The sample: PS200003 deleted on DP02, nothing else deleted;
        # failed distributions on DP02 and DP04, the last trap failed.
        self.assertEqual(sorted(k for k, v in before.items() if v),
                         ["dist trap", "dp.rows.deleted",
                          "dp.server.dist.failed[2] failed",
                          "dp.server.dist.failed[4] failed",
                          "dp.server.rows.deleted[2]"])
        self.wait_triggers(SUBAGENT, before)
        # An import: PS200003 back to none on DP02, PS100012 deleted on
        # DP01.
        recs = records()
        for r in recs:
            if r["PackageID"] == "PS200003" and "DP02" in r["ServerNALPath"]:
                r["Status"] = 0
            if r["PackageID"] == "PS100012" and "DP01" in r["ServerNALPath"]:
                r["Status"] = 3
        dpctl(self.db1, "import", write_json(
            os.path.join(self.tmp, "change.json"), recs))
        after = self.expected_problems(SUBAGENT)
        self.assertEqual(sorted(k for k, v in after.items() if v),
                         ["dist trap", "dp.package.rows.deleted[1]",
                          "dp.rows.deleted",
                          "dp.server.dist.failed[2] failed",
                          "dp.server.dist.failed[4] failed",
                          "dp.server.rows.deleted[1]"])
        self.wait_values(SUBAGENT, self.db1)
        self.wait_triggers(SUBAGENT, after)
        # And back.
        dpctl(self.db1, "import", SAMPLE)
        self.wait_values(SUBAGENT, self.db1)
        self.wait_triggers(SUBAGENT, before)

    def test_4_stale_import(self):
        macro = self.api("usermacro.get", hostids=self.hosts[SUBAGENT],
                         filter={"macro": "{$DP.IMPORT.MAXAGE}"},
                         output=["hostmacroid"])[0]["hostmacroid"]
        want = self.expected_problems(SUBAGENT)
        self.wait_triggers(SUBAGENT, want)
        self.api("usermacro.update", hostmacroid=macro, value="1")
        self.wait_triggers(SUBAGENT, self.expected_problems(
            SUBAGENT, maxage_exceeded=True))
        self.api("usermacro.update", hostmacroid=macro, value="3600")
        self.wait_triggers(SUBAGENT, want)

    def test_5_inmaster_never_imported_then_imported(self):
        def never():
            got = dict((i["key_"], i) for i in self.items(INMASTER))
            age = got.get("dp.import.age", {}).get("lastvalue")
            return (age == "-1" and got["dp.rows"]["lastclock"] != "0" and
                    got["dp.rows"]["lastvalue"] == "0"), got
        self.wait(never, "in-master host: dp.import.age -1, 0 rows")
        want = self.expected_problems(INMASTER)
        self.assertEqual(sorted(k for k, v in want.items() if v),
                         ["dp.import.age never"])
        self.wait_triggers(INMASTER, want)
        # Both classes in one run: its three first appearances in a
        # retrying or failed State are more than notifyBacklog 2, so they
        # come as one dpStatusSummary and the trap trigger stays OK.
        since = int(time.time()) - 1
        dpctl(self.db2, "import", SAMPLE, DIST_SAMPLE)
        self.assertEqual(len(dist_events(self.db2)), 3)
        items = self.wait_values(INMASTER, self.db2, timeout=90)
        self.assertEqual(len([i for i in items.values()
                              if i["type"] == "20"]), 17 + 4 * 12 + 2 * 8)
        self.wait_trap(INMASTER, "dpStatusSummary",
                       "iso.3.6.1.4.1.32473.77.0.2", since)
        want = self.expected_problems(INMASTER)
        self.assertEqual(sorted(k for k, v in want.items() if v),
                         ["dp.rows.deleted",
                          "dp.server.dist.failed[2] failed",
                          "dp.server.dist.failed[4] failed",
                          "dp.server.rows.deleted[2]"])
        self.wait_triggers(INMASTER, want)
        self.assertFalse(self.dist_traps_seen(INMASTER))

    def last_seq(self, db):
        import sqlite3
        con = sqlite3.connect(db)
        try:
            return con.execute("SELECT max(seq) FROM status_event"
                               ).fetchone()[0] or 0
        finally:
            con.close()

    def transition(self, db, sidx, pidx, status):
        dpstack.sql(db, ("UPDATE dp SET status = ? WHERE server_idx = ? "
                         "AND package_idx = ?", (status, sidx, pidx)))
        return self.last_seq(db)

    def wait_trap(self, host, name, needle, after):
        itemid = self.trap_item(host, name)

        def ready():
            vals = [h["value"] + "\n" for h in self.history(itemid, after)]
            return any(needle in v for v in vals), vals
        return self.wait(ready, "%s: %s trap with %r" % (host, name,
                                                         needle), 30)

    def wait_dist_traps(self, host, events, after=0):
        """Each event's dpDistStateChange reached the host's trap item,
        with exactly the varbinds the event implies (behind Debian's
        default snmptrapd)."""
        itemid = self.trap_item(host, "dpDistStateChange")

        def ready():
            vals = [h["value"] + "\n" for h in self.history(itemid, after)]
            missing = {}
            for ev in events:
                lines = dist_trap_lines(ev)
                ours = [v for v in vals if lines[-1] in v]
                if not ours:
                    missing[ev["seq"]] = "no trap"
                    continue
                bad = [ln for ln in lines if ln not in ours[-1]]
                if bad:
                    missing[ev["seq"]] = {"lines not in the trap": bad,
                                          "trap": ours[-1]}
            return not missing, {"missing": missing, "values": vals}
        self.wait(ready, "%s: dpDistStateChange of events %s" % (
            host, [e["seq"] for e in events]), 30)

    def dist_export(self, name, changes):
        """The summarizer sample with changes {(server name, PackageID):
        State}."""
        recs = dist_records()
        left = dict(changes)
        for r in recs:
            for (srv, pkg), state in changes.items():
                if r["PackageID"] == pkg and \
                        "\\%s\\" % srv in r["ServerNALPath"]:
                    r["State"] = state
                    left.pop((srv, pkg))
        self.assertEqual(left, {})
        return write_json(os.path.join(self.tmp, name), recs)

    def dist_index(self, db, server, package):
        return (query_one(db, "SELECT idx FROM server WHERE name = ?",
                          server)["idx"],
                query_one(db, "SELECT idx FROM package WHERE "
                          "package_id = ?", package)["idx"])

    def test_6_traps_every_oid_form(self):
        # Each form in which snmptrapd writes the trap OID, and the line
        # Zabbix's receiver writes for it.
        forms = [
            ("default", [], "", "iso.3.6.1.4.1.32473.77.0.1"),
            ("numeric", ["-On"], "", ".1.3.6.1.4.1.32473.77.0.1"),
            ("standard-mibs", [], "SNMPv2-SMI",
             "SNMPv2-SMI::enterprises.32473.77.0.1"),
            ("our-mib", [], "DISTRIBUTION-POINT-MIB",
             "DISTRIBUTION-POINT-MIB::dpStatusChange"),
            ("full", ["-Of"], "", ".iso.3.6.1.4.1.32473.77.0.1"),
            ("full-names", ["-Of"], "DISTRIBUTION-POINT-MIB",
             ".iso.org.dod.internet.private.enterprises.dpEnterprise.dpMIB."
             "dpNotifications.dpStatusChange"),
        ]
        status = 1
        for name, opts, mibs, oid in forms:
            with self.subTest(form=name):
                self.trapd.start(name, opts, mibs)
                since = int(time.time()) - 1
                status = 2 if status == 1 else 1
                seq = self.transition(self.db1, 3, 4, status)
                # The event's own sequence number is in the trap text.
                vals = self.wait_trap(SUBAGENT, "dpStatusChange",
                                      "value=OID: %s\n" % oid, since)
                ours = [v for v in vals if "value=OID: %s\n" % oid in v]
                self.assertTrue(any("value=Gauge32: %d\n" % seq in v
                                    for v in ours), ours)
                self.assertIn("PS100057", ours[-1])
        self.trapd.start("default-again", [], "")
        self.assert_only_cold_starts_unmatched()

    def test_7_inmaster_traps_and_summary(self):
        since = int(time.time()) - 1
        seq = self.transition(self.db2, 1, 1, 2)
        self.wait_trap(INMASTER, "dpStatusChange",
                       "value=Gauge32: %d\n" % seq, since)
        # Three transitions at once, past notifyBacklog 2: one summary.
        dpstack.sql(self.db2,
                    "UPDATE dp SET status = 3 WHERE server_idx = 4")
        self.wait_trap(INMASTER, "dpStatusSummary",
                       "iso.3.6.1.4.1.32473.77.0.2", since)
        # Nothing of the in-master stack reached the subagent's host: the
        # two stacks send from 127.0.0.1 and 127.0.0.2.
        for name in ("dpStatusChange", "dpStatusSummary",
                     "dpDistStateChange"):
            for h in self.history(self.trap_item(SUBAGENT, name), since):
                self.assertNotIn("127.0.0.2", h["value"])
        self.assert_only_cold_starts_unmatched()

    # -- distribution health -----------------------------------------------

    def test_8_dist_failed_triggers(self):
        host = self.hosts[SUBAGENT]
        macro = self.api("usermacro.get", hostids=host,
                         filter={"macro": "{$DP.DIST.FAILED.MAX}"},
                         output=["hostmacroid"])[0]["hostmacroid"]
        dp02 = '{$DP.DIST.FAILED.MAX:"DP02.corp.contoso.com"}'
        own = []
        try:
            self.wait_values(SUBAGENT, self.db1)
            base = self.expected_problems(SUBAGENT)
            self.assertTrue(base["dp.server.dist.failed[2] failed"])
            self.wait_triggers(SUBAGENT, base)
            # DP02 and DP04 have failed at every poll since the setup:
            # failing for longer than 10 s, DP02 alone by its own macro
            # (context: the server's name), then both.
            own += self.api("usermacro.create", hostid=host, macro=dp02,
                            value="10s")["hostmacroids"]
            self.wait_triggers(SUBAGENT, self.expected_problems(
                SUBAGENT, failing_long={"DP02.corp.contoso.com"}))
            self.api("usermacro.update", hostmacroid=macro, value="10s")
            self.wait_triggers(SUBAGENT, self.expected_problems(
                SUBAGENT, failing_long=True))
            # Not for longer than 1 h: the server has no history of the
            # hour before the last one (count() of it is 0).
            self.fe.api("usermacro.delete", own)
            own = []
            self.api("usermacro.update", hostmacroid=macro, value="1h")
            self.wait_triggers(SUBAGENT, base)
            self.api("usermacro.update", hostmacroid=macro, value="10s")
            self.wait_triggers(SUBAGENT, self.expected_problems(
                SUBAGENT, failing_long=True))
            # An export with both failed distributions installed: every
            # distribution trigger resolves (the last dpDistStateChange
            # is not a failure and dpDistFailed is 0 again).
            since = int(time.time()) - 1
            seq = self.last_seq(self.db1)
            dpctl(self.db1, "import", self.dist_export("dist-healed.json",
                                                       HEALED))
            events = dist_events(self.db1, seq)
            self.assertEqual([(e["server_idx"], e["package_idx"],
                               e["status"], e["prev_status"])
                              for e in events],
                             [(2, 2, 0, 3), (4, 4, 0, 6)])
            self.wait_values(SUBAGENT, self.db1)
            type(self).dist_trap[SUBAGENT] = False
            healed = self.expected_problems(SUBAGENT, failing_long=True)
            self.assertEqual([k for k, v in healed.items() if v and
                              "dist" in k], [])
            self.wait_triggers(SUBAGENT, healed)
            self.wait_dist_traps(SUBAGENT, events, since)
        finally:
            if own:
                self.fe.api("usermacro.delete", own)
            self.api("usermacro.update", hostmacroid=macro, value="1h")

    def test_9_dist_traps(self):
        # From here on, no distribution is failed.
        self.assertEqual(dist_recount(self.db1)[1]["failed"], 0)
        self.wait_triggers(SUBAGENT, self.expected_problems(SUBAGENT))
        sidx, pidx = self.dist_index(self.db1, "DP01.corp.contoso.com",
                                     "PS100012")
        # dpctl import moves DP01's PS100012 to installFailed(3), then
        # back to installed(0), behind Debian's default snmptrapd.
        for state, problem in ((3, True), (0, False)):
            since = int(time.time()) - 1
            seq = self.last_seq(self.db1)
            dpctl(self.db1, "import", self.dist_export(
                "dist-%d.json" % state,
                {**HEALED, ("DP01.corp.contoso.com", "PS100012"): state}))
            events = dist_events(self.db1, seq)
            self.assertEqual([(e["server_idx"], e["package_idx"],
                               e["status"], e["prev_status"])
                              for e in events],
                             [(sidx, pidx, state, 3 - state)])
            self.wait_dist_traps(SUBAGENT, events, since)
            self.wait_values(SUBAGENT, self.db1)
            type(self).dist_trap[SUBAGENT] = problem
            want = self.expected_problems(SUBAGENT)
            self.assertEqual(want["dp.server.dist.failed[%d] failed" % sidx],
                             problem)
            self.wait_triggers(SUBAGENT, want)
        # Every form of the trap OID reaches the trap item, and the trap
        # trigger reads dpDistState in every form: a failure (3 and 6 in
        # turn) fires it, the next State resolves it.
        failure = 6
        for name, opts, mibs, oid, state_oid in DIST_FORMS:
            with self.subTest(form=name):
                self.trapd.start("dist-" + name, opts, mibs)
                failure = 3 if failure == 6 else 6
                for state, problem in ((failure, True), (0, False)):
                    since = int(time.time()) - 1
                    dpstack.sql(self.db1, (
                        "UPDATE dist SET state = ? WHERE server_idx = ? "
                        "AND package_idx = ?", (state, sidx, pidx)))
                    seq = self.last_seq(self.db1)
                    vals = self.wait_trap(
                        SUBAGENT, "dpDistStateChange",
                        "value=Gauge32: %d\n" % seq, since)
                    ours = [v for v in vals
                            if "value=Gauge32: %d\n" % seq in v]
                    self.assertIn("value=OID: %s\n" % oid, ours[-1])
                    self.assertIn(trap_line(
                        state_oid + ".%d.%d" % (sidx, pidx), 2,
                        "INTEGER: %d" % state), ours[-1])
                    type(self).dist_trap[SUBAGENT] = problem
                    self.wait_triggers(SUBAGENT,
                                       self.expected_problems(SUBAGENT))
        # Back to the sample: DP02 and DP04 failed again, and the last
        # trap is DP04's removalFailed(6).
        self.trapd.start("default-dist", [], "")
        since = int(time.time()) - 1
        seq = self.last_seq(self.db1)
        dpctl(self.db1, "import", DIST_SAMPLE)
        events = dist_events(self.db1, seq)
        self.assertEqual(events[-1]["status"], 6)
        self.wait_dist_traps(SUBAGENT, events, since)
        self.wait_values(SUBAGENT, self.db1)
        type(self).dist_trap[SUBAGENT] = True
        self.wait_triggers(SUBAGENT, self.expected_problems(SUBAGENT))
        self.assert_only_cold_starts_unmatched()


if __name__ == "__main__":
    unittest.main(verbosity=2)
