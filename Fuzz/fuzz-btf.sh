#!/usr/bin/env bash
# Fuzzes the BTF decoder, the layout queries and the C header writer
# (Sources/BTF) with libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-btf.sh [seconds]     (default 60)
# Seeds: the .BTF of Tests/Fixtures/btf_layout.c and of the ELF fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name BTF \
    Sources/BTF/*.swift Fuzz/BTF/main.swift -o "$work/fuzz-btf"

corpus="$work/corpus"
mkdir -p "$corpus"
for fixture in Tests/Fixtures/btf_layout.c Tests/Fixtures/*.bpf.c; do
    [ -f "$fixture" ] || continue
    name="$(basename "$fixture" .c)"
    if clang -target bpf -O2 -g -I Tests/Fixtures/include -c "$fixture" -o "$work/$name.o" 2>/dev/null; then
        llvm-objcopy --dump-section ".BTF=$corpus/$name" "$work/$name.o" 2>/dev/null || true
    fi
done
ls "$corpus" | sed 's/^/seed: /'
"$work/fuzz-btf" -max_total_time="$seconds" -max_len=16384 -timeout=10 "$corpus"
