// Standard output without stdio buffering.
import Glibc

/// Standard output, written straight to descriptor 1 without
/// stdio buffering, so `opensnoop | grep x` shows each event as it happens.
/// Event tools gather a batch in an ``OutputBuffer`` instead.
public struct StandardOutput: TextOutputStream {
    /// Creates a writer to standard output.
    public init() {}

    /// Writes `text` at once, retrying short writes and interruptions.
    public mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { Self.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }
    }

    /// Writes `line` and a newline.
    public static func printLine(_ line: String) {
        var output = StandardOutput()
        output.write(line + "\n")
    }

    /// Writes `text` to standard error at once: warnings, errors and
    /// progress lines, kept apart from the tool's output.
    public static func writeToStandardError(_ text: String) {
        var text = text
        text.withUTF8 { writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
    }

    /// Writes all of `bytes` to `descriptor`, retrying short writes and
    /// interruptions; stops quietly when the descriptor is closed (e.g.
    /// `| head`): nothing useful is left to do.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
