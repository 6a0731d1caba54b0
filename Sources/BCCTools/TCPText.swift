// What bcc's TCP tools share: state and flag names as bcc's tcp.py prints
// them, addresses as inet_ntop writes them, the -L/-D/-P port lists, the
// -4/-6 family choice, and the C that filters by them.
import ArgumentParser
import BCC
import BPFObject
import Glibc

/// Text for the TCP values bcc's network tools print.
public enum TCPText {
    /// bcc's names of the kernel's TCP states (include/net/tcp_states.h), by number.
    static let stateNames = [1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
                             6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
                             11: "CLOSING", 12: "NEW_SYN_RECV"]

    /// The name of TCP state `state` (its number when unknown), as bcc's tcp.state2str.
    public static func state(_ state: Int) -> String {
        stateNames[state] ?? String(state)
    }

    /// TCP header flags joined by '|' (FIN|SYN|RST|PSH|ACK|URG|ECE|CWR order), as bcc's tcp.flags2str.
    public static func flags(_ flags: UInt8) -> String {
        let names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
        return names.indices.filter { flags & (1 << $0) != 0 }.map { names[$0] }.joined(separator: "|")
    }

    /// `bytes` (network order: 4 used for AF_INET, 16 for AF_INET6) as inet_ntop writes them.
    public static func address<Bytes: Collection<UInt8>>(family: UInt16, _ bytes: Bytes) -> String {
        let isV6 = Int32(family) == AF_INET6
        var raw = Array(bytes.prefix(isV6 ? 16 : 4))
        raw += [UInt8](repeating: 0, count: (isV6 ? 16 : 4) - raw.count)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = raw.withUnsafeBytes { source in
            inet_ntop(isV6 ? AF_INET6 : AF_INET, source.baseAddress, &text, socklen_t(text.count))
        }
        guard written != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An address stored in a record's `u8 addr[16]` (a tuple), as inet_ntop writes it.
    public static func address<Storage>(family: UInt16, of storage: Storage) -> String {
        withUnsafeBytes(of: storage) { address(family: family, Array($0)) }
    }

    /// The IP version column: "4" or "6".
    public static func version(family: UInt16) -> String {
        Int32(family) == AF_INET6 ? "6" : "4"
    }

    /// A comma-separated port list ("80,81") as bcc's -L/-D/-P take it.
    ///
    /// - Throws: `PortListError` naming the option and the entry that is not a port.
    public static func ports(_ list: String, option: String) throws(PortListError) -> [UInt16] {
        let entries = list.split(separator: ",", omittingEmptySubsequences: false)
        return try entries.map { entry throws(PortListError) in
            let text = entry.trimmingWhitespace()
            guard let port = UInt16(text), port > 0 else { throw PortListError(option: option, entry: String(entry)) }
            return port
        }
    }
}

extension TCPText {
    /// The ports of option `option`'s value `list`, if given; a bad list is the
    /// command line's error (ArgumentParser prints it with the usage).
    public static func portOption(_ list: String?, option: String) throws(ValidationError) -> [UInt16]? {
        guard let list else { return nil }
        do {
            return try ports(list, option: option)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// A -L/-D/-P value that is not a comma-separated list of ports.
public struct PortListError: Error, CustomStringConvertible {
    /// The option, e.g. "-L".
    public var option: String
    /// The entry that is not a port number.
    public var entry: String
    /// The problem and where.
    public var description: String { "\(option): '\(entry)' is not a port (1-65535)" }
}

/// The address families a TCP tool traces (-4, -6, or both), and the C that keeps them.
public enum TCPFamilyFilter: Sendable {
    /// Both families.
    case any
    /// IPv4 only (-4).
    case ipv4
    /// IPv6 only (-6).
    case ipv6

    /// The filter for flags -4 and -6 (at most one set; the tools validate that).
    public init(ipv4: Bool, ipv6: Bool) {
        self = ipv4 ? .ipv4 : ipv6 ? .ipv6 : .any
    }

    /// A C condition, true when `family` (an expression) should be skipped.
    public func skips(_ family: String) -> String {
        switch self {
        case .any: "0"
        case .ipv4: "\(family) != AF_INET"
        case .ipv6: "\(family) != AF_INET6"
        }
    }
}

/// Port filters (-L, -D, -P) kept in id-set tables the tool fills.
public enum TCPPortFilter {
    /// C declarations for a port set called `name` when `used` (nothing otherwise).
    public static func declaration(_ name: String, used: Bool) -> String {
        used ? TableFilters.idSet(name) : ""
    }

    /// A C condition, true when `port` (an expression) is not in set `name`; "0" when the set is unused.
    public static func skips(_ name: String, port: String, used: Bool) -> String {
        used ? "!\(name)_has(\(port))" : "0"
    }

    /// Fills set `name` of `b` with `ports`.
    public static func fill(_ b: BPF, _ name: String, with ports: [UInt16]) throws(BCCError) {
        try TableFilters.fill(b, idSet: name, with: ports.map { Int32($0) })
    }
}

/// How tcpstates' and tcplife's lines are laid out (bcc's -T, -t, -w, -s).
public struct TCPLineStyle: Sendable {
    /// HH:MM:SS first (-T).
    public var time = false
    /// Seconds since the first record (-t).
    public var timestamp = false
    /// IPv6-wide columns with the IP version (-w).
    public var wide = false
    /// Comma-separated values (-s).
    public var csv = false

    /// A style; the default is bcc's 80-column output.
    public init(time: Bool = false, timestamp: Bool = false, wide: Bool = false, csv: Bool = false) {
        self.time = time
        self.timestamp = timestamp
        self.wide = wide
        self.csv = csv
    }

    /// The TIME and TIME(s) prefix columns of bcc's tcpstates and tcplife.
    func prefix(clock: @autoclosure () -> String, seconds: Double?) -> String {
        var text = ""
        if time { text += csv ? "\(clock())," : CText.left(clock(), 8) + " " }
        if timestamp, let seconds {
            let value = CText.fixed(seconds, 6)
            text += csv ? "\(value)," : CText.left(value, 9) + " "
        }
        return text
    }

    /// The header's prefix.
    var headerPrefix: String {
        var text = ""
        if time { text += csv ? "TIME," : CText.left("TIME", 8) + " " }
        if timestamp { text += csv ? "TIME(s)," : CText.left("TIME(s)", 9) + " " }
        return text
    }
}
