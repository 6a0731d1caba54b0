#!/usr/bin/env bash
# Fuzzes the USDT parsers (Sources/ELF: .note.stapsdt notes and argument
# specs) with libFuzzer and AddressSanitizer for a bounded time, seeded with
# the USDT test programs and argument lists of every form.
#   Fuzz/fuzz-usdt.sh [seconds] [libFuzzer arguments...]     (default 60 s)
# e.g. Fuzz/fuzz-usdt.sh 0 crash-1234 replays one crashing input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export PATH="/opt/swift/usr/bin:$PATH"
work=".build/fuzz-usdt"
rm -rf "$work"
mkdir -p "$work"

# The ELF module compiled instrumented into a static library, then the target
# linked against it with libFuzzer's main.
flags=(-parse-as-library -O -sanitize=fuzzer,address -I "$work")
{
    swiftc "${flags[@]}" -module-name ELF -emit-module -emit-module-path "$work/ELF.swiftmodule" \
        -emit-library -static Sources/ELF/*.swift -o "$work/libELF.a"
    swiftc "${flags[@]}" Fuzz/USDTNotes/main.swift -L "$work" -lELF -o "$work/fuzz-usdt"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: the test programs' binaries, and argument lists on their own.
corpus="$work/corpus"
mkdir -p "$corpus"
clang -O0 Tests/Fixtures/usdt_target.c -o "$corpus/usdt_target"
clang --target=aarch64-linux-gnu -O0 -nostdlib -static -fuse-ld=lld Tests/Fixtures/usdt_aarch64.c -o "$corpus/usdt_aarch64"
printf '%s' '-4@%eax 8@-16(%rbp) 1@%ah -4@$5 8@counter+8(%rip) 8@(%rax,%rbx,8) 2@-8(,%rcx,2) 4@%r9d' > "$corpus/x86-specs"
printf '%s' '-4@w1 8@x0 -4@[sp, 8] 8@[x29,-16] 8@[x1, x2] 8@#-3' > "$corpus/aarch64-specs"
if [ "$#" -gt 0 ]; then
    exec "$work/fuzz-usdt" "$@"
fi
exec "$work/fuzz-usdt" -max_total_time="$seconds" -max_len=65536 -timeout=10 -artifact_prefix="$work/" "$corpus"
