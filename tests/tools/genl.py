#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends one hand-built request to the l4lb family and prints the answer.

For the bad-input tests: it puts attributes of any type and length, known
or not, so the kernel's policies are what is tested, not l4lbadm's checks.

  genl.py [--dump] [--join] CMD [NAME=KIND:VALUE ...]
  genl.py --matrix < CASES

CMD and NAME are the uapi header's names without L4LB_CMD_ / L4LB_A_
(SERVICE_NEW, SVC_PORT) or a number; KIND is u8, u16, u32, u64, ip (an
IPv4 address), ip6 (an IPv6 one), str or hex (raw bytes, "" for none).
Prints "ok" (a dump: "ok N", N messages), or the error as "ENAME[
attr=NAME][ missing=NAME][: text]", from the extack the kernel sent.
--join joins the events group instead of sending CMD. Exit status 0
either way: the output is the result.

--matrix reads lines "DESC | WANT | [--dump] CMD ARGS..." and prints, TAP
style, "ok - DESC" when the request's answer is WANT and the namespace's
services, backends, counters, settings and flows read back byte for byte
as they were before it, "not ok - DESC" and why otherwise.

--fuzz COUNT SEED sends COUNT random requests, one at a time: any command
number, any flags, attributes of any type, length and nesting, headers cut
short, and among them well-typed requests with random values that reach
the handlers. Each must be answered within 10 s. Prints "fuzz: N sent, N
answered" and the answers by kind, one per line ("EPERM 812").
"""

import errno
import os
import random
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_ATTR_MCAST_GROUPS = 7
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "../../include/uapi/linux/l4lb.h")


def enum(text, name, prefix):
    """Names and values of a C enum without explicit values."""
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    out = {}
    for i, n in enumerate(re.findall(r"\b(%s\w+)," % prefix, body)):
        out[n[len(prefix):]] = i
    return out


uapi = open(HEADER).read()
CMDS = enum(uapi, "l4lb_cmd", "L4LB_CMD_")
ATTRS = enum(uapi, "l4lb_attr", "L4LB_A_")
ATTR_NAMES = {v: k for k, v in ATTRS.items()}


def attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def attrs(buf):
    """(type, payload, offset in buf) of each attribute in buf."""
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4:
            break
        yield atype & 0x3fff, buf[off + 4:off + alen], off
        off += (alen + 3) & ~3


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1
        reply = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                             attr(CTRL_ATTR_FAMILY_NAME, b"l4lb\0"))
        if isinstance(reply, str):
            sys.exit("genl.py: no l4lb family: " + reply)
        self.family, self.group = None, None
        for atype, payload, _ in attrs(reply[0][4:]):
            if atype == CTRL_ATTR_FAMILY_ID:
                self.family = struct.unpack("=H", payload[:2])[0]
            if atype == CTRL_ATTR_MCAST_GROUPS:
                for _, grp, _ in attrs(payload):
                    fields = {t: p for t, p, _ in attrs(grp)}
                    if fields.get(1, b"").rstrip(b"\0") == b"events":
                        self.group = struct.unpack("=I", fields[2])[0]

    def request(self, family, cmd, payload, flags=0):
        """The reply messages' payloads, or the error as a string."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        msg = struct.pack("=IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | NLM_F_ACK | flags, self.seq,
                          0) + body
        self.sock.send(msg)
        out = []
        while True:
            data = self.sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, mflags, seq, _ = struct.unpack_from("=IHHII",
                                                                 data, off)
                m = data[off + 16:off + mlen]
                off += (mlen + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_DONE:
                    # A dump that failed once started ends with its error.
                    err = -struct.unpack_from("=i", m)[0] if m else 0
                    if err:
                        return self.error(err, m, mflags | NLM_F_CAPPED,
                                          body, tlv=4)
                    return out
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", m)[0]
                    if not err:
                        return out
                    return self.error(err, m, mflags, body)
                out.append(m)

    @staticmethod
    def error(err, m, mflags, body, tlv=None):
        # 95 has two names; the kernel's code says EOPNOTSUPP.
        text = "EOPNOTSUPP" if err == errno.EOPNOTSUPP else \
            errno.errorcode.get(err, str(err))
        if tlv is None:
            tlv = 4 + 16
            if not mflags & NLM_F_CAPPED:
                tlv = 4 + struct.unpack_from("=I", m, 4)[0]
        msg, where = "", ""
        if mflags & NLM_F_ACK_TLVS:
            for atype, payload, _ in attrs(m[tlv:]):
                if atype == NLMSGERR_ATTR_MSG:
                    msg = payload.rstrip(b"\0").decode()
                elif atype == NLMSGERR_ATTR_OFFS:
                    # An offset into our request: name the attribute there.
                    at = struct.unpack("=I", payload)[0] - 16 - 4
                    for t, _, o in attrs(body[4:]):
                        if o == at:
                            where += " attr=" + ATTR_NAMES.get(t, str(t))
                elif atype == NLMSGERR_ATTR_MISS_TYPE:
                    t = struct.unpack("=I", payload)[0]
                    where += " missing=" + ATTR_NAMES.get(t, str(t))
        return "%s%s: %s" % (text, where, msg) if msg else text + where


def value(spec):
    kind, _, v = spec.partition(":")
    if kind in ("u8", "u16", "u32", "u64"):
        return struct.pack({"u8": "=B", "u16": "=H", "u32": "=I",
                            "u64": "=Q"}[kind], int(v, 0))
    if kind == "ip":
        return socket.inet_aton(v)
    if kind == "ip6":
        return socket.inet_pton(socket.AF_INET6, v)
    if kind == "str":
        return v.encode() + b"\0"
    if kind == "hex":
        return bytes.fromhex(v)
    if kind == "flag":
        return b""
    sys.exit("genl.py: unknown kind '%s'" % kind)


def request(g, args):
    """Sends the request that args describe; its answer as one line."""
    dump = "--dump" in args
    args = [a for a in args if a != "--dump"]
    cmd = int(args[0]) if args[0].isdigit() else CMDS[args[0]]
    payload = b""
    for a in args[1:]:
        name, _, spec = a.partition("=")
        atype = int(name) if name.isdigit() else ATTRS[name]
        payload += attr(atype, value(spec))
    reply = g.request(g.family, cmd, payload, NLM_F_DUMP if dump else 0)
    if isinstance(reply, str):
        return reply
    return "ok %d" % len(reply) if dump else "ok"


# Attributes whose values run on by themselves (clocks), not compared.
RUNNING = {ATTRS["BE_HEALTH_SINCE"], ATTRS["FLOW_EXPIRES"]}


def snapshot(g):
    """Everything a request could change, as the kernel writes it."""
    out = []
    for cmd, flags in (("SERVICE_GET", NLM_F_DUMP), ("BACKEND_GET", NLM_F_DUMP),
                       ("FLOW_GET", NLM_F_DUMP), ("SETTINGS_GET", 0)):
        reply = g.request(g.family, CMDS[cmd], b"", flags)
        if isinstance(reply, str):
            sys.exit("genl.py: %s: %s" % (cmd, reply))
        for m in reply:
            out.append(m[:4] + b"".join(
                attr(t, p) for t, p, _ in attrs(m[4:]) if t not in RUNNING))
    return out


def matrix(g, lines):
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        desc, want, args = [f.strip() for f in line.split("|")]
        before = snapshot(g)
        got = request(g, args.split())
        if got != want:
            print("not ok - %s\n  got:  %s\n  want: %s" % (desc, got, want))
        elif snapshot(g) != before:
            print("not ok - %s (the state changed)" % desc)
        else:
            print("ok - %s" % desc)
        sys.stdout.flush()


def fuzz_attr(rnd, depth=0):
    """One attribute: a known or unknown type, a plausible or any value."""
    t = rnd.choice(list(ATTRS.values()) + [0, max(ATTRS.values()) + 1, 99,
                                           0x3fff])
    r = rnd.random()
    if r < 0.45:
        size = rnd.choice((1, 2, 4, 8))
        v = rnd.choice((0, 1, 2, 6, 17, 53, 80, 1000, 1001, 65535,
                        0xffffffff, 67108864, 67108865, rnd.getrandbits(64)))
        payload = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    elif r < 0.6:
        payload = socket.inet_aton("10.99.%d.%d" % (rnd.randrange(4),
                                                     rnd.randrange(8)))
    elif r < 0.7:
        payload = bytes(rnd.choice(b"ab%\0") for _ in range(rnd.randrange(80)))
    elif r < 0.8 and depth < 2:
        t |= 0x8000
        payload = b"".join(fuzz_attr(rnd, depth + 1)
                           for _ in range(rnd.randrange(4)))
    else:
        payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(41)))
    return attr(t, payload)


TYPED = {"SVC_PROTO": "u8", "SVC_ADDR4": "ip", "SVC_PORT": "u16",
         "SVC_SCHED": "u8", "SVC_FLAGS": "u32", "SVC_UDP_TIMEOUT": "u32",
         "SVC_PERSIST": "u32", "SVC_PERSIST_MASK": "u8",
         "SVC_PORT_LAST": "u16",
         "BE_ADDR4": "ip", "BE_PORT": "u16", "BE_WEIGHT": "u16",
         "BE_HEALTH": "u8", "BE_CHECK": "str", "MAX_FLOWS": "u32",
         "TIMEOUT_SYN": "u32", "TIMEOUT_ESTABLISHED": "u32",
         "TIMEOUT_CLOSING": "u32", "TIMEOUT_FIN_WAIT": "u32",
         "DOWN_FLOWS": "u32",
         "SVC_ADDR6": "ip6", "BE_ADDR6": "ip6", "FLOW_CADDR4": "ip",
         "FLOW_CADDR6": "ip6", "FLOW_CPORT": "u16", "BE_FALLBACK": "flag",
         "BE_MAX_CONNS": "u32", "BE_MIN_CONNS": "u32",
         "SVC_FLAGS_MASK": "u32"}


def fuzz_typed(rnd):
    """A request whose attributes are of the right type: values random.
    Most name a service (and often a backend) whole, to reach the handlers."""
    names = set(rnd.sample(sorted(TYPED), rnd.randrange(1, 6)))
    if rnd.random() < 0.7:
        # A third IPv6; a backend of the service's family, mostly.
        v6 = rnd.random() < 0.33
        names |= {"SVC_PROTO", "SVC_ADDR6" if v6 else "SVC_ADDR4", "SVC_PORT"}
        if rnd.random() < 0.5:
            names |= {"BE_ADDR6" if v6 ^ (rnd.random() < 0.1) else "BE_ADDR4",
                      "BE_PORT"}
    out = b""
    for name in sorted(names):
        kind = TYPED[name]
        if kind == "ip":
            v = "10.99.%d.%d" % (rnd.randrange(2), rnd.randrange(4))
        elif kind == "ip6":
            v = "2001:db8:99:%d::%d" % (rnd.randrange(2), rnd.randrange(4))
        elif kind == "str":
            v = "x" * rnd.randrange(70)
        elif kind == "flag":
            # A flag with a payload is a lie the policy must refuse.
            v = ""
            if rnd.random() < 0.2:
                kind, v = "hex", "01"
        elif name == "SVC_PROTO":
            v = str(rnd.choice((6, 17, 17, 6, 1)))
        elif name in ("SVC_PORT", "BE_PORT"):
            v = str(rnd.choice((53, 80, 0)))
        elif name in ("SVC_FLAGS", "SVC_FLAGS_MASK"):
            # Every flag (local-clients turns hooks on and off), and more.
            v = str(rnd.choice((0, 1, 2, 4, 4, 5, 6, 7, 8)))
        else:
            bits = {"u8": 8, "u16": 16, "u32": 32}[kind]
            v = str(rnd.choice((0, 1, 2, 3, 5, 30, 1000, 3601, 65536,
                                rnd.getrandbits(16))) % (1 << bits))
        out += attr(ATTRS[name], value(kind + ":" + v))
    return out


def fuzz(count, seed):
    rnd = random.Random(seed)
    g = Genl()
    g.sock.settimeout(10)
    kinds = {}
    answered = 0
    for _ in range(count):
        cmd = rnd.choice(list(CMDS.values()) * 3 + [0, 13, 99, 255])
        flags = rnd.choice((0, 0, 0, NLM_F_DUMP))
        r = rnd.random()
        if r < 0.5:
            payload = fuzz_typed(rnd)
        else:
            payload = b"".join(fuzz_attr(rnd) for _ in range(rnd.randrange(7)))
        try:
            if r > 0.97:
                # A header cut short: no room for the generic header.
                g.seq += 1
                cut = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(4)))
                g.sock.send(struct.pack("=IHHII", 16 + len(cut), g.family,
                                        NLM_F_REQUEST | NLM_F_ACK, g.seq,
                                        0) + cut)
                while True:
                    data = g.sock.recv(1 << 16)
                    if struct.unpack_from("=I", data, 8)[0] == g.seq:
                        break
                reply = "header"
            else:
                reply = g.request(g.family, cmd, payload, flags)
        except socket.timeout:
            continue
        answered += 1
        kind = reply.split(":")[0].split(" ")[0] if isinstance(reply, str) \
            else "ok"
        kinds[kind] = kinds.get(kind, 0) + 1
    print("fuzz: %d sent, %d answered" % (count, answered))
    for k in sorted(kinds):
        print("%s %d" % (k, kinds[k]))


def main(argv):
    if argv == ["--matrix"]:
        matrix(Genl(), sys.stdin)
        return
    if argv[:1] == ["--fuzz"]:
        fuzz(int(argv[1]), int(argv[2]))
        return
    dump = "--dump" in argv
    join = "--join" in argv
    argv = [a for a in argv if a not in ("--dump", "--join")]
    g = Genl()
    if join:
        try:
            g.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g.group)
            print("ok")
        except OSError as e:
            print(errno.errorcode[e.errno])
        return
    print(request(g, (["--dump"] if dump else []) + argv))


main(sys.argv[1:])
