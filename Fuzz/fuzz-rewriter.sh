#!/usr/bin/env bash
# Fuzzes the bcc dialect rewriter (the BCCDialect module: CTokenizer,
# DialectRewriter, RewrittenSource) with libFuzzer and AddressSanitizer for a
# bounded time.
#   Fuzz/fuzz-rewriter.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
# Seeds: the C programs of Benchmarks/compile and a guide-style program.
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-rewriter"
rm -rf "$work"
mkdir -p "$work"

# BCCDialect and the pure modules under it, built from their Sources folders
# (Fuzz/lib/modules.sh; one package, so the rewriter's package API is
# visible), then the target links them with libFuzzer's main.
source Fuzz/lib/modules.sh
{
    module ELF
    module BTF
    module BPFObject ELF BTF
    module BCCDialect BPFObject ELF
    swiftc "${flags[@]}" Fuzz/DialectRewriter/main.swift -L "$modules" -lBCCDialect -lBPFObject -lBTF -lELF \
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
fuzz_run "$work/fuzz-rewriter" "$corpus" -max_len=16384
