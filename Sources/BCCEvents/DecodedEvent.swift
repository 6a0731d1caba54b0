/// A ring buffer or perf buffer record decoded as its C struct: the
/// members in declaration order, copied out of the record.
///
///     let event = try b["events"].event(data)
///     event.pid?.int            // dynamic member lookup
///     event["comm"]?.string     // by name
///     print(event)              // pid=123 ts=456 comm=bash
///
/// Members named `fields`, `typeName` or `description` are reached by
/// subscript: `event["fields"]`.
@dynamicMemberLookup
public struct DecodedEvent: Sendable, Equatable, CustomStringConvertible {
    /// The C type the record was decoded as (`struct data_t`).
    public var typeName: String
    /// The struct's members in declaration order; members of anonymous
    /// structs and unions appear in their parent, as C accesses them.
    public var fields: [EventField]

    /// An event of `typeName` with `fields`.
    public init(typeName: String, fields: [EventField]) {
        self.typeName = typeName
        self.fields = fields
    }

    /// The member `name`, or nil when the struct has none.
    public subscript(name: String) -> EventValue? {
        fields.first { $0.name == name }?.value
    }

    /// The member `name`: `event.pid`.
    public subscript(dynamicMember name: String) -> EventValue? { self[name] }

    /// `name=value` for each member, separated by spaces: `pid=123 comm=bash`.
    public var description: String {
        var text = ""
        EventText.describe(fields: fields, into: &text)
        return text
    }

    /// The record as one JSON object: `{"table":"events","fields":{"pid":123,"comm":"bash"}}`.
    /// Integers are numbers, char arrays strings, nested structs objects,
    /// arrays arrays, enums their enumerator's name (or number).
    public func json(table: String) -> String {
        var text = "{\"table\":"
        EventText.jsonString(table, into: &text)
        text += ",\"fields\":"
        EventText.json(fields: fields, into: &text)
        text += "}"
        return text
    }

    /// The members as one JSON object: `{"pid":123,"comm":"bash"}`.
    public var jsonFields: String {
        var text = ""
        EventText.json(fields: fields, into: &text)
        return text
    }
}
