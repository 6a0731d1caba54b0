#!/usr/bin/env bash
# Fuzzes the BPF object parsers (Sources/ELF, Sources/BPFObject and
# Sources/BTF/BTFExt.swift, plus the BTF decoder they call) with libFuzzer
# and AddressSanitizer for a bounded time, seeded with the test fixtures.
#   Fuzz/fuzz-object.sh [seconds] [libFuzzer arguments...]     (default 60 s)
# e.g. Fuzz/fuzz-object.sh 0 crash-1234 replays one crashing input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export PATH="/opt/swift/usr/bin:$PATH"
work=".build/fuzz-object"
rm -rf "$work"
mkdir -p "$work"

# Each pure module is built from its Sources folder into an instrumented
# static library (Fuzz/lib/modules.sh); the target links them with
# libFuzzer's main. (ld.gold's "Cannot export local symbol" warnings about
# ASan internals are harmless; the log keeps them.)
source Fuzz/lib/modules.sh
{
    for name in ELF BTF BPFObject; do module "$name"; done
    swiftc "${flags[@]}" Fuzz/ObjectParser/main.swift -L "$work" -lBPFObject -lBTF -lELF -o "$work/fuzz-object"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: the BPF fixtures compiled as the tests compile them, and a host executable.
corpus="$work/corpus"
mkdir -p "$corpus"
for fixture in elf_sections object_globals object_core object_rejected; do
    clang -target bpf -O2 -g -I Tests/Fixtures/include -c "Tests/Fixtures/$fixture.bpf.c" -o "$corpus/$fixture.o"
done
clang -O0 Tests/Fixtures/elf_host.c -o "$corpus/elf_host"
if [ "$#" -gt 0 ]; then
    exec "$work/fuzz-object" "$@"
fi
exec "$work/fuzz-object" -max_total_time="$seconds" -max_len=65536 -timeout=10 -artifact_prefix="$work/" "$corpus"
