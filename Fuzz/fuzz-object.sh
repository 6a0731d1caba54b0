#!/usr/bin/env bash
# Fuzzes the BPF object parsers (Sources/ELF, Sources/BPFObject and
# Sources/BTF/BTFExt.swift, plus the BTF decoder they call) with libFuzzer
# and AddressSanitizer for a bounded time, seeded with the test fixtures.
#   Fuzz/fuzz-object.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-object"
rm -rf "$work"
mkdir -p "$work"

# Each pure module is built from its Sources folder into an instrumented
# static library (Fuzz/lib/modules.sh); the target links them with
# libFuzzer's main. (ld.gold's "Cannot export local symbol" warnings about
# ASan internals are harmless; the log keeps them.)
source Fuzz/lib/modules.sh
{
    module ELF
    module BTF
    module BPFObject ELF BTF
    swiftc "${flags[@]}" Fuzz/ObjectParser/main.swift -L "$modules" -lBPFObject -lBTF -lELF -o "$work/fuzz-object"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: the BPF fixtures compiled as the tests compile them, and a host executable.
corpus="$work/corpus"
mkdir -p "$corpus"
for fixture in elf_sections object_globals object_core object_rejected; do
    clang -target bpf -O2 -g -I Tests/Fixtures/include -c "Tests/Fixtures/$fixture.bpf.c" -o "$corpus/$fixture.o"
done
clang -O0 Tests/Fixtures/elf_host.c -o "$corpus/elf_host"
fuzz_run "$work/fuzz-object" "$corpus" -max_len=65536
