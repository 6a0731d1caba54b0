/// bcc's -I of trace and argdist: the headers a program includes first.
public enum HeaderIncludes {
    /// One `#include` line per header: a path starting with `.` or `/` in
    /// quotes (a relative one made absolute against `workingDirectory`, as
    /// bcc's os.path.abspath), any other in angle brackets.
    public static func text(_ headers: [String], workingDirectory: String) -> String {
        headers.map { header in
            if header.hasPrefix("/") { return "#include \"\(header)\"\n" }
            if header.hasPrefix(".") { return "#include \"\(workingDirectory)/\(header)\"\n" }
            return "#include <\(header)>\n"
        }.joined()
    }
}
