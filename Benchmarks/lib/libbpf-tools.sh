# Sourced by the benchmarks that run Debian's libbpf-tools beside our tools:
# `needs_libbpf_tools NAME` stops unless root (the tools load BPF programs)
# and installs libbpf-tools when missing (BENCH_SKIP_INSTALL=1: don't);
# NAME is the script's, for the messages.
needs_libbpf_tools() {
    if [[ $(id -u) != 0 ]]; then
        echo "$1: run as root (the tools load BPF programs)" >&2
        exit 1
    fi
    if [[ ${BENCH_SKIP_INSTALL:-0} != 1 ]] && ! dpkg-query -W -f='${Status}' libbpf-tools 2>/dev/null | grep -q 'install ok installed'; then
        echo "$1: installing libbpf-tools" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libbpf-tools >&2
    fi
}
