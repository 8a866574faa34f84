// A recursive-descent parser for STIX 2.1 patterns that lowers each comparison to Terms (through
// MakeTerm, like every feed reader) as soon as it is read and builds the disjunctive normal form
// bottom-up. Limits: kMaxStixNesting, kMaxStixAlternatives, kMaxStixTerms; the first error wins.
#include "indicators/stix_pattern.h"

#include <re2/re2.h>

#include <optional>
#include <utility>

#include "indicators/term.h"
#include "util/strings.h"

namespace gfi {
namespace {

using Conjunction = std::vector<Term>;
using Dnf = std::vector<Conjunction>;

enum class Op { kEq, kNeq, kLt, kLe, kGt, kGe, kIn, kLike, kMatches, kIsSubset, kIsSuperset };

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNeq:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "IN";
    case Op::kLike:
      return "LIKE";
    case Op::kMatches:
      return "MATCHES";
    case Op::kIsSubset:
      return "ISSUBSET";
    case Op::kIsSuperset:
      return "ISSUPERSET";
  }
  return "?";
}

struct Literal {
  enum class Type { kString, kBinary, kHex, kTimestamp, kNumber, kBool };
  Type type = Type::kString;
  std::string text;
  size_t offset = 0;
};

struct PathComponent {
  std::string name;  // property name, or "*" / digits for a list index
  bool index = false;
};

struct ObjectPath {
  std::string type;
  std::vector<PathComponent> comps;
  size_t offset = 0;

  std::string Text() const {
    std::string s = type + ":";
    for (size_t i = 0; i < comps.size(); ++i) {
      if (comps[i].index) {
        s += "[" + comps[i].name + "]";
      } else {
        if (i > 0) s += ".";
        s += comps[i].name;
      }
    }
    return s;
  }
};

// What an object path means to us: which term kinds it can become, and where it is seen.
enum class Family {
  kDomain,
  kUrl,
  kEmail,
  kIp,
  kHash,
  kFilename,
  kSubject,
  kHeader,
  kBody,
  kSrcType
};

struct Target {
  Family family;
  std::string path;  // for messages
  WhereMask where = kAnywhere;
  TermKind hash = TermKind::kSha256;  // kHash
  std::string header;                 // kHeader: lower-case, hyphenated field name
  int ip_version = 0;                 // kIp: 4 or 6 when the object type fixes the family
};

constexpr WhereMask kInAttachments = WhereBit(Where::kAttachment) | WhereBit(Where::kArchiveMember);

std::optional<TermKind> HashKind(std::string_view key) {
  std::string k;
  for (char c : key)
    if (c != '-' && c != '_') k.push_back(AsciiLower(c));
  if (k == "md5") return TermKind::kMd5;
  if (k == "sha1") return TermKind::kSha1;
  if (k == "sha256") return TermKind::kSha256;
  return std::nullopt;
}

// STIX writes header names as properties (x_mailer) or quoted ('X-Mailer'); the matcher keys
// header regexes by the lower-case field name.
std::optional<std::string> HeaderName(std::string_view key) {
  std::string h;
  for (char c : key) {
    if (c == '_') c = '-';
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || c == ':') return std::nullopt;
    h.push_back(AsciiLower(c));
  }
  if (h.empty()) return std::nullopt;
  return h;
}

// Maps a path to a Target; otherwise sets *why (unsupported) or *error (malformed) and returns
// nullopt.
std::optional<Target> MapPath(const ObjectPath& p, std::string* why, std::string* error) {
  const std::vector<PathComponent>& c = p.comps;
  const size_t n = c.size();
  auto is = [&](size_t i, std::string_view name) {
    return i < n && !c[i].index && c[i].name == name;
  };
  auto star = [&](size_t i) { return i < n && c[i].index && c[i].name == "*"; };
  Target t;
  t.family = Family::kDomain;
  t.path = p.Text();
  auto hash = [&](const std::string& key, WhereMask where) -> std::optional<Target> {
    std::optional<TermKind> k = HashKind(key);
    if (!k) {
      *why = "hash algorithm '" + key + "' is not supported (MD5, SHA-1, SHA-256)";
      return std::nullopt;
    }
    t.family = Family::kHash;
    t.hash = *k;
    t.where = where;
    return t;
  };
  auto with = [&](Family f, WhereMask where) {
    t.family = f;
    t.where = where;
    return t;
  };

  if (n == 1 && is(0, "value")) {
    if (p.type == "domain-name") return with(Family::kDomain, kAnywhere);
    if (p.type == "url") return with(Family::kUrl, kAnywhere);
    if (p.type == "email-addr") return with(Family::kEmail, kAnywhere);
    if (p.type == "ipv4-addr" || p.type == "ipv6-addr") {
      t.ip_version = p.type == "ipv4-addr" ? 4 : 6;
      return with(Family::kIp, kAnywhere);
    }
  }
  if (p.type == "file") {
    if (n == 1 && is(0, "name")) return with(Family::kFilename, kAnywhere);
    if (n == 2 && is(0, "hashes") && !c[1].index) return hash(c[1].name, kAnywhere);
  }
  if (p.type == "email-message") {
    if (n == 1 && is(0, "subject")) return with(Family::kSubject, kAnywhere);
    if (n == 1 && is(0, "body")) return with(Family::kBody, kAnywhere);
    if (n == 2 && is(1, "value")) {
      if (is(0, "from_ref")) return with(Family::kEmail, WhereBit(Where::kHeaderFrom));
      if (is(0, "sender_ref")) return with(Family::kEmail, WhereBit(Where::kHeaderSender));
    }
    if (n == 3 && star(1) && is(2, "value")) {
      if (is(0, "to_refs")) return with(Family::kEmail, WhereBit(Where::kHeaderTo));
      if (is(0, "cc_refs")) return with(Family::kEmail, WhereBit(Where::kHeaderCc));
      // Bcc never reaches the recipients' headers; the envelope is where those addresses are.
      if (is(0, "bcc_refs")) return with(Family::kEmail, WhereBit(Where::kRcptTo));
    }
    if (is(0, "additional_header_fields") && n >= 2 && !c[1].index &&
        (n == 2 || (n == 3 && star(2)))) {
      std::optional<std::string> h = HeaderName(c[1].name);
      if (!h) {
        *error = "bad header field name '" + c[1].name + "'";
        return std::nullopt;
      }
      t.header = *h;
      return with(Family::kHeader, kAnywhere);
    }
    if (is(0, "body_multipart") && star(1)) {
      if (n == 3 && is(2, "body")) return with(Family::kBody, kAnywhere);
      if (is(2, "body_raw_ref")) {
        if (n == 4 && is(3, "name")) return with(Family::kFilename, kInAttachments);
        if (n == 5 && is(3, "hashes") && !c[4].index) return hash(c[4].name, kInAttachments);
      }
    }
  }
  if (p.type == "network-traffic" && n >= 1 && is(0, "dst_ref")) {
    *why =
        "network-traffic:dst_ref is not supported (a mail filter sees only the connecting client)";
    return std::nullopt;
  }
  if (p.type == "network-traffic" && n == 2 && is(0, "src_ref")) {
    if (is(1, "value")) return with(Family::kIp, WhereBit(Where::kClientIp));
    if (is(1, "type")) return with(Family::kSrcType, kAnywhere);
  }
  *why = "object path '" + t.path + "' is not supported";
  return std::nullopt;
}

// SQL LIKE ('%' any run, '_' one character) as an anchored RE2 regex.
std::string LikeToRegex(std::string_view like) {
  std::string re = "^";
  std::string lit;
  auto flush = [&] {
    re += RE2::QuoteMeta(lit);
    lit.clear();
  };
  for (char c : like) {
    if (c == '%' || c == '_') {
      flush();
      re += c == '%' ? "(?s:.*)" : "(?s:.)";
    } else {
      lit.push_back(c);
    }
  }
  flush();
  re += "$";
  return re;
}

// SQL LIKE as a file-name glob; glob metacharacters in the name become one-byte classes.
std::string LikeToGlob(std::string_view like) {
  std::string g;
  for (char c : like) {
    switch (c) {
      case '%':
        g += '*';
        break;
      case '_':
        g += '?';
        break;
      case '*':
        g += "[*]";
        break;
      case '?':
        g += "[?]";
        break;
      case '[':
        g += "[[]";
        break;
      default:
        g += c;
    }
  }
  return g;
}

// A URL prefix reduces exactly to a normalised prefix only when it already reaches into the
// path: "http://evil.example%" would also match "http://evil.example.com/", which no normalised
// prefix expresses.
bool IsPathPrefix(std::string_view prefix) {
  size_t scheme = prefix.find("://");
  size_t host = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t slash = prefix.find('/', host);
  return slash != std::string_view::npos && slash > host;
}

// STIX regexes are PCRE; RE2 lacks lookaround, backreferences and a few escapes. Those are
// valid patterns outside our subset, not feed errors. Anything else that fails is left to
// MakeTerm to report as a bad regex.
bool Re2Supports(const std::string& re, std::string* why) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(8 << 20);
  RE2 r(re, opts);
  if (r.ok()) return true;
  switch (r.error_code()) {
    case RE2::ErrorBadPerlOp:
    case RE2::ErrorBadNamedCapture:
    case RE2::ErrorBadEscape:
      *why = "regex feature not supported by RE2: " + r.error();
      return false;
    default:
      return true;
  }
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  Result<CompiledPattern> Run() {
    Dnf dnf;
    bool ok = ObservationFollowedBy(&dnf, 0);
    if (ok) {
      SkipSpace();
      if (pos_ < p_.size()) ok = Fail("unexpected '" + std::string(1, p_[pos_]) + "'", pos_);
    }
    if (!ok) return Status::Error(error_);
    CompiledPattern out;
    if (!unsupported_.empty()) {
      out.unsupported = unsupported_;
      return out;
    }
    if (dnf.empty()) {
      out.unsupported = "the pattern matches nothing";
      return out;
    }
    for (const Conjunction& c : dnf) {
      if (c.empty()) {
        out.unsupported =
            "an alternative has only constraints (such as network-traffic:src_ref.type) "
            "and no value to match";
        return out;
      }
    }
    out.any_of = std::move(dnf);
    return out;
  }

 private:
  bool Fail(const std::string& message, size_t at) {
    error_ = message + " at offset " + std::to_string(at);
    return false;
  }
  // The first reason wins; from then on no DNF is built (it would be thrown away), but parsing
  // and value checks go on so that errors further on are still reported.
  void MarkUnsupported(const std::string& reason) {
    if (unsupported_.empty()) unsupported_ = reason;
  }
  bool Building() const { return unsupported_.empty(); }

  void SkipSpace() {
    while (pos_ < p_.size() && IsAsciiSpace(p_[pos_])) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= p_.size();
  }
  bool Accept(std::string_view token) {
    SkipSpace();
    if (p_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool PeekKeyword(std::string_view kw) {
    SkipSpace();
    if (pos_ + kw.size() > p_.size()) return false;
    if (!EqualsIgnoreCase(p_.substr(pos_, kw.size()), kw)) return false;
    return pos_ + kw.size() == p_.size() || !IsWordChar(p_[pos_ + kw.size()]);
  }
  bool AcceptKeyword(std::string_view kw) {
    if (!PeekKeyword(kw)) return false;
    pos_ += kw.size();
    return true;
  }

  // ---- DNF ----

  bool Or(Dnf* a, Dnf b, size_t at) {
    if (!Building()) return true;
    if (a->size() + b.size() > kMaxStixAlternatives)
      return Fail(
          "pattern expands to more than " + std::to_string(kMaxStixAlternatives) + " alternatives",
          at);
    if (CountTerms(*a) + CountTerms(b) > kMaxStixTerms) return TooManyTerms(at);
    for (Conjunction& c : b) a->push_back(std::move(c));
    return true;
  }

  bool And(Dnf* a, Dnf b, size_t at) {
    if (!Building()) return true;
    const size_t na = a->size(), nb = b.size();  // each <= kMaxStixAlternatives: no overflow
    if (na * nb > kMaxStixAlternatives)
      return Fail(
          "pattern expands to more than " + std::to_string(kMaxStixAlternatives) + " alternatives",
          at);
    if (nb * CountTerms(*a) + na * CountTerms(b) > kMaxStixTerms) return TooManyTerms(at);
    Dnf r;
    r.reserve(na * nb);
    for (const Conjunction& ca : *a) {
      for (const Conjunction& cb : b) {
        Conjunction c = ca;
        c.insert(c.end(), cb.begin(), cb.end());
        r.push_back(std::move(c));
      }
    }
    *a = std::move(r);
    return true;
  }

  static size_t CountTerms(const Dnf& d) {
    size_t n = 0;
    for (const Conjunction& c : d) n += c.size();
    return n;
  }
  bool TooManyTerms(size_t at) {
    return Fail("pattern expands to more than " + std::to_string(kMaxStixTerms) + " terms", at);
  }

  // ---- observation expressions ----

  bool ObservationFollowedBy(Dnf* out, int depth) {
    if (!ObservationOr(out, depth)) return false;
    while (AcceptKeyword("FOLLOWEDBY")) {
      MarkUnsupported("FOLLOWEDBY is not supported");
      Dnf rhs;
      if (!ObservationOr(&rhs, depth)) return false;
    }
    return true;
  }

  bool ObservationOr(Dnf* out, int depth) {
    if (!ObservationAnd(out, depth)) return false;
    for (;;) {
      SkipSpace();
      size_t at = pos_;
      if (!AcceptKeyword("OR")) return true;
      Dnf rhs;
      if (!ObservationAnd(&rhs, depth) || !Or(out, std::move(rhs), at)) return false;
    }
  }

  bool ObservationAnd(Dnf* out, int depth) {
    if (!QualifiedObservation(out, depth)) return false;
    for (;;) {
      SkipSpace();
      size_t at = pos_;
      if (!AcceptKeyword("AND")) return true;
      Dnf rhs;
      if (!QualifiedObservation(&rhs, depth) || !And(out, std::move(rhs), at)) return false;
    }
  }

  // Qualifiers constrain time and repetition across observations; one message has neither.
  bool QualifiedObservation(Dnf* out, int depth) {
    if (!Observation(out, depth)) return false;
    for (;;) {
      Literal l;
      if (AcceptKeyword("WITHIN")) {
        if (!ParseLiteral(&l)) return false;
        if (l.type != Literal::Type::kNumber)
          return Fail("expected a number after WITHIN", l.offset);
        if (!AcceptKeyword("SECONDS")) return Fail("expected SECONDS", pos_);
        MarkUnsupported("WITHIN is not supported");
      } else if (AcceptKeyword("REPEATS")) {
        if (!ParseLiteral(&l)) return false;
        if (l.type != Literal::Type::kNumber)
          return Fail("expected a number after REPEATS", l.offset);
        if (!AcceptKeyword("TIMES")) return Fail("expected TIMES", pos_);
        MarkUnsupported("REPEATS is not supported");
      } else if (AcceptKeyword("START")) {
        if (!ParseLiteral(&l)) return false;
        if (l.type != Literal::Type::kTimestamp)
          return Fail("expected a timestamp t'...' after START", l.offset);
        if (!AcceptKeyword("STOP")) return Fail("expected STOP", pos_);
        if (!ParseLiteral(&l)) return false;
        if (l.type != Literal::Type::kTimestamp)
          return Fail("expected a timestamp t'...' after STOP", l.offset);
        MarkUnsupported("START/STOP is not supported");
      } else {
        return true;
      }
    }
  }

  bool Observation(Dnf* out, int depth) {
    SkipSpace();
    const size_t open = pos_;
    if (depth >= kMaxStixNesting)
      return Fail("nesting deeper than " + std::to_string(kMaxStixNesting), open);
    if (Accept("[")) {
      if (!ComparisonOr(out, depth + 1)) return false;
      if (Accept("]")) return true;
      return AtEnd() ? Fail("unbalanced '['", open) : Fail("expected AND, OR or ']'", pos_);
    }
    if (Accept("(")) {
      if (!ObservationFollowedBy(out, depth + 1)) return false;
      if (Accept(")")) return true;
      return AtEnd() ? Fail("unbalanced '('", open) : Fail("expected AND, OR or ')'", pos_);
    }
    return AtEnd() ? Fail("expected '[' or '(' but the pattern ends", pos_)
                   : Fail("expected '[' or '('", pos_);
  }

  // ---- comparison expressions ----

  bool ComparisonOr(Dnf* out, int depth) {
    if (!ComparisonAnd(out, depth)) return false;
    for (;;) {
      SkipSpace();
      size_t at = pos_;
      if (!AcceptKeyword("OR")) return true;
      Dnf rhs;
      if (!ComparisonAnd(&rhs, depth) || !Or(out, std::move(rhs), at)) return false;
    }
  }

  bool ComparisonAnd(Dnf* out, int depth) {
    if (!Comparison(out, depth)) return false;
    for (;;) {
      SkipSpace();
      size_t at = pos_;
      if (!AcceptKeyword("AND")) return true;
      Dnf rhs;
      if (!Comparison(&rhs, depth) || !And(out, std::move(rhs), at)) return false;
    }
  }

  bool Comparison(Dnf* out, int depth) {
    SkipSpace();
    const size_t open = pos_;
    if (depth >= kMaxStixNesting)
      return Fail("nesting deeper than " + std::to_string(kMaxStixNesting), open);
    if (Accept("(")) {
      if (!ComparisonOr(out, depth + 1)) return false;
      if (Accept(")")) return true;
      return AtEnd() ? Fail("unbalanced '('", open) : Fail("expected AND, OR or ')'", pos_);
    }
    if (PeekKeyword("EXISTS")) {
      size_t save = pos_;
      pos_ += 6;
      if (!Accept(":")) {  // not an object type that happens to be called "exists"
        ObjectPath path;
        if (!ParsePath(&path)) return false;
        MarkUnsupported("EXISTS is not supported");
        return true;
      }
      pos_ = save;
    }
    ObjectPath path;
    if (!ParsePath(&path)) return false;
    Op op = Op::kEq;
    bool negated = false;
    if (!ParseOperator(&op, &negated)) return false;
    std::vector<Literal> values;
    if (op == Op::kIn) {
      SkipSpace();
      const size_t set_open = pos_;
      if (!Accept("(")) return Fail("expected '(' after IN", pos_);
      if (!Accept(")")) {
        do {
          Literal l;
          if (!ParseLiteral(&l)) return false;
          values.push_back(std::move(l));
        } while (Accept(","));
        if (!Accept(")"))
          return AtEnd() ? Fail("unbalanced '('", set_open) : Fail("expected ',' or ')'", pos_);
      }
    } else {
      Literal l;
      if (!ParseLiteral(&l)) return false;
      if (l.type != Literal::Type::kString &&
          (op == Op::kLike || op == Op::kMatches || op == Op::kIsSubset || op == Op::kIsSuperset))
        return Fail("expected a string literal after " + std::string(OpName(op)), l.offset);
      values.push_back(std::move(l));
    }
    out->clear();
    return Lower(path, op, negated, values, out);
  }

  bool ParseName(std::string* out) {
    SkipSpace();
    if (pos_ < p_.size() && p_[pos_] == '\'') return ParseString(out);
    if (pos_ >= p_.size() || !IsIdentStart(p_[pos_])) return Fail("expected a property name", pos_);
    // Hyphens are not in the grammar's property names, but "hashes.SHA-256" is common in the wild
    // and cannot be mistaken for anything else here.
    size_t start = pos_;
    while (pos_ < p_.size() && (IsWordChar(p_[pos_]) || p_[pos_] == '-')) ++pos_;
    *out = std::string(p_.substr(start, pos_ - start));
    return true;
  }

  bool ParsePath(ObjectPath* path) {
    SkipSpace();
    path->offset = pos_;
    if (pos_ >= p_.size() || !IsIdentStart(p_[pos_])) return Fail("expected an object path", pos_);
    size_t start = pos_;
    while (pos_ < p_.size() && (IsWordChar(p_[pos_]) || p_[pos_] == '-')) ++pos_;
    path->type = std::string(p_.substr(start, pos_ - start));
    if (!Accept(":")) return Fail("expected ':' after the object type", pos_);
    PathComponent first;
    if (!ParseName(&first.name)) return false;
    path->comps.push_back(std::move(first));
    for (;;) {
      SkipSpace();
      const size_t at = pos_;
      if (Accept(".")) {
        PathComponent c;
        if (!ParseName(&c.name)) return false;
        path->comps.push_back(std::move(c));
      } else if (Accept("[")) {
        PathComponent c;
        c.index = true;
        SkipSpace();
        if (Accept("*")) {
          c.name = "*";
        } else {
          size_t s = pos_;
          if (pos_ < p_.size() && p_[pos_] == '-') ++pos_;
          size_t digits = pos_;
          while (pos_ < p_.size() && IsDigit(p_[pos_])) ++pos_;
          if (pos_ == digits) return Fail("expected '*' or an index", pos_);
          c.name = std::string(p_.substr(s, pos_ - s));
        }
        if (!Accept("]")) return AtEnd() ? Fail("unbalanced '['", at) : Fail("expected ']'", pos_);
        path->comps.push_back(std::move(c));
      } else {
        return true;
      }
    }
  }

  bool ParseOperator(Op* op, bool* negated) {
    if (AcceptKeyword("NOT")) *negated = true;
    if (Accept("!=") || Accept("<>"))
      *op = Op::kNeq;
    else if (Accept("<="))
      *op = Op::kLe;
    else if (Accept(">="))
      *op = Op::kGe;
    else if (Accept("<"))
      *op = Op::kLt;
    else if (Accept(">"))
      *op = Op::kGt;
    else if (Accept("="))
      *op = Op::kEq;
    else if (AcceptKeyword("IN"))
      *op = Op::kIn;
    else if (AcceptKeyword("LIKE"))
      *op = Op::kLike;
    else if (AcceptKeyword("MATCHES"))
      *op = Op::kMatches;
    else if (AcceptKeyword("ISSUBSET"))
      *op = Op::kIsSubset;
    else if (AcceptKeyword("ISSUPERSET"))
      *op = Op::kIsSuperset;
    else
      return Fail("expected a comparison operator", pos_);
    return true;
  }

  bool ParseLiteral(Literal* l) {
    SkipSpace();
    l->offset = pos_;
    if (pos_ >= p_.size()) return Fail("expected a value but the pattern ends", pos_);
    const char c = p_[pos_];
    const char next = pos_ + 1 < p_.size() ? p_[pos_ + 1] : '\0';
    if (c == '\'') {
      l->type = Literal::Type::kString;
      return ParseString(&l->text);
    }
    if ((c == 'b' || c == 'h' || c == 't') && next == '\'') {
      l->type = c == 'b'   ? Literal::Type::kBinary
                : c == 'h' ? Literal::Type::kHex
                           : Literal::Type::kTimestamp;
      ++pos_;
      return ParseString(&l->text);
    }
    if (IsDigit(c) || ((c == '-' || c == '+') && IsDigit(next))) {
      size_t start = pos_++;
      while (pos_ < p_.size() && IsDigit(p_[pos_])) ++pos_;
      if (pos_ + 1 < p_.size() && p_[pos_] == '.' && IsDigit(p_[pos_ + 1])) {
        ++pos_;
        while (pos_ < p_.size() && IsDigit(p_[pos_])) ++pos_;
      }
      l->type = Literal::Type::kNumber;
      l->text = std::string(p_.substr(start, pos_ - start));
      return true;
    }
    if (AcceptKeyword("true") || AcceptKeyword("false")) {
      l->type = Literal::Type::kBool;
      l->text = AsciiLowered(p_.substr(l->offset, pos_ - l->offset));
      return true;
    }
    return Fail("expected a value", pos_);
  }

  // At an opening quote. The grammar knows only \' and \\; other backslashes are kept as they
  // are, because producers routinely write regexes such as '^\d+$' without doubling them.
  bool ParseString(std::string* out) {
    const size_t open = pos_++;
    out->clear();
    while (pos_ < p_.size()) {
      const char c = p_[pos_];
      if (c == '\\' && pos_ + 1 < p_.size() && (p_[pos_ + 1] == '\'' || p_[pos_ + 1] == '\\')) {
        out->push_back(p_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == '\'') return true;
      out->push_back(c);
    }
    return Fail("unterminated string literal", open);
  }

  // ---- lowering one comparison ----

  bool Lower(const ObjectPath& path, Op op, bool negated, const std::vector<Literal>& values,
             Dnf* out) {
    std::string why, error;
    std::optional<Target> t = MapPath(path, &why, &error);
    if (!error.empty()) return Fail(error, path.offset);
    if (!t) {
      MarkUnsupported(why);
      return true;
    }
    if (negated) {
      MarkUnsupported("NOT is not supported");
      return true;
    }
    switch (op) {
      case Op::kNeq:
        MarkUnsupported("!= is not supported");
        return true;
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        MarkUnsupported("ordering comparisons (<, <=, >, >=) are not supported");
        return true;
      case Op::kIsSuperset:
        MarkUnsupported("ISSUPERSET is not supported");
        return true;
      default:
        break;
    }
    if (op != Op::kIn) return Build(*t, op, values[0], out);
    if (values.empty()) {
      MarkUnsupported("an empty IN set matches nothing");
      return true;
    }
    for (const Literal& v : values) {
      Dnf one;
      if (!Build(*t, Op::kEq, v, &one) || !Or(out, std::move(one), v.offset)) return false;
    }
    return true;
  }

  bool Build(const Target& t, Op op, const Literal& l, Dnf* out) {
    if (l.type != Literal::Type::kString) {
      MarkUnsupported(l.type == Literal::Type::kBinary
                          ? "binary literals (b'...') are not supported"
                          : "only string values are supported on " + t.path);
      return true;
    }
    const std::string& v = l.text;
    auto term = [&](TermKind kind, std::string_view raw) {
      Result<Term> r = MakeTerm(kind, raw, t.where);
      if (!r.ok()) return Fail(r.error(), l.offset);
      out->push_back({std::move(r).value()});
      return true;
    };
    auto unsupported = [&](const std::string& why) {
      MarkUnsupported(why);
      return true;
    };
    const bool wild = v.find_first_of("%_") != std::string::npos;
    const bool exact = op == Op::kEq || (op == Op::kLike && !wild);

    switch (t.family) {
      case Family::kDomain:
        if (exact) return term(TermKind::kDomain, v);
        // Our domain terms always include subdomains, so '%.x' is x's subdomains plus x itself.
        if (op == Op::kLike && v.size() > 2 && v.compare(0, 2, "%.") == 0 &&
            v.find_first_of("%_", 2) == std::string::npos)
          return term(TermKind::kDomain, std::string_view(v).substr(2));
        if (op == Op::kLike)
          return unsupported("LIKE on domain-name:value is supported only as '%.domain'");
        break;
      case Family::kUrl:
        if (exact) return term(TermKind::kUrl, v);
        if (op == Op::kLike && !v.empty() && v.back() == '%' &&
            v.find_first_of("%_") == v.size() - 1) {
          std::string_view prefix = std::string_view(v).substr(0, v.size() - 1);
          if (IsPathPrefix(prefix)) {
            Result<Term> r = MakeTerm(TermKind::kUrlPrefix, prefix, t.where);
            if (!r.ok()) return Fail(r.error(), l.offset);
            // Normalisation may drop a trailing '?', '#' or '.', which would widen the prefix.
            if (!r.value().value.empty() &&
                AsciiLower(r.value().value.back()) == AsciiLower(prefix.back())) {
              out->push_back({std::move(r).value()});
              return true;
            }
          }
        }
        if (op == Op::kLike)
          return unsupported("LIKE on url:value is supported only as 'scheme://host/path%'");
        break;
      case Family::kEmail:
        if (exact) return term(TermKind::kEmail, v);
        break;
      case Family::kIp:
        if (op == Op::kEq || op == Op::kIsSubset) {
          Result<Term> r = MakeTerm(TermKind::kIp, v, t.where);
          if (!r.ok()) return Fail(r.error(), l.offset);
          const bool v6 = r.value().value.find(':') != std::string::npos;
          if ((t.ip_version == 4 && v6) || (t.ip_version == 6 && !v6))
            return Fail("'" + v + "' is not an IPv" + std::to_string(t.ip_version) + " address",
                        l.offset);
          out->push_back({std::move(r).value()});
          return true;
        }
        break;
      case Family::kHash:
        if (exact) return term(t.hash, v);
        break;
      case Family::kFilename:
        if (exact) return term(TermKind::kFilename, v);
        if (op == Op::kLike) return term(TermKind::kFilenameGlob, LikeToGlob(v));
        break;
      case Family::kSubject:
      case Family::kBody:
      case Family::kHeader: {
        std::string re;
        if (op == Op::kEq) {
          // "= 'text'" on a body has no useful exact meaning; a literal search is what analysts
          // intend.
          if (t.family == Family::kBody) return term(TermKind::kContent, v);
          if (t.family == Family::kHeader && t.header == "reply-to") {
            Result<Term> r = MakeTerm(TermKind::kEmail, v, WhereBit(Where::kHeaderReplyTo));
            if (r.ok()) {
              out->push_back({std::move(r).value()});
              return true;
            }
            // Not a bare address ("Name <a@b>"): compare the field text below.
          }
          re = "^" + RE2::QuoteMeta(v) + "$";
        } else if (op == Op::kLike) {
          re = LikeToRegex(v);
        } else if (op == Op::kMatches) {
          std::string why;
          if (!Re2Supports(v, &why)) return unsupported(why);
          re = v;
          // MakeTerm trims values; a group keeps meaningful edge whitespace.
          if (!re.empty() && (IsAsciiSpace(re.front()) || IsAsciiSpace(re.back())))
            re = "(?:" + re + ")";
        } else {
          break;
        }
        if (t.family == Family::kSubject) return term(TermKind::kSubjectRegex, re);
        if (t.family == Family::kBody) return term(TermKind::kBodyRegex, re);
        return term(TermKind::kHeaderRegex, t.header + ": " + re);
      }
      case Family::kSrcType:
        // A MISP idiom, "src_ref.type = 'ipv4-addr' AND src_ref.value = ...": the type is implied
        // by the value, so it holds whenever the value term does.
        if (op == Op::kEq && (v == "ipv4-addr" || v == "ipv6-addr")) {
          out->push_back({});
          return true;
        }
        return unsupported(
            "network-traffic:src_ref.type other than ipv4-addr/ipv6-addr is not "
            "supported");
    }
    return unsupported(std::string(OpName(op)) + " is not supported on " + t.path);
  }

  std::string_view p_;
  size_t pos_ = 0;
  std::string error_;
  std::string unsupported_;
};

}  // namespace

Result<CompiledPattern> CompileStixPattern(std::string_view pattern) {
  return Parser(pattern).Run();
}

}  // namespace gfi
