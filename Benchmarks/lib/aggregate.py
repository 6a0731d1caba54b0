#!/usr/bin/env python3
"""Turns the RESULT lines of repeated benchmark runs into the comparison table.

Input (files or stdin): lines `RESULT name=<group>.<impl> value=<number> unit=<unit>`,
one per measurement per run; a name seen N times has N runs. Other lines are ignored.
The last dotted component of a name is the implementation; the rest is the group.
Implementations starting with "swift" are ours; every other one is a peer.

Output: one row per name with the median, min, max, spread and run count, then for
our rows the ratio to each peer in the same group (>1 always means we are better:
ours/peer for rates, peer/ours for times, CPU and memory), and a last line
`ratios: ringbuf_b2b_vs_libbpf=X ringbuf_insn_vs_libbpf=I ringbuf_vs_bcc=Y compile_warm_vs_bcc=Z btf_header_vs_bpftool=W xdp_vs_bcc=V
opensnoop_cpu_vs_libbpf_tools=C opensnoop_rss_vs_libbpf_tools=R items_100k_vs_bcc=T`.
"""

import re
import statistics
import sys

RESULT = re.compile(r"^RESULT\s+(.*)$")
HIGHER_IS_BETTER = {"rec/s", "MB/s", "ops/s", "pkt/s"}
# Units where a ratio is meaningless (lost records and shares: 0 vs 0).
NO_RATIO = {"records", "%"}


def parse(lines):
    runs, units, order = {}, {}, []
    for line in lines:
        match = RESULT.match(line.strip())
        if not match:
            continue
        fields = dict(kv.split("=", 1) for kv in match.group(1).split() if "=" in kv)
        name, value, unit = fields.get("name"), fields.get("value"), fields.get("unit", "")
        if not name or value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if name not in runs:
            runs[name], units[name] = [], unit
            order.append(name)
        runs[name].append(number)
    return runs, units, order


def split(name):
    group, _, impl = name.rpartition(".")
    return group, impl


def ratio(ours, peer, unit):
    if unit in NO_RATIO or ours is None or peer is None:
        return None
    if unit in HIGHER_IS_BETTER:
        return ours / peer if peer else None
    return peer / ours if ours else None


def human(value, unit):
    if unit in ("rec/s", "ops/s", "pkt/s"):
        return f"{value / 1e6:.3f}M" if value >= 1e5 else f"{value:.0f}"
    if unit == "s":
        return f"{value * 1e3:.1f}ms" if value < 10 else f"{value:.2f}s"
    if unit in ("records", "KiB"):
        return f"{value:.0f}"
    return f"{value:.4g}"


# (description, group, ours, peer, minimum ratio); groups missing from a run are skipped.
TARGETS = [
    ("Swift callback >= 1.2x libbpf, back-to-back", "ringbuf.b2b.{size}.rate", "swift_callback", "libbpf", 1.2),
    ("Swift callback instructions per record at or below libbpf's (callgrind)", "ringbuf_insn.{size}", "swift_callback", "libbpf", 1.0),
    ("Swift handler type (generic API) instructions per record at or below libbpf's (callgrind)", "ringbuf_insn.{size}", "swift_handler", "libbpf", 1.0),
    ("Swift AsyncSequence >= 0.8x libbpf, back-to-back", "ringbuf.b2b.{size}.rate", "swift_async", "libbpf", 0.8),
    ("Swift callback >= 20x bcc Python, back-to-back", "ringbuf.b2b.{size}.rate", "swift_callback", "bcc", 20.0),
    ("Swift callback >= 20x bcc Python, parallel", "ringbuf.parallel.{size}.rate", "swift_callback", "bcc", 20.0),
    ("BPF(text:) cold no slower than bcc", "compile.cold", "swift", "bcc", 1.0),
    ("BPF(text:) warm <= 1/10 of bcc", "compile.warm", "swift", "bcc", 10.0),
    ("btf-header no slower than bpftool", "btf_header", "swift", "bpftool", 1.0),
    ("XDP counter over veth: as many packets per second as bcc's", "xdp.pps", "swift", "bcc", 0.95),
    ("opensnoop storm: CPU per printed event at or below libbpf-tools'", "opensnoop_storm.cpu_per_event", "swift", "libbpf_tools", 1.0),
]


def targets(medians, units):
    lines = []
    for description, pattern, ours, peer, minimum in TARGETS:
        for size in ("16", "128", "1024") if "{size}" in pattern else ("",):
            group = pattern.format(size=size)
            a, b = medians.get(f"{group}.{ours}"), medians.get(f"{group}.{peer}")
            if a is None or b is None:
                continue
            r = ratio(a, b, units[f"{group}.{ours}"])
            label = f"{description}{f' ({size} B)' if size else ''}"
            verdict = "met" if r >= minimum else f"NOT met ({r / minimum:.0%} of target)"
            lines.append(f"{label}: {r:.2f}x, {verdict}")
    # Absolute targets.
    first = medians.get("first_event_wall.cold.swift")
    if first is not None:
        verdict = "met" if first <= 1.5 else f"NOT met (by {first - 1.5:.2f} s)"
        lines.append(f"opensnoop's first event on a new machine (empty cache) within 1.5 s: {first:.2f} s, {verdict}")
    # Losses in parallel mode: ours no more than libbpf's, as a share of the records produced
    # (the count depends on how fast the producer ran in that measurement).
    for size in ("16", "128", "1024"):
        group = f"ringbuf.parallel.{size}.lostshare"
        a, b = medians.get(f"{group}.swift_callback"), medians.get(f"{group}.libbpf")
        if a is not None and b is not None:
            verdict = "met" if a <= b else f"NOT met (by {a - b:.1f} points)"
            lines.append(f"Swift callback loses no more than libbpf, parallel ({size} B): {a:.1f}% vs {b:.1f}% of produced, {verdict}")
    # In back-to-back mode the consumer's thread does all the work (it runs the producer too), so
    # records per CPU second is the rate a quiet CPU would give: the load-independent comparison.
    cpu_pairs = []
    for peer in ("libbpf", "bcc"):
        a, b = medians.get("ringbuf.b2b.16.cpu.swift_callback"), medians.get(f"ringbuf.b2b.16.cpu.{peer}")
        if a and b:
            cpu_pairs.append(f"{b / a:.2f}x {peer}")
    if cpu_pairs:
        lines.append("Swift callback, back-to-back 16 B, by CPU per record (independent of machine load): "
                     + ", ".join(cpu_pairs))
    # The opensnoop storm: nothing lost with the default buffer, peak RSS at most 16 MiB.
    lost = medians.get("opensnoop_storm.lost.swift")
    if lost is not None:
        lines.append(f"opensnoop loses nothing in the storm: {lost:.0f} lost, {'met' if lost == 0 else 'NOT met'}")
    rss = medians.get("opensnoop_storm.maxrss.swift")
    if rss is not None:
        lines.append(f"opensnoop peak RSS <= 16 MiB: {rss / 1024:.1f} MiB, {'met' if rss <= 16 * 1024 else 'NOT met'}")
    return lines or ["(no paired results)"]


RING_METRICS = [("rate", "records/s (M)", 1e6), ("lost", "records lost", 1),
                ("lostshare", "% of produced records lost", 1), ("cpu", "consumer CPU s per M records", 1),
                ("maxrss", "consumer peak RSS (MiB)", 1024)]


def ring_matrices(medians):
    """The ring buffer medians again, one matrix per metric: mode and size by consumer."""
    cells = {}
    for name, value in medians.items():
        parts = name.split(".")
        if len(parts) == 5 and parts[0] == "ringbuf":
            _, mode, size, metric, impl = parts
            cells.setdefault(metric, {}).setdefault((mode, size), {})[impl] = value
    lines = []
    for metric, title, scale in RING_METRICS:
        rows = cells.get(metric)
        if not rows:
            continue
        impls = []
        for row in rows.values():
            impls += [impl for impl in row if impl not in impls]
        lines += ["", f"ring buffer, {title}:", f"{'mode':<9} {'size':>5} " + " ".join(f"{impl:>14}" for impl in impls)]
        for (mode, size), row in sorted(rows.items(), key=lambda item: (item[0][0], int(item[0][1]))):
            values = [row.get(impl) for impl in impls]
            digits = {"rate": 3, "cpu": 3, "lostshare": 1}.get(metric, 0)
            text = [f"{'-':>14}" if v is None else f"{v / scale:>14.{digits}f}" for v in values]
            lines.append(f"{mode:<9} {size:>5} " + " ".join(text))
    return lines


def main():
    paths = sys.argv[1:]
    lines = []
    if paths:
        for path in paths:
            with open(path) as handle:
                lines.extend(handle)
    else:
        lines = sys.stdin.readlines()
    runs, units, order = parse(lines)
    medians = {name: statistics.median(values) for name, values in runs.items()}

    groups = {}
    for name in order:
        group, impl = split(name)
        groups.setdefault(group, []).append(impl)

    header = f"{'group':<28} {'impl':<15} {'median':>10} {'min':>10} {'max':>10} {'spread':>7} {'n':>2} {'unit':<7} vs peers (>1 = ours better)"
    print(header)
    print("-" * len(header))
    for group, impls in groups.items():
        peers = [impl for impl in impls if not impl.startswith("swift")]
        for impl in impls:
            name = f"{group}.{impl}"
            values, unit = runs[name], units[name]
            median = medians[name]
            low, high = min(values), max(values)
            spread = f"{(high - low) / median * 100:.0f}%" if median else "-"
            cells = []
            if impl.startswith("swift"):
                for peer in peers:
                    r = ratio(median, medians[f"{group}.{peer}"], unit)
                    if r is not None:
                        cells.append(f"{r:.2f}x {peer}")
            print(f"{group:<28} {impl:<15} {human(median, unit):>10} {human(low, unit):>10} "
                  f"{human(high, unit):>10} {spread:>7} {len(values):>2} {unit:<7} {', '.join(cells)}".rstrip())

    def pair(group, ours, peer, fallback_group=None):
        for g in (group, fallback_group):
            if g is None:
                continue
            a, b = medians.get(f"{g}.{ours}"), medians.get(f"{g}.{peer}")
            if a is not None and b is not None:
                r = ratio(a, b, units[f"{g}.{ours}"])
                if r is not None:
                    return f"{r:.2f}"
        return "NA"

    for line in ring_matrices(medians):
        print(line)

    print()
    print("targets (from the issues):")
    for line in targets(medians, units):
        print("  " + line)
    print()
    print("ratios: "
          f"ringbuf_b2b_vs_libbpf={pair('ringbuf.b2b.16.rate', 'swift_callback', 'libbpf')} "
          f"ringbuf_insn_vs_libbpf={pair('ringbuf_insn.16', 'swift_callback', 'libbpf')} "
          f"ringbuf_vs_bcc={pair('ringbuf.b2b.16.rate', 'swift_callback', 'bcc', 'ringbuf.parallel.16.rate')} "
          f"compile_warm_vs_bcc={pair('compile.warm', 'swift', 'bcc')} "
          f"btf_header_vs_bpftool={pair('btf_header', 'swift', 'bpftool')} "
          f"xdp_vs_bcc={pair('xdp.pps', 'swift', 'bcc')} "
          f"opensnoop_cpu_vs_libbpf_tools={pair('opensnoop_storm.cpu_per_event', 'swift', 'libbpf_tools')} "
          f"opensnoop_rss_vs_libbpf_tools={pair('opensnoop_storm.maxrss', 'swift', 'libbpf_tools')} "
          f"items_100k_vs_bcc={pair('items_100k', 'swift', 'bcc')}")


if __name__ == "__main__":
    main()
