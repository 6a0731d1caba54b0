#!/usr/bin/env bash
# Fuzzes the bcc dialect rewriter (the BCCDialect module: CTokenizer,
# DialectRewriter, RewrittenSource) with libFuzzer and AddressSanitizer for a
# bounded time.
#   Fuzz/fuzz-rewriter.sh [seconds] [libFuzzer arguments...]     (default 60 s)
# e.g. Fuzz/fuzz-rewriter.sh 0 crash-1234 replays one crashing input.
# Seeds: the C programs of Benchmarks/compile and a guide-style program.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export PATH="/opt/swift/usr/bin:$PATH"
work=".build/fuzz-rewriter"
rm -rf "$work"
mkdir -p "$work"

# BCCDialect and the pure modules under it are each compiled instrumented
# into a static library (one package, so the rewriter's package API is
# visible), then the target links them with libFuzzer's main.
flags=(-parse-as-library -O -sanitize=fuzzer,address -package-name swift_bcc -I "$work")
{
    for module in ELF BTF BPFObject BCCDialect; do
        swiftc "${flags[@]}" -module-name "$module" -emit-module -emit-module-path "$work/$module.swiftmodule" \
            -emit-library -static $(find Sources/"$module" -name "*.swift" | sort) -o "$work/lib$module.a"
    done
    swiftc "${flags[@]}" Fuzz/DialectRewriter/main.swift -L "$work" -lBCCDialect -lBPFObject -lBTF -lELF \
        -o "$work/fuzz-rewriter"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

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
int on_switch(struct bpf_raw_tracepoint_args *ctx) { return 0; }
C
if [ "$#" -gt 0 ]; then
    exec "$work/fuzz-rewriter" "$@"
fi
exec "$work/fuzz-rewriter" -max_total_time="$seconds" -max_len=16384 -timeout=10 -artifact_prefix="$work/" "$corpus"
