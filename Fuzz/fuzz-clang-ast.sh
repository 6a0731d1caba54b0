#!/usr/bin/env bash
# Fuzzes the implicit reads (Sources/BCCDialect/ImplicitReads: the JSON
# reader, the AST decoder, the external-pointer analysis and the plan) with
# libFuzzer and AddressSanitizer for a bounded time. Seeds: clang's AST dumps
# of small bcc-style units, each as UNIT, a separator line, then the JSON.
#   Fuzz/fuzz-clang-ast.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-clang-ast"
rm -rf "$work/corpus" "$work/build.log"
mkdir -p "$work/corpus"

swiftc -parse-as-library "$optimization" -sanitize=fuzzer,address -module-name ClangASTFuzz -package-name swift_bcc \
    Sources/BCCDialect/ImplicitReads/*.swift Sources/BCCDialect/CTokenizer.swift \
    Fuzz/ClangAST/main.swift -o "$work/fuzz-clang-ast" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: units in bcc's rewritten form over a few kernel-like structs, dumped by clang as fuzz.c.
seed() {
    local name=$1
    cat > "$work/fuzz.c"
    (cd "$work" && clang -target bpf -std=gnu11 -Wno-unused-value -Xclang -ast-dump=json -fsyntax-only fuzz.c > ast.json)
    { cat "$work/fuzz.c"; printf '\n//--JSON--\n'; cat "$work/ast.json"; } > "$work/corpus/$name"
}
kernel='typedef unsigned int u32; typedef unsigned long long u64;
static long (* const bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *) 113;
static u64 (* const bpf_get_current_task)(void) = (void *) 35;
static void *(* const bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static long (* const bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *) 2;
struct pt_regs { unsigned long di, si; };
struct bpf_raw_tracepoint_args { u64 args[0]; };
struct task_struct { int pid; int tgid; struct task_struct *real_parent; char comm[16]; };
struct tracepoint__syscalls__sys_enter_openat { u64 common; const char *filename; };
struct { int *key; struct task_struct **value; } tasks __attribute__((section(".maps")));'
seed chain <<C
$kernel
#define PARENT(t) ((t)->real_parent)
static struct task_struct *parent_of(struct task_struct *t) { return t->real_parent; }
int probe(struct pt_regs *ctx) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct task_struct *p = (struct task_struct *)ctx->di, **pp = &p;
    int key = 0;
    bpf_map_update_elem(&tasks, &key, &t, 0);
    struct task_struct **stored = bpf_map_lookup_elem(&tasks, &key);
    char *comm = t->comm;
    return t->real_parent->tgid + parent_of(t)->pid + (*pp)->pid + comm[1] + t->comm[2]
        + (stored ? (*stored)->pid : 0) + PARENT(t)->pid + sizeof(t->pid);
}
C
seed contexts <<C
$kernel
int tracepoint__syscalls__sys_enter_openat(struct tracepoint__syscalls__sys_enter_openat *args) {
    const char *name = args->filename;
    return name[0] + *args->filename;
}
int raw_tracepoint__sched_switch(struct bpf_raw_tracepoint_args *ctx) {
    struct task_struct *next = (struct task_struct *)ctx->args[2];
    int *where = &next->pid;
    return next->pid + *where;
}
C
fuzz_run "$work/fuzz-clang-ast" "$work/corpus" -max_len=262144
