#!/usr/bin/env bash
# Fuzzes the attach code's parsers (EBPF's LinkerCache for /etc/ld.so.cache,
# BPFObject's TracepointFormat for tracefs format files) with libFuzzer and
# AddressSanitizer for a bounded time.
#   Fuzz/fuzz-attach.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-attach"
rm -rf "$work"
mkdir -p "$work"

# EBPF and its dependencies, built from their Sources folders (Fuzz/lib/modules.sh).
source Fuzz/lib/modules.sh
{
    ebpf
    swiftc "${flags[@]}" Fuzz/AttachParsers/main.swift "${ebpf_libraries[@]}" -o "$work/fuzz-attach"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

corpus="$work/corpus"
mkdir -p "$corpus"
# Seeds: this machine's linker cache and a tracepoint format file (selector byte first).
if [ -r /etc/ld.so.cache ]; then { printf '\x00'; cat /etc/ld.so.cache; } > "$corpus/ld.so.cache"; fi
{ printf '\x01'; printf 'name: sched_process_exec\nID: 365\nformat:\n'
  printf '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n'
  printf '\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n'
  printf '\tfield:char comm[16];\toffset:12;\tsize:16;\tsigned:0;\n'
  printf '\nprint fmt: "filename=%%s", __get_str(filename)\n'; } > "$corpus/format"
fuzz_run "$work/fuzz-attach" "$corpus" -max_len=131072
