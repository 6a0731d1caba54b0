import Netlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A NETLINK_ROUTE socket that sends one request at a time and collects the
/// kernel's replies to it: the acknowledgement of a change, or every message
/// of a dump. Refusals become `BPFError`s carrying the kernel's explanation
/// (extended ack).
final class NetlinkSocket {
    private let fd: OwnedFD
    private var sequence: UInt32

    /// SOL_NETLINK and its options (linux/netlink.h).
    private static let solNetlink: Int32 = 270
    private static let capAck: Int32 = 10
    private static let extAck: Int32 = 11
    private static let strictCheck: Int32 = 12
    /// How long a reply may take before the request is reported as unanswered.
    private static let replyTimeoutSeconds = 10
    /// How often a dump the kernel reports as interrupted (changed while read) is asked again.
    private static let dumpRetries = 5

    /// Opens a route netlink socket with extended acks and strict checks. (It
    /// binds itself on the first send, and sends without an address go to the kernel.)
    init() throws(BPFError) {
        let raw = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard raw >= 0 else { throw .system(operation: "open", object: "route netlink socket", errno: errno) }
        fd = OwnedFD(rawValue: raw)
        // Best effort: kernels before 4.12 (extended ack) and 4.20 (strict checks) lack these.
        for option in [Self.extAck, Self.capAck, Self.strictCheck] {
            var on: Int32 = 1
            _ = setsockopt(raw, Self.solNetlink, option, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: Self.replyTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        sequence = UInt32(truncatingIfNeeded: getpid()) &* 2_654_435_761
    }

    /// Closes the socket.
    func close() { fd.close() }

    // MARK: Requests

    /// Sends a change (NEW/SET/DEL) and waits for its acknowledgement; returns
    /// the messages the kernel sent before it (an NLM_F_ECHO reply).
    ///
    /// - Parameters:
    ///   - operation: what the request does, for errors ("attach XDP program 'count' to").
    ///   - object: what it acts on, for errors ("device veth0").
    @discardableResult
    func change(type: UInt16, flags: NetlinkFlags = [], payload: [UInt8], operation: String,
                object: String) throws(BPFError) -> [NetlinkMessage] {
        try exchange(type: type, flags: flags.union([.request, .acknowledge]), payload: payload,
                     operation: operation, object: object).messages
    }

    /// Sends a GET request with NLM_F_DUMP and returns every object of the
    /// dump, asking again when the kernel reports that the objects changed
    /// while it was dumping them.
    func dump(type: UInt16, payload: [UInt8], operation: String, object: String) throws(BPFError) -> [NetlinkMessage] {
        for _ in 0...Self.dumpRetries {
            let reply = try exchange(type: type, flags: [.request, .dump], payload: payload, operation: operation, object: object)
            if !reply.interrupted { return reply.messages }
        }
        throw .system(operation: "\(operation) (the dump kept changing while read)", object: object, errno: EAGAIN)
    }

    /// Sends one GET request for a single object and returns the reply.
    func get(type: UInt16, payload: [UInt8], operation: String, object: String) throws(BPFError) -> NetlinkMessage {
        let reply = try exchange(type: type, flags: .request, payload: payload, operation: operation, object: object,
                                 endsWithFirstMessage: true)
        guard let message = reply.messages.first else {
            throw .malformed(what: "netlink reply to \(operation) \(object)", detail: "the kernel sent no object")
        }
        return message
    }

    /// Sends a request and collects its replies: the data messages, and
    /// whether a dump was interrupted (NLM_F_DUMP_INTR).
    private func exchange(type: UInt16, flags: NetlinkFlags, payload: [UInt8], operation: String, object: String,
                          endsWithFirstMessage: Bool = false) throws(BPFError) -> (messages: [NetlinkMessage], interrupted: Bool) {
        sequence &+= 1
        let expected = sequence
        try send(NetlinkMessage(type: type, flags: flags, sequence: expected, payload: payload).encoded(),
                 operation: operation, object: object)
        var collected: [NetlinkMessage] = []
        var interrupted = false
        while true {
            let datagram = try receive(operation: operation, object: object)
            let messages: [NetlinkMessage]
            do {
                messages = try NetlinkMessage.decodeAll(datagram)
            } catch {
                throw .malformed(what: "netlink reply to \(operation) \(object)", detail: error.description)
            }
            for message in messages where message.sequence == expected {
                let reply: NetlinkReply
                do {
                    reply = try NetlinkReply(message)
                } catch {
                    throw .malformed(what: "netlink reply to \(operation) \(object)", detail: error.description)
                }
                if message.flags.contains(.dumpInterrupted) { interrupted = true }
                switch reply {
                case .message(let data):
                    collected.append(data)
                    if endsWithFirstMessage { return (collected, interrupted) }
                case .acknowledgement, .done:
                    return (collected, interrupted)
                case .error(let error):
                    throw error.bpfError(operation: operation, object: object)
                case .ignored:
                    break
                }
            }
        }
    }

    private func send(_ bytes: [UInt8], operation: String, object: String) throws(BPFError) {
        let sent: Result<Int, Errno> = bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try Errno.retryingInterrupts { Glibc.send(fd.rawValue, buffer.baseAddress, buffer.count, 0) } }
        }
        guard case .success(let count) = sent, count == bytes.count else {
            throw .system(operation: "send netlink request to \(operation)", object: object,
                          errno: sent.errno != 0 ? sent.errno : EMSGSIZE)
        }
    }

    /// One datagram, sized first with MSG_PEEK | MSG_TRUNC so nothing is cut off.
    private func receive(operation: String, object: String) throws(BPFError) -> [UInt8] {
        var probe: UInt8 = 0
        let size = Result { () throws(Errno) in
            try Errno.retryingInterrupts { recv(fd.rawValue, &probe, 0, Int32(MSG_PEEK | MSG_TRUNC)) }
        }
        var datagram = [UInt8](repeating: 0, count: max((try? size.get()) ?? 0, 1))
        let received: Result<Int, Errno> = size.flatMap { _ in
            datagram.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try Errno.retryingInterrupts { recv(fd.rawValue, buffer.baseAddress, buffer.count, 0) } }
            }
        }
        switch received {
        case .success(let count):
            return Array(datagram.prefix(count))
        case .failure(let error) where error.rawValue == EAGAIN || error.rawValue == EWOULDBLOCK:
            throw .system(operation: "wait for the kernel's netlink reply to \(operation)", object: object, errno: ETIMEDOUT)
        case .failure(let error):
            throw .system(operation: "receive netlink reply to \(operation)", object: object, errno: error.rawValue)
        }
    }
}

extension NetlinkErrorReply {
    /// The refusal as a `BPFError` naming the operation and object, with the kernel's explanation.
    func bpfError(operation: String, object: String) -> BPFError {
        let because = message.map { " (kernel: \($0))" } ?? ""
        switch errno {
        case EPERM, EACCES:
            return .permissionDenied(operation: "\(operation) \(object)\(because)")
        case EINVAL:
            return .invalidArgument(operation: operation, object: object,
                                    detail: message ?? "the kernel rejected the request (EINVAL)")
        case EOPNOTSUPP, BPFError.kernelENOTSUPP:
            return .notSupported(feature: "\(operation) \(object)",
                                 requirement: message.map { "what the kernel says: \($0)" } ?? "a device and kernel that implement it")
        case ENODEV:
            return .notFound(what: "\(object)\(because)")
        default:
            return .system(operation: operation, object: "\(object)\(because)", errno: errno)
        }
    }
}
