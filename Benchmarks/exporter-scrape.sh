#!/usr/bin/env bash
# bcc-exporter scraping a table of 100,000 keys: BPF_MAP_LOOKUP_BATCH
# (`swift`, what the exporter does) against key-by-key lookups (`per_key`,
# GET_NEXT_KEY + LOOKUP_ELEM, as bcc's Python and ebpf_exporter's iterator do).
#
# For each mode: starts bcc-exporter (release build) on loopback with a
# config whose program counts close() calls on descriptors 10,000,000 and
# up by descriptor, fills the table with 100,000 keys (closing that many
# unopened descriptors), scrapes it BENCH_SCRAPES times (10) and prints
#   RESULT name=exporter.scrape_100k.cpu.<mode>   CPU seconds of the exporter per scrape
#   RESULT name=exporter.scrape_100k_wall.<mode>  wall seconds per scrape, as the client sees it
#   RESULT name=exporter.scrape_100k_server.<mode> the exporter's own bcc_exporter_scrape_duration_seconds
#   RESULT name=exporter.scrape_100k_rss.<mode>   resident KiB after the scrapes
#   RESULT name=exporter.scrape_100k_maxrss.<mode> peak resident KiB
# Needs root. Standalone: Benchmarks/exporter-scrape.sh (builds the release binary if needed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH
bin=${BENCH_BIN:-}
if [[ -z $bin ]]; then
    source "$root/Benchmarks/lib/release-build.sh"
    "${release_build[@]}" --product bcc-exporter >&2
    bin=$("${release_build[@]}" --show-bin-path)
fi
work=$(mktemp -d "${BENCH_WORK:-/tmp}/exporter-scrape.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/bench.yaml" <<'YAML'
code: |
  #define BASE 10000000
  #define KEYS 100000
  BPF_HASH(bench_keys_total, u64, u64, 131072);

  TRACEPOINT_PROBE(syscalls, sys_enter_close)
  {
      if (args->fd < BASE || args->fd >= BASE + KEYS)
          return 0;
      u64 key = args->fd - BASE;
      bench_keys_total.atomic_increment(key);
      return 0;
  }
metrics:
  counters:
    - name: bench_keys_total
      help: Closes of unopened descriptors, by descriptor
      labels:
        - name: fd
          size: 8
          decoders:
            - name: uint
YAML
exec "${BENCH_PYTHON:-python3}" - "$bin/bcc-exporter" "$work" "${BENCH_SCRAPES:-10}" <<'PY'
import os, re, signal, socket, subprocess, sys, time, urllib.request

binary, work, scrapes = sys.argv[1], sys.argv[2], int(sys.argv[3])
ticks = os.sysconf("SC_CLK_TCK")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks   # utime, stime

def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

for mode, impl in (("batch", "swift"), ("per-key", "per_key")):
    port = free_port()
    log = open(f"{work}/{impl}.log", "w+")
    process = subprocess.Popen([binary, "--config", f"{work}/bench.yaml", "--listen", f"127.0.0.1:{port}",
                                "--strict", "--table-reading", mode], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 300
        while "Server started" not in open(log.name).read():
            if process.poll() is not None or time.time() > deadline:
                sys.exit(f"exporter did not start:\n{open(log.name).read()}")
            time.sleep(0.2)
        for fd in range(10_000_000, 10_100_000):
            try:
                os.close(fd)
            except OSError:
                pass
        url = f"http://127.0.0.1:{port}/metrics"
        body = urllib.request.urlopen(url, timeout=120).read()   # warm-up, and the check
        keys = len(re.findall(rb"^bcc_exporter_bench_keys_total\{", body, re.M))
        if keys != 100_000:
            sys.exit(f"{mode}: the exposition has {keys} keys, expected 100000")
        cpu_before, wall, server = cpu_seconds(process.pid), 0.0, 0.0
        for _ in range(scrapes):
            started = time.perf_counter()
            body = urllib.request.urlopen(url, timeout=120).read()
            wall += time.perf_counter() - started
            # The duration the exporter reports is of the scrape before this one.
            server += float(re.search(rb"^bcc_exporter_scrape_duration_seconds (\S+)$", body, re.M).group(1))
        cpu = (cpu_seconds(process.pid) - cpu_before) / scrapes
        print(f"RESULT name=exporter.scrape_100k.cpu.{impl} value={cpu:.6f} unit=s")
        print(f"RESULT name=exporter.scrape_100k_wall.{impl} value={wall / scrapes:.6f} unit=s")
        print(f"RESULT name=exporter.scrape_100k_server.{impl} value={server / scrapes:.6f} unit=s")
        print(f"RESULT name=exporter.scrape_100k_rss.{impl} value={status_kib(process.pid, 'VmRSS')} unit=KiB")
        print(f"RESULT name=exporter.scrape_100k_maxrss.{impl} value={status_kib(process.pid, 'VmHWM')} unit=KiB")
        print(f"# {mode}: {len(body)} bytes a scrape, {keys} series", file=sys.stderr)
        sys.stdout.flush()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
PY
