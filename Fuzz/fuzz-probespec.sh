#!/usr/bin/env bash
# Fuzzes the one-liner probe specifier parsers (the ProbeSpec module) with
# libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-probespec.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
# Seeds: specifiers in the style of bcc's trace, argdist and funccount examples.
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-probespec"
rm -rf "$work"
mkdir -p "$work"

# ProbeSpec (Fuzz/lib/modules.sh), then the target linked against it.
source Fuzz/lib/modules.sh
{
    module ProbeSpec
    swiftc "${flags[@]}" -module-name ProbeSpecFuzz Fuzz/ProbeSpec/main.swift -L "$modules" -lProbeSpec -o "$work/fuzz-probespec"
} > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

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
fuzz_run "$work/fuzz-probespec" "$corpus" -max_len=512
