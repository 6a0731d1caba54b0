#!/usr/bin/env bash
# XDP packets per second: the same counter (xdp_count.c: count per IP
# protocol, drop) loaded by swift-bcc (Sources/xdp-bench: BPF(srcFile:) and
# attachXdp) and by bcc's Python (bcc_xdp_count.py: BPF(src_file=) and
# attach_xdp), each attached in turn to one end of a veth pair while frames
# are sent into the other end: by the kernel's pktgen where the kernel has it
# (/proc/net/pktgen), else by trafficgen.c (live XDP frames through
# BPF_PROG_TEST_RUN on Linux 5.18+, else sendmmsg on an AF_PACKET socket that
# bypasses the qdisc). The rate is what the program counted over the
# measured interval; the generator's own rate is reported beside it.
#
#   Benchmarks/xdp/run.sh     (root)
#   Environment: XDP_SECONDS=5 XDP_WARMUP=1 XDP_ROUNDS (3 alone, 1 under Benchmarks/run)
#                XDP_MODE=driver|generic (default: driver, veth's native XDP)
#
# stdout: RESULT lines (Benchmarks/run's contract): xdp.pps.{swift,bcc},
# xdp_offered.pps.{swift,bcc}; stderr: progress.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
work="${BENCH_WORK:-$root/.build/benchmarks}/xdp"
mkdir -p "$work"
seconds=${XDP_SECONDS:-5}
warmup=${XDP_WARMUP:-1}
rounds=${XDP_ROUNDS:-$([[ -n ${BENCH_RUN:-} ]] && echo 1 || echo 3)}
mode=${XDP_MODE:-driver}

if [[ $(id -u) != 0 ]]; then
    echo "Benchmarks/xdp/run.sh: run as root (it attaches XDP programs and makes a veth pair)" >&2
    exit 1
fi
# bcc's Python and the kernel headers it compiles against.
if [[ ${BENCH_SKIP_INSTALL:-0} != 1 ]]; then
    source "$root/Benchmarks/lib/peers.sh"
fi
python=${BENCH_PYTHON:-/usr/bin/python3}

cc -O2 -Wall -o "$work/trafficgen" "$here/trafficgen.c"
(cd "$here" && swift build -c release --product xdp-bench >&2)
bench="$(cd "$here" && swift build -c release --show-bin-path)/xdp-bench"

# A veth pair of this run's own: frames sent on $tx arrive at $rx, where XDP counts and drops them.
tag=$(printf '%04x%02x' $((RANDOM)) $(($$ % 256)))
tx="xb${tag}t"
rx="xb${tag}r"
ip link add "$tx" type veth peer name "$rx"
trap 'ip link del "$tx" 2>/dev/null || true' EXIT
ip link set "$tx" up
ip link set "$rx" up
for _ in $(seq 100); do [[ $(cat "/sys/class/net/$tx/operstate") == up ]] && break; sleep 0.05; done
mac=$(cat "/sys/class/net/$rx/address")

generator=trafficgen
[[ -w /proc/net/pktgen/pgctrl ]] && generator=pktgen
echo "xdp: $generator into $tx -> $rx ($mode mode), ${seconds}s measured after ${warmup}s, $rounds round(s)" >&2

# Sends frames on $tx for $1 seconds; prints the frames sent per second.
generate() {
    local duration=$1
    if [[ $generator == pktgen ]]; then
        local thread=/proc/net/pktgen/kpktgend_0 device="/proc/net/pktgen/$tx"
        echo "rem_device_all" >"$thread"
        echo "add_device $tx" >"$thread"
        for setting in "count 0" "pkt_size 60" "delay 0" "dst 10.255.0.2" "dst_mac $mac" "flag NO_TIMESTAMP"; do
            echo "$setting" >"$device"
        done
        echo start >/proc/net/pktgen/pgctrl &
        local running=$!
        sleep "$duration"
        echo stop >/proc/net/pktgen/pgctrl
        wait "$running" || true
        # "Result: OK: 5123456(c...) usec, 2345678 (60byte,0frags)"
        awk '/^Result: OK:/ { usec = $3 + 0; frames = $5 + 0; printf "%.0f\n", frames / (usec / 1e6) }' "$device"
        echo "rem_device_all" >"$thread"
    else
        "$work/trafficgen" "$tx" "$mac" "$duration" | tee -a "$work/trafficgen.log" | awk -F'[= ]' '{ printf "%.0f\n", $2 / $4 }'
    fi
}

# Runs loader $2... for implementation $1 while the generator sends; prints RESULT lines.
measure() {
    local impl=$1
    shift
    local out="$work/$impl.out"
    : >"$out"
    "$@" "$here/xdp_count.c" "$rx" "$seconds" "$warmup" "$mode" >"$out" 2>"$work/$impl.err" &
    local loader=$!
    for _ in $(seq 1200); do
        grep -q '^attached' "$out" && break
        kill -0 "$loader" 2>/dev/null || break
        sleep 0.05
    done
    if ! grep -q '^attached' "$out"; then
        kill "$loader" 2>/dev/null || true
        echo "xdp: $impl did not attach: $(tail -n 5 "$work/$impl.err")" >&2
        return 1
    fi
    local offered
    offered=$(generate "$(awk "BEGIN { print $warmup + $seconds + 1 }")")
    wait "$loader"
    local pps
    pps=$(sed -n 's/^pps=\([0-9.e+]*\).*/\1/p' "$out")
    echo "xdp: $impl counted $pps pkt/s (generator sent $offered pkt/s)" >&2
    echo "RESULT name=xdp.pps.$impl value=$pps unit=pkt/s"
    echo "RESULT name=xdp_offered.pps.$impl value=$offered unit=pkt/s"
}

for ((round = 1; round <= rounds; round++)); do
    measure swift "$bench"
    if "$python" -c 'import bcc' 2>/dev/null; then
        measure bcc "$python" "$here/bcc_xdp_count.py"
    else
        echo "xdp: $python cannot import bcc (python3-bpfcc); no bcc result" >&2
    fi
done
