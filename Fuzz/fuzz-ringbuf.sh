#!/usr/bin/env bash
# Fuzzes the ring buffer record parser (EBPF's RingBufferRecordParser) with
# libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-ringbuf.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-ringbuf"
rm -rf "$work"
mkdir -p "$work"

# EBPF and its dependencies, built from their Sources folders (Fuzz/lib/modules.sh).
source Fuzz/lib/modules.sh
{
    ebpf
    swiftc "${flags[@]}" Fuzz/RingBufferRecordParser/main.swift "${ebpf_libraries[@]}" -o "$work/fuzz-ringbuf"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

corpus="$work/corpus"
mkdir -p "$corpus"
# Seeds: one committed 3-byte record, a discarded record, a busy record.
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00abc\x00\x00\x00\x00\x00' > "$corpus/sample"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x40\x00\x00\x00\x00abcd\x00\x00\x00\x00' > "$corpus/discard"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x80\x00\x00\x00\x00abcd\x00\x00\x00\x00' > "$corpus/busy"
fuzz_run "$work/fuzz-ringbuf" "$corpus" -max_len=4096
