// A plain C interface over Debian's RE2 (libre2-dev), so Swift can compile and run Go-syntax regular expressions
// without C++ interoperability. Every text is a (pointer, length) pair of UTF-8 bytes and need not end in NUL.
#ifndef CRE2_SHIM_H
#define CRE2_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled RE2 regular expression (or the error that compiling produced); owned by the caller.
typedef struct cre2_regex cre2_regex;

/// RE2's error codes, in the order of `RE2::ErrorCode`.
typedef enum {
    CRE2_NO_ERROR = 0,
    CRE2_ERROR_INTERNAL,
    CRE2_ERROR_BAD_ESCAPE,
    CRE2_ERROR_BAD_CHAR_CLASS,
    CRE2_ERROR_BAD_CHAR_RANGE,
    CRE2_ERROR_MISSING_BRACKET,
    CRE2_ERROR_MISSING_PAREN,
    CRE2_ERROR_UNEXPECTED_PAREN,
    CRE2_ERROR_TRAILING_BACKSLASH,
    CRE2_ERROR_REPEAT_ARGUMENT,
    CRE2_ERROR_REPEAT_SIZE,
    CRE2_ERROR_REPEAT_OP,
    CRE2_ERROR_BAD_PERL_OP,
    CRE2_ERROR_BAD_UTF8,
    CRE2_ERROR_BAD_NAMED_CAPTURE,
    CRE2_ERROR_PATTERN_TOO_LARGE,
} cre2_error;

/// Where a match or submatch starts and ends, as byte offsets; both are -1 for a group that took no part.
typedef struct {
    int64_t start;
    int64_t end;
} cre2_span;

/// How a match is anchored to the searched range.
typedef enum {
    CRE2_UNANCHORED = 0,
    CRE2_ANCHOR_START = 1,
    CRE2_ANCHOR_BOTH = 2,
} cre2_anchor;

/// Compiles `pattern` with Go's settings: UTF-8, Perl classes and `\b`, leftmost-first, captures on, no logging.
/// Returns NULL only when memory runs out; otherwise check `cre2_error_code`.
cre2_regex *cre2_compile(const char *pattern, size_t length);

/// Frees a regex from `cre2_compile`; NULL is ignored.
void cre2_free(cre2_regex *regex);

/// The RE2 error code, CRE2_NO_ERROR when the pattern compiled.
int cre2_error_code(const cre2_regex *regex);

/// RE2's error sentence (NUL-terminated, owned by the regex); empty when there is no error.
const char *cre2_error_text(const cre2_regex *regex);

/// The offending part of the pattern; `*length` receives its byte count. Owned by the regex.
const char *cre2_error_arg(const cre2_regex *regex, size_t *length);

/// How many capturing groups the pattern has, not counting the whole match; -1 if it did not compile.
int cre2_group_count(const cre2_regex *regex);

/// The name of capturing group `index` (1-based), NUL-terminated and owned by the regex, or NULL when unnamed.
const char *cre2_group_name(const cre2_regex *regex, int index);

/// Searches `text[start..<length]` (with the whole text as context for `^`, `\b`), filling up to `span_count` spans:
/// spans[0] is the whole match, spans[i] group i. Returns 1 on a match, 0 otherwise.
int cre2_match(const cre2_regex *regex, const char *text, size_t length, size_t start, cre2_anchor anchor,
               cre2_span *spans, int span_count);

#ifdef __cplusplus
}
#endif

#endif
