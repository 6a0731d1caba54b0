#!/usr/bin/env bash
# Fuzzes BTF's layout model, the event decoder and the Swift declaration
# writer (the BTF and BCCEvents modules) with libFuzzer and AddressSanitizer
# for a bounded time: arbitrary BTF, then a record decoded as each of its
# types. Seeded with the test fixture's BTF.
#   Fuzz/fuzz-events.sh [seconds] [libFuzzer arguments...]     (default 60 s)
# e.g. Fuzz/fuzz-events.sh 0 crash-1234 replays one crashing input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export PATH="/opt/swift/usr/bin:$PATH"
work=".build/fuzz-events"
rm -rf "$work/corpus" "$work/build.log"
mkdir -p "$work"

# Each module is its Sources folder compiled instrumented into a static
# library, as SwiftPM builds it (one package, so `package` symbols link).
flags=(-parse-as-library -O -sanitize=fuzzer,address -package-name swift_bcc -I "$work")
module() {
    swiftc "${flags[@]}" -module-name "$1" -emit-module -emit-module-path "$work/$1.swiftmodule" \
        -emit-library -static Sources/"$1"/*.swift -o "$work/lib$1.a"
}
{
    module BTF
    module BCCEvents
    swiftc "${flags[@]}" -module-name EventFuzz Fuzz/EventDecoder/main.swift -L "$work" -lBCCEvents -lBTF \
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
if [ "$#" -gt 0 ]; then
    exec "$work/fuzz-events" "$@"
fi
exec "$work/fuzz-events" -max_total_time="$seconds" -max_len=16384 -timeout=10 -artifact_prefix="$work/" "$corpus"
