import Synchronization

/// TemplateQueryAnswers holds the results of the `query` calls of one evaluation's templates.
///
/// Template execution is synchronous while rule queries are async, so a template that asks for a query with no
/// answer yet gets an error for now, and the question is kept until the caller has fetched the answer and expands
/// the template again. The results of one evaluation never change, so answering from this table is exact.
final class TemplateQueryAnswers: Sendable {
    /// More rounds than any real template needs (each round answers every new query); guards against a template
    /// that builds an endless chain of distinct queries.
    static let maxRounds = 16

    private let state = Mutex<(answers: [String: Result<[TemplateSample], TemplateQueryFailure>], missing: [String])>(([:], []))

    /// The answer to `text`, or an error that marks it as asked for.
    func answer(_ text: String) throws -> [TemplateSample] {
        let known: Result<[TemplateSample], TemplateQueryFailure>? = state.withLock { state in
            if let answer = state.answers[text] { return answer }
            if !state.missing.contains(text) { state.missing.append(text) }
            return nil
        }
        guard let known else { throw TemplateQueryFailure(message: "query not evaluated yet") }
        return try known.get()
    }

    /// The queries asked for since the last call, in the order they were first asked.
    func takeMissing() -> [String] {
        state.withLock { state in
            defer { state.missing = [] }
            return state.missing
        }
    }

    func record(_ text: String, _ result: Result<[TemplateSample], TemplateQueryFailure>) {
        state.withLock { $0.answers[text] = result }
    }
}

/// TemplateQueryFailure is a template query that could not run; its message is the query error as Prometheus prints it.
struct TemplateQueryFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}
