#!/usr/bin/env bash
# Fuzzes the BTF decoder, the layout queries and the C header writer
# (Sources/BTF) with libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-btf.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
# Seeds: the .BTF of Tests/Fixtures/btf_layout.c and of the ELF fixtures.
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-btf"
rm -rf "$work"
mkdir -p "$work"

# The target is compiled into the BTF module itself (it reaches internal API).
swiftc -parse-as-library "$optimization" -sanitize=fuzzer,address -module-name BTF \
    Sources/BTF/*.swift Fuzz/BTF/main.swift -o "$work/fuzz-btf" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

corpus="$work/corpus"
mkdir -p "$corpus"
for fixture in Tests/Fixtures/btf_layout.c Tests/Fixtures/*.bpf.c; do
    [ -f "$fixture" ] || continue
    name="$(basename "$fixture" .c)"
    if clang -target bpf -O2 -g -I Tests/Fixtures/include -c "$fixture" -o "$work/$name.o" 2>/dev/null; then
        llvm-objcopy --dump-section ".BTF=$corpus/$name" "$work/$name.o" 2>/dev/null || true
    fi
done
fuzz_run "$work/fuzz-btf" "$corpus" -max_len=16384
