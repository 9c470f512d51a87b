#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Medians, ratios, targets and plots of one bench run.

  report.py DIR

Reads DIR/raw.jsonl (tests/bench/guest.sh) and, where there is one,
DIR/kunit.log (the l4lb_bench KUnit suite's log). Writes DIR/latest.json
(every figure), DIR/latest.csv (the guest table), DIR/lookup.csv (lookup
cost against table size), and with gnuplot DIR/lookup.png, DIR/flows.png
and DIR/throughput.png; prints Markdown tables and the issue's targets.

Ratios of the round measurements are paired: each round measures the four
configurations a few seconds apart, the ratio is taken within the round
and the median of those ratios is given, so that the machine's slow drifts
(this is a guest without KVM) cancel out. UDP ratios compare the cost above
plain forwarding, in the same round.
"""

import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

DIR = sys.argv[1]
CONFIGS = ("l4lb", "ipvs", "nft", "plain")
ROUND_METRICS = (
    ("conn_per_s", "TCP connections a second", "higher"),
    ("bulk_mbit_s", "TCP bulk throughput, Mbit/s", "higher"),
    ("udp_ns_per_pkt_1k", "ns a UDP packet, 1,000 flows", "lower"),
    ("udp_ns_per_pkt_1m", "ns a UDP packet, 1,000,000 flows", "lower"),
    ("udp_ns_per_pkt_new", "ns a UDP packet, a new flow each", "lower"),
)
ROUND_NAMES = {m[0] for m in ROUND_METRICS}
ONCE_METRICS = (
    ("bytes_per_flow_slab", "bytes a flow entry (slab object)"),
    ("bytes_per_flow_1m", "bytes a flow, all in (slab + vmalloc), 1M flows"),
    ("flows_1m", "flows in the table after filling"),
)


def values(rows, cfg, metric):
    return {r["round"]: r["value"] for r in rows
            if r["config"] == cfg and r["metric"] == metric}


def median(vals):
    return statistics.median(vals) if vals else None


def paired(rows, metric, num, den, above_plain):
    """Median over rounds of num's figure over den's, in the same round."""
    a, b, p = (values(rows, c, metric) for c in (num, den, "plain"))
    out = []
    for r in sorted(set(a) & set(b)):
        x, y = a[r], b[r]
        if above_plain:
            if r not in p:
                continue
            x, y = x - p[r], y - p[r]
        if y > 0:
            out.append(x / y)
    return round(median(out), 2) if out else None


def guest_table(rows):
    table = []
    for metric, what, better in ROUND_METRICS:
        line = {"metric": metric, "what": what, "better": better}
        for cfg in CONFIGS:
            v = list(values(rows, cfg, metric).values())
            line[cfg] = median(v)
            line[cfg + "_min"] = min(v) if v else None
            line[cfg + "_max"] = max(v) if v else None
            line[cfg + "_runs"] = len(v)
        udp = metric.startswith("udp_ns")
        for cfg in ("ipvs", "nft", "plain"):
            line["l4lb/" + cfg] = paired(rows, metric, "l4lb", cfg,
                                         udp and cfg != "plain")
        if udp:
            for cfg in ("l4lb", "ipvs", "nft"):
                line[cfg + "_above_plain"] = (
                    None if line[cfg] is None or line["plain"] is None
                    else round(line[cfg] - line["plain"], 1))
        table.append(line)
    for metric, what in ONCE_METRICS:
        line = {"metric": metric, "what": what, "better": "lower"}
        for cfg in CONFIGS:
            v = list(values(rows, cfg, metric).values())
            line[cfg] = v[0] if v else None
        for cfg in ("ipvs", "nft"):
            line["l4lb/" + cfg] = (
                round(line["l4lb"] / line[cfg], 2)
                if line["l4lb"] and line[cfg] else None)
        table.append(line)
    return table


def kunit_figures(path):
    """The "bench: NAME KEY=VALUE ..." lines of the KUnit log."""
    lookup, sweep = [], None
    if not os.path.exists(path):
        return lookup, sweep
    for line in open(path, errors="replace"):
        m = re.search(r"bench: (\w+) (.*)$", line)
        if not m:
            continue
        kv = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        if m.group(1) == "lookup":
            lookup.append(kv)
        elif m.group(1) == "sweep":
            sweep = kv
    if lookup:
        base = lookup[0]
        for kv in lookup:
            kv["all_ratio"] = round(kv["all_ps"] / base["all_ps"], 2)
            kv["hot_ratio"] = round(kv["hot_ps"] / base["hot_ps"], 2)
            kv["bytes_per_flow"] = kv["bytes_x100"] / 100
    return lookup, sweep


def fmt(v):
    return "-" if v is None else ("%g" % v)


def get(table, metric, key):
    return next((t.get(key) for t in table if t["metric"] == metric), None)


def write_plot_data(table, path):
    """One line a configuration: UDP ns at 1k and 1M flows, conn/s, bulk."""
    with open(path, "w") as f:
        f.write("# config ns_1k ns_1m conn_per_s min max bulk min max\n")
        for cfg in CONFIGS:
            cols = [get(table, m, k) for m, k in (
                ("udp_ns_per_pkt_1k", cfg), ("udp_ns_per_pkt_1m", cfg),
                ("conn_per_s", cfg), ("conn_per_s", cfg + "_min"),
                ("conn_per_s", cfg + "_max"), ("bulk_mbit_s", cfg),
                ("bulk_mbit_s", cfg + "_min"), ("bulk_mbit_s", cfg + "_max"))]
            f.write(" ".join([cfg] + ["NaN" if v is None else str(v)
                                      for v in cols]) + "\n")


def plots(table, lookup):
    gp = shutil.which("gnuplot")
    if not gp:
        print("\n(no gnuplot: no plots; make deps installs gnuplot-nox)")
        return
    script = ['set terminal pngcairo size 800,500 font "sans,10"',
              'set grid', 'set key top left', 'set yrange [0:*]']
    made = []
    if lookup:
        made.append("lookup.png")
        script += [
            'set output "%s/lookup.png"' % DIR,
            'set title "l4lb flow lookup against table size (KUnit, UML)"',
            'set logscale x', 'set autoscale xfix',
            'set xlabel "flows in the table"',
            'set ylabel "ns a lookup"', 'set datafile separator ","',
            'plot "%s/lookup.csv" skip 1 using 1:($2/1000) with linespoints '
            'title "keys over all flows", '
            '"" skip 1 using 1:($3/1000) with linespoints '
            'title "keys over 1,000 hot flows", '
            '"" skip 1 using 1:($4/1000) with linespoints dashtype 2 '
            'title "two random reads in as many bytes (memory alone)"' % DIR,
            'unset logscale x', 'set autoscale x',
            'set datafile separator whitespace']
    if table:
        data = os.path.join(DIR, "plot.dat")
        write_plot_data(table, data)
        made += ["flows.png", "throughput.png"]
        script += [
            'set output "%s/flows.png"' % DIR,
            'set title "ns a small UDP packet on established flows '
            '(guest, pktgen)"',
            'set xlabel "configuration"', 'set ylabel "ns a packet"',
            'set style data histogram', 'set style histogram clustered gap 1',
            'set style fill solid 0.8 border -1',
            'plot "< awk \'NR>1\' %s" using 2:xtic(1) '
            'title "1,000 flows", "" using 3 title "1,000,000 flows"' % data,
            'set output "%s/throughput.png"' % DIR,
            'set multiplot layout 1,2 title "through the balancer (guest, '
            'median and min-max of the rounds)"',
            'set style histogram errorbars gap 1', 'unset title',
            'set ylabel "TCP connections a second"',
            'plot "< awk \'NR>1\' %s" using 4:5:6:xtic(1) notitle' % data,
            'set ylabel "TCP bulk, Mbit/s"',
            'plot "< awk \'NR>1\' %s" using 7:8:9:xtic(1) notitle' % data,
            'unset multiplot']
    if not made:
        return
    res = subprocess.run([gp], input="\n".join(script) + "\n", text=True,
                         capture_output=True)
    if res.returncode:
        print("\ngnuplot failed:\n" + res.stderr)
    else:
        print("\nplots: " + ", ".join(os.path.join(DIR, m) for m in made))


def main():
    raw = os.path.join(DIR, "raw.jsonl")
    rows = [json.loads(line) for line in open(raw)] if os.path.exists(raw) \
        else []
    table = guest_table(rows) if rows else []
    lookup, sweep = kunit_figures(os.path.join(DIR, "kunit.log"))

    with open(os.path.join(DIR, "latest.json"), "w") as f:
        json.dump({"guest": table, "lookup": lookup, "sweep": sweep}, f,
                  indent=1)
    if table:
        with open(os.path.join(DIR, "latest.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=sorted({k for t in table
                                                     for k in t}))
            w.writeheader()
            w.writerows(table)
    if lookup:
        with open(os.path.join(DIR, "lookup.csv"), "w", newline="") as f:
            keys = ["flows", "all_ps", "hot_ps", "mem_ps", "all_ratio",
                    "hot_ratio", "insert_ns", "slab_bytes", "buckets",
                    "bytes_per_flow"]
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(lookup)

    if table:
        print("| metric | l4lb | IPVS | nft DNAT | plain | l4lb/IPVS | "
              "l4lb/nft | l4lb/plain |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for t in table:
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                t["what"], fmt(t["l4lb"]), fmt(t["ipvs"]), fmt(t["nft"]),
                fmt(t["plain"]), fmt(t.get("l4lb/ipvs")),
                fmt(t.get("l4lb/nft")), fmt(t.get("l4lb/plain"))))
        print()
        print("Medians of the rounds; ratios are medians of the ratios "
              "within each round;\nUDP ratios to IPVS and nft compare the "
              "cost above plain forwarding.\n")
        print("| metric, min-max (runs) | l4lb | IPVS | nft DNAT | plain |")
        print("| --- | --- | --- | --- | --- |")
        for t in table:
            if t["metric"] not in ROUND_NAMES:
                continue
            print("| %s | %s |" % (t["metric"], " | ".join(
                "-" if not t.get(c + "_runs") else "%g-%g (%d)" % (
                    t[c + "_min"], t[c + "_max"], t[c + "_runs"])
                for c in CONFIGS)))
    if lookup:
        print()
        print("| flows (KUnit, UML) | ns a lookup, keys over all | ratio "
              "to 1k | over 1,000 hot | ratio to 1k | ns of 2 random reads "
              "in as many bytes | bytes a flow, buckets in |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for kv in lookup:
            print("| %d | %g | %g | %g | %g | %g | %g |" % (
                kv["flows"], kv["all_ps"] / 1000, kv["all_ratio"],
                kv["hot_ps"] / 1000, kv["hot_ratio"],
                kv.get("mem_ps", 0) / 1000, kv["bytes_per_flow"]))
    if sweep:
        print()
        print("sweep (KUnit, UML): %d expired flows unlinked in %d steps, "
              "%.1f ms in all, longest step %.3f ms; memory back after "
              "%.1f ms" % (sweep["flows"], sweep["steps"],
                           sweep["pass_ns"] / 1e6, sweep["max_step_ns"] / 1e6,
                           sweep["freed_ns"] / 1e6))

    targets = []
    if table:
        targets += [
            ("established-flow overhead at most 0.75 x IPVS's, 1,000 flows",
             get(table, "udp_ns_per_pkt_1k", "l4lb/ipvs"), "<=", 0.75),
            ("established-flow overhead at most 0.75 x IPVS's, 1,000,000 "
             "flows", get(table, "udp_ns_per_pkt_1m", "l4lb/ipvs"), "<=",
             0.75),
            ("connection rate at least 1.1 x IPVS's",
             get(table, "conn_per_s", "l4lb/ipvs"), ">=", 1.1),
            ("bulk throughput at least 0.95 x plain forwarding",
             get(table, "bulk_mbit_s", "l4lb/plain"), ">=", 0.95),
            ("at most 64 bytes a UDP session, slab object (as IPVS's and "
             "conntrack's are counted)",
             get(table, "bytes_per_flow_slab", "l4lb"), "<=", 64),
            ("at most 64 bytes a UDP session, all in (table buckets too), "
             "1M sessions", get(table, "bytes_per_flow_1m", "l4lb"), "<=",
             64)]
    if lookup:
        big = lookup[-1]
        targets += [
            ("at most 128 bytes a TCP flow, all in, %d flows" % big["flows"],
             big["bytes_per_flow"], "<=", 128),
            ("lookup at %d flows within 1.3 x the cost at %d, hot set"
             % (big["flows"], lookup[0]["flows"]), big["hot_ratio"], "<=",
             1.3),
            ("lookup at %d flows within 1.3 x the cost at %d, keys over all"
             % (big["flows"], lookup[0]["flows"]), big["all_ratio"], "<=",
             1.3)]
    if sweep:
        targets.append(("no sweep step over 10 ms (ms)",
                        round(sweep["max_step_ns"] / 1e6, 3), "<=", 10))
    print()
    for what, got, op, want in targets:
        ok = got is not None and (got <= want if op == "<=" else got >= want)
        print("target: %s: %s (%s)" % (what, fmt(got),
                                      "met" if ok else "MISSED"))
    plots(table, lookup)


main()
