#!/usr/bin/env bash
# Fuzzes the event decoder and the Swift declaration writer
# (Sources/BCC/EventDecoder*.swift, SwiftEventDeclarations*.swift) with
# libFuzzer and AddressSanitizer for a bounded time: arbitrary BTF, then a
# record decoded as each of its structs. Seeded with the test fixture's BTF.
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

# The BTF module is compiled instrumented into a static library; the
# decoder's pure files are compiled with the target (they need nothing else
# from BCC).
flags=(-parse-as-library -O -sanitize=fuzzer,address -I "$work")
decoder=(Sources/BCC/EventDecoder.swift Sources/BCC/EventDecoderPlan.swift Sources/BCC/EventDecodingError.swift
    Sources/BCC/EventValue.swift Sources/BCC/DecodedEvent.swift Sources/BCC/EventText.swift Sources/BCC/EventTypes.swift
    Sources/BCC/EventLayout.swift Sources/BCC/BPFEvent.swift
    Sources/BCC/SwiftEventDeclarations.swift Sources/BCC/SwiftEventDeclarations+Composite.swift)
{
    swiftc "${flags[@]}" -module-name BTF -emit-module -emit-module-path "$work/BTF.swiftmodule" \
        -emit-library -static Sources/BTF/*.swift -o "$work/libBTF.a"
    swiftc "${flags[@]}" -module-name EventFuzz "${decoder[@]}" Fuzz/EventDecoder/main.swift -L "$work" -lBTF \
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
