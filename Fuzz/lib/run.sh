# Sourced first by every Fuzz/fuzz-NAME.sh: its command line, where it runs,
# and how it runs its target.
#   Fuzz/fuzz-NAME.sh [seconds]          fuzz for that long (default 60; 0 = no limit)
#   Fuzz/fuzz-NAME.sh --replay FILE...   run the target once on each FILE (a crash
#                                        artifact) and exit with its status
# Crashing inputs are written to .build/fuzz-artifacts/NAME/, which no script
# deletes, so a crash found once can always be replayed. FUZZ_OPTIMIZATION
# (default -O) is the swiftc optimization: -Onone builds in a fraction of the
# time, for short runs (.ci/run).
fuzz_name="$(basename "$0" .sh)"
fuzz_name="${fuzz_name#fuzz-}"
seconds=60
replay=()
case "${1:-}" in
    --replay)
        shift
        [ "$#" -gt 0 ] || { echo "usage: $0 --replay FILE..." >&2; exit 2; }
        # Resolved before the cd below, so paths relative to the caller work.
        for file in "$@"; do replay+=("$(realpath "$file")"); done ;;
    "") ;;
    *[!0-9]*) echo "usage: $0 [seconds] | --replay FILE..." >&2; exit 2 ;;
    *) seconds="$1" ;;
esac
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
artifacts="$PWD/.build/fuzz-artifacts/$fuzz_name"
optimization="${FUZZ_OPTIMIZATION:--O}"

# fuzz_run BINARY CORPUS [libFuzzer flags...]: replays the --replay files, or
# fuzzes from CORPUS for $seconds; on a crash, says how to replay it.
fuzz_run() {
    local binary="$1" corpus="$2"
    shift 2
    if [ "${#replay[@]}" -gt 0 ]; then
        exec "$binary" "$@" "${replay[@]}"
    fi
    mkdir -p "$artifacts"
    local status=0
    "$binary" -max_total_time="$seconds" -timeout=10 "$@" -artifact_prefix="$artifacts/" "$corpus" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "fuzz-$fuzz_name failed (status $status); its input is the newest file in $artifacts:" >&2
        echo "    Fuzz/fuzz-$fuzz_name.sh --replay $artifacts/$(ls -t "$artifacts" | head -1)" >&2
    fi
    return "$status"
}
