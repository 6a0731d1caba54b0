// Tool output gathered in one buffer and written once per batch.
import Glibc

/// Bytes for standard output (or another descriptor) gathered in one buffer
/// that is allocated once and reused.
///
/// An event tool appends each event's fields as bytes (numbers formatted in
/// place, C strings copied up to their NUL: no String per field) and calls
/// ``flush()`` once per poll pass, so a storm of events costs one write(2)
/// per batch instead of one per line, and `tool | grep x` still sees each
/// batch as soon as it was read. A full buffer is written out early.
public final class OutputBuffer {
    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    /// The descriptor ``flush()`` writes to; -1 keeps the bytes (``text``).
    public let descriptor: Int32

    /// A buffer of `capacity` bytes for `descriptor` (standard output by
    /// default; -1 for a buffer that is only read back through ``text``).
    public init(descriptor: Int32 = STDOUT_FILENO, capacity: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.capacity = Swift.max(capacity, 256)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        flush()
        storage.deallocate()
    }

    /// True when nothing waits to be written.
    public var isEmpty: Bool { count == 0 }

    /// What the buffer holds, as text (for a buffer with descriptor -1).
    public var text: String {
        String(decoding: UnsafeBufferPointer(start: storage, count: count), as: UTF8.self)
    }

    /// Drops what the buffer holds without writing it.
    public func removeAll() { count = 0 }

    /// Writes what the buffer holds with one write(2) (more only when the
    /// descriptor takes part of it), retrying interruptions. A closed
    /// standard output (`| head`) drops the bytes: nothing useful is left to do.
    public func flush() {
        guard count > 0, descriptor >= 0 else { return }
        StandardOutput.writeAll(descriptor, UnsafeRawBufferPointer(start: storage, count: count))
        count = 0
    }

    // MARK: - Appending

    /// Makes room for `needed` more bytes, writing out what is held when full.
    @inline(__always)
    private func reserve(_ needed: Int) {
        if count + needed > capacity {
            if descriptor >= 0 { flush() } else { precondition(count + needed <= capacity, "OutputBuffer(descriptor: -1) is full") }
        }
    }

    /// Appends one byte.
    public func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// Appends raw bytes.
    public func append(bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if bytes.count > capacity && descriptor >= 0 {
            flush()
            StandardOutput.writeAll(descriptor, bytes)
            return
        }
        reserve(bytes.count)
        UnsafeMutableRawPointer(storage + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends `text` as UTF-8.
    public func append(_ text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends `line` as UTF-8 and a newline.
    public func appendLine(_ line: String) {
        append(line)
        append(UInt8(ascii: "\n"))
    }

    /// Appends `count` spaces.
    public func appendSpaces(_ count: Int) {
        guard count > 0 else { return }
        reserve(count)
        (storage + self.count).update(repeating: UInt8(ascii: " "), count: count)
        self.count += count
    }

    /// Appends a C string field (the bytes up to the first NUL, or all of
    /// them), left-aligned in `width` characters as printf's `%-Ns`.
    public func append(cString field: UnsafeRawBufferPointer, width: Int = 0) {
        let length = Self.cStringLength(field)
        let text = UnsafeRawBufferPointer(rebasing: field[0 ..< length])
        append(bytes: text)
        if width > 0 { appendSpaces(width - Self.characterCount(text)) }
    }

    /// Appends `text` left-aligned in `width` characters (`%-Ns`).
    public func append(_ text: StaticString, width: Int) {
        text.withUTF8Buffer { bytes in
            append(bytes: UnsafeRawBufferPointer(bytes))
            appendSpaces(width - bytes.count)
        }
    }

    /// Appends `value` in decimal, padded with spaces to `width`: on the
    /// left (`%Nd`), or on the right when `leftAligned` (`%-Nd`).
    public func append(_ value: Int64, width: Int = 0, leftAligned: Bool = false) {
        // 20 digits and a sign hold any Int64.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let length = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var magnitude = value.magnitude
            var start = 24
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "-")
            }
            let length = 24 - start
            if !leftAligned { appendSpaces(width - length) }
            append(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[start...]))
            return length
        }
        if leftAligned { appendSpaces(width - length) }
    }

    /// Appends `value` in octal with at least `digits` digits, zero-padded (`%0No`).
    public func append(octal value: UInt64, digits: Int) {
        var written = 0
        var probe = value
        repeat { written += 1; probe >>= 3 } while probe != 0
        let length = Swift.max(written, digits)
        reserve(length)
        var rest = value
        for index in stride(from: count + length - 1, through: count, by: -1) {
            storage[index] = UInt8(ascii: "0") + UInt8(rest & 7)
            rest >>= 3
        }
        count += length
    }

    /// Appends `value` zero-padded to exactly `digits` decimal digits (the
    /// low ones): a fraction's digits.
    public func append(zeroPadded value: UInt64, digits: Int) {
        reserve(digits)
        var rest = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            storage[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        count += digits
    }

    // MARK: - C strings

    /// The length of the C string in `field`: up to its first NUL, or all of it.
    public static func cStringLength(_ field: UnsafeRawBufferPointer) -> Int {
        guard let base = field.baseAddress, !field.isEmpty else { return 0 }
        if let nul = memchr(base, 0, field.count) { return base.distance(to: UnsafeRawPointer(nul)) }
        return field.count
    }

    /// Characters in UTF-8 `bytes` as printf's padding counts them in
    /// Python (code points): every byte but continuation bytes.
    public static func characterCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var characters = 0
        for byte in bytes where byte & 0xC0 != 0x80 { characters += 1 }
        return characters
    }
}
