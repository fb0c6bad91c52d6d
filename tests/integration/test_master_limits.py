#!/usr/bin/env python3
"""Limits of the Net-SNMP master (issue 18 items 13 and 14;
doc/master-limits.md), with hand-built SNMP packets sent to a private
snmpd on loopback.

13. A SET whose value has a type AgentX cannot carry (BIT STRING 0x03,
    NsapAddress 0x45): in the master (DP_MODE=dlmod) dpagent answers
    wrongType with the varbind's index; through AgentX the master fails to
    build the TestSet, never asks dpagentd, and answers nothing to anyone
    until dpagentd's session closes (then the SET gets genErr).  UInteger32
    (0x47) does reach dpagentd, which answers wrongType.
14. Net-SNMP drops every AgentX PDU longer than 65536 bytes
    (agent/mibgroup/agentx/protocol.c, agentx_parse()).  A GETNEXT whose
    AgentX request or response is exactly 65536 bytes is answered in full
    and equals the model; one varbind more is answered genErr after
    agentXTimeout x (agentXRetries + 1), the master drops dpagentd's session
    (the MIB is gone) and dpagentd is back agentxPingInterval later.  In the
    master, 2000 varbinds are answered; a response larger than one UDP
    datagram is not sent at all.
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (MODE, OBJECTS, ROW_ENTRY, SCALARS,  # noqa: E402
                     agent_conf, model)
import faultkit as fk  # noqa: E402

ISV = ROW_ENTRY + ".6"
REFRESH = ROW_ENTRY + ".11"
ROW_COUNT = SCALARS + ".3.0"
AGE = SCALARS + ".12.0"
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
EXTRA = "rwcommunity private 127.0.0.1\n"

# SNMP error-status values (RFC 3416)
NO_ERROR, TOO_BIG, GEN_ERR, NO_ACCESS, WRONG_TYPE = 0, 1, 5, 6, 7

# The master's agentXTimeout and agentXRetries (dpstack's snmpd.conf) and
# the subagent's agentxPingInterval used here.
AX_TIMEOUT, AX_RETRIES, PING = 1, 1, 3
AGENTX_MAX = 65536          # protocol.c: "if (len > 65536) goto parse_err"
REG_END = OBJECTS[:-2] + ".2"  # dpagentd registers dpObjects; range end


# -- BER, by hand ----------------------------------------------------------

def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def ber_int(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big",
                                signed=True))


def ber_oid(text):
    p = [int(x) for x in text.strip(".").split(".")]
    out = bytearray([40 * p[0] + p[1]])
    for x in p[2:]:
        chunk = [x & 0x7f]
        x >>= 7
        while x:
            chunk.append(0x80 | (x & 0x7f))
            x >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


NULL = b"\x05\x00"


def message(pdu_tag, reqid, varbinds, community):
    """An SNMPv2c message; varbinds [(oid, encoded value)]."""
    vbl = b"".join(tlv(0x30, ber_oid(o) + v) for o, v in varbinds)
    pdu = tlv(pdu_tag, ber_int(reqid) + ber_int(0) + ber_int(0) +
              tlv(0x30, vbl))
    return tlv(0x30, ber_int(1) + tlv(0x04, community) + pdu)


def _tlv_at(b, i):
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n


def _oid_text(b):
    out = [b[0] // 40, b[0] % 40]
    x = 0
    for c in b[1:]:
        x = (x << 7) | (c & 0x7f)
        if not c & 0x80:
            out.append(x)
            x = 0
    return "." + ".".join(map(str, out))


TYPES = {0x02: "INTEGER", 0x04: "STRING", 0x41: "Counter32",
         0x42: "Gauge32", 0x43: "Timeticks", 0x80: "noSuchObject",
         0x81: "noSuchInstance", 0x82: "endOfMibView"}


def decode(data):
    """(request-id, error-status, error-index, [(oid, type, value)]) of a
    Response; types as dpstack.parse() names them."""
    _, msg, _ = _tlv_at(data, 0)
    _, _, i = _tlv_at(msg, 0)           # version
    _, _, i = _tlv_at(msg, i)           # community
    tag, pdu, _ = _tlv_at(msg, i)
    assert tag == 0xa2, hex(tag)
    fields = []
    j = 0
    for _ in range(4):
        _, body, j = _tlv_at(pdu, j)
        fields.append(body)
    vbs, k = [], 0
    while k < len(fields[3]):
        _, vb, k = _tlv_at(fields[3], k)
        _, name, m = _tlv_at(vb, 0)
        t, val, _ = _tlv_at(vb, m)
        typ = TYPES.get(t, hex(t))
        if typ == "INTEGER":
            val = int.from_bytes(val, "big", signed=True)
        elif typ in ("Gauge32", "Counter32", "Timeticks"):
            val = int.from_bytes(val, "big")
        elif typ != "STRING":
            val = None
        vbs.append((_oid_text(name), typ, val))
    return (int.from_bytes(fields[0], "big", signed=True),
            int.from_bytes(fields[1], "big"),
            int.from_bytes(fields[2], "big"), vbs)


class Client:
    """One UDP socket on loopback to the stack's snmpd."""

    _ids = iter(range(1000, 1 << 30))

    def __init__(self, stack):
        self.addr = ("127.0.0.1", stack.port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def close(self):
        self.sock.close()

    def send(self, pdu_tag, varbinds, community=b"public"):
        self.reqid = next(self._ids)
        self.sock.sendto(message(pdu_tag, self.reqid, varbinds, community),
                         self.addr)

    def answer(self, timeout):
        """The decoded Response to the last request, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(1 << 17)
            except socket.timeout:
                return None
            r = decode(data)
            if r[0] == self.reqid:
                return r

    def ask(self, pdu_tag, varbinds, timeout=10, community=b"public"):
        self.send(pdu_tag, varbinds, community)
        return self.answer(timeout)


def get(stack, oid, timeout=0.5):
    c = Client(stack)
    try:
        return c.ask(0xa0, [(oid, NULL)], timeout)
    finally:
        c.close()


def set_value(stack, varbinds, timeout=10):
    """A SetRequest of [(oid, tag, value bytes)] with community private."""
    c = Client(stack)
    try:
        return c.ask(0xa3, [(o, tlv(t, v)) for o, t, v in varbinds],
                     timeout, b"private")
    finally:
        c.close()


# -- AgentX sizes (RFC 2741 5.1, 5.4, as Net-SNMP 5.9 encodes them) --------

def ax_oid(text):
    s = [int(x) for x in text.strip(".").split(".")]
    if len(s) >= 5 and s[:4] == [1, 3, 6, 1] and 0 < s[4] < 256:
        s = s[5:]                       # the "internet" prefix
    return 4 + 4 * len(s)


def ax_value(typ, val):
    if typ in ("INTEGER", "Gauge32", "Counter32", "Timeticks"):
        return 4
    if typ == "STRING":
        return 4 + (len(val) + 3) // 4 * 4
    raise AssertionError(typ)


def ax_request_cost(name):
    """One SearchRange of the master's GetNext-PDU to dpagentd."""
    return ax_oid(name) + ax_oid(REG_END)


def ax_response_cost(answer):
    o, t, v = answer
    return 4 + ax_oid(o) + ax_value(t, 0 if v is None else v)


def ax_sizes(pairs):
    """Bytes of the AgentX GetNext-PDU and of its Response-PDU (20-byte
    header; the Response adds sysUpTime, error and index) for pairs
    [(request name, expected answer)]."""
    return (20 + sum(ax_request_cost(a) for a, _ in pairs),
            28 + sum(ax_response_cost(b) for _, b in pairs))


def model_pairs(db):
    """(name, answer) with answer = the next instance of the model after
    name, for every instance but the last (whose successor is beyond
    dpagentd's registration)."""
    m = model(db)
    return [(SCALARS, m[0])] + [(m[i - 1][0], m[i])
                                for i in range(1, len(m) - 1)]


def fill(pool, extra, side):
    """pairs from pool (cycled), then one or two from extra, whose AgentX
    request (side 0) or response (side 1) is exactly AGENTX_MAX bytes, the
    other side below it."""
    out = []
    while True:
        nxt = out + [pool[len(out) % len(pool)]]
        if max(ax_sizes(nxt)) > AGENTX_MAX:
            break
        out = nxt
    cost = (lambda p: ax_request_cost(p[0])) if side == 0 else \
        (lambda p: ax_response_cost(p[1]))
    by_cost = {}
    for p in extra:
        by_cost.setdefault(cost(p), p)
    for drop in range(0, 8):
        base = out[:len(out) - drop]
        rest = AGENTX_MAX - ax_sizes(base)[side]
        tails = [[by_cost[rest]]] if rest in by_cost else []
        tails += [[by_cost[c], by_cost[rest - c]] for c in sorted(by_cost)
                  if rest - c in by_cost]
        for tail in tails:
            sizes = ax_sizes(base + tail)
            if sizes[side] == AGENTX_MAX and sizes[1 - side] < AGENTX_MAX:
                return base + tail
    raise AssertionError("no pairs fill the AgentX PDU to %d bytes" %
                         AGENTX_MAX)


def masked(vbs):
    return [(o, t, None if o == AGE else v) for o, t, v in vbs]


def log_since(path, offset):
    with open(path, errors="replace") as f:
        f.seek(offset)
        return f.read()


def log_size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = fk.TempDir(prefix="dplimits.")
        self.addCleanup(self.tmp.close)
        self.db = fk.make_db(self.tmp.path)
        self.stack = fk.FastStack(self.db, extra_conf=EXTRA)
        self.addCleanup(self.stack.close)  # every process, by PID
        self.stack.start_master()
        self.conf = agent_conf(self.tmp.path, agentxPingInterval=PING)
        self.before = self.writable()
        self.start_agent()

    def start_agent(self):
        self.stack.start_agent("-c", self.conf, "-Dagentx")

    def writable(self):
        return fk.query(self.db, "SELECT server_idx, package_idx, "
                        "isv_string FROM dp ORDER BY 1, 2")

    def unwritten(self):
        """Nothing of a SET reached the model: no write waits, every
        ISVString is the import's."""
        self.assertEqual(fk.query(self.db, "SELECT COUNT(*) FROM outbox"),
                         [(0,)])
        self.assertEqual(self.writable(), self.before)


# -- item 13 ---------------------------------------------------------------

# (tag, value): a type AgentX has no encoding for, so the master cannot
# forward it; then UInteger32, which AgentX carries.
BIT_STRING = (0x03, b"\x00A")
NSAP = (0x45, b"\x01")
UINTEGER32 = (0x47, b"\x01")


@unittest.skipIf(MODE != "dlmod", "in-master mode (DP_MODE=dlmod)")
class UnusualTagInMaster(Base):
    def test_each_tag_is_wrong_type(self):
        for tag, val in (BIT_STRING, NSAP, UINTEGER32):
            with self.subTest(tag=hex(tag)):
                r = set_value(self.stack, [(ISV + ".1.1", tag, val)], 5)
                self.assertIsNotNone(r, "no answer to tag %#x" % tag)
                self.assertEqual(r[1:3], (WRONG_TYPE, 1))
        self.assertEqual(get(self.stack, SYS_UPTIME)[1], NO_ERROR)
        self.unwritten()

    def test_second_varbind_is_named(self):
        r = set_value(self.stack, [(ISV + ".1.1", 0x04, b"A"),
                                   (ISV + ".1.2",) + BIT_STRING], 5)
        self.assertEqual(r[1:3], (WRONG_TYPE, 2))
        self.unwritten()


@unittest.skipIf(MODE != "subagent", "AgentX subagent mode")
class UnusualTagThroughAgentX(Base):
    def test_uinteger32_reaches_dpagentd(self):
        pos = log_size(self.stack.agent_log)
        r = set_value(self.stack, [(REFRESH + ".1.1", 0x02, b"\x01"),
                                   (ISV + ".1.2",) + UINTEGER32], 5)
        self.assertEqual(r[1:3], (WRONG_TYPE, 2))
        self.assertIn("-> testset", log_since(self.stack.agent_log, pos))
        self.unwritten()

    def test_read_only_community_never_stalls(self):
        # VACM refuses the write before anything is forwarded.
        c = Client(self.stack)
        try:
            r = c.ask(0xa3, [(ISV + ".1.1", tlv(*BIT_STRING))], 5,
                      b"public")
        finally:
            c.close()
        self.assertEqual(r[1:3], (NO_ACCESS, 1))
        self.assertEqual(get(self.stack, SYS_UPTIME)[1], NO_ERROR)

    @dpstack.skip_under_valgrind("times the master's stall")
    def test_master_stalls_until_the_session_closes(self):
        for tag, val in (BIT_STRING, NSAP):
            with self.subTest(tag=hex(tag)):
                pos = log_size(self.stack.agent_log)
                held = Client(self.stack)
                try:
                    held.send(0xa3, [(ISV + ".1.1", tlv(tag, val))],
                              b"private")
                    # snmpd 5.9.3 answers nobody, about anything ...
                    self.assertIsNone(held.answer(3))
                    self.assertIsNone(get(self.stack, SYS_UPTIME, 1))
                    # ... and never asked dpagentd.
                    self.assertNotIn("-> testset",
                                     log_since(self.stack.agent_log, pos))
                    # dpagentd's Close-PDU ends the SET: genErr.
                    self.stack.stop_agent()
                    r = held.answer(3)
                finally:
                    held.close()
                self.assertIsNotNone(r, "the SET was not answered after "
                                     "dpagentd's session closed")
                self.assertEqual(r[1:3], (GEN_ERR, 1))
                self.assertEqual(get(self.stack, SYS_UPTIME, 1)[1],
                                 NO_ERROR)
                self.unwritten()
                self.start_agent()


# -- item 14 ---------------------------------------------------------------

@unittest.skipIf(MODE != "subagent", "AgentX subagent mode")
@dpstack.skip_under_valgrind("times the master's timeout and the "
                             "reconnection")
class GetNextThroughAgentX(Base):
    def getnext(self, pairs, timeout=10):
        c = Client(self.stack)
        try:
            t0 = time.monotonic()
            r = c.ask(0xa1, [(a, NULL) for a, _ in pairs], timeout)
            return r, time.monotonic() - t0
        finally:
            c.close()

    def check_limit(self, pairs):
        sizes = ax_sizes(pairs)
        self.assertEqual(max(sizes), AGENTX_MAX, sizes)
        r, _ = self.getnext(pairs)
        self.assertIsNotNone(r)
        self.assertEqual(r[1:3], (NO_ERROR, 0))
        self.assertEqual(masked(r[3]), [b for _, b in pairs])

        # One varbind more: the master drops the PDU of > 65536 bytes.
        over = pairs + [pairs[0]]
        self.assertGreater(max(ax_sizes(over)), AGENTX_MAX)
        r, took = self.getnext(over)
        self.assertIsNotNone(r)
        self.assertEqual(r[1:3], (GEN_ERR, 1))
        self.assertEqual(len(r[3]), len(over))
        budget = AX_TIMEOUT * (AX_RETRIES + 1)
        self.assertGreaterEqual(took, budget - 0.05)
        self.assertLess(took, budget + 1.0)

        # The master closed dpagentd's session: the MIB is gone ...
        gone = time.monotonic()
        r = get(self.stack, ROW_COUNT)
        self.assertEqual(r[3][0][1], "noSuchObject")
        # ... until dpagentd reconnects, agentxPingInterval later.
        while True:
            r = get(self.stack, ROW_COUNT, 0.2)
            if r is not None and r[3][0][1] == "Gauge32":
                back = time.monotonic() - gone
                break
            self.assertLess(time.monotonic() - gone, PING + 5,
                            "dpagentd not back\n" + self.stack.logs())
            time.sleep(0.05)
        self.assertGreaterEqual(back, PING - 0.2)
        self.assertLessEqual(back, PING + 1.0)
        self.assertEqual(r[3][0][2], 24)
        with open(self.stack.agent_log) as f:
            self.assertIn("AgentX master disconnected us", f.read())

        # And the largest request is answered in full again.
        r, _ = self.getnext(pairs)
        self.assertEqual(r[1:3], (NO_ERROR, 0))
        self.assertEqual(masked(r[3]), [b for _, b in pairs])

    def test_request_of_65536_bytes(self):
        # Every instance of the model asked for, in turn: the request
        # (64 bytes a dpTable varbind) reaches the limit first.
        pairs = model_pairs(self.db)
        self.check_limit(fill(pairs, pairs, 0))

    def test_response_of_65536_bytes(self):
        # The long strings (NAL paths, 83..93 bytes): the response first.
        pairs = model_pairs(self.db)
        long_ = [p for p in pairs if p[1][1] == "STRING" and
                 len(p[1][2]) >= 40]
        self.assertEqual(len(long_), 33)
        self.check_limit(fill(long_, pairs, 1))


@unittest.skipIf(MODE != "dlmod", "in-master mode (DP_MODE=dlmod)")
class GetNextInMaster(Base):
    def cycle(self, n):
        pairs = model_pairs(self.db)
        return [pairs[i % len(pairs)] for i in range(n)]

    def test_2000_varbinds(self):
        pairs = self.cycle(2000)
        c = Client(self.stack)
        try:
            r = c.ask(0xa1, [(a, NULL) for a, _ in pairs], 10)
        finally:
            c.close()
        self.assertIsNotNone(r)
        self.assertEqual(r[1:3], (NO_ERROR, 0))
        self.assertEqual(masked(r[3]), [b for _, b in pairs])

    def test_response_beyond_one_datagram(self):
        # 2400 answers are ~68 KB: sendto() refuses the datagram and the
        # manager hears nothing (doc/master-limits.md).
        pairs = self.cycle(2400)
        pos = log_size(self.stack.master_log)
        c = Client(self.stack)
        try:
            r = c.ask(0xa1, [(a, NULL) for a, _ in pairs], 3)
        finally:
            c.close()
        self.assertIsNone(r)
        self.assertIn("send response: Failure in sendto",
                      log_since(self.stack.master_log, pos))
        self.assertEqual(get(self.stack, ROW_COUNT)[3][0][2], 24)


if __name__ == "__main__":
    unittest.main(verbosity=2)
