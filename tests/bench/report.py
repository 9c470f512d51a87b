#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Medians and ratios of one bench run (tests/bench/guest.sh's raw.jsonl).

  report.py DIR

Writes DIR/latest.json and DIR/latest.csv and prints a Markdown table:
each metric's median per configuration, and l4lb's ratio to IPVS, to
nftables DNAT and to plain forwarding, with the issue's targets.
"""

import csv
import json
import os
import statistics
import sys

DIR = sys.argv[1]
CONFIGS = ("l4lb", "ipvs", "nft", "plain")
rows = [json.loads(line) for line in open(os.path.join(DIR, "raw.jsonl"))]
med, spread = {}, {}
for cfg in CONFIGS:
    for metric in sorted({r["metric"] for r in rows}):
        vals = [r["value"] for r in rows
                if r["config"] == cfg and r["metric"] == metric]
        if vals:
            med[(cfg, metric)] = statistics.median(vals)
            spread[(cfg, metric)] = (min(vals), max(vals), len(vals))


def get(cfg, metric):
    return med.get((cfg, metric))


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def above_plain(cfg, metric):
    """ns a packet more than plain forwarding costs."""
    v, p = get(cfg, metric), get("plain", metric)
    return None if v is None or p is None else round(v - p, 1)


table = []
for metric, what, better in (
        ("conn_per_s", "TCP connections a second", "higher"),
        ("bulk_mbit_s", "TCP bulk throughput, Mbit/s", "higher"),
        ("udp_ns_per_pkt_1k", "ns a UDP packet, 1,000 flows", "lower"),
        ("udp_ns_per_pkt_new", "ns a UDP packet, a new flow each", "lower"),
        ("bytes_per_flow", "bytes a flow entry (slab object)", "lower")):
    line = {"metric": metric, "what": what, "better": better}
    for cfg in CONFIGS:
        line[cfg] = get(cfg, metric)
        line[cfg + "_min_max_runs"] = spread.get((cfg, metric))
    if metric.startswith("udp_ns"):
        # Cost above the floor: what the balancer itself adds.
        for cfg in ("l4lb", "ipvs", "nft"):
            line[cfg + "_above_plain"] = above_plain(cfg, metric)
        line["l4lb/ipvs"] = ratio(line["l4lb_above_plain"],
                                  line["ipvs_above_plain"])
        line["l4lb/nft"] = ratio(line["l4lb_above_plain"],
                                 line["nft_above_plain"])
    else:
        line["l4lb/ipvs"] = ratio(get("l4lb", metric), get("ipvs", metric))
        line["l4lb/nft"] = ratio(get("l4lb", metric), get("nft", metric))
    line["l4lb/plain"] = ratio(get("l4lb", metric), get("plain", metric))
    table.append(line)

with open(os.path.join(DIR, "latest.json"), "w") as f:
    json.dump(table, f, indent=1)
with open(os.path.join(DIR, "latest.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=sorted({k for t in table for k in t}))
    w.writeheader()
    w.writerows(table)


def fmt(v):
    return "-" if v is None else ("%g" % v)


print("| metric | l4lb | IPVS | nft DNAT | plain | l4lb/IPVS | l4lb/nft | l4lb/plain |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for t in table:
    print("| %s (%s is better) | %s | %s | %s | %s | %s | %s | %s |" % (
        t["what"], t["better"], fmt(t["l4lb"]), fmt(t["ipvs"]),
        fmt(t["nft"]), fmt(t["plain"]), fmt(t["l4lb/ipvs"]),
        fmt(t["l4lb/nft"]), fmt(t["l4lb/plain"])))
print()
print("UDP ratios compare the cost above plain forwarding.")
print()
print("Spread, min to max over the runs (each configuration, each metric):")
print()
print("| metric | l4lb | IPVS | nft DNAT | plain |")
print("| --- | --- | --- | --- | --- |")
for t in table:
    print("| %s | %s |" % (t["metric"], " | ".join(
        "-" if not spread.get((c, t["metric"])) else "%g-%g (%d)" %
        spread[(c, t["metric"])] for c in CONFIGS)))
targets = (
    ("udp_ns_per_pkt_1k", "l4lb/ipvs", "<=", 0.75,
     "established-flow overhead at most 0.75 x IPVS's"),
    ("conn_per_s", "l4lb/ipvs", ">=", 1.1,
     "connection rate at least 1.1 x IPVS's"),
    ("bulk_mbit_s", "l4lb/plain", ">=", 0.95,
     "bulk throughput at least 0.95 x plain forwarding"),
    ("bytes_per_flow", "l4lb", "<=", 128, "at most 128 bytes a TCP flow"),
)
for metric, key, op, want, what in targets:
    got = next(t[key] for t in table if t["metric"] == metric)
    ok = got is not None and (got <= want if op == "<=" else got >= want)
    print("target: %s: %s (%s)" % (what, fmt(got), "met" if ok else "MISSED"))
