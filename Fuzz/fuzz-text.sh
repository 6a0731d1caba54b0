#!/usr/bin/env bash
# Fuzzes BCC's parsers of kernel text (Sources/BCC/Output/TraceFields.swift:
# trace_pipe lines; Sources/BCC/Symbols/ProcessMaps.swift: /proc/PID/maps;
# Sources/BCC/Symbols/KernelSymbols.swift: /proc/kallsyms) with libFuzzer and
# AddressSanitizer for a bounded time. The files stand alone, so they are
# compiled with the target rather than all of BCC.
#   Fuzz/fuzz-text.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-text"
rm -rf "$work"
mkdir -p "$work"
swiftc -parse-as-library "$optimization" -sanitize=fuzzer,address -module-name TextParsersFuzz \
    Sources/BCC/Output/TraceFields.swift Sources/BCC/Symbols/ProcessMaps.swift \
    Sources/BCC/Symbols/KernelSymbols.swift Sources/BCC/Symbols/SymbolFormat.swift Fuzz/TextParsers/main.swift \
    -o "$work/fuzz-text" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# Seeds: trace_pipe lines (the selector byte first), this process's maps, and
# kallsyms lines (text, data and module symbols, one out of order).
corpus="$work/corpus"
mkdir -p "$corpus"
{ printf '\x00'; printf '%s\n' \
    '           <...>-1234    [001] d..31  1234.567890: bpf_trace_printk: hello 42' \
    '            bash-4321    [000] ....  99.000001: 0: message: with: colons' \
    ' kworker/u16:2-98765 [015] dNh2. 100.5: bpf_trace_printk: x'; } > "$corpus/trace"
{ printf '\x01'; cat /proc/self/maps; } > "$corpus/maps"
{ printf '\x02'; printf '%s\n' \
    'ffffffff81000000 T _stext' 'ffffffff81000100 t do_one_initcall' 'ffffffff82000000 D some_data' \
    'ffffffffc0001000 t xfs_iread	[xfs]' 'ffffffff81000080 T early_sym' '0000000000000000 T hidden'; } > "$corpus/kallsyms"
fuzz_run "$work/fuzz-text" "$corpus" -max_len=4096
