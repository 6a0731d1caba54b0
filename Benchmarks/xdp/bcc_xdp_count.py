#!/usr/bin/python3
# Loads xdp_count.c with bcc's Python, attaches it to a device with XDP, and
# reports the frames it counted per second, like Sources/xdp-bench does.
#   bcc_xdp_count.py PROGRAM DEVICE SECONDS WARMUP [generic|driver]
import sys
import time

from bcc import BPF

path, device, seconds, warmup = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
mode = sys.argv[5] if len(sys.argv) > 5 else ""
flags = BPF.XDP_FLAGS_SKB_MODE if mode == "generic" else BPF.XDP_FLAGS_DRV_MODE if mode == "driver" else 0

b = BPF(src_file=path)
b.attach_xdp(device, b.load_func("xdp_count", BPF.XDP), flags)
packets = b["packets"]


def total():
    return sum(sum(values) for values in packets.values())


try:
    print("attached", flush=True)
    time.sleep(warmup)
    start, first = time.monotonic(), total()
    time.sleep(seconds)
    end, last = time.monotonic(), total()
    print(f"pps={(last - first) / (end - start)} frames={last - first} seconds={end - start}")
finally:
    b.remove_xdp(device, flags)
