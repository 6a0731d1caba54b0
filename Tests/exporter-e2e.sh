#!/usr/bin/env bash
# End-to-end test of bcc-exporter with a real Prometheus server.
#
# As root: installs Debian's prometheus package when missing, runs
# bcc-exporter on Examples/exporter and Prometheus scraping it, both on
# loopback; causes events (a process named bccx-e2e-dd reading 1000 bytes
# one at a time, 40 direct 4 KiB writes to a loop device of its own); then
# asks Prometheus's HTTP API for the counter (it moved by the reads) and the
# histogram (buckets cumulative, count equal to the writes). `promtool check
# metrics` must accept the exposition. Prints "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

if [[ $(id -u) != 0 ]]; then
    echo "exporter-e2e: run as root (the exporter loads BPF programs; the test installs packages, makes a loop device)" >&2
    exit 1
fi
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "exporter-e2e: installing Debian's prometheus package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if ! swift build --product bcc-exporter >/tmp/bccx-e2e-build.log 2>&1; then
    tail -n 40 /tmp/bccx-e2e-build.log >&2
    echo "exporter-e2e: building bcc-exporter failed" >&2
    exit 1
fi
exporter=$(swift build --show-bin-path)/bcc-exporter

work=$(mktemp -d /tmp/bccx-e2e.XXXXXX)
exporter_pid= prometheus_pid= loop=
cleanup() {
    [[ -n $prometheus_pid ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null || true
    [[ -n $exporter_pid ]] && kill "$exporter_pid" 2>/dev/null && wait "$exporter_pid" 2>/dev/null || true
    [[ -n $loop ]] && losetup -d "$loop" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() {  # check NAME COMMAND...: runs COMMAND, counts and reports the result
    local name=$1; shift
    if "$@"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"
    fi
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# http GET URL: prints the body; fails on a non-2xx answer.
http() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
# query PROMQL: prints Prometheus's JSON answer.
query() { python3 -c 'import sys, urllib.parse, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?" % sys.argv[1] + urllib.parse.urlencode({"query": sys.argv[2]}), timeout=10).read().decode())' "$prometheus_port" "$1"; }
# wait_for SECONDS COMMAND...: retries COMMAND every half second.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# The exporter, every example config, strict: any broken example fails the test.
exporter_port=$(free_port)
"$exporter" --config Examples/exporter --listen "127.0.0.1:$exporter_port" --strict >"$work/exporter.log" 2>&1 &
exporter_pid=$!
if ! wait_for 300 grep -q "Server started" "$work/exporter.log"; then
    cat "$work/exporter.log" >&2
    echo "exporter-e2e: the exporter did not start" >&2
    exit 1
fi

# Prometheus scraping it every second.
prometheus_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bcc
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
if ! wait_for 60 http "http://127.0.0.1:$prometheus_port/-/ready"; then
    cat "$work/prometheus.log" >&2
    echo "exporter-e2e: prometheus did not start" >&2
    exit 1
fi

# value PROMQL: the single sample's value, or nothing.
value() {
    query "$1" | python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r) == 1 else "")'
}
up() { [[ $(value 'up{job="bcc"}') == 1 ]]; }
check "prometheus scrapes the exporter (up == 1)" wait_for 60 up

counter='bcc_exporter_syscalls_total{comm="bccx-e2e-dd",syscall="read"}'
before=$(value "$counter")
check "the counter has no sample before the events ($before)" test -z "$before"

# The events: 1000 one-byte reads by a process of our own name, and 40 direct
# writes to a loop device only this test uses.
cp "$(command -v dd)" "$work/bccx-e2e-dd"
"$work/bccx-e2e-dd" if=/dev/zero of=/dev/null bs=1 count=1000 status=none
truncate -s 16M "$work/disk.img"
loop=$(losetup --find --show "$work/disk.img")
device=$(basename "$loop")
writes=40
dd if=/dev/zero of="$loop" bs=4096 count=$writes oflag=direct status=none

count="bcc_exporter_bio_latency_seconds_count{device=\"$device\",operation=\"write\"}"
counted() { [[ $(value "$count") == "$writes" ]]; }
check "histogram count through Prometheus equals the $writes writes caused" wait_for 30 counted
moved() { local v; v=$(value "$counter"); [[ -n $v ]] && python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if 1000 <= v <= 1100 else 1)' "$v"; }
check "counter through Prometheus moved by the 1000 reads ($(value "$counter"))" wait_for 30 moved

# Buckets: cumulative in le order, +Inf equal to the count.
buckets() {
    query "bcc_exporter_bio_latency_seconds_bucket{device=\"$device\",operation=\"write\"}" | python3 -c '
import json, sys
writes = int(sys.argv[1])
rows = sorted((float(r["metric"]["le"]), float(r["value"][1])) for r in json.load(sys.stdin)["data"]["result"])
counts = [c for _, c in rows]
ok = len(rows) == 29 and rows[-1][0] == float("inf") and counts[-1] == writes \
    and all(a <= b for a, b in zip(counts, counts[1:])) and counts[0] >= 0
print("%d buckets, +Inf=%s, cumulative=%s" % (len(rows), counts[-1] if counts else None, all(a <= b for a, b in zip(counts, counts[1:]))), file=sys.stderr)
sys.exit(0 if ok else 1)' "$writes"
}
check "histogram buckets through Prometheus are cumulative, 28 bounds and +Inf = $writes" buckets
sum_positive() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$(value "bcc_exporter_bio_latency_seconds_sum{device=\"$device\",operation=\"write\"}")"; }
check "histogram sum is positive" sum_positive

http "http://127.0.0.1:$exporter_port/metrics" >"$work/metrics.txt"
check "promtool check metrics accepts the exposition" promtool check metrics <"$work/metrics.txt"
lost() { grep -q '^bcc_exporter_ring_buffer_lost_records_total{config="ringdrops",table="open_events"} [0-9]' "$work/metrics.txt"; }
check "the ring's drop counter is exported" lost

# SIGTERM: graceful shutdown, exit status 0, probes detached.
kill -TERM "$exporter_pid"
status=0
wait "$exporter_pid" || status=$?
exporter_pid=
check "the exporter stops on SIGTERM with status 0 ($status)" test "$status" -eq 0
check "the exporter says its probes are detached" grep -q "stopped: probes detached" "$work/exporter.log"

echo "exporter-e2e: $passed passed, $failed failed"
[[ $failed == 0 ]]
