#!/usr/bin/env bash
# The ring buffer benchmark (issue 6): one BPF producer, five consumers
# (Swift callback reader, Swift AsyncSequence, libbpf ring_buffer__poll,
# bcc's Python ring_buffer_poll, Swift perf buffer), back-to-back and
# parallel, records of 16, 128 and 1024 bytes. Release builds.
#
#   Benchmarks/ringbuf/run.sh [ringbuf-bench options, e.g. --seconds 2 --sizes 16]
#
# stdout: RESULT lines (Benchmarks/run's contract); stderr: a table and ratios.
# Needs root. Installs libbpf-dev and python3-bpfcc with apt when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
work="${BENCH_WORK:-$root/.build/benchmarks}/ringbuf"
mkdir -p "$work"

if ! dpkg -s libbpf-dev python3-bpfcc >/dev/null 2>&1; then
    echo "installing libbpf-dev and python3-bpfcc" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libbpf-dev python3-bpfcc gcc >&2
fi

cc -O2 -Wall -o "$work/libbpf_consumer" "$here/libbpf_consumer.c" -lbpf -lpthread
cc -O2 -Wall -shared -fPIC -o "$work/libmalloccount.so" "$here/malloc_count.c"
(cd "$here" && swift build -c release --product ringbuf-bench >&2)
bench="$(cd "$here" && swift build -c release --show-bin-path)/ringbuf-bench"

bcc=()
if /usr/bin/python3 -c "import bcc" 2>/dev/null; then
    bcc=(--bcc "$here/bcc_consumer.py")
else
    echo "bcc: /usr/bin/python3 cannot import bcc (python3-bpfcc); skipping the bcc consumer" >&2
fi

# The malloc counter lets the benchmark report allocations per record on the callback path.
LD_PRELOAD="$work/libmalloccount.so" "$bench" --libbpf "$work/libbpf_consumer" "${bcc[@]}" "$@"
