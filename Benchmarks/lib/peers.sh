#!/usr/bin/env bash
# Installs the peers the benchmarks compare against (Debian packages) and the
# kernel headers layout bcc needs. Idempotent; sourced or run by Benchmarks/run.
# Debian ships no headers for this kernel, so /lib/modules/$(uname -r) points at
# Debian's newest linux-headers package: bcc only needs them to compile, and the
# BPF programs we benchmark use no kernel-version-specific layout.
set -euo pipefail

packages=(bpftool libbpf-dev python3-bpfcc linux-headers-amd64 linux-perf)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "peers: installing ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

release=$(uname -r)
if [[ ! -e /lib/modules/$release/build/include/generated || ! -e /lib/modules/$release/source/include/linux/kconfig.h ]]; then
    # build: the arch-specific tree (generated config headers); source: the common tree (kconfig.h, uapi).
    build=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)
    source=${build%-amd64}-common
    mkdir -p "/lib/modules/$release"
    ln -sfn "$build" "/lib/modules/$release/build"
    ln -sfn "$source" "/lib/modules/$release/source"
    echo "peers: /lib/modules/$release/{build,source} -> $build, $source" >&2
fi

# bcc's Python module is installed for Debian's interpreter, not for one earlier on PATH.
export BENCH_PYTHON=/usr/bin/python3
