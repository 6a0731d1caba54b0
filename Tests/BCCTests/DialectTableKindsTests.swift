import BPFObject
import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

// bcc's lazy loading of functions, and the table kinds and methods of
// helpers.h beyond hashes and arrays: queues and stacks, cgroup arrays,
// local storage, perf counters, bpf_num_cpus(); the BTF-typed probe
// macros this kernel refuses (KMOD_RET, MODULE_KFUNC_PROBE, BPF_ITER, BPF_PROG).
// Events come from getpgid(TOKEN) with a token of the test's own: the
// tracepoint's `pid` argument picks out this test's calls.

private func key32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func u64(_ bytes: [UInt8]?) -> UInt64? { bytes.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } } }

/// A pid no process has, to pass to getpgid: the tracepoint sees it, the call fails with ESRCH.
private func newToken() -> Int32 { Int32.random(in: 100_000_000...2_000_000_000) }

extension BPFKernelTests {
    // MARK: - Lazy loading

    /// bcc loads a function when it is attached or loaded: a helper the
    /// verifier refuses does not stop the program, and a `void *ctx`
    /// function attached to a tracepoint loads as a tracepoint program.
    @Test func functionsLoadWhenAttachedAsInBCC() throws {
        let token = newToken()
        let source = """
            BPF_ARRAY(hits, u64, 2);
            int dummy(void *ctx) {
                u64 far = 4096;
                return *(u64 *)((char *)ctx + far);
            }
            int on_getpgid(void *ctx) {
                struct tracepoint__syscalls__sys_enter_getpgid *args = ctx;
                if (args->pid == TOKEN)
                    hits.atomic_increment(0);
                return 0;
            }
            TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                if (args->pid == TOKEN)
                    hits.atomic_increment(1);
                return 0;
            }
            """
        try expectKernelObjectsFreed(loading: {
            try BPF(text: source, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            // Only the auto-attached function is loaded with the object.
            #expect(Set(b.object.programs.keys) == ["tracepoint__syscalls__sys_enter_getpgid"])
            try b.attachTracepoint(tp: "syscalls:sys_enter_getpgid", fnName: "on_getpgid")
            #expect(try b.function(named: "on_getpgid").type == .tracepoint)
            for _ in 0..<3 { _ = getpgid(token) }
            let hits = try b.map(named: "hits")
            #expect(u64(try hits.lookup(key: key32(0))) == 3)
            #expect(u64(try hits.lookup(key: key32(1))) == 3)
            // Loading the dummy by hand is where the verifier's refusal shows, on the user's line.
            #expect {
                try b.loadFunc("dummy", .kprobe)
            } throws: { error in
                guard case let BCCError.kernel(_, object, .verifierRejected(_, log)) = error else { return false }
                return object.contains("dummy") && log.contains("<text>:4")
            }
        }
    }

    // MARK: - Bitfields through external pointers

    /// A bitfield read through a kernel pointer: task_struct's in_execve is
    /// 1 while a task runs execve (at sched_process_exec) and 0 otherwise,
    /// read through `->`, a chain and `(*p).`, as bcc programs write it.
    @Test func bitfieldsReadThroughKernelPointers() throws {
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_HASH(during_exec, u32, u64);
                BPF_ARRAY(outside, u64, 3);
                TRACEPOINT_PROBE(sched, sched_process_exec) {
                    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    u64 in_execve = task->in_execve;
                    during_exec.update(&pid, &in_execve);
                    return 0;
                }
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    u64 own = task->in_execve, parent = task->real_parent->in_execve, through = (*task).in_execve;
                    outside.update(&(int){0}, &own);
                    outside.update(&(int){1}, &parent);
                    outside.update(&(int){2}, &through);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/true")
            try child.run()
            child.waitUntilExit()
            _ = getpgid(token)
            let exec = try b.map(named: "during_exec").lookup(key: key32(UInt32(child.processIdentifier)))
            #expect(u64(exec) == 1, "in_execve while the child execs")
            let outside = try b.map(named: "outside")
            #expect(try [0, 1, 2].map { u64(try outside.lookup(key: key32($0))) } == [0, 0, 0])
        }
    }

    /// Loads written inside a macro's own body read kernel memory too: the
    /// parent's tgid through macros equals getppid().
    @Test func readsInsideMacroBodies() throws {
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                #define PARENT(t) ((t)->real_parent)
                #define CURRENT_PARENT_TGID ((struct task_struct *)bpf_get_current_task())->real_parent->tgid
                BPF_ARRAY(parents, u64, 2);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    u64 through_function_like = PARENT(task)->tgid;
                    u64 through_object_like = CURRENT_PARENT_TGID;
                    parents.update(&(int){0}, &through_function_like);
                    parents.update(&(int){1}, &through_object_like);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            _ = getpgid(token)
            let parents = try b.map(named: "parents")
            #expect(try [0, 1].map { u64(try parents.lookup(key: key32($0))) } == [UInt64(getppid()), UInt64(getppid())])
        }
    }

    // MARK: - Kconfig

    /// libbpf's Kconfig externs take the running kernel's configuration:
    /// CONFIG_HZ as its number, CONFIG_BPF_SYSCALL (y) as 1, an option the
    /// kernel lacks (weak) as 0, LINUX_KERNEL_VERSION as the version; and
    /// bcc's way, IS_ENABLED in the preprocessor, agrees.
    @Test func kconfigExternsAndSymbolsAreTheKernels() throws {
        guard let text = try? TestSupport.run("/usr/bin/env", ["gzip", "-dc", "/proc/config.gz"]).stdout, !text.isEmpty else {
            Issue.record("this kernel has no /proc/config.gz (CONFIG_IKCONFIG_PROC) to compare with")
            return
        }
        let hertz = try #require(text.split(separator: "\n").first { $0.hasPrefix("CONFIG_HZ=") }.flatMap { UInt64($0.dropFirst(10)) })
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                extern unsigned int CONFIG_HZ __kconfig;
                extern int CONFIG_BPF_SYSCALL __kconfig;
                extern int CONFIG_NO_SUCH_OPTION_HERE __kconfig __weak;
                extern unsigned int LINUX_KERNEL_VERSION __kconfig;
                BPF_ARRAY(values, u64, 5);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    u64 hz = CONFIG_HZ, bpf = CONFIG_BPF_SYSCALL, none = CONFIG_NO_SUCH_OPTION_HERE, version = LINUX_KERNEL_VERSION;
                #if IS_ENABLED(CONFIG_BPF) && !IS_ENABLED(CONFIG_NO_SUCH_OPTION_HERE)
                    u64 enabled = 1;
                #else
                    u64 enabled = 0;
                #endif
                    values.update(&(int){0}, &hz);
                    values.update(&(int){1}, &bpf);
                    values.update(&(int){2}, &none);
                    values.update(&(int){3}, &version);
                    values.update(&(int){4}, &enabled);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            _ = getpgid(token)
            let values = try b.map(named: "values")
            let got = try (0..<5).map { u64(try values.lookup(key: key32(UInt32($0)))) }
            #expect(got == [hertz, 1, 0, UInt64(KernelVersion.current.code), 1], "\(got)")
        }
    }

    // MARK: - Queues and stacks

    /// BPF_QUEUE and BPF_STACK: push in the program, pop and peek there and from Swift.
    @Test func queueAndStackMethodsInC() throws {
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_QUEUE(arrivals, u32, 16);
                BPF_STACK(pile, u64, 4);
                BPF_ARRAY(seen, u64, 3);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    u64 *count = seen.lookup(&(int){2});
                    u64 n = count ? *count : 0;
                    u32 order = n + 1;
                    arrivals.push(&order, 0);
                    u64 level = (n + 1) * 10;
                    pile.push(&level, BPF_EXIST);
                    u64 top = 0;
                    if (pile.peek(&top) == 0)
                        seen.update(&(int){0}, &top);
                    if (n == 2 && pile.pop(&top) == 0)
                        seen.update(&(int){1}, &top);
                    n += 1;
                    seen.update(&(int){2}, &n);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            for _ in 0..<3 { _ = getpgid(token) }
            let seen = try b.map(named: "seen")
            #expect(u64(try seen.lookup(key: key32(0))) == 30, "peek sees the newest of the stack")
            #expect(u64(try seen.lookup(key: key32(1))) == 30, "pop takes the newest")
            var order: [UInt32] = []
            while let next = try b["arrivals"].pop() { order.append(next.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }) }
            #expect(order == [1, 2, 3], "a queue gives them back oldest first")
            #expect(try b["pile"].pop().map(u64) == 20, "the stack still holds 10 and 20")
        }
    }

    // MARK: - Cgroup arrays

    /// BPF_CGROUP_ARRAY's check_current_task: true under the cgroup the
    /// array holds (this process's own), false under another.
    @Test func cgroupArrayChecksTheCurrentTask() throws {
        let own = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        let mounts: [[Substring]] = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ") }
        let root = mounts.first { $0.count > 2 && $0[2] == "cgroup2" }.map { String($0[1]) }
        guard let own, let root else {
            Issue.record("needs a cgroup v2 mount (the kernel has cgroup arrays; this machine mounts no cgroup2)")
            return
        }
        let other = "\(root)/swift-bcc-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        #expect(mkdir(other, 0o755) == 0)
        defer { rmdir(other) }
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_CGROUP_ARRAY(groups, 2);
                BPF_ARRAY(under, u64, 2);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    u64 mine = groups.check_current_task(0), theirs = groups.check_current_task(1);
                    under.update(&(int){0}, &mine);
                    under.update(&(int){1}, &theirs);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            let ownFD = open(root + own, O_RDONLY | O_DIRECTORY | O_CLOEXEC), otherFD = open(other, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(ownFD); close(otherFD) }
            try b.map(named: "groups").update(key: key32(0), value: key32(UInt32(ownFD)))
            try b.map(named: "groups").update(key: key32(1), value: key32(UInt32(otherFD)))
            _ = getpgid(token)
            #expect(u64(try b.map(named: "under").lookup(key: key32(0))) == 1)
            #expect(u64(try b.map(named: "under").lookup(key: key32(1))) == 0)
        }
    }

    // MARK: - Local storage

    /// BPF_TASK_STORAGE: a count that lives with the calling task.
    @Test func taskStorageCountsPerTask() throws {
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                struct calls { u64 count; };
                BPF_TASK_STORAGE(per_task, struct calls);
                BPF_ARRAY(latest, u64, 1);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    struct calls *calls = per_task.task_storage_get(bpf_get_current_task_btf(), 0,
                                                                    BPF_LOCAL_STORAGE_GET_F_CREATE);
                    if (!calls)
                        return 0;
                    calls->count += 1;
                    latest.update(&(int){0}, &calls->count);
                    if (calls->count == 4)
                        per_task.task_storage_delete(bpf_get_current_task_btf());
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)"])
        }) { (b: BPF) throws in
            #expect(try b.map(named: "per_task").type == .taskStorage)
            for _ in 0..<4 { _ = getpgid(token) }
            #expect(u64(try b.map(named: "latest").lookup(key: key32(0))) == 4)
            _ = getpgid(token)
            #expect(u64(try b.map(named: "latest").lookup(key: key32(0))) == 1, "task_storage_delete dropped the count")
        }
    }

    /// The other local storage tables become maps of their kind with bcc's
    /// flags (their helpers need LSM, socket or cgroup programs: the
    /// rewriting is what is checked here, the kernel takes the maps).
    @Test func localStorageTablesAreCreated() throws {
        let b = try BPF(text: """
            struct tag { u32 value; };
            BPF_SK_STORAGE(socks, struct tag);
            BPF_INODE_STORAGE(inodes, struct tag);
            BPF_CGROUP_STORAGE(groups, u64);
            BPF_PERCPU_CGROUP_STORAGE(per_cpu_groups, u64);
            int on_sock(struct bpf_sock_ops *skops) {
                struct bpf_sock *sk = skops->sk;
                if (!sk)
                    return 1;
                struct tag *tag = socks.sk_storage_get(sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
                if (tag)
                    tag->value = skops->op;
                return 1;
            }
            """)
        defer { b.close() }
        #expect(try b.map(named: "socks").type == .skStorage)
        #expect(try b.map(named: "inodes").type == .inodeStorage)
        #expect(try b.map(named: "groups").type == .cgroupStorage)
        #expect(try b.map(named: "per_cpu_groups").type == .perCPUCgroupStorage)
        #expect(try b.function(named: "on_sock").type == .sockOps)
        let rewritten = try DialectRewriter(fileName: "t.c", pageSize: 4096, possibleCPUs: 2).rewrite("""
            BPF_INODE_STORAGE(inodes, u32);
            BPF_CGROUP_STORAGE(groups, u64);
            int f(void *ctx) { inodes.inode_storage_get(ctx, 0, 0); inodes.inode_storage_delete(ctx); return *(int *)groups.get_local_storage(0); }
            """)
        let text = rewritten.body.text
        #expect(text.contains("bpf_inode_storage_get((void *)&inodes, ctx, 0, 0)"))
        #expect(text.contains("bpf_inode_storage_delete((void *)&inodes, ctx)"))
        #expect(text.contains("bpf_get_local_storage((void *)&groups, 0)"))
    }

    @Test func storageMethodsOnTheWrongTableNameTheTable() {
        #expect {
            try DialectRewriter(fileName: "t.c", pageSize: 4096, possibleCPUs: 2).rewrite("""
                BPF_HASH(counts, u32, u64);
                int f(void *ctx) { u32 v; counts.push(&v, 0); return 0; }
                """)
        } throws: { error in
            "\(error)".contains("t.c:2") && "\(error)".contains("push needs a BPF_QUEUE or BPF_STACK table; 'counts' is not one")
        }
    }

    // MARK: - Perf counters, bpf_num_cpus

    /// BPF_PERF_ARRAY: counters opened from Swift (bcc's open_perf_event),
    /// read in the program with perf_read and perf_counter_value; and
    /// bpf_num_cpus() as the compile-time CPU count.
    @Test func perfArrayCountersAndCPUCount() throws {
        let token = newToken()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_PERF_ARRAY(clocks, MAX_CPUS);
                BPF_ARRAY(readings, u64, 4);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                    if (args->pid != TOKEN)
                        return 0;
                    u64 now = clocks.perf_read(BPF_F_CURRENT_CPU);
                    struct bpf_perf_event_value value = {};
                    int error = clocks.perf_counter_value(BPF_F_CURRENT_CPU, &value, sizeof(value));
                    u64 cpus = bpf_num_cpus();
                    u64 failed = error != 0;
                    readings.update(&(int){0}, &now);
                    readings.update(&(int){1}, &value.counter);
                    readings.update(&(int){2}, &cpus);
                    readings.update(&(int){3}, &failed);
                    return 0;
                }
                """, cflags: ["-DTOKEN=\(token)", "-DMAX_CPUS=\(try PossibleCPUs.count())"])
        }) { (b: BPF) throws in
            let cpus = try b["clocks"].openPerfEvent(type: PerfType.software, config: PerfSWConfig.cpuClock)
            #expect(!cpus.isEmpty)
            usleep(2_000)
            _ = getpgid(token)
            let readings = try b.map(named: "readings")
            #expect(u64(try readings.lookup(key: key32(3))) == 0, "perf_counter_value succeeded")
            // cpu-clock counts nanoseconds the CPU has run since the counter opened.
            #expect(u64(try readings.lookup(key: key32(0))) ?? 0 > 0)
            #expect(u64(try readings.lookup(key: key32(1))) ?? 0 > 0)
            #expect(u64(try readings.lookup(key: key32(2))) == UInt64(try PossibleCPUs.count()))
        }
        #expect(throws: BCCError.self) {
            let b = try BPF(text: "BPF_ARRAY(plain, u64, 1);")
            defer { b.close() }
            try b["plain"].openPerfEvent(type: PerfType.software, config: PerfSWConfig.cpuClock)
        }
    }

    // MARK: - BTF-typed probe macros

    /// KMOD_RET, MODULE_KFUNC_PROBE, MODULE_KRETFUNC_PROBE and BPF_PROG
    /// compile to libbpf's sections with bcc's program names; this kernel
    /// refuses BPF trampolines, and loading says so.
    @Test func trampolineMacrosCompileAndNameTheMissingKernelFeature() throws {
        let source = """
            KMOD_RET(do_unlinkat, int dfd, struct filename *name, int ret) { return 0; }
            MODULE_KFUNC_PROBE(vmlinux, do_rmdir, int dfd, struct filename *name) { return 0; }
            MODULE_KRETFUNC_PROBE(vmlinux, do_mkdirat, int dfd, struct filename *name, umode_t mode, int ret) { return 0; }
            BPF_PROG(count_opens, struct file *file) { return 0; }
            """
        let compiled = try BPFCompiler(environment: KernelCompileEnvironment.current())
            .compile(source: source, fileName: "macros.c", cflags: [], includeDirectory: nil)
        let spec = try ObjectSpec(bytes: compiled.object)
        let sections = Dictionary(uniqueKeysWithValues: spec.programs.map { ($0.name, $0.section) })
        #expect(sections["kmod_ret__do_unlinkat"]?.expectedAttachType == .modifyReturn)
        #expect(sections["kmod_ret__do_unlinkat"]?.attachTarget == .tracing(function: "do_unlinkat", isExit: false))
        #expect(sections["kfunc__vmlinux__do_rmdir"]?.attachTarget == .tracing(function: "do_rmdir", isExit: false))
        #expect(sections["kretfunc__vmlinux__do_mkdirat"]?.attachTarget == .tracing(function: "do_mkdirat", isExit: true))
        #expect(sections["count_opens"]?.programType == .tracing)
        #expect(sections["count_opens"]?.attachTarget == ProgramSection.AttachTarget.none)
        if Self.trampolinesAvailable { return }
        #expect {
            try BPF(text: source)
        } throws: { error in
            guard case let BCCError.kernel(_, _, .notSupported(feature, _)) = error else { return false }
            return feature.contains("trampolines")
        }
    }

    /// BPF_ITER(task): linked with attachIter and run by readIter, it walks
    /// every task; the program writes the thread ids of this process.
    @Test func taskIteratorListsThisProcesssThreads() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_ITER(task) {
                    struct seq_file *seq = ctx->meta->seq;
                    struct task_struct *task = ctx->task;
                    if (!task || task->tgid != TARGET_PID)
                        return 0;
                    u32 tid = task->pid;
                    bpf_seq_write(seq, &tid, sizeof(tid));
                    return 0;
                }
                """, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { (b: BPF) throws in
            #expect(throws: BCCError.self) { try b.readIter(fnName: "bpf_iter__task") }
            try b.attachIter(fnName: "bpf_iter__task")
            #expect(try b.function(named: "bpf_iter__task").type == .tracing)
            let output = try b.readIter(fnName: "bpf_iter__task")
            let tids = stride(from: 0, to: output.count - 3, by: 4).map { offset in
                output[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            }
            // This thread, from /proc/thread-self -> "PID/task/TID".
            let current = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
                .split(separator: "/").last.flatMap { UInt32($0) }
            #expect(output.count % 4 == 0)
            #expect(tids.contains(UInt32(getpid())), "the main thread")
            #expect(current.map(tids.contains) == true, "the calling thread")
            #expect(Set(tids).count == tids.count, "each thread once")
            #expect(try b.readIter(fnName: "bpf_iter__task") .count > 0, "each read runs the iterator again")
        }
    }
}
