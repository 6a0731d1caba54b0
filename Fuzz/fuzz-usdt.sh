#!/usr/bin/env bash
# Fuzzes the USDT parsers (Sources/ELF: .note.stapsdt notes and argument
# specs) with libFuzzer and AddressSanitizer for a bounded time, seeded with
# the USDT test programs and argument lists of every form.
#   Fuzz/fuzz-usdt.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-usdt"
rm -rf "$work"
mkdir -p "$work"

# The ELF module (Fuzz/lib/modules.sh), then the target linked against it
# with libFuzzer's main.
source Fuzz/lib/modules.sh
{
    module ELF
    swiftc "${flags[@]}" Fuzz/USDTNotes/main.swift -L "$modules" -lELF -o "$work/fuzz-usdt"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: the test programs' binaries, and argument lists on their own.
corpus="$work/corpus"
mkdir -p "$corpus"
clang -O0 Tests/Fixtures/usdt_target.c -o "$corpus/usdt_target"
clang --target=aarch64-linux-gnu -O0 -nostdlib -static -fuse-ld=lld Tests/Fixtures/usdt_aarch64.c -o "$corpus/usdt_aarch64"
printf '%s' '-4@%eax 8@-16(%rbp) 1@%ah -4@$5 8@counter+8(%rip) 8@(%rax,%rbx,8) 2@-8(,%rcx,2) 4@%r9d' > "$corpus/x86-specs"
printf '%s' '-4@w1 8@x0 -4@[sp, 8] 8@[x29,-16] 8@[x1, x2] 8@#-3' > "$corpus/aarch64-specs"
fuzz_run "$work/fuzz-usdt" "$corpus" -max_len=65536
