#!/usr/bin/env bash
# Fuzzes the attach code's parsers (Sources/EBPF/Attach/LinkerCache.swift for
# /etc/ld.so.cache, Sources/BPFObject/TracepointFormat.swift for tracefs
# format files) with libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-attach.sh [seconds]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name EBPF \
    Sources/EBPF/Attach/LinkerCache.swift Sources/BPFObject/TracepointFormat.swift \
    Sources/EBPF/Attach/SysFile.swift Sources/EBPF/BPFError.swift \
    Fuzz/AttachParsers/main.swift -o "$work/fuzz-attach"

corpus="$work/corpus"
mkdir -p "$corpus"
# Seeds: this machine's linker cache and a tracepoint format file (selector byte first).
if [ -r /etc/ld.so.cache ]; then { printf '\x00'; cat /etc/ld.so.cache; } > "$corpus/ld.so.cache"; fi
{ printf '\x01'; printf 'name: sched_process_exec\nID: 365\nformat:\n'
  printf '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n'
  printf '\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n'
  printf '\tfield:char comm[16];\toffset:12;\tsize:16;\tsigned:0;\n'
  printf '\nprint fmt: "filename=%%s", __get_str(filename)\n'; } > "$corpus/format"
"$work/fuzz-attach" -max_total_time="$seconds" -max_len=131072 "$corpus"
