// Structured log entries to the systemd journal over its native protocol
// (one datagram of FIELD=value lines to /run/systemd/journal/socket), as
// python-systemd's journal.send writes them for bcc's tcpstates -Y.
import Glibc

/// A connection to the systemd journal.
public final class SystemdJournal {
    /// Where journald listens.
    public static let socketPath = "/run/systemd/journal/socket"

    private let descriptor: Int32

    /// Opens a datagram socket to journald's socket at `path`.
    ///
    /// - Throws: ``SystemdJournalError`` when no journal listens there.
    public init(path: String = SystemdJournal.socketPath) throws(SystemdJournalError) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemdJournalError(path: path, detail: String(cString: strerror(errno))) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SystemdJournalError(path: path, detail: "path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let detail = String(cString: strerror(errno))
            close(fd)
            throw SystemdJournalError(path: path, detail: detail)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Sends one entry; a value with a newline goes in the protocol's
    /// length-prefixed form. Returns false when journald refused it (the
    /// entry is lost, as python-systemd's send would raise and bcc exit).
    @discardableResult
    public func send(_ fields: [(String, String)]) -> Bool {
        let datagram = Self.encode(fields)
        return datagram.withUnsafeBytes { bytes in
            while true {
                let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                if sent >= 0 { return true }
                if errno != EINTR { return false }
            }
        }
    }

    /// The native protocol's bytes for `fields`.
    static func encode(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += Array(name.utf8)
            let text = Array(value.utf8)
            if text.contains(UInt8(ascii: "\n")) {
                bytes.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes += $0 }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += text
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}

/// No journal listens at the path.
public struct SystemdJournalError: Error, CustomStringConvertible {
    /// The socket's path.
    public var path: String
    /// What went wrong.
    public var detail: String
    /// The problem and where.
    public var description: String { "cannot log to the systemd journal at \(path): \(detail)" }
}
