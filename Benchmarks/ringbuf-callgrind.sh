#!/usr/bin/env bash
# Instructions per ring buffer record on the callback path, ours against
# libbpf's ring_buffer__poll, counted by callgrind (deterministic, unlike
# rates, which move with the CPU model and the machine's load; issue 18).
#
#   Benchmarks/ringbuf-callgrind.sh [sizes, default 16,1024]
#
# Each consumer reads 200 back-to-back batches of 500 records (fewer when 500
# would fill more than half the ring: 254 of 1 KiB) from the same
# BPF producer (ringbuf-bench --batches); callgrind counts only inside the poll
# call (ours: RingBufferPoller.poll, libbpf: ring_buffer__poll), so the figure
# is the consumer's instructions per record, the record handler included (a
# counter increment for all), epoll and the per-poll work spread over 500
# records. Ours twice: swift_callback, a closure handler (the default API), and
# swift_handler, a RingBufferRecordHandler struct (the generic API, specialized
# with the handler inlined).
# Prints RESULT name=ringbuf_insn.<size>.<swift_callback|swift_handler|libbpf> unit=insn.
# Needs root; installs valgrind and libbpf-dev with apt when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
work="${BENCH_WORK:-$root/.build/benchmarks}/ringbuf-callgrind"
mkdir -p "$work"
sizes=${1:-16,1024}

if ! dpkg -s valgrind libbpf-dev >/dev/null 2>&1; then
    echo "installing valgrind and libbpf-dev" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind libbpf-dev gcc >&2
fi

cc -O2 -Wall -o "$work/libbpf_consumer" "$here/ringbuf/libbpf_consumer.c" -lbpf -lpthread
(cd "$here/ringbuf" && swift build -c release --product ringbuf-bench >&2)
# valgrind 3.19 cannot read Swift 6's DWARF: profile a copy without it.
cp "$(cd "$here/ringbuf" && swift build -c release --show-bin-path)/ringbuf-bench" "$work/ringbuf-bench"
strip -g "$work/ringbuf-bench"
batches=200

# The symbols callgrind counts inside (Swift's mangled names).
poll=$(nm "$work/ringbuf-bench" | grep -o '\$s4EBPF16RingBufferPollerC4poll7timeoutS2i_tKF$' | head -n 1)
# The function each of our runs is dumped after (valgrind may not survive the rest of the run).
measured() { nm "$work/ringbuf-bench" | grep -o "\\\$s13ringbuf_bench$1[^ ]*" | head -n 1; }
if [[ -z $poll || -z $(measured 13swiftCallback) || -z $(measured 12swiftHandler) ]]; then
    echo "ringbuf-callgrind: cannot find RingBufferPoller.poll, swiftCallback or swiftHandler in ringbuf-bench" >&2
    exit 1
fi

# libbpf's consumer runs under callgrind through this wrapper, started by ringbuf-bench.
cat >"$work/libbpf-under-callgrind" <<WRAPPER
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$work/libbpf.out" --toggle-collect=ring_buffer__poll "$work/libbpf_consumer" "\$@" 2>>"$work/valgrind.log"
WRAPPER
chmod +x "$work/libbpf-under-callgrind"

# Total instructions counted in a callgrind output file.
total() { sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1" | tail -n 1; }

for size in ${sizes//,/ }; do
    # ringbuf-bench's batch: 500 records, at most half the 512 KiB ring.
    batch=$((524288 / (size + 8) / 2)); ((batch > 500)) && batch=500
    records=$((batch * batches))
    for impl in swift_callback:13swiftCallback swift_handler:12swiftHandler; do
        rm -f "$work"/ours.out*
        valgrind --tool=callgrind --callgrind-out-file="$work/ours.out" --dump-after="$(measured "${impl#*:}")" \
            --toggle-collect="$poll" "$work/ringbuf-bench" --only "${impl%%:*}" --mode b2b --sizes "$size" \
            --batch "$batch" --batches "$batches" >/dev/null 2>>"$work/valgrind.log" || true
        cp "$(ls "$work"/ours.out.* | head -n 1)" "$work/${impl%%:*}.$size.out"
        awk -v o="$(total "$work/${impl%%:*}.$size.out")" -v r="$records" -v s="$size" -v i="${impl%%:*}" \
            'BEGIN { printf "RESULT name=ringbuf_insn.%s.%s value=%.2f unit=insn\n", s, i, o / r }'
    done
    rm -f "$work"/libbpf.out*
    "$work/ringbuf-bench" --only libbpf --libbpf "$work/libbpf-under-callgrind" --mode b2b --sizes "$size" \
        --batch "$batch" --batches "$batches" >/dev/null 2>>"$work/valgrind.log"
    awk -v l="$(total "$work/libbpf.out")" -v r="$records" -v s="$size" \
        'BEGIN { printf "RESULT name=ringbuf_insn.%s.libbpf value=%.2f unit=insn\n", s, l / r }'
done
