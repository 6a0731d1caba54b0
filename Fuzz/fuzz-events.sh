#!/usr/bin/env bash
# Fuzzes BTF's layout model, the event decoder and the Swift declaration
# writer (the BTF and BCCEvents modules) with libFuzzer and AddressSanitizer
# for a bounded time: arbitrary BTF, then a record decoded as each of its
# types. Seeded with the test fixture's BTF.
#   Fuzz/fuzz-events.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-events"
rm -rf "$work/corpus" "$work/build.log"
mkdir -p "$work"

# BTF and BCCEvents, built from their Sources folders (Fuzz/lib/modules.sh).
source Fuzz/lib/modules.sh
{
    module BTF
    module BCCEvents BTF
    swiftc "${flags[@]}" -module-name EventFuzz Fuzz/EventDecoder/main.swift -L "$modules" -lBCCEvents -lBTF \
        -o "$work/fuzz-events"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seed: the decoder tests' fixture BTF, followed by a record of 128 bytes.
corpus="$work/corpus"
mkdir -p "$corpus"
clang -target bpf -O2 -g -I Tests/Fixtures/include -c Tests/Fixtures/event_structs.bpf.c -o "$work/event_structs.o"
llvm-objcopy --dump-section=.BTF="$work/event_structs.btf" "$work/event_structs.o"
python3 - "$work/event_structs.btf" "$corpus/event_structs" <<'PY'
import os, struct, sys
btf = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack("<I", len(btf)) + btf + os.urandom(128))
PY
fuzz_run "$work/fuzz-events" "$corpus" -max_len=16384
