import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

// Programs in bcc's style that use the kernel vocabulary, run against the
// running kernel: the values they deliver are the kernel's own (a dentry's
// name, an exec's filename, a socket's ports and addresses, a block
// request's disk) and the inline functions compute what the kernel's do.

private func key32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func key16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func cString(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
private func load<T>(_ bytes: [UInt8], at offset: Int, as type: T.Type) -> T {
    bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
}

/// An exec's working directory (a dentry name in a DNAME_INLINE_LEN buffer)
/// and filename (a __data_loc string) from the sched_process_exec tracepoint.
private let execProgram = """
    #include <linux/sched.h>
    #include <linux/fs_struct.h>
    #include <linux/dcache.h>

    struct exec_t {
        char cwd[DNAME_INLINE_LEN];
        char filename[64];
        char comm[TASK_COMM_LEN];
        u32 inline_length;
        char filename_prefix[8];
        char filename_whole[64];
    };
    BPF_HASH(execs, u32, struct exec_t);

    TRACEPOINT_PROBE(sched, sched_process_exec) {
        u32 pid = bpf_get_current_pid_tgid() >> 32;
        struct exec_t exec = {};
        TP_DATA_LOC_READ_STR(exec.filename, filename, sizeof(exec.filename));
        TP_DATA_LOC_READ_CONST(exec.filename_prefix, filename, sizeof(exec.filename_prefix));
        if ((args->data_loc_filename >> 16) <= sizeof(exec.filename_whole))
            TP_DATA_LOC_READ(exec.filename_whole, filename);
        struct task_struct *task = (struct task_struct *)bpf_get_current_task();
        struct fs_struct *fs;
        struct dentry *cwd;
        const unsigned char *name;
        bpf_probe_read_kernel(&fs, sizeof(fs), &task->fs);
        bpf_probe_read_kernel(&cwd, sizeof(cwd), &fs->pwd.dentry);
        bpf_probe_read_kernel(&name, sizeof(name), &cwd->d_name.name);
        bpf_probe_read_kernel_str(exec.cwd, sizeof(exec.cwd), name);
        bpf_get_current_comm(exec.comm, sizeof(exec.comm));
        exec.inline_length = DNAME_INLINE_LEN;
        execs.update(&pid, &exec);
        return 0;
    }
    """

/// A TCP socket's ports, family, state and addresses through net/sock.h's
/// sk_* and net/inet_sock.h's inet_* aliases and in6.h's s6_addr32. (Its own
/// members are not named like the aliases: a program that declares such a
/// member gets the member, not the alias.)
private let socketProgram = """
    #include <net/sock.h>
    #include <net/inet_sock.h>

    struct connection_t {
        u16 family;
        u16 local_port;
        u16 remote_port;
        u8 state;
        u8 old_state;
        u32 remote_address;
        u32 local_address;
        u32 remote_v6_last_word;
        u32 local_v6_last_word;
        u16 source_port;
        u16 destination_port;
        u16 number;
        u32 destination_address;
        u32 receive_address;
    };
    BPF_HASH(connections, u16, struct connection_t);

    TRACEPOINT_PROBE(sock, inet_sock_set_state) {
        if (args->protocol != IPPROTO_TCP || args->newstate != TCP_ESTABLISHED)
            return 0;
        struct sock *sk = (struct sock *)args->skaddr;
        struct inet_sock *inet = inet_sk(sk);
        struct connection_t c = {};
        u16 port;
        bpf_probe_read_kernel(&c.family, sizeof(c.family), &sk->sk_family);
        bpf_probe_read_kernel(&c.local_port, sizeof(c.local_port), &sk->sk_num);
        bpf_probe_read_kernel(&port, sizeof(port), &sk->sk_dport);
        c.remote_port = ntohs(port);
        bpf_probe_read_kernel(&c.state, sizeof(c.state), (void *)&sk->sk_state);
        c.old_state = args->oldstate;
        bpf_probe_read_kernel(&c.remote_address, sizeof(c.remote_address), &sk->sk_daddr);
        bpf_probe_read_kernel(&c.local_address, sizeof(c.local_address), &sk->sk_rcv_saddr);
        bpf_probe_read_kernel(&c.remote_v6_last_word, sizeof(u32), &sk->sk_v6_daddr.s6_addr32[3]);
        bpf_probe_read_kernel(&c.local_v6_last_word, sizeof(u32), &sk->sk_v6_rcv_saddr.s6_addr32[3]);
        bpf_probe_read_kernel(&port, sizeof(port), &inet->inet_sport);
        c.source_port = be16_to_cpu(port);
        bpf_probe_read_kernel(&port, sizeof(port), &inet->inet_dport);
        c.destination_port = be16_to_cpu(port);
        bpf_probe_read_kernel(&c.number, sizeof(c.number), &inet->inet_num);
        bpf_probe_read_kernel(&c.destination_address, sizeof(c.destination_address), &inet->inet_daddr);
        bpf_probe_read_kernel(&c.receive_address, sizeof(c.receive_address), &inet->inet_rcv_saddr);
        connections.update(&c.local_port, &c);
        return 0;
    }
    """

/// A block request's disk (through request -> queue -> gendisk), operation
/// (cmd_flags & REQ_OP_MASK) and size, when it is issued.
private let blockProgram = """
    #include <linux/blkdev.h>
    #include <linux/blk-mq.h>

    struct io_t {
        char disk[DISK_NAME_LEN];
        u32 operation;
        u32 bytes;
        u32 synchronous;
        u32 pid;
    };
    BPF_HASH(ios, u64, struct io_t);

    RAW_TRACEPOINT_PROBE(block_rq_issue) {
        struct request *rq = (struct request *)ctx->args[0];
        struct request_queue *queue;
        struct gendisk *disk;
        u64 sector;
        blk_opf_t flags;
        struct io_t io = {};
        bpf_probe_read_kernel(&queue, sizeof(queue), &rq->q);
        bpf_probe_read_kernel(&disk, sizeof(disk), &queue->disk);
        bpf_probe_read_kernel_str(io.disk, sizeof(io.disk), disk->disk_name);
        bpf_probe_read_kernel(&flags, sizeof(flags), &rq->cmd_flags);
        bpf_probe_read_kernel(&io.bytes, sizeof(io.bytes), &rq->__data_len);
        bpf_probe_read_kernel(&sector, sizeof(sector), &rq->__sector);
        io.operation = flags & REQ_OP_MASK;
        io.synchronous = !!(flags & REQ_SYNC);
        io.pid = bpf_get_current_pid_tgid() >> 32;
        ios.update(&sector, &io);
        return 0;
    }
    """

/// The inline functions and function-like macros, computed in BPF from
/// inputs the test passes as raw tracepoint arguments.
private let functionValuesProgram = """
    BPF_ARRAY(results, u64, 32);

    static void put(int index, u64 value) { results.update(&index, &value); }

    int compute(struct bpf_raw_tracepoint_args *ctx) {
        u64 a = ctx->args[0], b = ctx->args[1];
        s64 negative = -(s64)a;
        u32 remainder = 0;
        u64 dividend = a;
        put(0, ntohs(0x1234));
        put(1, htonl(0x11223344));
        put(2, be64_to_cpu(0x0102030405060708ULL));
        put(3, min(a, b));
        put(4, max_t(u32, a, b));
        put(5, clamp(a, 10ULL, 20ULL));
        put(6, (u64)div_s64(negative, 7));
        put(7, div_u64_rem(a, 7, &remainder));
        put(8, remainder);
        put(9, do_div(dividend, 10));
        put(10, dividend);
        put(11, DIV_ROUND_UP(a, 8));
        put(12, roundup(a, 16));
        put(13, round_down(a, 16));
        put(14, GENMASK(7, 4));
        put(15, BIT_ULL(40));
        put(16, IS_ERR(ERR_PTR(-ENOENT)));
        put(17, PTR_ERR(ERR_PTR(-ENOENT)));
        put(18, MAJOR(MKDEV(254, 3)));
        put(19, MINOR(MKDEV(254, 3)));
        put(20, S_ISDIR(040755) + 2 * S_ISREG(0100644) + 4 * S_ISSOCK(0140777));
        put(21, KERNEL_VERSION(6, 18, 44));
        put(22, swab32(0xaabbccdd));
        put(23, ALIGN(a, 64));
        put(24, (u64)div64_s64(-100, negative));
        return 0;
    }
    """

extension BPFKernelTests {
    @Test func execDeliversItsWorkingDirectoryNameAndFilename() throws {
        let facts = try KernelCompileEnvironment.current().kernelFacts()
        // A directory whose name fills the dentry's inline name but for its terminating zero.
        let base = try TestSupport.temporaryDirectory("dn")
        defer { try? FileManager.default.removeItem(at: base) }
        let name = "d" + String(repeating: "x", count: facts.dentryInlineNameLength - 2 - 8) + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        #expect(name.utf8.count == facts.dentryInlineNameLength - 1)
        let directory = base.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try expectKernelObjectsFreed(loading: { try BPF(text: execProgram) }) { b in
            let child = try TestSupport.run("/bin/sh", ["-c", "cd '\(directory.path)' && exec /bin/true"])
            #expect(child.status == 0)
            let execs = try b.map(named: "execs")
            var record: [UInt8]?
            for key in try execs.keys() {
                guard let value = try execs.lookup(key: key), cString(value[0..<facts.dentryInlineNameLength]) == name else { continue }
                record = value
            }
            let value = try #require(record, "no exec from \(directory.path) was seen")
            let filenameOffset = facts.dentryInlineNameLength
            #expect(cString(value[filenameOffset ..< filenameOffset + 64]) == "/bin/true")
            #expect(cString(value[(filenameOffset + 64)...].prefix(facts.taskCommLength)) == "true")
            let lengthOffset = filenameOffset + 64 + facts.taskCommLength
            #expect(load(value, at: lengthOffset, as: UInt32.self) == UInt32(facts.dentryInlineNameLength))
            #expect(Array(value[(lengthOffset + 4)..<(lengthOffset + 12)]) == Array("/bin/tru".utf8), "TP_DATA_LOC_READ_CONST reads its length")
            #expect(cString(value[(lengthOffset + 12)...]) == "/bin/true", "TP_DATA_LOC_READ reads the string's own length")
        }
    }

    @Test(arguments: [AF_INET, AF_INET6])
    func socketPortsAndAddressesThroughTheSockAliases(family: Int32) throws {
        try expectKernelObjectsFreed(loading: { try BPF(text: socketProgram) }) { b in
            let connection = try LoopbackConnection(family: family)
            defer { connection.close() }
            let connections = try b.map(named: "connections")
            func record(localPort: UInt16) throws -> [UInt8]? {
                let deadline = Date().addingTimeInterval(5)
                var value = try connections.lookup(key: key16(localPort))
                while value == nil && Date() < deadline {
                    usleep(10_000)
                    value = try connections.lookup(key: key16(localPort))
                }
                return value
            }
            for (local, remote) in [(connection.clientPort, connection.serverPort), (connection.serverPort, connection.clientPort)] {
                let value = try #require(try record(localPort: local), "no ESTABLISHED transition of the socket on port \(local)")
                #expect(load(value, at: 0, as: UInt16.self) == UInt16(family))
                #expect(load(value, at: 2, as: UInt16.self) == local)
                #expect(load(value, at: 4, as: UInt16.self) == remote)
                #expect(value[6] == value[7], "sk_state is the state before the change, the tracepoint's oldstate")
                #expect([2, 3, 12].contains(value[7]), "a new connection leaves SYN_SENT, SYN_RECV or NEW_SYN_RECV, not \(value[7])")
                let loopback = UInt32(0x7f00_0001).bigEndian
                if family == AF_INET {
                    #expect(load(value, at: 8, as: UInt32.self) == loopback)
                    #expect(load(value, at: 12, as: UInt32.self) == loopback)
                    #expect(load(value, at: 32, as: UInt32.self) == loopback)
                    #expect(load(value, at: 36, as: UInt32.self) == loopback)
                } else {
                    #expect(load(value, at: 16, as: UInt32.self) == UInt32(1).bigEndian, "::1's last word")
                    #expect(load(value, at: 20, as: UInt32.self) == UInt32(1).bigEndian)
                }
                #expect(load(value, at: 24, as: UInt16.self) == local)
                #expect(load(value, at: 26, as: UInt16.self) == remote)
                #expect(load(value, at: 28, as: UInt16.self) == local)
            }
        }
    }

    @Test func blockRequestNamesItsDiskAndOperation() throws {
        let directory = try TestSupport.temporaryDirectory("block")
        defer { try? FileManager.default.removeItem(at: directory) }
        var status = stat()
        try #require(stat(directory.path, &status) == 0)
        // glibc's major()/minor() split of a dev_t.
        let dev = UInt64(status.st_dev)
        let device = "\((dev >> 8) & 0xfff | (dev >> 32) & ~0xfff):\(dev & 0xff | (dev >> 12) & ~0xff)"
        let uevent = (try? String(contentsOfFile: "/sys/dev/block/\(device)/uevent", encoding: .utf8)) ?? ""
        guard let diskName = uevent.split(separator: "\n").first(where: { $0.hasPrefix("DEVNAME=") })?.dropFirst(8),
              !FileManager.default.fileExists(atPath: "/sys/dev/block/\(device)/partition") else {
            Issue.record("the temporary directory is not on a whole block disk (device \(device)); this machine's tests write to one")
            return
        }
        try expectKernelObjectsFreed(loading: { try BPF(text: blockProgram) }) { b in
            let size = 3 * 4096
            let path = directory.appendingPathComponent("data").path
            // O_DIRECT (glibc hides it without _GNU_SOURCE): the write goes to the disk as one request.
            #if arch(arm64)
            let directIO: Int32 = 0o200000
            #else
            let directIO: Int32 = 0o40000
            #endif
            let fd = open(path, O_CREAT | O_WRONLY | directIO, 0o600)
            try #require(fd >= 0, "open O_DIRECT: \(String(cString: strerror(errno)))")
            defer { close(fd) }
            var buffer: UnsafeMutableRawPointer?
            try #require(posix_memalign(&buffer, 4096, size) == 0)
            defer { free(buffer) }
            memset(buffer!, 0x5a, size)
            #expect(write(fd, buffer, size) == size)
            #expect(fsync(fd) == 0)
            let ios = try b.map(named: "ios")
            let records = try ios.keys().compactMap { try ios.lookup(key: $0) }
            let ours = records.filter { load($0, at: 36, as: UInt32.self) == UInt32(size) && load($0, at: 32, as: UInt32.self) == 1 }
            try #require(!ours.isEmpty, "no \(size)-byte write request issued (saw \(records.count) requests)")
            for record in ours {
                #expect(cString(record[0..<32]) == String(diskName))
            }
            #expect(ours.contains { load($0, at: 40, as: UInt32.self) == 1 }, "an O_DIRECT write is REQ_SYNC")
        }
    }

    @Test func inlineFunctionsComputeWhatTheKernelsDo() throws {
        try expectKernelObjectsFreed(loading: { try BPF(text: functionValuesProgram) }) { b in
            let a: UInt64 = 1_000_003, b2: UInt64 = 77
            let context = withUnsafeBytes(of: (a, b2)) { Array($0) }
            _ = try b.function(named: "compute").testRun(context: context)
            let results = try b.map(named: "results")
            func value(_ index: UInt32) throws -> UInt64 { load(try results.lookup(key: key32(index)) ?? [], at: 0, as: UInt64.self) }
            #expect(try value(0) == 0x3412)
            #expect(try value(1) == 0x4433_2211)
            #expect(try value(2) == 0x0807_0605_0403_0201)
            #expect(try value(3) == b2)
            #expect(try value(4) == a)
            #expect(try value(5) == 20)
            #expect(Int64(bitPattern: try value(6)) == -(Int64(a) / 7), "div_s64 truncates toward zero")
            #expect(try value(7) == a / 7)
            #expect(try value(8) == a % 7)
            #expect(try value(9) == a % 10)
            #expect(try value(10) == a / 10)
            #expect(try value(11) == (a + 7) / 8)
            #expect(try value(12) == (a + 15) / 16 * 16)
            #expect(try value(13) == a / 16 * 16)
            #expect(try value(14) == 0xf0)
            #expect(try value(15) == 1 << 40)
            #expect(try value(16) == 1)
            #expect(Int64(bitPattern: try value(17)) == -Int64(ENOENT))
            #expect(try value(18) == 254)
            #expect(try value(19) == 3)
            #expect(try value(20) == 7)
            #expect(try value(21) == (6 << 16) + (18 << 8) + 44)
            #expect(try value(22) == 0xddcc_bbaa)
            #expect(try value(23) == (a + 63) / 64 * 64)
            #expect(Int64(bitPattern: try value(24)) == -100 / -Int64(a))
        }
    }
}

/// A TCP connection over the loopback interface: a listener, a client
/// connected to it and the accepted socket, with both ends' ports.
private struct LoopbackConnection {
    var descriptors: [Int32] = []
    var serverPort: UInt16 = 0
    var clientPort: UInt16 = 0

    init(family: Int32) throws {
        let listener = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(listener >= 0)
        descriptors.append(listener)
        var address = Self.loopback(family: family, port: 0)
        try #require(address.withUnsafeBytes { bind(listener, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) } == 0,
                     "bind: \(String(cString: strerror(errno)))")
        try #require(listen(listener, 4) == 0)
        serverPort = try Self.localPort(of: listener)
        let client = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(client >= 0)
        descriptors.append(client)
        address = Self.loopback(family: family, port: serverPort)
        try #require(address.withUnsafeBytes { connect(client, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) } == 0,
                     "connect: \(String(cString: strerror(errno)))")
        let accepted = accept(listener, nil, nil)
        try #require(accepted >= 0)
        descriptors.append(accepted)
        clientPort = try Self.localPort(of: client)
    }

    func close() { for fd in descriptors { _ = Glibc.close(fd) } }

    /// A sockaddr_in or sockaddr_in6 for the loopback address and `port`, as bytes.
    private static func loopback(family: Int32, port: UInt16) -> [UInt8] {
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            return withUnsafeBytes(of: address) { Array($0) }
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        return withUnsafeBytes(of: address) { Array($0) }
    }

    private static func localPort(of fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try #require(result == 0)
        // sin_port and sin6_port sit at the same offset, in network order.
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    }
}
