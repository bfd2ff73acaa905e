import PromQL
import TSDB

/// QueryParameterReading reads every parameter the query and metadata endpoints take from form text,
/// with the same functions the handlers use, so fuzz targets and tests can drive them without HTTP.
public enum QueryParameterReading {
    /// Parsed holds what the handlers would go on to use.
    public struct Parsed: Sendable {
        public var query: Expr?
        public var time: Timestamp?
        public var start: Timestamp?
        public var end: Timestamp?
        public var step: Int64?
        public var timeout: Int64?
        public var matcherSets: [[Matcher]]
        public var limit: Int?
    }

    /// read parses every known parameter of `form`; the first bad one throws the error its endpoint answers with.
    public static func read(form: String) throws(APIError) -> Parsed {
        let parameters = APIParameters(form: form)
        var query: Expr?
        if let text = parameters["query"] {
            do { query = try parseExpr(text) } catch { throw APIError(.badData, "invalid parameter \"query\": \(error)") }
        }
        return Parsed(
            query: query,
            time: try parameters.optionalTime("time"), start: try parameters.time("start"), end: try parameters.time("end"),
            step: try parameters.duration("step"), timeout: try parameters.duration("timeout"),
            matcherSets: try parameters.matcherSets(required: false),
            limit: try parameters.limit())
    }
}
