// STIX 2.1 patterns compiled into a Rule's OR of ANDs of Terms, for the subset of the patterning
// language a mail filter can evaluate on one message. Private to lib/indicators: stix_reader.cc
// is its only user outside tests.
//
// Supported: observation expressions ([...]) joined by AND / OR and parentheses; inside them,
// comparisons joined by AND / OR and parentheses, with =, IN, LIKE, MATCHES and ISSUBSET on these
// object paths:
//   domain-name:value, url:value, email-addr:value, ipv4-addr:value, ipv6-addr:value,
//   file:name, file:hashes.(MD5|SHA-1|SHA-256),
//   email-message: from_ref.value, sender_ref.value, to_refs[*].value, cc_refs[*].value,
//     bcc_refs[*].value (envelope recipients), subject, body, body_multipart[*].body,
//     additional_header_fields.NAME, body_multipart[*].body_raw_ref.name,
//     body_multipart[*].body_raw_ref.hashes.(MD5|SHA-1|SHA-256),
//   network-traffic:src_ref.value (the connecting client) and src_ref.type (a constraint).
// Deliberate approximations, all towards matching the same message:
//   - AND between observations means "on the same message", like AND inside one observation;
//     file:name AND file:hashes.X hold on the same message, not necessarily on the same file.
//   - domain-name:value = 'x' matches x and its subdomains (our domain semantics); LIKE '%.x'
//     also matches x itself.
//   - LIKE '_' on file names becomes the glob '?', which matches one byte, not one character.
//   - network-traffic:src_ref.type = 'ipv4-addr' is not cross-checked against the address family.
// Everything else (FOLLOWEDBY, WITHIN, REPEATS, START/STOP, NOT, !=, <, >, ISSUPERSET, EXISTS,
// binary literals, other object paths, regexes using PCRE features RE2 lacks) makes the whole
// pattern unsupported; nothing is silently dropped or half-read.
//
// Pure functions; thread-safe.
#ifndef GFI_INDICATORS_STIX_PATTERN_H_
#define GFI_INDICATORS_STIX_PATTERN_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "indicators/indicator.h"
#include "util/status.h"

namespace gfi {

// Expansion to disjunctive normal form is a product; these bound it per pattern so one hostile
// indicator cannot exhaust memory ("(a OR b) AND (c OR d) AND ..." doubles at every AND).
inline constexpr size_t kMaxStixAlternatives = 1024;  // conjunctions in Rule::any_of
inline constexpr size_t kMaxStixTerms = 16384;        // terms over all conjunctions
// Parentheses and brackets nest at most this deep (the parser is recursive).
inline constexpr int kMaxStixNesting = 64;

struct CompiledPattern {
  std::vector<std::vector<Term>> any_of;  // OR of ANDs; empty when unsupported
  std::string unsupported;                // why the pattern is outside the subset; empty if not
};

// Compiles `pattern`. A syntax error or an invalid value (bad CIDR, bad hash length, bad regex,
// too large an expansion) is an error whose message ends with "at offset N", N being the byte
// offset in `pattern`. Errors take precedence over unsupported constructs, so a typo is reported
// even inside a pattern we would not load anyway.
Result<CompiledPattern> CompileStixPattern(std::string_view pattern);

}  // namespace gfi

#endif  // GFI_INDICATORS_STIX_PATTERN_H_
