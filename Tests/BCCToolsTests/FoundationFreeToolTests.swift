import ELF
import Foundation
import Testing
import TestSupport

/// The tools' run path uses neither Foundation nor FoundationEssentials: in
/// a static build, Foundation's String(format:), NSString bridging,
/// DateFormatter, FileHandle, Thread and Process bring CoreFoundation and
/// ICU's data along, and FoundationEssentials' URL, FileManager and
/// ProcessInfo megabytes of code of their own (issue 18).
@Suite struct FoundationFreeToolTests {
    /// Modules that may import Foundation: bcc-exporter's server stack
    /// (Hummingbird, NIO, Yams) brings it anyway, and it is not a tool.
    static let exempt: Set<String> = ["BCCExporter", "bcc-exporter"]

    /// Undefined dynamic symbols of a debug build that a Foundation API
    /// (or FoundationInternationalization, ICU's front end) would satisfy.
    static func foundationReferences(inBinary path: String) throws -> [String] {
        try ELFFile(contentsOf: path).dynamicSymbols()
            .filter { $0.sectionIndex == 0 }
            .map(\.name)
            .filter { $0.hasPrefix("$s10Foundation") || $0.hasPrefix("$s30FoundationInternationalization") }
    }

    @Test(arguments: ["opensnoop", "trace", "swift-bcc"])
    func toolBinaryCallsNoFoundationAPI(tool: String) throws {
        // Linked from every library module a tool uses (a debug build links
        // every object), so a Foundation call anywhere below shows here.
        let references = try Self.foundationReferences(inBinary: TestSupport.builtProduct(tool))
        #expect(references.isEmpty, "\(tool) calls Foundation: \(references.prefix(5).joined(separator: ", "))")
    }

    @Test func theCheckSeesFoundationWhereItIsUsed() throws {
        // The test binary itself does use Foundation: the check must find it there.
        #expect(!(try Self.foundationReferences(inBinary: "/proc/self/exe")).isEmpty)
    }

    @Test func sourcesImportNoFoundation() throws {
        let root = TestSupport.repositoryRoot
        let importLine = try Regex(#"^\s*(@\w+\s+)*import\s+((struct|class|enum|func|var|let|protocol|typealias)\s+)?Foundation(Essentials)?(\.|\s*$)"#)
        var offenders: [String] = []
        for directory in ["Sources", "Examples"] {
            let base = root.appendingPathComponent(directory)
            let files = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                guard let module = file.split(separator: "/").first, !Self.exempt.contains(String(module)) else { continue }
                let text = try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains(importLine) {
                    offenders.append("\(directory)/\(file):\(number + 1)")
                }
            }
        }
        #expect(offenders.isEmpty, "the standard library and Glibc instead of Foundation in: \(offenders.joined(separator: ", "))")
    }
}
