import Foundation
import Glibc
import TestSupport

/// struct sock_fprog, for SO_ATTACH_FILTER (linux/filter.h is not in Glibc's module).
private struct ClassicProgram {
    var length: UInt16
    var filter: UnsafeMutableRawPointer?
}

/// TCP on the loopback interface (127.0.0.1 or ::1) made by a test, so the
/// network tools see connections with ports the test knows.
struct LoopbackTCP {
    /// AF_INET or AF_INET6.
    let family: Int32

    /// "127.0.0.1" or "::1".
    var address: String { family == AF_INET6 ? "::1" : "127.0.0.1" }

    /// A socket address for the loopback address and `port`.
    func socketAddress(port: UInt16) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { bytes in
            if family == AF_INET6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                address.sin6_addr = in6addr_loopback
                bytes.storeBytes(of: address, as: sockaddr_in6.self)
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(INADDR_LOOPBACK).bigEndian
                bytes.storeBytes(of: address, as: sockaddr_in.self)
            }
        }
        return storage
    }

    var addressLength: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    /// The local port of socket `fd`.
    func localPort(_ fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw SpawnError(description: "getsockname: errno \(errno)") }
        // sin_port and sin6_port are both at offset 2.
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// A listening socket on a port the kernel chooses; `dropAll` attaches a
    /// classic BPF socket filter that drops every packet (SKB_DROP_REASON_SOCKET_FILTER).
    func listen(dropAll: Bool = false) throws -> (descriptor: Int32, port: UInt16) {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SpawnError(description: "socket: errno \(errno)") }
        var address = socketAddress(port: 0)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, addressLength) == 0 && Glibc.listen(fd, 16) == 0 }
        }
        guard bound else {
            close(fd)
            throw SpawnError(description: "bind/listen on \(self.address): errno \(errno)")
        }
        if dropAll {
            // struct sock_filter { u16 code; u8 jt, jf; u32 k; }: BPF_RET | BPF_K with k = 0 keeps no bytes.
            var dropEverything: UInt64 = 0x06
            let attached = withUnsafeMutablePointer(to: &dropEverything) { instruction in
                // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
                var program = ClassicProgram(length: 1, filter: UnsafeMutableRawPointer(instruction))
                return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, socklen_t(MemoryLayout<ClassicProgram>.size)) == 0
            }
            guard attached else {
                close(fd)
                throw SpawnError(description: "SO_ATTACH_FILTER: errno \(errno)")
            }
        }
        return (fd, try localPort(fd))
    }

    /// A socket connecting to `port`: blocking (returns once connected or
    /// refused) or not (returns at once, the handshake under way).
    func connect(port: UInt16, blocking: Bool = true) throws -> (descriptor: Int32, port: UInt16, connected: Bool) {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | (blocking ? 0 : Int32(SOCK_NONBLOCK.rawValue)), 0)
        guard fd >= 0 else { throw SpawnError(description: "socket: errno \(errno)") }
        var address = socketAddress(port: port)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, addressLength) }
        }
        let failure = errno
        guard result == 0 || (!blocking && failure == EINPROGRESS) || failure == ECONNREFUSED else {
            close(fd)
            throw SpawnError(description: "connect to \(self.address):\(port): errno \(failure)")
        }
        return (fd, try localPort(fd), result == 0)
    }

    /// A connection through a new listener: the client sends `bytes` bytes, the
    /// server reads them, the client closes first, then the server. Returns the
    /// server and client ports.
    func exchange(bytes: Int) throws -> (server: UInt16, client: UInt16) {
        let (listener, serverPort) = try listen()
        defer { close(listener) }
        let client = try connect(port: serverPort)
        var clientOpen = true
        defer { if clientOpen { close(client.descriptor) } }
        let accepted = accept(listener, nil, nil)
        guard accepted >= 0 else { throw SpawnError(description: "accept: errno \(errno)") }
        defer { close(accepted) }
        let payload = [UInt8](repeating: 0x61, count: bytes)
        guard send(client.descriptor, payload, payload.count, 0) == payload.count else {
            throw SpawnError(description: "send: errno \(errno)")
        }
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received < bytes {
            let count = recv(accepted, &buffer, buffer.count, 0)
            guard count > 0 else { throw SpawnError(description: "recv: errno \(errno)") }
            received += count
        }
        close(client.descriptor)
        clientOpen = false
        // The server sees the client's FIN before it closes (CLOSE_WAIT, then LAST_ACK).
        _ = recv(accepted, &buffer, buffer.count, 0)
        return (serverPort, client.port)
    }
}
