#!/usr/bin/env bash
# Time to the first event of opensnoop on a new machine and on a warm one
# (issue 18: at most 1.5 s on a new machine).
#
# Ours: the release opensnoop with XDG_CACHE_HOME pointing at an empty
# directory (cold: no kernel header, PCH or compiled object, as on a new
# machine; the cache directory is $XDG_CACHE_HOME/swift-bcc, else
# ~/.cache/swift-bcc), then again with the cache it left (warm).
# Peers: bcc's opensnoop-bpfcc (compiles on every start, so cold = warm) and
# Debian's libbpf-tools opensnoop (a compiled-in object: nothing to prepare).
# Wall seconds from the tool's start to its first event line, while a thread
# opens /dev/null every millisecond (Benchmarks/lib/first_event.py).
# Prints RESULT name=first_event_wall.<cold|warm>.<swift|bcc|libbpf_tools> unit=s.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export PATH="/opt/swift/usr/bin:$PATH"
source "$here/lib/release-build.sh"
bin=${BENCH_BIN:-$(cd "$root" && "${release_build[@]}" --show-bin-path)}
python=${BENCH_PYTHON:-/usr/bin/python3}
work=${BENCH_WORK:-$root/.build/benchmarks}/first-run
first_event=$here/lib/first_event.py
mkdir -p "$work"

if [[ ! -x $bin/opensnoop ]]; then
    (cd "$root" && "${release_build[@]}" --product opensnoop >&2)
fi

cache=$work/cache
rm -rf "$cache"
mkdir -p "$cache"
XDG_CACHE_HOME=$cache "$python" "$first_event" first_event_wall.cold swift "$bin/opensnoop"
# Warm: the header and the compiled object are cached.
XDG_CACHE_HOME=$cache "$python" "$first_event" first_event_wall.warm swift "$bin/opensnoop"

if command -v opensnoop-bpfcc >/dev/null 2>&1; then
    for mode in cold warm; do "$python" "$first_event" "first_event_wall.$mode" bcc opensnoop-bpfcc || true; done
fi
if [[ -x /usr/sbin/opensnoop ]] && dpkg -s libbpf-tools >/dev/null 2>&1; then
    for mode in cold warm; do "$python" "$first_event" "first_event_wall.$mode" libbpf_tools /usr/sbin/opensnoop || true; done
fi
