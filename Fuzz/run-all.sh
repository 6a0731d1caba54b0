#!/usr/bin/env bash
# Runs every fuzz target (Fuzz/fuzz-*.sh) for a bounded time each, so a
# crash found once stays found; .ci/run runs it with a few seconds each.
# The instrumented modules are built once and shared (Fuzz/lib/modules.sh).
#   Fuzz/run-all.sh [seconds per target]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
seconds="${1:-60}"
failed=()
for script in Fuzz/fuzz-*.sh; do
    started=$SECONDS
    if bash "$script" "$seconds" > ".build/$(basename "$script" .sh).log" 2>&1; then
        echo "$script: ok ($((SECONDS - started)) s)"
    else
        echo "$script: FAILED ($((SECONDS - started)) s); the end of its log:"
        tail -30 ".build/$(basename "$script" .sh).log"
        failed+=("$script")
    fi
done
[ "${#failed[@]}" -eq 0 ] || { echo "fuzz targets failed: ${failed[*]}"; exit 1; }
