#!/usr/bin/env bash
# Fuzzes the bcc dialect rewriter (Sources/BCC: CTokenizer, DialectRewriter,
# RewrittenSource) with libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-rewriter.sh [seconds]     (default 60)
# Seeds: the C programs of Benchmarks/compile and a guide-style program.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name BCC \
    Sources/BCC/CTokenizer.swift Sources/BCC/RewrittenSource.swift Sources/BCC/DialectRewriter.swift \
    Sources/BCC/TableDefinition.swift Sources/BCC/ProbeFunction.swift Sources/BCC/CompileDiagnostic.swift \
    Sources/BCC/BCCError.swift Sources/BCC/EventDecodingError.swift Fuzz/DialectRewriter/main.swift -o "$work/fuzz-rewriter"

corpus="$work/corpus"
mkdir -p "$corpus"
cp Benchmarks/compile/*.c "$corpus/"
cat > "$corpus/guide.c" <<'C'
struct data_t { u32 pid; u64 ts; char comm[TASK_COMM_LEN]; };
BPF_RINGBUF_OUTPUT(events, 8);
BPF_HASH(counts, u32, u64);
KFUNC_PROBE(do_unlinkat, int dfd, struct filename *name) { return 0; }
int kprobe__do_nanosleep(struct pt_regs *ctx, void *t) {
    struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
    if (!data) return 1;
    counts.increment(data->pid, 2);
    events.ringbuf_submit(data, 0);
    return 0;
}
C
"$work/fuzz-rewriter" -max_total_time="$seconds" -max_len=16384 "$corpus"
