// Standard output without stdio buffering.
import Foundation

/// Standard output, written straight to descriptor 1 without
/// stdio buffering, so `opensnoop | grep x` shows each event as it happens.
public struct StandardOutput: TextOutputStream {
    /// Creates a writer to standard output.
    public init() {}

    /// Writes `text` at once, retrying short writes and interruptions.
    public mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stdout closed (e.g. `| head`): nothing useful left to do
                }
                offset += written
            }
        }
    }

    /// Writes `line` and a newline.
    public static func printLine(_ line: String) {
        var output = StandardOutput()
        output.write(line + "\n")
    }
}
