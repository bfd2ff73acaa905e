// The C interface of cre2_shim.h over RE2's C++ API.
#include "cre2_shim.h"

#include <re2/re2.h>

#include <new>
#include <string>
#include <vector>

struct cre2_regex {
    RE2 *re;
    // Group names by index (empty for unnamed groups), kept so returned pointers outlive the call.
    std::vector<std::string> names;
    std::vector<bool> named;
};

namespace {

RE2::Options goOptions() {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingUTF8);
    options.set_posix_syntax(false);  // Perl-like syntax, as Go: \d \w \s \b, (?flags), non-greedy, \pL.
    options.set_longest_match(false);
    options.set_log_errors(false);
    options.set_perl_classes(true);
    options.set_word_boundary(true);
    options.set_never_nl(false);
    options.set_dot_nl(false);
    options.set_never_capture(false);
    options.set_case_sensitive(true);
    // RE2's default budget (8 MiB) refuses selectors listing ~20,000 values, which Go compiles; the budget bounds
    // lazily grown program and DFA memory, it is not allocated up front.
    options.set_max_mem(int64_t{256} << 20);
    return options;
}

}  // namespace

extern "C" {

cre2_regex *cre2_compile(const char *pattern, size_t length) {
    cre2_regex *regex = new (std::nothrow) cre2_regex();
    if (regex == nullptr) return nullptr;
    regex->re = new (std::nothrow) RE2(re2::StringPiece(pattern == nullptr ? "" : pattern, length), goOptions());
    if (regex->re == nullptr) {
        delete regex;
        return nullptr;
    }
    if (regex->re->ok()) {
        int groups = regex->re->NumberOfCapturingGroups();
        regex->names.assign(static_cast<size_t>(groups) + 1, std::string());
        regex->named.assign(static_cast<size_t>(groups) + 1, false);
        for (const auto &entry : regex->re->CapturingGroupNames()) {
            if (entry.first >= 0 && entry.first <= groups) {
                regex->names[static_cast<size_t>(entry.first)] = entry.second;
                regex->named[static_cast<size_t>(entry.first)] = true;
            }
        }
    }
    return regex;
}

void cre2_free(cre2_regex *regex) {
    if (regex == nullptr) return;
    delete regex->re;
    delete regex;
}

int cre2_error_code(const cre2_regex *regex) { return static_cast<int>(regex->re->error_code()); }

const char *cre2_error_text(const cre2_regex *regex) { return regex->re->error().c_str(); }

const char *cre2_error_arg(const cre2_regex *regex, size_t *length) {
    const std::string &arg = regex->re->error_arg();
    *length = arg.size();
    return arg.data();
}

int cre2_group_count(const cre2_regex *regex) { return regex->re->NumberOfCapturingGroups(); }

const char *cre2_group_name(const cre2_regex *regex, int index) {
    if (index < 0 || static_cast<size_t>(index) >= regex->named.size() || !regex->named[static_cast<size_t>(index)]) {
        return nullptr;
    }
    return regex->names[static_cast<size_t>(index)].c_str();
}

int cre2_match(const cre2_regex *regex, const char *text, size_t length, size_t start, cre2_anchor anchor,
               cre2_span *spans, int span_count) {
    if (!regex->re->ok() || start > length || span_count < 0) return 0;
    // A non-NULL base keeps an empty match of an empty text distinguishable from a group that took no part.
    const char *base = text == nullptr ? "" : text;
    if (text == nullptr) length = 0;
    RE2::Anchor re2Anchor = anchor == CRE2_ANCHOR_BOTH    ? RE2::ANCHOR_BOTH
                            : anchor == CRE2_ANCHOR_START ? RE2::ANCHOR_START
                                                          : RE2::UNANCHORED;
    int wanted = span_count;
    int available = regex->re->NumberOfCapturingGroups() + 1;
    if (wanted > available) wanted = available;
    std::vector<re2::StringPiece> groups(static_cast<size_t>(wanted));
    bool matched = regex->re->Match(re2::StringPiece(base, length), start, length, re2Anchor,
                                    wanted > 0 ? groups.data() : nullptr, wanted);
    if (!matched) return 0;
    for (int i = 0; i < span_count; i++) {
        if (i < wanted && groups[static_cast<size_t>(i)].data() != nullptr) {
            spans[i].start = groups[static_cast<size_t>(i)].data() - base;
            spans[i].end = spans[i].start + static_cast<int64_t>(groups[static_cast<size_t>(i)].size());
        } else {
            spans[i].start = -1;
            spans[i].end = -1;
        }
    }
    return 1;
}

}  // extern "C"
