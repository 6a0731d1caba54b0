// bcc's examples/networking/http_filter/http-parse-simple.py in Swift: a
// socket filter on a raw socket bound to a device keeps only TCP segments
// whose payload starts like an HTTP request or response; their first line
// is printed with the addresses.
// Run: swift run http-filter -i DEVICE [--duration SECONDS]   (as root; Ctrl-C to stop)
import ArgumentParser
import BCC
import BCCTools
#if canImport(Glibc)
import Glibc
#endif

let program = """
    #define ETH_HLEN 14

    static int matches(char *text, const char *word, int length) {
        for (int i = 0; i < length; i++)
            if (text[i] != word[i]) return 0;
        return 1;
    }

    int http_filter(struct __sk_buff *skb) {
        u8 version_ihl, protocol, data_offset;
        if (bpf_skb_load_bytes(skb, ETH_HLEN, &version_ihl, 1) < 0 || (version_ihl >> 4) != 4) return 0;
        if (bpf_skb_load_bytes(skb, ETH_HLEN + 9, &protocol, 1) < 0 || protocol != IPPROTO_TCP) return 0;
        u32 ip_header_length = (version_ihl & 0x0F) << 2;
        if (bpf_skb_load_bytes(skb, ETH_HLEN + ip_header_length + 12, &data_offset, 1) < 0) return 0;
        u32 payload = ETH_HLEN + ip_header_length + ((data_offset >> 4) << 2);
        char start[8] = {};
        if (bpf_skb_load_bytes(skb, payload, start, 7) < 0) return 0;  // fewer than 7 bytes of payload
        if (matches(start, "HTTP", 4) || matches(start, "GET", 3) || matches(start, "POST", 4) || matches(start, "PUT", 3)
            || matches(start, "DELETE", 6) || matches(start, "HEAD", 4))
            return -1;  // keep the whole frame
        return 0;       // drop it
    }
    """

struct HTTPFilter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-filter",
        abstract: "Print the first line of every HTTP request and response seen on a device.")

    @Option(name: [.customShort("i"), .long], help: "The network device to watch.")
    var interface: String

    @Option(name: [.customShort("d"), .long], help: "Stop after this many seconds.")
    var duration: Double?

    func run() throws {
        let b = try BPF(text: program)
        defer { b.close() }
        let socket = try b.attachRawSocket(fnName: "http_filter", dev: interface)
        StandardOutput.printLine("Watching HTTP on \(interface), hit CTRL+C to stop")
        let stop = StopSignal(duration: duration)
        var frame = [UInt8](repeating: 0, count: 65536)
        while !stop.isStopped {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(stop.pollTimeout())) > 0 else { continue }
            while case let count = recv(socket, &frame, frame.count, Int32(MSG_DONTWAIT)), count > 0 {
                if let line = Self.describe(frame[..<count]) { StandardOutput.printLine(line) }
            }
        }
    }

    /// "SRC:PORT -> DST:PORT first line" for an Ethernet frame with IPv4 and TCP.
    static func describe(_ frame: ArraySlice<UInt8>) -> String? {
        let bytes = Array(frame)
        guard bytes.count > 14 + 20 else { return nil }
        let ipHeader = Int(bytes[14] & 0x0F) * 4
        let tcp = 14 + ipHeader
        guard bytes.count > tcp + 13 else { return nil }
        let payload = tcp + Int(bytes[tcp + 12] >> 4) * 4
        guard payload < bytes.count else { return nil }
        let address = { (offset: Int) in bytes[offset..<(offset + 4)].map(String.init).joined(separator: ".") }
        let port = { (offset: Int) in Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
        let firstLine = String(decoding: bytes[payload...].prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        return "\(address(26)):\(port(tcp)) -> \(address(30)):\(port(tcp + 2)) \(firstLine)"
    }
}

HTTPFilter.main()
