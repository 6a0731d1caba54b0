// memleak's BPF program and reports: outstanding allocations with the stacks
// that made them, from uprobes on a process's allocator (malloc, calloc,
// realloc, mmap, posix_memalign, valloc, memalign, pvalloc, aligned_alloc,
// free, munmap) or from the kernel's kmem (or percpu) tracepoints, as bcc's
// memleak.
import BCC
import Glibc

/// The BPF side of memleak and its reports.
public enum MemleakProgram {
    /// What is traced.
    public enum Mode: Sendable {
        /// A process's allocator, through uprobes (-p, -c).
        case user
        /// The kernel's kmalloc, kmem_cache and page allocations (no -p or -c).
        case kernel
        /// The kernel's percpu allocations (--percpu).
        case percpu
    }

    /// A user allocator function memleak probes.
    public struct Probe: Sendable {
        /// The function's name (without --symbols-prefix).
        public var symbol: String
        /// Its return is probed too (allocations; frees need only the call).
        public var returns: Bool
        /// Libraries may lack it (jemalloc has no mmap; bionic no valloc).
        public var optional: Bool
    }

    /// bcc's probe list, in its attach order.
    public static let userProbes = [
        Probe(symbol: "malloc", returns: true, optional: false), Probe(symbol: "calloc", returns: true, optional: false),
        Probe(symbol: "realloc", returns: true, optional: false), Probe(symbol: "mmap", returns: true, optional: true),
        Probe(symbol: "posix_memalign", returns: true, optional: false), Probe(symbol: "valloc", returns: true, optional: true),
        Probe(symbol: "memalign", returns: true, optional: false), Probe(symbol: "pvalloc", returns: true, optional: true),
        Probe(symbol: "aligned_alloc", returns: true, optional: true), Probe(symbol: "free", returns: false, optional: false),
        Probe(symbol: "munmap", returns: false, optional: true),
    ]

    /// The program for `mode`. Tables `min_size`, `max_size` and `sample_every`
    /// (filled by the tool; 0 means unset) filter allocations by size (-z, -Z)
    /// and sample (-s); `trace` adds bpf_trace_printk lines per call (-t);
    /// `missingFree` first frees an address the kernel allocates again (--wa-missing-free).
    public static func source(mode: Mode, trace: Bool = false, missingFree: Bool = false,
                              pageSize: Int = Int(getpagesize())) -> String {
        let stackFlags = mode == .user ? "BPF_F_USER_STACK" : "0"
        let printAlloc = trace ? #"bpf_trace_printk("alloc entered, size = %lu", size64);"# : ""
        let printExit = trace ? #"bpf_trace_printk("alloc exited, size = %lu, result = %lx", info.size, address);"# : ""
        let printFree = trace ? #"bpf_trace_printk("free entered, address = %lx, size = %lu", addr, info->size);"# : ""
        let body: String
        switch mode {
        case .user: body = userFunctions
        case .kernel: body = kernelTracepoints(missingFree: missingFree, pageSize: pageSize)
        case .percpu: body = percpuTracepoints
        }
        return """
            #include <uapi/linux/ptrace.h>

            struct memleak_alloc_info_t {
                u64 size;
                u64 timestamp_ns;
                s64 stack_id;
            };

            struct memleak_combined_t {
                u64 total_size;
                u64 number_of_allocs;
            };

            // Requested sizes by call kind and thread, from the call to its return.
            BPF_HASH(sizes, u64, u64, 10240);
            // Outstanding allocations by address.
            BPF_HASH(allocs, u64, struct memleak_alloc_info_t, 1000000);
            // posix_memalign's out-pointer by thread.
            BPF_HASH(memptrs, u32, u64, 10240);
            BPF_STACK_TRACE(stack_traces, 10240);
            // Outstanding bytes and allocations by stack (--combined-only).
            BPF_HASH(combined_allocs, s64, struct memleak_combined_t, 10240);
            \(TableFilters.value("min_size"))
            \(TableFilters.value("max_size"))
            \(TableFilters.value("sample_every"))

            static __always_inline void update_statistics_add(s64 stack_id, u64 size)
            {
                struct memleak_combined_t zero = {};
                struct memleak_combined_t *existing = combined_allocs.lookup_or_try_init(&stack_id, &zero);
                if (existing == 0)
                    return;
                __sync_fetch_and_add(&existing->total_size, size);
                __sync_fetch_and_add(&existing->number_of_allocs, 1);
            }

            static __always_inline void update_statistics_del(s64 stack_id, u64 size)
            {
                struct memleak_combined_t *existing = combined_allocs.lookup(&stack_id);
                if (existing == 0)
                    return;
                if (existing->number_of_allocs > 1) {
                    __sync_fetch_and_sub(&existing->total_size, size);
                    __sync_fetch_and_sub(&existing->number_of_allocs, 1);
                } else {
                    combined_allocs.delete(&stack_id);
                }
            }

            static __always_inline int gen_alloc_enter(u64 size64, u32 kind)
            {
                u64 min_size = min_size_value();
                u64 max_size = max_size_value();
                if ((min_size != 0 && size64 < min_size) || (max_size != 0 && size64 > max_size))
                    return 0;
                u64 every = sample_every_value();
                if (every > 1 && bpf_ktime_get_ns() % every != 0)
                    return 0;
                u32 tid = bpf_get_current_pid_tgid();
                u64 key = (u64)kind << 32 | tid;
                sizes.update(&key, &size64);
                \(printAlloc)
                return 0;
            }

            static __always_inline int gen_alloc_exit2(void *ctx, u64 address, u32 kind)
            {
                u32 tid = bpf_get_current_pid_tgid();
                u64 key = (u64)kind << 32 | tid;
                u64 *size64 = sizes.lookup(&key);
                if (size64 == 0)
                    return 0;   // missed the call, or filtered out
                struct memleak_alloc_info_t info = {};
                info.size = *size64;
                sizes.delete(&key);
                if (address != 0) {
                    info.timestamp_ns = bpf_ktime_get_ns();
                    info.stack_id = stack_traces.get_stackid(ctx, \(stackFlags));
                    allocs.update(&address, &info);
                    update_statistics_add(info.stack_id, info.size);
                }
                \(printExit)
                return 0;
            }

            static __always_inline int gen_free_enter(u64 addr)
            {
                struct memleak_alloc_info_t *info = allocs.lookup(&addr);
                if (info == 0)
                    return 0;
                update_statistics_del(info->stack_id, info->size);
                \(printFree)
                allocs.delete(&addr);
                return 0;
            }
            \(body)
            """
    }

    /// Call kinds: keys of `sizes`, so a nested call of another kind keeps its own size.
    private static let userFunctions = """

        #define KERNEL 0
        #define MALLOC 1
        #define CALLOC 2
        #define REALLOC 3
        #define MMAP 4
        #define POSIX_MEMALIGN 5
        #define VALLOC 6
        #define MEMALIGN 7
        #define PVALLOC 8
        #define ALIGNED_ALLOC 9

        int malloc_enter(struct pt_regs *ctx, size_t size) { return gen_alloc_enter(size, MALLOC); }
        int malloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), MALLOC); }
        int free_enter(struct pt_regs *ctx, void *address) { return gen_free_enter((u64)address); }
        int calloc_enter(struct pt_regs *ctx, size_t nmemb, size_t size) { return gen_alloc_enter((u64)nmemb * size, CALLOC); }
        int calloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), CALLOC); }
        int realloc_enter(struct pt_regs *ctx, void *ptr, size_t size)
        {
            gen_free_enter((u64)ptr);
            return gen_alloc_enter(size, REALLOC);
        }
        int realloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), REALLOC); }
        int mmap_enter(struct pt_regs *ctx) { return gen_alloc_enter(PT_REGS_PARM2(ctx), MMAP); }
        int mmap_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), MMAP); }
        int munmap_enter(struct pt_regs *ctx, void *address) { return gen_free_enter((u64)address); }
        int posix_memalign_enter(struct pt_regs *ctx, void **memptr, size_t alignment, size_t size)
        {
            u64 memptr64 = (u64)memptr;
            u32 tid = bpf_get_current_pid_tgid();
            memptrs.update(&tid, &memptr64);
            return gen_alloc_enter(size, POSIX_MEMALIGN);
        }
        int posix_memalign_exit(struct pt_regs *ctx)
        {
            u32 tid = bpf_get_current_pid_tgid();
            u64 *memptr64 = memptrs.lookup(&tid);
            if (memptr64 == 0)
                return 0;
            u64 address = 0;
            int failed = bpf_probe_read_user(&address, sizeof(address), (void *)*memptr64);
            memptrs.delete(&tid);
            if (failed || PT_REGS_RC(ctx) != 0)
                address = 0;
            return gen_alloc_exit2(ctx, address, POSIX_MEMALIGN);
        }
        int aligned_alloc_enter(struct pt_regs *ctx, size_t alignment, size_t size) { return gen_alloc_enter(size, ALIGNED_ALLOC); }
        int aligned_alloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), ALIGNED_ALLOC); }
        int valloc_enter(struct pt_regs *ctx, size_t size) { return gen_alloc_enter(size, VALLOC); }
        int valloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), VALLOC); }
        int memalign_enter(struct pt_regs *ctx, size_t alignment, size_t size) { return gen_alloc_enter(size, MEMALIGN); }
        int memalign_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), MEMALIGN); }
        int pvalloc_enter(struct pt_regs *ctx, size_t size) { return gen_alloc_enter(size, PVALLOC); }
        int pvalloc_exit(struct pt_regs *ctx) { return gen_alloc_exit2(ctx, PT_REGS_RC(ctx), PVALLOC); }

        """

    /// kmalloc, kmem_cache and page allocations: call and return are one event.
    private static func kernelTracepoints(missingFree: Bool, pageSize: Int) -> String {
        let freeFirst = missingFree ? "gen_free_enter((u64)args->ptr);" : ""
        return """

            TRACEPOINT_PROBE(kmem, kmalloc)
            {
                \(freeFirst)
                gen_alloc_enter(args->bytes_alloc, 0);
                return gen_alloc_exit2(args, (u64)args->ptr, 0);
            }

            TRACEPOINT_PROBE(kmem, kfree)
            {
                return gen_free_enter((u64)args->ptr);
            }

            TRACEPOINT_PROBE(kmem, kmem_cache_alloc)
            {
                \(freeFirst)
                gen_alloc_enter(args->bytes_alloc, 0);
                return gen_alloc_exit2(args, (u64)args->ptr, 0);
            }

            TRACEPOINT_PROBE(kmem, kmem_cache_free)
            {
                return gen_free_enter((u64)args->ptr);
            }

            TRACEPOINT_PROBE(kmem, mm_page_alloc)
            {
                gen_alloc_enter((u64)\(pageSize) << args->order, 0);
                return gen_alloc_exit2(args, args->pfn, 0);
            }

            TRACEPOINT_PROBE(kmem, mm_page_free)
            {
                return gen_free_enter(args->pfn);
            }

            """
    }

    private static let percpuTracepoints = """

        TRACEPOINT_PROBE(percpu, percpu_alloc_percpu)
        {
            gen_alloc_enter(args->size, 0);
            return gen_alloc_exit2(args, (u64)args->ptr, 0);
        }

        TRACEPOINT_PROBE(percpu, percpu_free_percpu)
        {
            return gen_free_enter((u64)args->ptr);
        }

        """
}

/// `struct memleak_alloc_info_t`: one outstanding allocation (the `allocs` table's value).
public struct memleak_alloc_info_t: BitwiseCopyable, Sendable {
    /// `u64 size`.
    public var size: UInt64
    /// `u64 timestamp_ns`: when it was made (CLOCK_MONOTONIC).
    public var timestamp_ns: UInt64
    /// `s64 stack_id`: get_stackid's result.
    public var stack_id: Int64
}

/// `struct memleak_combined_t`: outstanding bytes and allocations of one stack.
public struct memleak_combined_t: BitwiseCopyable, Sendable {
    /// `u64 total_size`.
    public var total_size: UInt64
    /// `u64 number_of_allocs`.
    public var number_of_allocs: UInt64
}

extension MemleakProgram {
    /// How reports are made (bcc's -T, -a, -o, --sort).
    public struct Report: Sendable {
        /// Whose memory names user frames (-1: kernel frames).
        public var pid: Int32
        /// Stacks shown (-T).
        public var top: Int
        /// Every allocation's address and size before the stacks (-a).
        public var showAllocations: Bool
        /// Allocations younger than this are left out (-o, in nanoseconds).
        public var minimumAge: UInt64
        /// Order by allocation count instead of bytes (--sort count).
        public var byCount: Bool

        /// A report's settings.
        public init(pid: Int32, top: Int = 10, showAllocations: Bool = false, minimumAge: UInt64 = 500_000_000, byCount: Bool = false) {
            self.pid = pid
            self.top = top
            self.showAllocations = showAllocations
            self.minimumAge = minimumAge
            self.byCount = byCount
        }

        /// bcc's first line of a report, at wall-clock `clock`.
        public func title(clock: String) -> String {
            "[\(clock)] Top \(top) stacks with outstanding allocations:"
        }

        /// One stack's entry: its totals, then its frames on tab-indented lines.
        func entry(bytes: UInt64, count: UInt64, frames: [String]) -> String {
            "\t\(bytes) bytes in \(count) allocations from stack\n\t\t" + frames.joined(separator: "\n\t\t")
        }

        /// The report from the `allocs` table (`now` on CLOCK_MONOTONIC): allocations
        /// at least `minimumAge` old, summed by stack, the largest `top` last.
        public func outstanding(allocations: [(address: UInt64, info: memleak_alloc_info_t)], now: UInt64,
                                stacks: Table, clock: String) -> [String] {
            var lines = [title(clock: clock)]
            var totals: [Int64: (bytes: UInt64, count: UInt64)] = [:]
            for (address, info) in allocations.sorted(by: { $0.info.size < $1.info.size }) {
                guard now >= minimumAge, now - minimumAge >= info.timestamp_ns, info.stack_id >= 0 else { continue }
                totals[info.stack_id, default: (0, 0)].bytes += info.size
                totals[info.stack_id, default: (0, 0)].count += 1
                if showAllocations { lines.append("\taddr = \(String(address, radix: 16)) size = \(info.size)") }
            }
            let ordered = totals.sorted { byCount ? $0.value.count < $1.value.count : $0.value.bytes < $1.value.bytes }.suffix(top)
            for (stackID, total) in ordered {
                let frames = ((try? stacks.walk(stackID)) ?? []).map { address in
                    "0x" + String(repeating: "0", count: max(0, 16 - String(address, radix: 16).count)) + String(address, radix: 16)
                        + "\t" + BPF.sym(address, pid: pid, showModule: true, showOffset: true)
                }
                lines.append(entry(bytes: total.bytes, count: total.count, frames: frames))
            }
            return lines
        }

        /// The report from the `combined_allocs` table (--combined-only): the largest `top` stacks, the largest last.
        public func combined(_ entries: [(stackID: Int64, info: memleak_combined_t)], stacks: Table, clock: String) -> [String] {
            let ordered = entries.sorted {
                byCount ? $0.info.number_of_allocs > $1.info.number_of_allocs : $0.info.total_size > $1.info.total_size
            }.prefix(top)
            let shown = ordered.map { stackID, info in
                let frames = (try? stacks.walk(stackID)).map { $0.map { BPF.sym($0, pid: pid, showModule: true, showOffset: true) } }
                return frames.map { entry(bytes: info.total_size, count: info.number_of_allocs, frames: $0) }
                    ?? "\t\(info.total_size) bytes in \(info.number_of_allocs) allocations from stack\n\t\tstack information lost"
            }
            return [title(clock: clock)] + shown.reversed()
        }
    }
}
