#!/usr/bin/env bash
# Fuzzes the one-liner probe specifier parsers (the ProbeSpec module) with
# libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-probespec.sh [seconds]     (default 60)
# Seeds: specifiers in the style of bcc's trace, argdist and funccount examples.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

flags=(-parse-as-library -O -sanitize=fuzzer,address -I "$work")
swiftc "${flags[@]}" -module-name ProbeSpec -emit-module -emit-module-path "$work/ProbeSpec.swiftmodule" \
    -emit-library -static Sources/ProbeSpec/*.swift -o "$work/libProbeSpec.a"
swiftc "${flags[@]}" -module-name ProbeSpecFuzz Fuzz/ProbeSpec/main.swift -L "$work" -lProbeSpec -o "$work/fuzz-probespec"

corpus="$work/corpus"
mkdir -p "$corpus"
seed=0
while IFS= read -r line; do
    printf '%b%s' "\\x0$((seed % 4))" "$line" > "$corpus/seed$seed"
    seed=$((seed + 1))
done <<'SEEDS'
r:c:read ((int)retval < 0) "read failed: %d", retval
p:c:write(int fd, void *buf, size_t len):size_t:len:fd==1
r::__vfs_read():u32:$PID:$latency > 100000#slow reads
c:mem*
p:c:open (STRCMP("test.txt", arg1)) "opening %s", arg1
t:block:block_rq_complete "sectors=%d", args->nr_sector
p:c:malloc(size_t size):size_t:size
c:^(malloc|free)$
SEEDS
"$work/fuzz-probespec" -max_total_time="$seconds" -max_len=512 "$corpus"
