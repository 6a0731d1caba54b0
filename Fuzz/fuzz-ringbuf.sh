#!/usr/bin/env bash
# Fuzzes the ring buffer record parser (Sources/EBPF/RingBufferRecordParser.swift)
# with libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-ringbuf.sh [seconds]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The parser needs only CBPF's inline atomics and BPFError: compile them in
# directly, with a module map for the C header.
cat > "$work/module.modulemap" <<MAP
module CBPF {
    header "$PWD/Sources/CBPF/include/CBPF.h"
    export *
}
MAP
swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name EBPF -I "$work" \
    Sources/EBPF/RingBufferRecordParser.swift Sources/EBPF/BPFError.swift \
    Fuzz/RingBufferRecordParser/main.swift -o "$work/fuzz-ringbuf"

corpus="$work/corpus"
mkdir -p "$corpus"
# Seeds: one committed 3-byte record, a discarded record, a busy record.
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00abc\x00\x00\x00\x00\x00' > "$corpus/sample"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x40\x00\x00\x00\x00abcd\x00\x00\x00\x00' > "$corpus/discard"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x80\x00\x00\x00\x00abcd\x00\x00\x00\x00' > "$corpus/busy"
"$work/fuzz-ringbuf" -max_total_time="$seconds" -max_len=4096 "$corpus"
