import BCC
import EBPF
import Foundation
import Glibc
import Testing
import TestSupport

/// attachFunc beyond sockmaps: a flow dissector on a network namespace of the
/// test's own, and a sock_ops program on a cgroup of its own that puts the
/// sockets its processes connect into a sockhash (sock_hash_update); and a
/// CPUMAP that carries XDP frames to a CPU's kernel thread.
@Suite struct NetworkAttachFuncTests {
    @Test func flowDissectorAttachesToANamespace() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: """
            int dissect(struct __sk_buff *skb) { return BPF_FLOW_DISSECTOR_CONTINUE; }
            """)
        defer { b.close() }
        let namespace = open("/run/netns/\(try #require(pair.namespace))", O_RDONLY | O_CLOEXEC)
        try #require(namespace >= 0)
        defer { close(namespace) }
        try b.attachFunc(fnName: "dissect", attachableFD: namespace, attachType: .flowDissector)
        let program = try b.function(named: "dissect")
        #expect(program.type == .flowDissector)
        #expect(try Self.flowDissectors(namespace) == [program.id])
        // The test's own namespace is untouched.
        let own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        defer { close(own) }
        #expect(try !Self.flowDissectors(own).contains(program.id))
        try b.detachFunc(fnName: "dissect", attachableFD: namespace, attachType: .flowDissector)
        #expect(try Self.flowDissectors(namespace).isEmpty)
    }

    /// The flow dissector programs of network namespace `fd` (BPF_PROG_QUERY).
    static func flowDissectors(_ fd: Int32) throws -> [UInt32] {
        try Syscall.progQuery(target: fd, attachType: .flowDissector, object: "network namespace")
    }

    @Test func sockOpsPutsConnectedSocketsInASockhash() throws {
        let cgroup = "/sys/fs/cgroup/unified/swiftbcc-\(getpid())-\(UInt32.random(in: 0..<1_000_000))"
        try #require(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/cgroup.procs")
                     || FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.procs"), "needs cgroup v2")
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer { _ = rmdir(cgroup) }
        let cgroupFD = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(cgroupFD >= 0)
        defer { close(cgroupFD) }

        let b = try BPF(text: """
            BPF_SOCKHASH(socks, u32, 16);
            BPF_ARRAY(added, u64, 1);

            int track_established(struct bpf_sock_ops *skops) {
                if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB) return 0;
                u32 key = skops->local_port;
                if (socks.sock_hash_update(skops, &key, BPF_ANY) == 0) added.increment(0);
                return 0;
            }
            """)
        defer { b.close() }
        try b.attachFunc(fnName: "track_established", attachableFD: cgroupFD, attachType: .cgroupSockOps)

        // A child in the cgroup connects; the test's own sockets (another cgroup) are not tracked.
        let (listener, port) = try TestNetwork.listenTCP(on: "127.0.0.1")
        defer { close(listener) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/bash")
        child.arguments = ["-c", "read go; exec 3<>/dev/tcp/127.0.0.1/\(port); echo $go >&3; read done"]
        let input = Pipe()
        child.standardInput = input
        try child.run()
        defer { if child.isRunning { child.terminate() } }
        try "\(child.processIdentifier)\n".write(toFile: "\(cgroup)/cgroup.procs", atomically: false, encoding: .utf8)
        input.fileHandleForWriting.write(Data("connected\n".utf8))
        let server = accept(listener, nil, nil)
        defer { close(server) }
        TestNetwork.setReceiveTimeout(server, milliseconds: 3000)
        var buffer = [UInt8](repeating: 0, count: 32)
        #expect(recv(server, &buffer, buffer.count, 0) > 0, "the child connected")
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(server, $0, &length) } }
        let childPort = UInt32(UInt16(bigEndian: peer.sin_port))

        #expect(try b["added"].typed(key: Int32.self, value: UInt64.self)[0] == 1)
        #expect(try b["socks"].typed(key: UInt32.self, value: UInt32.self).keys() == [childPort])
        input.fileHandleForWriting.write(Data("done\n".utf8))
        child.waitUntilExit()
        try b.detachFunc(fnName: "track_established", attachableFD: cgroupFD, attachType: .cgroupSockOps)
        #expect(try Syscall.progQuery(target: cgroupFD, attachType: .cgroupSockOps, object: "cgroup").isEmpty)
    }

    @Test func cpumapCarriesFramesToACPU() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            BPF_CPUMAP(cpus, 1);
            BPF_ARRAY(redirected, u64, 1);

            int to_cpu_zero(struct xdp_md *ctx) {
                struct ethhdr *eth = (void *)(long)ctx->data;
                if ((void *)(eth + 1) > (void *)(long)ctx->data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
                redirected.increment(0);
                return cpus.redirect_map(0, 0);
            }
            """)
        defer { b.close() }
        // A CPU map entry is the queue size of that CPU's kernel thread, which builds the skbs.
        try b["cpus"].typed(key: UInt32.self, value: UInt32.self).set(0, 192)
        try b.attachXdp(dev: pair.host, fnName: "to_cpu_zero")
        #expect(try pair.ping(count: 3) == 3, "the echo requests reach the stack through CPU 0's thread")
        #expect(try b["redirected"].typed(key: Int32.self, value: UInt64.self)[0] ?? 0 >= 3)
    }
}
