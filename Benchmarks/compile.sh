#!/usr/bin/env bash
# BPF(text:) to attached, cold (empty object cache) and warm, against bcc's
# Python BPF(text=...) for the same program in the same run.
#
# Ours: `swift-bcc run PROGRAM --duration 0` (compile or cache hit, load,
# attach, detach, exit). Cold empties the compiled-object cache first; the
# per-kernel header cache (vmlinux.h + PCH, made once per kernel, the analogue
# of bcc's installed kernel headers) is primed beforehand and kept.
# bcc has no object cache, so its cold and warm runs do the same work.
# Prints RESULT lines (BENCHMARKS.md): compile.{cold,warm}.{swift,bcc} and compile_wall.*.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${BENCH_BIN:-$here/../.build/release}
python=${BENCH_PYTHON:-/usr/bin/python3}
work=${BENCH_WORK:-$(mktemp -d)}
measure=$here/lib/measure.py
program=$here/compile/opensnoop_ringbuf.c

# measure.py names its wall line GROUP_wall.IMPL; BENCHMARKS.md names these compile_wall.MODE.IMPL.
measure() {
    local mode=$1 impl=$2
    shift 2
    "$python" "$measure" "compile.$mode" "$impl" "$@" | sed "s/name=compile\.${mode}_wall\./name=compile_wall.$mode./"
}

export XDG_CACHE_HOME=$work/compile-cache
mkdir -p "$XDG_CACHE_HOME"
"$bin/swift-bcc" run "$program" --duration 0 >/dev/null 2>&1

rm -rf "$XDG_CACHE_HOME/swift-bcc/objects"
measure cold swift "$bin/swift-bcc" run "$program" --duration 0
measure warm swift "$bin/swift-bcc" run "$program" --duration 0

if "$python" -c 'import bcc' 2>/dev/null; then
    measure cold bcc "$python" "$here/compile/bcc_load.py" "$program"
    measure warm bcc "$python" "$here/compile/bcc_load.py" "$program"
else
    echo "compile.sh: bcc's Python module is missing (python3-bpfcc); no bcc results" >&2
fi
