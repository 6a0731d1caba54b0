#!/usr/bin/env bash
# Fuzzes the perf ring record parser (EBPF's PerfRecordParser: what
# bpf_perf_event_output writes, read by PerfBuffer) with libFuzzer and
# AddressSanitizer for a bounded time.
#   Fuzz/fuzz-perfring.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-perfring"
rm -rf "$work"
mkdir -p "$work"

# EBPF and its dependencies, built from their Sources folders (Fuzz/lib/modules.sh).
source Fuzz/lib/modules.sh
{
    ebpf
    swiftc "${flags[@]}" Fuzz/PerfRecordParser/main.swift "${ebpf_libraries[@]}" -o "$work/fuzz-perfring"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

corpus="$work/corpus"
mkdir -p "$corpus"
# Seeds (head, tail, then the data area): a sample of 4 raw bytes, a lost
# record counting 7, and a sample that wraps around the end of a 32-byte area.
printf '\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x18\x00\x04\x00\x00\x00abcd\x00\x00\x00\x00\x00\x00\x00\x00' > "$corpus/sample"
printf '\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x18\x00\x01\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00' > "$corpus/lost"
printf '\x30\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00wxyz\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x18\x00\x0c\x00\x00\x00abcdefgh' > "$corpus/wrapped"
fuzz_run "$work/fuzz-perfring" "$corpus" -max_len=4096
