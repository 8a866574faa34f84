// The .blind feed format, version 1: writer (the provider's side) and reader; see blind_feed.h and
// gfi-milter.toml(5), BLINDED FEEDS. The reader is strict (every header line known, every row
// complete, the row count checked) so that a truncated or altered file is invalid, never half read.
#include "indicators/blind_feed.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include "extract/url.h"
#include "indicators/text_feed_util.h"
#include "util/net.h"
#include "util/strings.h"

namespace gfi {
namespace {

constexpr size_t kMaxTermsPerRow = 1024;

void Mask(std::array<uint8_t, 16>* b, int len, int total_bits) {
  for (int bit = len; bit < total_bits; ++bit)
    (*b)[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
}

std::optional<TermKind> KindOf(ObservableType t) {
  switch (t) {
    case ObservableType::kIp: return TermKind::kIp;
    case ObservableType::kDomain: return TermKind::kDomain;
    case ObservableType::kEmail: return TermKind::kEmail;
    case ObservableType::kUrl: return TermKind::kUrl;
    case ObservableType::kMd5: return TermKind::kMd5;
    case ObservableType::kSha1: return TermKind::kSha1;
    case ObservableType::kSha256: return TermKind::kSha256;
    case ObservableType::kFilename: return TermKind::kFilename;
  }
  return std::nullopt;
}

std::optional<ObservableType> TypeOf(TermKind k) {
  switch (k) {
    case TermKind::kIp: return ObservableType::kIp;
    case TermKind::kDomain: return ObservableType::kDomain;
    case TermKind::kEmail: return ObservableType::kEmail;
    case TermKind::kUrl: return ObservableType::kUrl;
    case TermKind::kMd5: return ObservableType::kMd5;
    case TermKind::kSha1: return ObservableType::kSha1;
    case TermKind::kSha256: return ObservableType::kSha256;
    case TermKind::kFilename: return ObservableType::kFilename;
    default: return std::nullopt;
  }
}

// A field is written as is: no tab, line break or other control character can be in it.
bool PlainField(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string WhereNames(WhereMask mask) {
  std::string out;
  for (int w = 0; w <= static_cast<int>(Where::kHeaderOther); ++w) {
    if ((mask & WhereBit(static_cast<Where>(w))) == 0) continue;
    if (!out.empty()) out += ",";
    out += ToString(static_cast<Where>(w));
  }
  return out;
}

std::string PrefixList(const std::set<int>& s) {
  if (s.empty()) return "-";
  std::string out;
  for (int p : s) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t at = s.find(sep, pos);
    out.push_back(s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) break;
    pos = at + 1;
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t min, int64_t max, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *out >= min && *out <= max;
}

// "24,32" or "-" into sorted unique prefix lengths in [min, max].
bool ParsePrefixes(std::string_view s, int min, int max, std::vector<int>* out) {
  out->clear();
  if (s == "-") return true;
  for (std::string_view p : Split(s, ',')) {
    int64_t v;
    if (!ParseInt(p, min, max, &v)) return false;
    out->push_back(static_cast<int>(v));
  }
  std::sort(out->begin(), out->end());
  return std::adjacent_find(out->begin(), out->end()) == out->end();
}

bool ParseHash(std::string_view hex, std::string* out) {
  if (hex.size() != 2 * kBlindHashBytes) return false;
  out->assign(kBlindHashBytes, '\0');
  for (size_t i = 0; i < kBlindHashBytes; ++i) {
    int h = HexDigitValue(hex[2 * i]), l = HexDigitValue(hex[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    (*out)[i] = static_cast<char>(h * 16 + l);
  }
  return true;
}

// One "TYPE[@WHERE,...]:HASH" term.
Result<Term> ParseBlindTerm(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos)
    return Status::Error("term '" + std::string(s.substr(0, 80)) + "' is not TYPE[@WHERE,...]:HASH");
  std::string_view head = s.substr(0, colon);
  std::string_view where;
  if (size_t at = head.find('@'); at != std::string_view::npos) {
    where = head.substr(at + 1);
    head = head.substr(0, at);
  }
  auto type = ParseObservableType(head);
  if (!type) return Status::Error("unknown term type '" + std::string(head.substr(0, 40)) + "'");
  Term t{*KindOf(*type), {}, {}, kAnywhere, true};
  if (head.size() != s.substr(0, colon).size()) {
    t.where = 0;
    for (std::string_view w : Split(where, ',')) {
      auto wv = ParseWhere(w);
      if (!wv) return Status::Error("unknown where '" + std::string(w.substr(0, 40)) + "'");
      t.where |= WhereBit(*wv);
    }
  }
  if (!ParseHash(s.substr(colon + 1), &t.value))
    return Status::Error("hash must be " + std::to_string(2 * kBlindHashBytes) + " hex digits");
  return t;
}

}  // namespace

size_t FormatBlindIp(const std::array<uint8_t, 16>& bytes, bool v6, int prefix, char* buf) {
  std::array<uint8_t, 16> b = bytes;
  Mask(&b, prefix, v6 ? 128 : 32);
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, 48) == nullptr) return 0;
  size_t n = std::strlen(buf);
  buf[n++] = '/';
  if (prefix >= 100) buf[n++] = static_cast<char>('0' + prefix / 100);
  if (prefix >= 10) buf[n++] = static_cast<char>('0' + prefix / 10 % 10);
  buf[n++] = static_cast<char>('0' + prefix % 10);
  buf[n] = '\0';
  return n;
}

Result<BlindForm> BlindFormOf(const Term& t) {
  if (t.blinded) return Status::Error("already blinded");
  auto type = TypeOf(t.kind);
  if (!type)
    return Status::Error(std::string(ToString(t.kind)) +
                         " cannot be blinded: matching it needs the value itself (only exact "
                         "values, and domains and networks, can be matched by their hash)");
  BlindForm f{*type, {}, -1, false};
  switch (t.kind) {
    case TermKind::kUrl:
      f.value = std::string(UrlMatchKey(t.value));
      break;
    case TermKind::kIp: {
      auto net = ParseNetwork(t.value);
      if (!net.ok()) return net.status();
      char buf[64];
      size_t n = FormatBlindIp(net.value().addr.bytes, net.value().addr.v6, net.value().prefix, buf);
      if (n == 0) return Status::Error("bad IP term '" + t.value + "'");
      f.value.assign(buf, n);
      f.ip_prefix = net.value().prefix;
      f.ip_v6 = net.value().addr.v6;
      break;
    }
    default:
      f.value = t.value;  // already normalised by MakeTerm
      break;
  }
  return f;
}

BlindedFeed BlindFeeds(const std::vector<Feed>& feeds, const BlindKey& key) {
  BlindedFeed out;
  std::set<int> v4, v6;
  std::string rows;
  for (const Feed& feed : feeds) {
    for (const Rule& r : feed.rules) {
      auto refuse = [&](const std::string& why) {
        out.refused.push_back(feed.path + ": " + PrintableUtf8(r.id) + ": " + why);
      };
      if (r.id.empty() || !PlainField(r.id)) {
        refuse("its id is empty or holds a tab or control character");
        continue;
      }
      if (r.marking == "-" || !PlainField(r.marking)) {
        refuse("its marking holds a tab or control character");
        continue;
      }
      if (r.any_of.empty() ||
          std::any_of(r.any_of.begin(), r.any_of.end(), [](const auto& c) { return c.empty(); })) {
        refuse("it has no terms");
        continue;
      }
      std::string terms;
      std::string why;
      std::set<int> rv4, rv6;
      size_t n_terms = 0;
      for (size_t c = 0; c < r.any_of.size() && why.empty(); ++c) {
        if (c > 0) terms += '|';
        for (size_t i = 0; i < r.any_of[c].size(); ++i) {
          const Term& t = r.any_of[c][i];
          Result<BlindForm> f = BlindFormOf(t);
          if (!f.ok()) {
            why = f.error();
            break;
          }
          if (i > 0) terms += '&';
          terms += ToString(f.value().type);
          if (t.where != kAnywhere) {
            std::string names = WhereNames(t.where);
            if (names.empty()) {
              why = "its where-restriction matches nowhere";
              break;
            }
            terms += "@" + names;
          }
          BlindHash h = key.Hash(f.value().type, f.value().value);
          terms += ":" + HexOf(h.data(), h.size());
          if (f.value().ip_prefix >= 0) (f.value().ip_v6 ? rv6 : rv4).insert(f.value().ip_prefix);
          ++n_terms;
        }
      }
      if (n_terms > kMaxTermsPerRow) why = "more than " + std::to_string(kMaxTermsPerRow) + " terms";
      if (!why.empty()) {
        refuse(why);
        continue;
      }
      v4.insert(rv4.begin(), rv4.end());
      v6.insert(rv6.begin(), rv6.end());
      rows += r.id;
      rows += '\t';
      rows += ToString(r.any_of[0][0].kind);
      rows += '\t';
      rows += r.action ? std::string(ToString(*r.action)) : "-";
      rows += '\t';
      rows += r.marking.empty() ? "-" : r.marking;
      rows += '\t' + std::to_string(r.confidence < -1 || r.confidence > 100 ? -1 : r.confidence);
      rows += '\t' + std::to_string(std::max<int64_t>(0, r.valid_from));
      rows += '\t' + std::to_string(std::max<int64_t>(0, r.valid_until));
      rows += r.revoked ? "\t1" : "\t0";
      rows += '\t' + std::to_string(std::max<int64_t>(0, r.modified));
      rows += '\t' + terms + '\n';
      ++out.rules;
      out.terms += n_terms;
    }
  }
  out.text = std::string(kBlindFeedMagic) + "\t1\nalgorithm\t" + std::string(kBlindAlgorithm) +
             "\nkey-id\t" + key.id() + "\nipv4-prefixes\t" + PrefixList(v4) +
             "\nipv6-prefixes\t" + PrefixList(v6) + "\ncount\t" + std::to_string(out.rules) +
             "\ncolumns\t" + std::string(kBlindColumns) + "\n" + rows;
  return out;
}

void ParseBlindFeed(std::string_view text, const BlindKeyring* keys, Feed* feed) {
  enum class Stage { kMagic, kHeader, kRows, kDead } stage = Stage::kMagic;
  bool have_algorithm = false, have_v4 = false, have_v6 = false, have_count = false;
  int64_t count = 0;
  size_t rows = 0;
  int last_line = 0;
  auto fail = [&](int n, const std::string& why) {
    AddFeedError(feed, n, why);
    stage = Stage::kDead;  // a bad header makes every row meaningless
  };
  ForEachLine(text, [&](int n, std::string_view line) {
    last_line = n;
    if (stage == Stage::kDead) return;
    if (line.empty() || line[0] == '#') return;
    if (stage != Stage::kRows) {
      size_t tab = line.find('\t');
      std::string_view name = line.substr(0, tab);
      std::string_view value = tab == std::string_view::npos ? "" : line.substr(tab + 1);
      if (stage == Stage::kMagic) {
        if (name != kBlindFeedMagic)
          return fail(n, "not a blinded feed (expected \"gfi-blind-feed<TAB>1\" first)");
        if (value != "1")
          return fail(n, "unsupported blinded feed version '" + PrintableUtf8(value.substr(0, 20)) +
                             "' (this gfi-milter reads version 1)");
        stage = Stage::kHeader;
      } else if (name == "algorithm") {
        if (value != kBlindAlgorithm)
          return fail(n, "unsupported algorithm '" + PrintableUtf8(value.substr(0, 40)) +
                             "' (expected " + std::string(kBlindAlgorithm) + ")");
        have_algorithm = true;
      } else if (name == "key-id") {
        std::shared_ptr<const BlindKey> k = keys ? keys->Find(value) : nullptr;
        if (!k)
          return fail(n, "blinded with key " + PrintableUtf8(value.substr(0, 40)) +
                             ", which is not configured ([indicators] blind_keys: " +
                             (keys ? keys->Describe() : std::string("none")) + ")");
        feed->blind_key = std::move(k);
      } else if (name == "ipv4-prefixes") {
        if (!ParsePrefixes(value, 0, 32, &feed->blind_ipv4_prefixes))
          return fail(n, "ipv4-prefixes must be '-' or distinct lengths 0..32, comma-separated");
        have_v4 = true;
      } else if (name == "ipv6-prefixes") {
        if (!ParsePrefixes(value, 0, 128, &feed->blind_ipv6_prefixes))
          return fail(n, "ipv6-prefixes must be '-' or distinct lengths 0..128, comma-separated");
        have_v6 = true;
      } else if (name == "count") {
        if (!ParseInt(value, 0, int64_t{1} << 40, &count)) return fail(n, "bad count");
        have_count = true;
      } else if (name == "columns") {
        if (value != kBlindColumns)
          return fail(n, "columns must be exactly: " + std::string(kBlindColumns));
        if (!have_algorithm || !feed->blind_key || !have_v4 || !have_v6 || !have_count)
          return fail(n, "header incomplete: algorithm, key-id, ipv4-prefixes, ipv6-prefixes "
                         "and count must come before columns");
        stage = Stage::kRows;
      } else {
        return fail(n, "unknown header line '" + PrintableUtf8(name.substr(0, 40)) + "'");
      }
      return;
    }
    ++rows;
    std::vector<std::string_view> f = Split(line, '\t');
    if (f.size() != 10) {
      AddFeedError(feed, n, "expected 10 tab-separated fields, got " + std::to_string(f.size()));
      return;
    }
    Rule r;
    r.id = std::string(f[0]);
    if (r.id.empty()) return AddFeedError(feed, n, "empty id");
    if (f[2] != "-") {
      r.action = ParseAction(f[2]);
      if (!r.action)
        return AddFeedError(feed, n, "unknown action '" + PrintableUtf8(f[2].substr(0, 40)) + "'");
    }
    if (f[3] != "-") r.marking = std::string(f[3]);
    int64_t conf, from, until, revoked, modified;
    if (!ParseInt(f[4], -1, 100, &conf)) return AddFeedError(feed, n, "confidence must be -1..100");
    if (!ParseInt(f[5], 0, INT64_MAX, &from) || !ParseInt(f[6], 0, INT64_MAX, &until) ||
        !ParseInt(f[8], 0, INT64_MAX, &modified))
      return AddFeedError(feed, n, "valid-from, valid-until and modified must be unix seconds (0: unset)");
    if (!ParseInt(f[7], 0, 1, &revoked)) return AddFeedError(feed, n, "revoked must be 0 or 1");
    r.confidence = static_cast<int>(conf);
    r.valid_from = from;
    r.valid_until = until;
    r.revoked = revoked == 1;
    r.modified = modified;
    size_t n_terms = 0;
    for (std::string_view conj : Split(f[9], '|')) {
      std::vector<Term> terms;
      for (std::string_view ts : Split(conj, '&')) {
        if (++n_terms > kMaxTermsPerRow)
          return AddFeedError(feed, n, "more than " + std::to_string(kMaxTermsPerRow) + " terms");
        Result<Term> t = ParseBlindTerm(ts);
        if (!t.ok()) return AddFeedError(feed, n, t.error());
        terms.push_back(std::move(t).value());
      }
      r.any_of.push_back(std::move(terms));
    }
    if (f[1] != ToString(r.any_of[0][0].kind))
      return AddFeedError(feed, n, "type '" + PrintableUtf8(f[1].substr(0, 40)) +
                                       "' is not the type of its first term");
    r.feed = feed->name;
    // No display: the snapshot shows "(blinded)" (RuleView), without storing it a million times.
    r.blinded = true;
    feed->rules.push_back(std::move(r));
  });
  if (stage == Stage::kMagic) {
    AddFeedError(feed, 1, "not a blinded feed (empty)");
  } else if (stage == Stage::kHeader) {
    AddFeedError(feed, last_line, "header incomplete: no columns line");
  } else if (stage == Stage::kRows && static_cast<int64_t>(rows) != count) {
    AddFeedError(feed, last_line, "the header says " + std::to_string(count) +
                                      " indicators, the file has " + std::to_string(rows) +
                                      " (truncated or altered)");
  }
  if (!feed->errors.empty()) {
    feed->rules.clear();
    feed->blind_key.reset();
  }
}

}  // namespace gfi
