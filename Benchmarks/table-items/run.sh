#!/usr/bin/env bash
# The table-reading benchmark (issue 18): items() over a 100,000-key hash,
# ours (Table.items(): BPF_MAP_LOOKUP_BATCH, 4,096 entries a call) against
# bcc's Python table.items() (a key walk: two system calls a key) on the same
# table definition. Prints RESULT lines items_100k{,_wall}.{swift,bcc}: CPU
# and wall seconds per items() call. Needs root; installs python3-bpfcc when
# missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
python=${BENCH_PYTHON:-/usr/bin/python3}

if ! dpkg -s python3-bpfcc >/dev/null 2>&1; then
    echo "installing python3-bpfcc" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-bpfcc >&2
fi

(cd "$here" && swift build -c release --product items-bench >&2)
"$(cd "$here" && swift build -c release --show-bin-path)/items-bench" --keys 100000 --repeat 10
if "$python" -c "import bcc" 2>/dev/null; then
    "$python" "$here/bcc_items.py" 100000 3
else
    echo "table-items: $python cannot import bcc (python3-bpfcc); no bcc result" >&2
fi
