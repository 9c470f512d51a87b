#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Holds the family's YAML description against the code that implements it.

  check.py [REPO]

Checks, and prints one line for each disagreement (exit 1 if any):
  - include/uapi/linux/l4lb.h: every enum, flag, constant, command,
    attribute and the events group have the spec's names and values, and
    the header has nothing the spec lacks;
  - kmod/netlink.c: each command takes exactly the attributes the spec
    lists for its request, with the spec's types and checks;
  - tools/l4lbadm/service.c: l4lbadm reads each reply attribute as the
    spec's type.
"""

import os
import re
import sys

import yaml

REPO = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
errors = []


def error(msg):
    errors.append(msg)
    print("spec: " + msg)


def read(path):
    with open(os.path.join(REPO, path)) as f:
        return f.read()


def c_name(*parts):
    return "".join(parts).upper().replace("-", "_")


def c_enum(text, name):
    """{NAME: value} of the C enum, implicit and explicit values."""
    m = re.search(r"enum %s \{(.*?)\};" % name, text, re.S)
    if not m:
        error("the header has no enum %s" % name)
        return {}
    out, v = {}, 0
    for n, val in re.findall(r"^\s*(\w+)(?:\s*=\s*(\w+))?,", m.group(1),
                             re.M):
        v = int(val, 0) if val else v
        if not n.startswith("__"):
            out[n] = v
        v += 1
    return out


def c_defines(text):
    """{NAME: value} of the #defines, evaluated; enum counts may appear."""
    known = {}
    for body in re.findall(r"enum \w+ \{(.*?)\};", text, re.S):
        names = re.findall(r"^\s*(\w+),?\s*$", body, re.M)
        known.update({n: i for i, n in enumerate(names)})
    out = {}
    for n, v in re.findall(r"#define\s+(L4LB_\w+)\s+(.+)", text):
        v = re.sub(r"/\*.*?\*/", "", v).strip()
        v = re.sub(r"(\d+)U\b", r"\1", v)
        try:
            out[n] = eval(v, {}, known)
        except (SyntaxError, NameError, TypeError):
            out[n] = v
    return out


spec = yaml.safe_load(read("Documentation/netlink/specs/l4lb.yaml"))
uapi = read("include/uapi/linux/l4lb.h")
defines = c_defines(uapi)
consts = {}

# Family name, version, events group.
for key, want in (("L4LB_GENL_NAME", spec["name"]),
                  ("L4LB_GENL_VERSION", spec["version"]),
                  ("L4LB_MCGRP_EVENTS",
                   spec["mcast-groups"]["list"][0]["name"])):
    if defines.get(key) != want:
        error("%s is %r in the header, %r in the spec" %
              (key, defines.get(key), want))

# Definitions: constants, enums, flags.
for d in spec["definitions"]:
    if d["type"] == "const":
        consts[d["name"]] = d["value"]
        n = c_name("l4lb-", d["name"])
        if defines.get(n) != d["value"]:
            error("%s is %r in the header, %r in the spec" %
                  (n, defines.get(n), d["value"]))
    elif d["type"] == "enum":
        enum = c_enum(uapi, c_name("l4lb-", d["name"]).lower())
        want = {c_name(d["name-prefix"], e): i
                for i, e in enumerate(d["entries"])}
        if enum != want:
            error("enum %s: header %s, spec %s" % (d["name"], enum, want))
    elif d["type"] == "flags":
        for i, e in enumerate(d["entries"]):
            n = c_name(d["name-prefix"], e)
            if defines.get(n) != 1 << i:
                error("flag %s is %r in the header, %r in the spec" %
                      (n, defines.get(n), 1 << i))


def numbered(entries, first):
    """{name: value} of spec entries, values counting on from `value`."""
    out, v = {}, first
    for e in entries:
        v = e.get("value", v)
        out[e["name"]] = v
        v += 1
    return out


sets = {}
for s in spec["attribute-sets"]:
    sets[s["name"]] = {a["name"]: a for a in s["attributes"]}
    enum = c_enum(uapi, {"l4lb": "l4lb_attr",
                         "stats": "l4lb_stats_attr"}[s["name"]])
    enum = {k: v for k, v in enum.items() if not k.endswith("_UNSPEC")}
    want = {c_name(s["name-prefix"], n): v
            for n, v in numbered(s["attributes"], 1).items()}
    for n in sorted(set(enum) | set(want)):
        if enum.get(n) != want.get(n):
            error("attribute %s is %r in the header, %r in the spec" %
                  (n, enum.get(n), want.get(n)))

ops = spec["operations"]
cmds = c_enum(uapi, "l4lb_cmd")
cmds.pop("L4LB_CMD_UNSPEC", None)
want = {c_name(ops["name-prefix"], n): v
        for n, v in numbered(ops["list"], 1).items()}
for n in sorted(set(cmds) | set(want)):
    if cmds.get(n) != want.get(n):
        error("command %s is %r in the header, %r in the spec" %
              (n, cmds.get(n), want.get(n)))

# The module's policies: which attributes each command takes, and how.
netlink = read("kmod/netlink.c")
macros = {n: body.replace("\\\n", "\n") for n, body in re.findall(
    r"#define (\w+_POLICY) \\\n((?:.*\\\n)*.*)", netlink)}
ranges = {n: (int(lo, 0), defines.get(hi, hi)) for n, lo, hi in re.findall(
    r"struct netlink_range_validation (\w+) = \{\s*\.min = (\w+),\s*"
    r"\.max = (\w+),", netlink)}
policies = {}
for n, body in re.findall(r"nla_policy (\w+)\[L4LB_A_MAX \+ 1\] = \{(.*?)\n\};",
                          netlink, re.S):
    for m, text in macros.items():
        body = body.replace(m, text)
    body = re.sub(r"\s+", " ", body)
    policies[n] = {m.group(1): m.group(2) for m in re.finditer(
        r"\[L4LB_A_(\w+)\] = (.*?),? ?(?=\[L4LB_A_|$)", body)}


def value_of(v):
    if isinstance(v, int):
        return v
    return consts.get(v, defines.get(c_name("l4lb-", v)))


def policy_says(text):
    """(type, checks) of one policy entry of kmod/netlink.c."""
    t = re.search(r"NLA_(U8|U16|U32|U64|NUL_STRING|NESTED|FLAG)", text)
    checks = {}
    m = re.search(r"NLA_POLICY_(MIN|MAX)\(NLA_\w+, (\w+)\)", text)
    if m:
        checks[m.group(1).lower()] = value_of(
            defines.get(m.group(2), m.group(2)) if not m.group(2).isdigit()
            else int(m.group(2)))
    m = re.search(r"NLA_POLICY_RANGE\(NLA_\w+,\s*(\w+),\s*(\w+)\)", text)
    if m:
        checks = {k: int(v) if v.isdigit() else defines.get(v, v)
                  for k, v in zip(("min", "max"), m.groups())}
    m = re.search(r"NLA_POLICY_FULL_RANGE\(NLA_\w+,\s*&(\w+)\)", text)
    if m:
        checks = dict(zip(("min", "max"), ranges[m.group(1)]))
    m = re.search(r"NLA_POLICY_EXACT_LEN\(sizeof\(__be32\)\)", text)
    if m:
        return "binary", {"exact-len": 4}
    m = re.search(r"NLA_POLICY_EXACT_LEN\(sizeof\(struct in6_addr\)\)", text)
    if m:
        return "binary", {"exact-len": 16}
    m = re.search(r"\.type = NLA_NUL_STRING, \.len = (\w+) - 1", text)
    if m:
        return "string", {"max-len": value_of(defines.get(m.group(1))) - 1}
    return (t.group(1).lower() if t else "?"), checks


SPEC_CHECKS = ("min", "max", "exact-len", "max-len")
op_policy = dict(re.findall(r"\.cmd = L4LB_CMD_(\w+),(?:(?!\}).)*?\.policy = "
                            r"(\w+),", netlink, re.S))
for op in ops["list"]:
    cmd = c_name(op["name"])
    attrs = set()
    for kind in ("do", "dump"):
        attrs |= set(op.get(kind, {}).get("request", {}).get("attributes",
                                                              []))
    got = policies.get(op_policy.get(cmd), {})
    if set(c_name(a) for a in attrs) != set(got):
        error("%s: the module takes %s, the spec %s" %
              (op["name"], sorted(got), sorted(c_name(a) for a in attrs)))
    for a in attrs:
        if c_name(a) not in got:
            continue
        a_spec = sets["l4lb"][a]
        t, checks = policy_says(got[c_name(a)])
        want = {k: value_of(v) for k, v in a_spec.get("checks", {}).items()
                if k in SPEC_CHECKS}
        if t != a_spec["type"] or checks != want:
            error("%s %s: the module checks %s %s, the spec %s %s" %
                  (op["name"], a, t, checks, a_spec["type"], want))

# l4lbadm's reading of replies.
mnl = {"u8": "U8", "u16": "U16", "u32": "U32", "string": "NUL_STRING",
       "nest": "NESTED", "binary": "U32", "flag": "FLAG"}
tool = dict(re.findall(r"\[L4LB_A_(\w+)\] = MNL_TYPE_(\w+),",
                       read("tools/l4lbadm/service.c")))
for op in ops["list"]:
    for kind in ("do", "dump"):
        for a in op.get(kind, {}).get("reply", {}).get("attributes", []):
            t = sets["l4lb"][a]["type"]
            want = mnl[t]
            if t == "binary" and \
                    sets["l4lb"][a].get("checks", {}).get("exact-len") == 16:
                want = "BINARY"
            if tool.get(c_name(a)) != want:
                error("l4lbadm reads %s as %s, the spec says %s" %
                      (a, tool.get(c_name(a)), t))

if errors:
    sys.exit(1)
print("spec: Documentation/netlink/specs/l4lb.yaml agrees with the uapi "
      "header, the module's policies and l4lbadm (%d commands, %d "
      "attributes)" % (len(ops["list"]), sum(len(s) for s in sets.values())))
