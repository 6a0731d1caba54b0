#!/usr/bin/python3
"""bcc's Python ring buffer consumer for the benchmark: the peer a bcc user has.

    bcc_consumer.py b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS

Opens the benchmark's ring (by kernel map id) through bcc's own path: a
BPF(text=...) module's RingBuf table whose descriptor is the benchmark's ring,
open_ring_buffer(callback) and BPF.ring_buffer_poll(timeout). The producer
program (by id) emits one batch per BPF_PROG_TEST_RUN.
b2b: trigger one batch, then ring_buffer_poll(-1), repeat. parallel: a child
process triggers batches flat out for SECONDS (a thread would compete for the
GIL) while this process polls, then the rest is drained.
Prints "records N seconds S cpu C maxrss K": C is this process's user+system
CPU seconds in the loop, K its peak resident set in KiB.
"""

import ctypes
import os
import resource
import sys
import time

from bcc import BPF

SYS_BPF = 321  # x86_64
BPF_PROG_TEST_RUN, BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID = 10, 13, 14

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(command, attr):
    result = libc.syscall(SYS_BPF, command, ctypes.byref(attr), ctypes.sizeof(attr))
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"bpf({command}): {os.strerror(error)}")
    return result


class GetFDByID(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32), ("next_id", ctypes.c_uint32), ("open_flags", ctypes.c_uint32)]


class TestRun(ctypes.Structure):
    _fields_ = [("prog_fd", ctypes.c_uint32), ("retval", ctypes.c_uint32),
                ("data_size_in", ctypes.c_uint32), ("data_size_out", ctypes.c_uint32),
                ("data_in", ctypes.c_uint64), ("data_out", ctypes.c_uint64),
                ("repeat", ctypes.c_uint32), ("duration", ctypes.c_uint32),
                ("ctx_size_in", ctypes.c_uint32), ("ctx_size_out", ctypes.c_uint32),
                ("ctx_in", ctypes.c_uint64), ("ctx_out", ctypes.c_uint64),
                ("flags", ctypes.c_uint32), ("cpu", ctypes.c_uint32), ("batch_size", ctypes.c_uint32),
                ("pad", ctypes.c_uint32)]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    if len(sys.argv) != 5:
        sys.exit(f"usage: {sys.argv[0]} b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS")
    back_to_back = sys.argv[1] == "b2b"
    ring_fd = bpf(BPF_MAP_GET_FD_BY_ID, GetFDByID(id=int(sys.argv[2])))
    program_fd = bpf(BPF_PROG_GET_FD_BY_ID, GetFDByID(id=int(sys.argv[3])))
    seconds = float(sys.argv[4])

    packet, out = ctypes.create_string_buffer(64), ctypes.create_string_buffer(320)
    run = TestRun(prog_fd=program_fd, data_size_in=64, data_size_out=320,
                  data_in=ctypes.addressof(packet), data_out=ctypes.addressof(out), repeat=1)

    def trigger():
        run.data_size_out = 320
        bpf(BPF_PROG_TEST_RUN, run)

    # A module of bcc's own with a ring buffer table, pointed at the benchmark's ring.
    b = BPF(text="BPF_RINGBUF_OUTPUT(events, 1);")
    table = b["events"]
    table.map_fd = ring_fd
    records = 0

    def count(ctx, data, size):
        nonlocal records
        records += 1

    table.open_ring_buffer(count)

    producer = None
    cpu_start, start = cpu_seconds(), time.monotonic()
    if back_to_back:
        while time.monotonic() - start < seconds:
            trigger()
            b.ring_buffer_poll(-1)
    else:
        # The producer stops by itself: a consumer slower than the producer
        # never returns from ring_buffer_poll while records keep coming
        # (libbpf's poll drains until the ring is empty).
        producer = os.fork()
        if producer == 0:
            try:
                while time.monotonic() - start < seconds:
                    trigger()
            finally:
                os._exit(0)
        while time.monotonic() - start < seconds:
            b.ring_buffer_poll(100)
        os.waitpid(producer, 0)
        b.ring_buffer_consume()
    elapsed, cpu = time.monotonic() - start, cpu_seconds() - cpu_start
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"records {records} seconds {elapsed:.6f} cpu {cpu:.6f} maxrss {maxrss}")


if __name__ == "__main__":
    main()
