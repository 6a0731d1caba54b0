#!/usr/bin/env bash
# Benchmarks/tools-vs-libbpf.sh [tool ...]: each of our bcc tools that
# Debian's libbpf-tools also has, run side by side on the same workload: what
# each found, CPU per event, BPF time per program run and peak RSS (see
# Benchmarks/tools/compare.py and BENCHMARKS.md). Installs libbpf-tools when
# missing (BENCH_SKIP_INSTALL=1: don't). Prints RESULT lines (Benchmarks/run
# picks them up); run alone, it also prints the table of them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

source "$root/Benchmarks/lib/libbpf-tools.sh"
needs_libbpf_tools tools-vs-libbpf.sh

work=${BENCH_WORK:-$root/.build/benchmarks}/tools
mkdir -p "$work"
if [[ -z ${BENCH_BIN:-} ]]; then
    echo "tools-vs-libbpf.sh: building (release)..." >&2
    source "$root/Benchmarks/lib/release-build.sh"
    "${release_build[@]}" >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
    BENCH_BIN=$("${release_build[@]}" --show-bin-path)
fi

# The workload is named "workload": bitesize -c and the parsers look for that name.
clang -O2 -o "$work/workload" "$root/Benchmarks/tools/workload.c"

# Per-program run counts and times in /proc/PID/fdinfo.
stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

python=${BENCH_PYTHON:-/usr/bin/python3}
if [[ -n ${BENCH_RUN:-} ]]; then
    "$python" "$root/Benchmarks/tools/compare.py" "$BENCH_BIN" /usr/sbin "$work/workload" "$work" "$@"
else
    # Run alone: BENCH_REPEAT runs (default 1), then the table of medians.
    : >"$work/results.txt"
    for ((run = 1; run <= ${BENCH_REPEAT:-1}; run++)); do
        "$python" "$root/Benchmarks/tools/compare.py" "$BENCH_BIN" /usr/sbin "$work/workload" "$work" "$@" | tee -a "$work/results.txt"
    done
    echo
    "$python" "$root/Benchmarks/lib/aggregate.py" "$work/results.txt"
fi
