#!/usr/bin/env bash
# Header emission from the kernel's BTF: `swift-bcc btf-header` against
# `bpftool btf dump file /sys/kernel/btf/vmlinux format c`, in the same run.
#
# Under Benchmarks/run (BENCH_BIN set): one run of each, as RESULT lines
# (btf_header.{swift,bpftool} CPU seconds, btf_header_wall.* wall seconds).
# Standalone, as root:
#   Benchmarks/btf-header.sh [runs]     (default 7)
# installs Debian's bpftool if missing, builds swift-bcc in release mode,
# alternates the two tools `runs` times and prints medians and the ratio
# (bpftool time / ours: above 1 means we are faster).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH
btf=/sys/kernel/btf/vmlinux
measure=$root/Benchmarks/lib/measure.py
python=${BENCH_PYTHON:-python3}

find_bpftool() {
    command -v bpftool || { [[ -x /usr/sbin/bpftool ]] && echo /usr/sbin/bpftool; } || true
}

one_run() {
    "$python" "$measure" btf_header swift "$BENCH_BIN/swift-bcc" btf-header --btf "$btf"
    "$python" "$measure" btf_header bpftool "$bpftool" btf dump file "$btf" format c
}

bpftool=$(find_bpftool)
if [[ -n ${BENCH_BIN:-} ]]; then
    [[ -n $bpftool ]] || { echo "btf-header.sh: bpftool is not installed" >&2; exit 1; }
    one_run
    exit 0
fi

runs=${1:-7}
if [[ -z $bpftool ]]; then
    echo "installing bpftool..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bpftool >&2
    bpftool=$(find_bpftool)
fi
echo "building swift-bcc (release)..." >&2
source "$root/Benchmarks/lib/release-build.sh"
"${release_build[@]}" --product swift-bcc >&2
BENCH_BIN=$("${release_build[@]}" --show-bin-path)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((run = 1; run <= runs; run++)); do
    one_run >>"$results"
done
echo "$("$bpftool" version | head -n 1); $runs runs; $(nproc) CPUs; kernel $(uname -r)"
"$python" - "$results" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    fields = dict(kv.split("=", 1) for kv in line.split()[1:])
    values.setdefault(fields["name"], []).append(float(fields["value"]))
for group in ("btf_header", "btf_header_wall"):
    ours = statistics.median(values[f"{group}.swift"])
    peer = statistics.median(values[f"{group}.bpftool"])
    kind = "CPU" if group == "btf_header" else "wall"
    print(f"{kind:4} median: swift-bcc {ours * 1000:.1f} ms, bpftool {peer * 1000:.1f} ms, ratio bpftool/swift = {peer / ours:.2f}")
PY
