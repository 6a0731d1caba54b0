"""bcc's Python ring buffer consumer for the benchmark.

    bcc_consumer.py b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS

Opens the benchmark's ring and producer program by id and drives them with
bcc's own code: RingBuf.open_ring_buffer (its ctypes callback wrapper) and
BPF.ring_buffer_poll (libbcc's bpf_poll_ringbuf), on a BPF object that
holds just this ring. The ring comes from the benchmark's process (one
producer for every consumer), not from a BPF(text=...) compile of bcc's own.
b2b: trigger one batch (BPF_PROG_TEST_RUN), then ring_buffer_poll(-1), repeat.
parallel: a producer thread triggers batches while the main thread polls.
Prints "records N seconds S cpu C maxrss K".
"""
import ctypes as ct
import os
import resource
import sys
import threading
import time

from bcc import BPF
from bcc.table import RingBuf

libc = ct.CDLL(None, use_errno=True)
libc.syscall.restype = ct.c_long
SYS_BPF = 321
BPF_PROG_TEST_RUN, BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID = 10, 13, 14


class GetFDByID(ct.Structure):
    _fields_ = [("id", ct.c_uint32), ("next_id", ct.c_uint32), ("open_flags", ct.c_uint32)]


class TestRun(ct.Structure):
    _fields_ = [("prog_fd", ct.c_uint32), ("retval", ct.c_uint32), ("data_size_in", ct.c_uint32),
                ("data_size_out", ct.c_uint32), ("data_in", ct.c_uint64), ("data_out", ct.c_uint64),
                ("repeat", ct.c_uint32), ("duration", ct.c_uint32), ("ctx_size_in", ct.c_uint32),
                ("ctx_size_out", ct.c_uint32), ("ctx_in", ct.c_uint64), ("ctx_out", ct.c_uint64),
                ("flags", ct.c_uint32), ("cpu", ct.c_uint32), ("batch_size", ct.c_uint32), ("pad", ct.c_uint32)]


def bpf(command, attr):
    result = libc.syscall(SYS_BPF, command, ct.byref(attr), ct.sizeof(attr))
    if result < 0:
        raise OSError(ct.get_errno(), os.strerror(ct.get_errno()))
    return result


def fd_by_id(command, object_id):
    return bpf(command, GetFDByID(id=object_id))


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def peak_rss():
    """Peak RSS in KiB (VmHWM; ru_maxrss would report the forking parent's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: bcc_consumer.py b2b|parallel RING_MAP_ID PRODUCER_PROG_ID SECONDS")
    mode, ring_id, program_id, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    ring_fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, ring_id)
    program_fd = fd_by_id(BPF_PROG_GET_FD_BY_ID, program_id)
    packet = ct.create_string_buffer(64)
    packet_out = ct.create_string_buffer(320)

    def trigger():
        bpf(BPF_PROG_TEST_RUN, TestRun(prog_fd=program_fd, data_size_in=64, data_size_out=320,
                                       data_in=ct.addressof(packet), data_out=ct.addressof(packet_out), repeat=1))

    # A BPF object without a compiled module: only the ring buffer manager
    # that ring_buffer_poll uses, and a RingBuf table over the shared ring.
    b = BPF.__new__(BPF)
    b._ringbuf_manager = None
    table = RingBuf.__new__(RingBuf)
    table.bpf, table.map_fd, table._cbs = b, ring_fd, {}
    records = [0]

    def count(ctx, data, size):
        records[0] += 1

    table.open_ring_buffer(count)
    stop = threading.Event()
    cpu_start = cpu_seconds(resource.RUSAGE_THREAD)
    start = time.monotonic()
    if mode == "b2b":
        while time.monotonic() - start < seconds:
            trigger()
            b.ring_buffer_poll(-1)
    else:
        def produce():
            while not stop.is_set():
                trigger()
        producer = threading.Thread(target=produce)
        producer.start()
        while time.monotonic() - start < seconds:
            b.ring_buffer_poll(100)
        stop.set()
        producer.join()
        b.ring_buffer_consume()
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(resource.RUSAGE_THREAD) - cpu_start
    print(f"records {records[0]} seconds {elapsed:.6f} cpu {cpu:.6f} maxrss {peak_rss()}",
          flush=True)
    os._exit(0)  # skip BPF.__del__ on the partly built object


main()
