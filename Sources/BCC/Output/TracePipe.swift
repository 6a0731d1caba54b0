// Reading bpf_trace_printk output from the kernel's trace_pipe, line by line.
import EBPF
import Glibc

/// The kernel's trace_pipe, where `bpf_trace_printk` output appears.
///
/// Reading consumes lines: two readers of the pipe each see part of the
/// output, as with bcc. The descriptor is closed when the reader is released.
public final class TracePipe {
    /// The file read.
    public let path: String
    private let fd: Int32
    /// The descriptor, for waiting on it beside other sources.
    var fileDescriptor: Int32 { fd }
    private var buffer: [UInt8] = []
    private let chunkSize: Int

    /// Opens `path`, by default tracefs's trace_pipe (mounting tracefs if it is not).
    ///
    /// With `exactLines` the pipe is read a byte at a time, so that closing it
    /// after a line loses nothing: the kernel keeps unread output for the next
    /// reader. Otherwise it reads in chunks, and text read past the last line
    /// returned is lost when the reader is released.
    ///
    /// - Throws: ``BCCError/file(path:detail:)`` when none can be opened.
    public init(path: String? = nil, exactLines: Bool = false) throws(BCCError) {
        chunkSize = exactLines ? 1 : 4096
        let chosen: String
        do {
            chosen = try path ?? Tracefs.tracePipePath()
        } catch {
            throw .kernel("find", "trace_pipe", error)
        }
        let fd = open(chosen, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .file(path: chosen, detail: errno == EACCES || errno == EPERM ? "\(reason): run as root" : reason)
        }
        self.path = chosen
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// The next line without its newline (bcc's `trace_readline`), waiting up
    /// to `timeout` milliseconds (-1: until one arrives); nil on timeout.
    public func readLine(timeout: Int = -1) throws(BCCError) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            // Read before polling: text the kernel formatted but did not hand out
            // yet (byte-at-a-time reads) does not make the pipe poll readable.
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
            } else if count == 0 || errno == EAGAIN {
                guard try waitReadable(timeout: timeout) else { return nil }
            } else if errno != EINTR {
                throw .file(path: path, detail: String(cString: strerror(errno)))
            }
        }
    }

    /// The next line split into fields (bcc's `trace_fields`), skipping the
    /// lines bcc skips; nil when nothing arrives within `timeout` milliseconds.
    public func readFields(timeout: Int = -1) throws(BCCError) -> TraceFields? {
        let deadline = timeout < 0 ? nil : ContinuousClock.now + .milliseconds(timeout)
        while true {
            let remaining = deadline.map { max(0, Int((($0 - .now) / .milliseconds(1)).rounded(.up))) } ?? -1
            guard let line = try readLine(timeout: remaining) else { return nil }
            if let fields = TraceFields(line: line[...]) { return fields }
        }
    }

    /// Prints lines to standard output as they arrive (bcc's `trace_print`),
    /// each through `format` when given, until `shouldStop` returns true
    /// (checked at least every 100 ms).
    public func print(format: ((TraceFields) -> String)? = nil, until shouldStop: () -> Bool) throws(BCCError) {
        var output = StandardOutput()
        while !shouldStop() {
            if let format {
                if let fields = try readFields(timeout: 100) { output.write(format(fields) + "\n") }
            } else if let line = try readLine(timeout: 100) {
                output.write(line + "\n")
            }
        }
    }

    private func waitReadable(timeout: Int) throws(BCCError) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(clamping: timeout))
        if ready < 0 {
            if errno == EINTR { return false }
            throw .file(path: path, detail: String(cString: strerror(errno)))
        }
        return ready > 0
    }
}
