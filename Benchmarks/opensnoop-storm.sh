#!/usr/bin/env bash
# Benchmarks/opensnoop-storm.sh [COUNT]: our opensnoop and Debian's
# libbpf-tools opensnoop, each watching a process that opens /dev/null COUNT
# times (default 200,000, about 0.3 s on a quiet machine): events printed,
# lost, CPU per printed event, peak RSS (Benchmarks/opensnoop/storm.py).
# Installs libbpf-tools when missing (BENCH_SKIP_INSTALL=1: don't). Prints
# RESULT lines (Benchmarks/run picks them up); run alone, also their table.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

source "$root/Benchmarks/lib/libbpf-tools.sh"
needs_libbpf_tools opensnoop-storm.sh

work=${BENCH_WORK:-$root/.build/benchmarks}/opensnoop
mkdir -p "$work"
if [[ -z ${BENCH_BIN:-} ]]; then
    source "$root/Benchmarks/lib/release-build.sh"
    echo "opensnoop-storm.sh: building opensnoop (release, static Swift runtime)..." >&2
    "${release_build[@]}" --product opensnoop >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
    BENCH_BIN=$("${release_build[@]}" --show-bin-path)
fi
clang -O2 -o "$work/storm" "$root/Benchmarks/opensnoop/storm.c"

python=${BENCH_PYTHON:-/usr/bin/python3}
count=${1:-200000}
# The first run of ours compiles (cold cache): once with -p before measuring.
"$BENCH_BIN/opensnoop" -p 1 -d 1 >/dev/null 2>&1 || true
run() { "$python" "$root/Benchmarks/opensnoop/storm.py" "$work/storm" "$count" swift="$BENCH_BIN/opensnoop" libbpf_tools=/usr/sbin/opensnoop; }
if [[ -n ${BENCH_RUN:-} ]]; then
    run
else
    : >"$work/results.txt"
    for ((i = 1; i <= ${BENCH_REPEAT:-1}; i++)); do run | tee -a "$work/results.txt"; done
    echo
    "$python" "$root/Benchmarks/lib/aggregate.py" "$work/results.txt"
fi
