// Compilation of rules into compact lookup structures, and matching of one message against them.
// Memory per indicator is what limits how many a host can load, so rules and tables avoid
// per-entry heap objects: strings go to one arena, tables hold 32-bit offsets and indices.
#include "snapshot/snapshot.h"

#include <arpa/inet.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <unordered_map>

#include "extract/url.h"
#include "indicators/blind_key.h"
#include "match/glob.h"
#include "match/literal_matcher.h"
#include "indicators/blind_feed.h"
#include "util/net.h"
#include "util/public_suffix.h"
#include "util/strings.h"

namespace gfi {
namespace {

constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr size_t kMaxObserved = 256;  // bytes of observed text kept in a Match

struct StrRef {
  uint32_t off = 0;
  uint32_t len = 0;
};

class Arena {
 public:
  Result<StrRef> Add(std::string_view s) {
    if (buf_.size() + s.size() > 0xFFFFFFF0u)
      return Status::Error("indicator strings exceed 4 GiB");
    StrRef r{static_cast<uint32_t>(buf_.size()), static_cast<uint32_t>(s.size())};
    buf_.append(s);
    return r;
  }
  std::string_view Get(StrRef r) const { return std::string_view(buf_).substr(r.off, r.len); }
  size_t bytes() const { return buf_.capacity(); }
  void Reserve(size_t n) { buf_.reserve(n); }

 private:
  std::string buf_;
};

uint32_t HashOf(std::string_view s) {
  // FNV-1a, 64-bit, folded: fast on the short keys we have and stable across runs.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Open-addressing map from a string (stored in an Arena) to the head of a TermRef chain.
class StringTable {
 public:
  // The chain head for `key`, inserting an empty (kNone) one if absent.
  // *stored (when given) gets where the key's text is in the arena.
  Result<uint32_t*> Upsert(std::string_view key, Arena* arena, StrRef* stored = nullptr) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Grow();
    uint32_t h = HashOf(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.value == kEmpty) {
        auto ref = arena->Add(key);
        if (!ref.ok()) return ref.status();
        s = Slot{h, ref.value().off, ref.value().len, kNone};
        ++size_;
        if (stored) *stored = ref.value();
        return &s.value;
      }
      if (s.hash == h && arena->Get(StrRef{s.off, s.len}) == key) {
        if (stored) *stored = StrRef{s.off, s.len};
        return &s.value;
      }
    }
  }

  uint32_t Find(std::string_view key, const Arena& arena) const {
    if (slots_.empty()) return kNone;
    uint32_t h = HashOf(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value == kEmpty) return kNone;
      if (s.hash == h && s.len == key.size() && arena.Get(StrRef{s.off, s.len}) == key)
        return s.value;
    }
  }

  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }
  size_t size() const { return size_; }

  // Sized once for up to `n` keys (issue 18: no doubling, and no old table beside the new one,
  // while a million indicators are added).
  void Reserve(size_t n) {
    if (n == 0 || size_ != 0) return;
    size_t slots = 64;
    while ((n + 1) * 10 > slots * 7) slots *= 2;
    slots_.assign(slots, Slot{0, 0, 0, kEmpty});
  }

 private:
  static constexpr uint32_t kEmpty = 0xFFFFFFFEu;
  struct Slot {
    uint32_t hash;
    uint32_t off;
    uint32_t len;
    uint32_t value = kEmpty;
  };

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{0, 0, 0, kEmpty});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.value == kEmpty) continue;
      size_t i = s.hash & mask;
      while (slots_[i].value != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// A host seen with more dots than this is walked only down to its registrable domain (a public
// suffix look-up, ~1 us); one with fewer has each parent of two labels or more hashed (~0.15 us
// each).
constexpr size_t kBlindParentsWithoutPsl = 5;

// A term's place in its rule; chains link terms with the same key.
struct TermRef {
  uint32_t rule;
  uint32_t next;
  WhereMask where;
  uint16_t conj;
  uint16_t term;
};

template <size_t N>
struct BinEntry {
  std::array<uint8_t, N> key;
  uint32_t ref;
  bool operator<(const BinEntry& o) const { return key < o.key; }
};

struct V4Entry {
  uint32_t key;
  uint32_t ref;
  bool operator<(const V4Entry& o) const { return key < o.key; }
};

// Literals shorter than this are not worth a prefilter: a regex whose required literals are all
// shorter runs in the group's Set.
constexpr int kMinAtomBytes = 3;

// Memory of one prefiltered regex at most (RE2's own default; past it the DFA falls back to the
// NFA, still right, slower). The group's regex_max_mem is shared: each of N regexes gets 1/(N+1)
// of it, the Set of the U regexes without literals (U+1)/(N+1), so a group never holds more.
constexpr int64_t kSingleRegexMaxMem = 8 << 20;

// The regexes of one target (subject, one header field, body). Regexes with required literals
// (FilteredRE2's "atoms") run one by one, only when the literal automaton finds their atoms in
// the text; the others run in one RE2::Set.
struct RegexGroup {
  std::vector<uint32_t> refs;         // regex index -> TermRef
  std::vector<std::string> patterns;  // until built
  std::unique_ptr<re2::FilteredRE2> filtered;  // every regex; its RE2s run the prefiltered ones
  std::unique_ptr<LiteralMatcher> atoms;       // the atoms, ASCII case-insensitive
  // Atoms with non-ASCII bytes: FilteredRE2 lowercases them as Unicode, the automaton folds ASCII
  // only, so they count as always found (a regex is run rather than missed).
  std::vector<int> always_found;
  std::vector<bool> in_set;            // regex index -> runs in `set`
  std::unique_ptr<RE2::Set> set;       // the regexes without atoms
  std::vector<uint32_t> set_regex;     // set index -> regex index

  bool empty() const { return refs.empty(); }
};

enum RuleFlags : uint8_t {
  kRevoked = 1,
  kGeneratedId = 2,
  kMultiTerm = 4,
  kUuidId = 8,
  kBlinded = 16,
};

constexpr std::string_view kIndicatorIdPrefix = "indicator--";

// STIX ids ("indicator--" + a lower-case UUID) are stored as their 16 bytes: a third of the
// memory of a million-indicator feed is otherwise ids.
bool PackUuidId(std::string_view id, std::string* out) {
  if (id.size() != kIndicatorIdPrefix.size() + 36 || id.substr(0, kIndicatorIdPrefix.size()) != kIndicatorIdPrefix)
    return false;
  std::string_view u = id.substr(kIndicatorIdPrefix.size());
  out->clear();
  for (size_t i = 0; i < u.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (u[i] != '-') return false;
      ++i;
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;  // upper case would not round-trip
    };
    int h = hex(u[i]), l = hex(u[i + 1]);
    if (h < 0 || l < 0) return false;
    out->push_back(static_cast<char>(h * 16 + l));
    i += 2;
  }
  return out->size() == 16;
}

std::string UnpackUuidId(std::string_view b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kIndicatorIdPrefix);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    auto c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

struct CompiledRule {
  StrRef id;  // for kGeneratedId: id.off is the line number
  StrRef display;
  StrRef description;
  uint32_t valid_from;   // unix seconds, 0 unset (saturated into 32 bits)
  uint32_t valid_until;
  uint32_t multi = kNone;  // index into Impl::multi when kMultiTerm
  uint32_t first_ref;      // the rule's first TermRef
  uint16_t feed;
  uint16_t marking;
  int8_t confidence;
  uint8_t action;  // 0xFF: none
  uint8_t flags;
};

uint32_t Saturate(int64_t t) {
  if (t <= 0) return 0;
  return t > 0xFFFFFFFEll ? 0xFFFFFFFEu : static_cast<uint32_t>(t);
}

bool HexToBytes(std::string_view hex, uint8_t* out) {
  auto v = HexDigitValue;
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    int h = v(hex[2 * i]), l = v(hex[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    out[i] = static_cast<uint8_t>(h * 16 + l);
  }
  return true;
}

void MaskBytes(std::array<uint8_t, 16>* b, int len, int total_bits) {
  for (int bit = len; bit < total_bits; ++bit) (*b)[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
}

}  // namespace

struct IndicatorSnapshot::Impl {
  Arena arena;
  std::vector<CompiledRule> rules;
  std::vector<std::string> feeds;
  std::vector<std::string> markings;
  std::vector<std::vector<uint16_t>> multi;  // per multi-term rule: term count of each conjunction
  std::vector<TermRef> refs;

  StringTable domains, emails, urls, url_prefixes, filenames;
  std::vector<uint32_t> url_prefix_lengths;  // distinct, ascending
  std::vector<BinEntry<16>> md5;
  std::vector<BinEntry<20>> sha1;
  std::vector<BinEntry<32>> sha256;
  std::array<std::vector<V4Entry>, 33> v4;
  std::array<std::vector<BinEntry<16>>, 129> v6;
  std::vector<int> v4_lengths, v6_lengths;
  std::vector<std::pair<std::string, uint32_t>> globs;
  RegexGroup subject, body;
  std::map<std::string, RegexGroup> headers;  // lower-case field name
  std::unique_ptr<LiteralMatcher> content;
  std::vector<uint32_t> content_refs;
  std::vector<std::string> content_patterns;

  // Blinded terms, one set per key: a sorted array of 128-bit hashes, and the IP prefix lengths
  // the feeds blinded with that key use (each IP seen is hashed at every one of them).
  struct BlindSet {
    std::shared_ptr<const BlindKey> key;
    std::vector<int> v4, v6;
    std::vector<BinEntry<kBlindHashBytes>> table;
    // The hashes are uniform, so their leading `bits` bits index the sorted table directly:
    // bucket[p] is the first entry whose prefix is >= p. A look-up reads the bucket and then
    // about one entry, instead of a binary search's twenty cache misses over a million entries.
    int bits = 0;
    std::vector<uint32_t> bucket;

    static uint64_t Prefix(const uint8_t* h) {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v = (v << 8) | h[i];
      return v;
    }
    void Index() {
      bits = 1;
      while (bits < 24 && (size_t{1} << (bits + 1)) <= table.size()) ++bits;
      bucket.assign((size_t{1} << bits) + 1, 0);
      size_t at = 0;
      for (size_t p = 0; p < (size_t{1} << bits); ++p) {
        while (at < table.size() && (Prefix(table[at].key.data()) >> (64 - bits)) < p) ++at;
        bucket[p] = static_cast<uint32_t>(at);
      }
      bucket.back() = static_cast<uint32_t>(table.size());
    }
    template <typename F>
    void Find(const BlindHash& h, F&& hit) const {
      const size_t p = Prefix(h.data()) >> (64 - bits);
      for (uint32_t i = bucket[p]; i < bucket[p + 1]; ++i)
        if (std::memcmp(table[i].key.data(), h.data(), kBlindHashBytes) == 0) hit(table[i].ref);
    }
  };
  std::vector<BlindSet> blind;

  // The set of `feed`'s key (made on first use), with the feed's prefix lengths merged in.
  int BlindSetFor(const Feed& feed) {
    size_t i = 0;
    while (i < blind.size() && blind[i].key->id() != feed.blind_key->id()) ++i;
    if (i == blind.size()) {
      blind.emplace_back();
      blind.back().key = feed.blind_key;
    }
    BlindSet& s = blind[i];
    s.v4.insert(s.v4.end(), feed.blind_ipv4_prefixes.begin(), feed.blind_ipv4_prefixes.end());
    s.v6.insert(s.v6.end(), feed.blind_ipv6_prefixes.begin(), feed.blind_ipv6_prefixes.end());
    return static_cast<int>(i);
  }

  uint32_t NewRef(uint32_t rule, const Term& t, uint16_t conj, uint16_t term) {
    refs.push_back(TermRef{rule, kNone, t.where, conj, term});
    return static_cast<uint32_t>(refs.size() - 1);
  }

  Status Chain(StringTable* table, std::string_view key, uint32_t ref, StrRef* stored) {
    auto head = table->Upsert(key, &arena, stored);
    if (!head.ok()) return head.status();
    refs[ref].next = *head.value();
    *head.value() = ref;
    return Status::Ok();
  }

  // *key (when given, and the term's key is kept as text) gets where that text is.
  Status AddTerm(const Term& t, uint32_t rule, uint16_t conj, uint16_t term, int blind_set,
                 StrRef* key) {
    uint32_t ref = NewRef(rule, t, conj, term);
    if (t.blinded) {
      if (blind_set < 0 || t.value.size() != kBlindHashBytes)
        return Status::Error("blinded term without its key or hash");
      BinEntry<kBlindHashBytes> e{{}, ref};
      std::memcpy(e.key.data(), t.value.data(), kBlindHashBytes);
      blind[static_cast<size_t>(blind_set)].table.push_back(e);
      return Status::Ok();
    }
    switch (t.kind) {
      case TermKind::kDomain:
        return Chain(&domains, t.value, ref, key);
      case TermKind::kEmail:
        return Chain(&emails, t.value, ref, key);
      case TermKind::kUrl:
        return Chain(&urls, UrlMatchKey(t.value), ref, key);
      case TermKind::kUrlPrefix: {
        std::string_view prefix_key = UrlMatchKey(t.value);
        uint32_t len = static_cast<uint32_t>(prefix_key.size());
        if (!std::binary_search(url_prefix_lengths.begin(), url_prefix_lengths.end(), len))
          url_prefix_lengths.insert(
              std::upper_bound(url_prefix_lengths.begin(), url_prefix_lengths.end(), len), len);
        return Chain(&url_prefixes, prefix_key, ref, key);
      }
      case TermKind::kFilename:
        return Chain(&filenames, t.value, ref, key);
      case TermKind::kFilenameGlob:
        globs.emplace_back(t.value, ref);
        return Status::Ok();
      case TermKind::kMd5: {
        BinEntry<16> e{{}, ref};
        HexToBytes(t.value, e.key.data());
        md5.push_back(e);
        return Status::Ok();
      }
      case TermKind::kSha1: {
        BinEntry<20> e{{}, ref};
        HexToBytes(t.value, e.key.data());
        sha1.push_back(e);
        return Status::Ok();
      }
      case TermKind::kSha256: {
        BinEntry<32> e{{}, ref};
        HexToBytes(t.value, e.key.data());
        sha256.push_back(e);
        return Status::Ok();
      }
      case TermKind::kIp: {
        auto net = ParseNetwork(t.value);
        if (!net.ok()) return Status::Error("bad IP term: " + net.error());
        const int len = net.value().prefix;
        std::array<uint8_t, 16> bytes = net.value().addr.bytes;
        if (net.value().addr.v6) {
          MaskBytes(&bytes, len, 128);
          v6[len].push_back(BinEntry<16>{bytes, ref});
        } else {
          uint32_t a;
          std::memcpy(&a, bytes.data(), 4);
          a = ntohl(a);
          uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
          v4[len].push_back(V4Entry{a & mask, ref});
        }
        return Status::Ok();
      }
      case TermKind::kSubjectRegex:
        subject.patterns.push_back(t.value);
        subject.refs.push_back(ref);
        return Status::Ok();
      case TermKind::kBodyRegex:
        body.patterns.push_back(t.value);
        body.refs.push_back(ref);
        return Status::Ok();
      case TermKind::kHeaderRegex: {
        RegexGroup& g = headers[t.header_name];
        g.patterns.push_back(t.value);
        g.refs.push_back(ref);
        return Status::Ok();
      }
      case TermKind::kContent:
        content_patterns.push_back(t.value);
        content_refs.push_back(ref);
        return Status::Ok();
    }
    return Status::Error("unknown term kind");
  }

  static Status BuildSet(RegexGroup* g, const std::string& what, int64_t max_mem) {
    if (g->patterns.empty()) return Status::Ok();
    RE2::Options opts;
    opts.set_log_errors(false);
    const int64_t share = max_mem / static_cast<int64_t>(g->patterns.size() + 1);
    opts.set_max_mem(std::min(share, kSingleRegexMaxMem));
    g->filtered = std::make_unique<re2::FilteredRE2>(kMinAtomBytes);
    for (const std::string& p : g->patterns) {
      int id = -1;
      if (g->filtered->Add(p, opts, &id) != RE2::NoError) {
        RE2 bad(p, opts);  // FilteredRE2 keeps only the code; the message names the problem
        return Status::Error(what + " regex '" + p + "': " + bad.error());
      }
    }
    std::vector<std::string> atoms;
    g->filtered->Compile(&atoms);
    for (size_t i = 0; i < atoms.size(); ++i)
      if (std::any_of(atoms[i].begin(), atoms[i].end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        g->always_found.push_back(static_cast<int>(i));
    if (!atoms.empty()) {
      auto m = BuildAhoCorasick(atoms, LiteralOptions{});
      if (!m.ok()) return Status::Error(what + " regex literals: " + m.status().message());
      g->atoms = std::move(m).value();
    }
    // Regexes that pass the filter whatever the text are those without atoms.
    std::vector<int> unfiltered;
    g->filtered->AllPotentials({}, &unfiltered);
    g->in_set.assign(g->patterns.size(), false);
    if (!unfiltered.empty()) {
      RE2::Options set_opts = opts;
      set_opts.set_max_mem(share * static_cast<int64_t>(unfiltered.size() + 1));
      g->set = std::make_unique<RE2::Set>(set_opts, RE2::UNANCHORED);
      for (int i : unfiltered) {
        std::string error;
        const std::string& p = g->patterns[static_cast<size_t>(i)];
        if (g->set->Add(p, &error) < 0)
          return Status::Error(what + " regex '" + p + "': " + error);
        g->in_set[static_cast<size_t>(i)] = true;
        g->set_regex.push_back(static_cast<uint32_t>(i));
      }
      if (!g->set->Compile())
        return Status::Error(what + " regexes: RE2::Set ran out of memory (" +
                             std::to_string(unfiltered.size()) + " of " +
                             std::to_string(g->refs.size()) + " patterns, max_mem " +
                             std::to_string(max_mem) + ")");
    }
    g->patterns.clear();
    g->patterns.shrink_to_fit();
    return Status::Ok();
  }

  Status Finish(int64_t regex_max_mem) {
    std::sort(md5.begin(), md5.end());
    std::sort(sha1.begin(), sha1.end());
    std::sort(sha256.begin(), sha256.end());
    for (int len = 0; len <= 32; ++len) {
      std::sort(v4[len].begin(), v4[len].end());
      if (!v4[len].empty()) v4_lengths.push_back(len);
    }
    for (int len = 0; len <= 128; ++len) {
      std::sort(v6[len].begin(), v6[len].end());
      if (!v6[len].empty()) v6_lengths.push_back(len);
    }
    for (BlindSet& b : blind) {
      std::sort(b.table.begin(), b.table.end());
      b.table.shrink_to_fit();
      b.Index();
      for (std::vector<int>* v : {&b.v4, &b.v6}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
      }
    }
    if (Status s = BuildSet(&subject, "subject", regex_max_mem); !s.ok()) return s;
    if (Status s = BuildSet(&body, "body", regex_max_mem); !s.ok()) return s;
    for (auto& [name, g] : headers)
      if (Status s = BuildSet(&g, "header " + name, regex_max_mem); !s.ok()) return s;
    if (!content_patterns.empty()) {
      auto m = BuildAhoCorasick(content_patterns, LiteralOptions{});
      if (!m.ok()) return m.status();
      content = std::move(m).value();
      // content_patterns stay: a match reports the text the message held, found again with them.
    }
    // The arena is sized up front (Build) to at most what it may need: the part it did not use
    // was never touched, so it is not resident, and copying to trim it would double it for a
    // moment. The vectors are trimmed only when superseded versions left much unused.
    if (refs.capacity() > refs.size() + refs.size() / 8) refs.shrink_to_fit();
    if (rules.capacity() > rules.size() + rules.size() / 8) rules.shrink_to_fit();
    return Status::Ok();
  }

  size_t MemoryBytes() const {
    size_t n = arena.bytes() + rules.capacity() * sizeof(CompiledRule) +
               refs.capacity() * sizeof(TermRef) + domains.bytes() + emails.bytes() + urls.bytes() +
               url_prefixes.bytes() + filenames.bytes() + md5.capacity() * sizeof(md5[0]) +
               sha1.capacity() * sizeof(sha1[0]) + sha256.capacity() * sizeof(sha256[0]);
    for (const auto& v : v4) n += v.capacity() * sizeof(V4Entry);
    for (const auto& v : v6) n += v.capacity() * sizeof(BinEntry<16>);
    for (const auto& m : multi) n += sizeof(m) + m.capacity() * 2;
    for (const auto& g : globs) n += sizeof(g) + g.first.capacity();
    if (content) n += content->MemoryBytes();
    n += BlindTableBytes();
    return n;
  }

  size_t BlindTableBytes() const {
    size_t n = 0;
    for (const BlindSet& b : blind)
      n += b.table.capacity() * sizeof(b.table[0]) + b.bucket.capacity() * sizeof(uint32_t);
    return n;
  }

  // Per-call matching state.
  struct Collector {
    const Impl& impl;
    int64_t now;
    bool any_where;
    bool include_inactive;
    std::vector<Match>* out;
    std::unordered_map<uint32_t, bool> done;  // rule -> reported
    // Multi-term rules: (rule, conj) -> satisfied term indices.
    std::unordered_map<uint64_t, std::vector<uint16_t>> partial;
    std::unordered_map<uint64_t, std::pair<std::string, Where>> first_seen;

    void Hit(uint32_t ref_index, Where where, std::string_view observed, TermKind kind) {
      const TermRef& r = impl.refs[ref_index];
      if (!any_where && (r.where & WhereBit(where)) == 0) return;
      const CompiledRule& rule = impl.rules[r.rule];
      if (done.count(r.rule)) return;
      if (!include_inactive && !Active(rule)) return;
      if (rule.flags & kMultiTerm) {
        uint64_t key = (uint64_t{r.rule} << 16) | r.conj;
        auto& terms = partial[key];
        if (std::find(terms.begin(), terms.end(), r.term) == terms.end()) terms.push_back(r.term);
        first_seen.emplace(key, std::make_pair(std::string(observed.substr(0, kMaxObserved)), where));
        if (terms.size() < impl.multi[rule.multi][r.conj]) return;
      }
      done[r.rule] = true;
      out->push_back(Match{r.rule, kind, std::string(observed.substr(0, kMaxObserved)), where});
    }

    void Chain(uint32_t head, Where where, std::string_view observed, TermKind kind) {
      for (uint32_t i = head; i != kNone; i = impl.refs[i].next) Hit(i, where, observed, kind);
    }

    bool Active(const CompiledRule& r) const {
      if (r.flags & kRevoked) return false;
      if (r.valid_from != 0 && now < r.valid_from) return false;
      if (r.valid_until != 0 && now >= r.valid_until) return false;
      return true;
    }
  };

  template <size_t N>
  static void FindBin(const std::vector<BinEntry<N>>& v, const uint8_t* key, Collector* c,
                      Where where, std::string_view observed, TermKind kind) {
    BinEntry<N> probe{};
    std::memcpy(probe.key.data(), key, N);
    auto [lo, hi] = std::equal_range(v.begin(), v.end(), probe);
    for (auto it = lo; it != hi; ++it) c->Hit(it->ref, where, observed, kind);
  }

  // Blinded terms: the forms of `o` that a blinded indicator can be (blind_feed.h), hashed under
  // each key in service and looked up. One observable costs one hash per form and key; nothing
  // is allocated per hash.
  void MatchBlinded(const Observable& o, Collector* c) const {
    const std::string_view value = o.value;
    char buf[256];
    std::string_view form = value;
    std::optional<IpAddress> ip;
    size_t registrable = std::string::npos;
    switch (o.type) {
      case ObservableType::kDomain: {
        // Parents a domain indicator can be: at least two labels, and not a public suffix. For
        // the usual host of a few labels every such parent is hashed (a hash costs less than a
        // public suffix look-up, and a suffix's hash can never match); a long host stops at its
        // registrable domain (libpsl), which bounds the work on hostile names.
        const size_t dots = static_cast<size_t>(std::count(value.begin(), value.end(), '.'));
        if (dots == 0) return;
        if (dots <= kBlindParentsWithoutPsl) {
          registrable = value.rfind('.', value.rfind('.') - 1);
          registrable = registrable == std::string_view::npos ? 0 : registrable + 1;
        } else {
          registrable = RegistrableDomainOffset(o.value);
          if (registrable == std::string::npos || registrable > value.size()) return;
        }
        break;
      }
      case ObservableType::kUrl:
        form = UrlMatchKey(value);
        break;
      case ObservableType::kMd5:
      case ObservableType::kSha1:
      case ObservableType::kSha256:
      case ObservableType::kFilename: {
        // Digests are lower-case hex, file names compare ASCII case-insensitively: folded here.
        if (value.size() > sizeof buf) {
          if (o.type != ObservableType::kFilename) return;  // not a digest
          break;  // folded below, with an allocation (a file name of over 256 bytes is rare)
        }
        for (size_t i = 0; i < value.size(); ++i) buf[i] = AsciiLower(value[i]);
        form = std::string_view(buf, value.size());
        break;
      }
      case ObservableType::kIp:
        ip = ParseIp(value);
        if (!ip) return;
        break;
      case ObservableType::kEmail:
        break;
    }
    std::string long_name;
    if (o.type == ObservableType::kFilename && value.size() > sizeof buf) {
      long_name = AsciiLowered(value);
      form = long_name;
    }
    const TermKind kind = o.type == ObservableType::kIp       ? TermKind::kIp
                          : o.type == ObservableType::kDomain ? TermKind::kDomain
                          : o.type == ObservableType::kEmail  ? TermKind::kEmail
                          : o.type == ObservableType::kUrl    ? TermKind::kUrl
                          : o.type == ObservableType::kMd5    ? TermKind::kMd5
                          : o.type == ObservableType::kSha1   ? TermKind::kSha1
                          : o.type == ObservableType::kSha256 ? TermKind::kSha256
                                                              : TermKind::kFilename;
    for (const BlindSet& b : blind) {
      if (b.table.empty()) continue;
      auto look = [&](std::string_view v) {
        b.Find(b.key->Hash(o.type, v), [&](uint32_t ref) { c->Hit(ref, o.where, value, kind); });
      };
      if (o.type == ObservableType::kDomain) {
        // The host and each parent down to `registrable` (no indicator is a public suffix or a
        // single label, so the plain matcher's walk past it finds nothing either).
        std::string_view d = value;
        size_t at = 0;
        while (at <= registrable) {
          look(d);
          size_t dot = d.find('.');
          if (dot == std::string_view::npos) break;
          d.remove_prefix(dot + 1);
          at += dot + 1;
        }
      } else if (o.type == ObservableType::kIp) {
        char ipbuf[64];
        for (int len : ip->v6 ? b.v6 : b.v4) {
          if (len > ip->bits()) continue;
          size_t n = FormatBlindIp(ip->bytes, ip->v6, len, ipbuf);
          if (n != 0) look(std::string_view(ipbuf, n));
        }
      } else {
        look(form);
      }
    }
  }

  void MatchObservable(const Observable& o, Collector* c) const {
    if (!blind.empty()) MatchBlinded(o, c);
    switch (o.type) {
      case ObservableType::kDomain: {
        std::string_view d = o.value;
        while (true) {
          uint32_t head = domains.Find(d, arena);
          if (head != kNone) c->Chain(head, o.where, o.value, TermKind::kDomain);
          size_t dot = d.find('.');
          if (dot == std::string_view::npos) break;
          d.remove_prefix(dot + 1);
        }
        break;
      }
      case ObservableType::kEmail: {
        uint32_t head = emails.Find(o.value, arena);
        if (head != kNone) c->Chain(head, o.where, o.value, TermKind::kEmail);
        break;
      }
      case ObservableType::kUrl: {
        std::string_view key = UrlMatchKey(o.value);
        uint32_t head = urls.Find(key, arena);
        if (head != kNone) c->Chain(head, o.where, o.value, TermKind::kUrl);
        for (uint32_t len : url_prefix_lengths) {
          if (len > key.size()) break;
          head = url_prefixes.Find(key.substr(0, len), arena);
          if (head != kNone) c->Chain(head, o.where, o.value, TermKind::kUrlPrefix);
        }
        break;
      }
      case ObservableType::kFilename: {
        std::string lower = AsciiLowered(o.value);
        uint32_t head = filenames.Find(lower, arena);
        if (head != kNone) c->Chain(head, o.where, o.value, TermKind::kFilename);
        for (const auto& [glob, ref] : globs)
          if (GlobMatch(glob, lower)) c->Hit(ref, o.where, o.value, TermKind::kFilenameGlob);
        break;
      }
      case ObservableType::kMd5:
      case ObservableType::kSha1:
      case ObservableType::kSha256: {
        uint8_t key[32];
        size_t n = o.value.size() / 2;
        if (n > sizeof key || !HexToBytes(o.value, key)) break;
        if (o.type == ObservableType::kMd5 && n == 16)
          FindBin(md5, key, c, o.where, o.value, TermKind::kMd5);
        else if (o.type == ObservableType::kSha1 && n == 20)
          FindBin(sha1, key, c, o.where, o.value, TermKind::kSha1);
        else if (o.type == ObservableType::kSha256 && n == 32)
          FindBin(sha256, key, c, o.where, o.value, TermKind::kSha256);
        break;
      }
      case ObservableType::kIp: {
        auto ip = ParseIp(o.value);
        if (!ip) break;
        if (ip->v6) {
          for (int len : v6_lengths) {
            std::array<uint8_t, 16> k = ip->bytes;
            MaskBytes(&k, len, 128);
            FindBin(v6[len], k.data(), c, o.where, o.value, TermKind::kIp);
          }
        } else {
          uint32_t a;
          std::memcpy(&a, ip->bytes.data(), 4);
          a = ntohl(a);
          for (int len : v4_lengths) {
            uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
            auto [lo, hi] = std::equal_range(v4[len].begin(), v4[len].end(), V4Entry{a & mask, 0});
            for (auto it = lo; it != hi; ++it) c->Hit(it->ref, o.where, o.value, TermKind::kIp);
          }
        }
        break;
      }
    }
  }

  // What matching one message has spent of its MatchBudget, and the defects it met.
  struct Spend {
    const MatchBudget& budget;
    std::vector<std::string>* defects;
    uint64_t regex_bytes = 0;
    bool stopped = false;  // out of budget: nothing more is matched but observables

    // False (with the defect) when the deadline has passed; `next` names what is not scanned.
    bool InTime(std::string_view next) {
      if (stopped) return false;
      if (!budget.deadline.Expired()) return true;
      defects->push_back(std::string(ToString(Limit::kScanTime)) + " at " + std::string(next) +
                         ": the scan's time ran out before matching it");
      stopped = true;
      return false;
    }

    // Charges `bytes` of text handed to regexes; false (with the defect) when over the limit.
    bool Charge(uint64_t bytes, std::string_view next) {
      if (stopped) return false;
      if (regex_bytes + bytes <= budget.max_regex_bytes) {
        regex_bytes += bytes;
        return true;
      }
      defects->push_back(std::string(ToString(Limit::kRegexBytes)) + " at " + std::string(next) +
                         ": more than " + std::to_string(budget.max_regex_bytes) +
                         " bytes of text for regexes");
      stopped = true;
      return false;
    }
  };

  // Runs group `g` over `text`; `place` names where in defects ("body.text 1.2").
  static void RunGroup(const RegexGroup& g, std::string_view text, Where where, TermKind kind,
                       std::string_view place, Collector* c, Spend* spend) {
    if (g.empty()) return;
    if (!spend->InTime(place) || !spend->Charge(text.size(), place)) return;
    if (g.set) {
      std::vector<int> hits;
      RE2::Set::ErrorInfo info;
      if (g.set->Match(text, &hits, &info)) {
        for (int i : hits) {
          uint32_t regex = g.set_regex[static_cast<size_t>(i)];
          c->Hit(g.refs[regex], where, text, kind);
        }
      } else if (info.kind != RE2::Set::kNoError) {
        // Out of memory (or RE2 refusing): the Set's regexes were not applied, which the policy
        // must see rather than a clean result.
        spend->defects->push_back(std::string(ToString(Limit::kRegexMemory)) + " at " +
                                  std::string(place) + ": " +
                                  (info.kind == RE2::Set::kOutOfMemory
                                       ? "a regex set ran out of memory"
                                       : "a regex set failed") +
                                  " matching " + std::to_string(text.size()) + " bytes");
      }
    }
    std::vector<int> found(g.always_found);
    if (g.atoms) {
      std::vector<uint32_t> ids;
      g.atoms->FindAll(text, &ids);
      for (uint32_t id : ids) found.push_back(static_cast<int>(id));
    }
    if (found.empty()) return;
    std::vector<int> candidates;
    g.filtered->AllPotentials(found, &candidates);
    for (int i : candidates) {
      const size_t regex = static_cast<size_t>(i);
      if (g.in_set[regex]) continue;
      if (!spend->InTime(place)) return;
      if (RE2::PartialMatch(text, g.filtered->GetRE2(i))) c->Hit(g.refs[regex], where, text, kind);
    }
  }
};

IndicatorSnapshot::IndicatorSnapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IndicatorSnapshot::~IndicatorSnapshot() = default;

Result<std::shared_ptr<const IndicatorSnapshot>> IndicatorSnapshot::Build(
    const std::vector<Feed>& feeds, const SnapshotOptions& options, int64_t now) {
  return BuildFrom(feeds, nullptr, options, now);
}

Result<std::shared_ptr<const IndicatorSnapshot>> IndicatorSnapshot::BuildDraining(
    std::vector<Feed>* feeds, const SnapshotOptions& options, int64_t now) {
  return BuildFrom(*feeds, feeds, options, now);
}

Result<std::shared_ptr<const IndicatorSnapshot>> IndicatorSnapshot::BuildFrom(
    const std::vector<Feed>& feeds, std::vector<Feed>* drain, const SnapshotOptions& options,
    int64_t now) {
  auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  SnapshotStats stats;
  // Exact sizing (issue 18): every table is allocated once at its final size from the counts the
  // feeds' RuleLists keep, so building does not hold a grown table beside the one it outgrew.
  // (The arena's size is an upper bound; what it does not use is never touched, so not resident.)
  size_t total = 0, terms = 0, string_bytes = 0;
  std::array<size_t, kTermKindCount> kinds{};
  bool any_modified = false;
  for (const Feed& f : feeds) {
    total += f.rules.size();
    string_bytes += f.rules.string_bytes();
    terms += f.rules.blinded_terms();
    for (size_t k = 0; k < kTermKindCount; ++k) {
      kinds[k] += f.rules.terms_by_kind()[k];
      terms += f.rules.terms_by_kind()[k];
    }
    any_modified = any_modified || f.rules.any_modified();
  }
  auto kind_count = [&](TermKind k) { return kinds[static_cast<size_t>(k)]; };
  impl->rules.reserve(total);
  impl->refs.reserve(terms);
  impl->arena.Reserve(string_bytes);
  impl->domains.Reserve(kind_count(TermKind::kDomain));
  impl->emails.Reserve(kind_count(TermKind::kEmail));
  impl->urls.Reserve(kind_count(TermKind::kUrl));
  impl->url_prefixes.Reserve(kind_count(TermKind::kUrlPrefix));
  impl->filenames.Reserve(kind_count(TermKind::kFilename));
  impl->md5.reserve(kind_count(TermKind::kMd5));
  impl->sha1.reserve(kind_count(TermKind::kSha1));
  impl->sha256.reserve(kind_count(TermKind::kSha256));
  // STIX versioning: of several objects with one id, the latest "modified" is the indicator (a
  // newer version with revoked=true withdraws it), whichever feed each came from. Found before
  // any rule is compiled (a feed being drained is gone after): one bit per rule of each feed.
  std::vector<std::vector<bool>> superseded(feeds.size());
  if (any_modified) {
    // Keys are views of the ids stored in the RuleLists (which do not move while read).
    std::unordered_map<std::string_view, int64_t> latest;
    size_t versioned = 0;
    for (const Feed& f : feeds)
      if (f.rules.any_modified()) versioned += f.rules.size();
    latest.reserve(versioned);
    std::deque<std::string> unstored_ids;  // ids a RuleList keeps as a number (none from STIX)
    for (const Feed& f : feeds)
      for (auto it = f.rules.begin(); it != f.rules.end(); ++it) {
        if (it->modified == 0) continue;
        std::string_view key = it.id_view();
        if (key.empty()) key = unstored_ids.emplace_back(it->id);
        int64_t& m = latest[key];
        m = std::max(m, it->modified);
      }
    for (size_t fi = 0; fi < feeds.size(); ++fi) {
      superseded[fi].assign(feeds[fi].rules.size(), false);
      size_t i = 0;
      for (const Rule& r : feeds[fi].rules) {
        if (r.modified != 0 && r.modified < latest[std::string_view(r.id)])
          superseded[fi][i] = true;
        ++i;
      }
    }
  }
  std::unordered_map<std::string, uint16_t> marking_ids;
  Status error = Status::Ok();
  for (size_t fi = 0; fi < feeds.size(); ++fi) {
    const Feed& f = feeds[fi];
    if (impl->feeds.size() >= 0xFFFF) return Status::Error("too many feeds (65535 at most)");
    uint16_t feed_id = static_cast<uint16_t>(impl->feeds.size());
    impl->feeds.push_back(f.name);
    stats.feeds.push_back(FeedSummary{f.path, f.name, f.rules.size(), f.load_seconds});
    const std::string generated_prefix = f.name + ":";
    const int blind_set = f.blind_key ? impl->BlindSetFor(f) : -1;
    auto add = [&](const Rule& r, size_t index) -> bool {
      if (r.any_of.empty()) return true;
      if (!superseded[fi].empty() && superseded[fi][index]) {
        ++stats.superseded;
        return true;
      }
      CompiledRule cr{};
      cr.feed = feed_id;
      cr.action = r.action ? static_cast<uint8_t>(*r.action) : 0xFF;
      cr.confidence = static_cast<int8_t>(r.confidence < -1 || r.confidence > 100 ? -1 : r.confidence);
      cr.valid_from = Saturate(r.valid_from);
      cr.valid_until = Saturate(r.valid_until);
      if (r.revoked) cr.flags |= kRevoked;
      if (r.blinded) cr.flags |= kBlinded;
      // "feed.csv:12" ids are stored as the number alone.
      bool generated = r.id.size() > generated_prefix.size() &&
                       r.id.compare(0, generated_prefix.size(), generated_prefix) == 0 &&
                       r.id.size() - generated_prefix.size() <= 9 &&
                       std::all_of(r.id.begin() + static_cast<long>(generated_prefix.size()),
                                   r.id.end(), [](char c) { return c >= '0' && c <= '9'; });
      std::string packed;
      if (generated) {
        cr.flags |= kGeneratedId;
        cr.id.off = static_cast<uint32_t>(std::stoul(r.id.substr(generated_prefix.size())));
      } else {
        const bool uuid = PackUuidId(r.id, &packed);
        auto id = impl->arena.Add(uuid ? std::string_view(packed) : std::string_view(r.id));
        if (!id.ok()) {
          error = id.status();
          return false;
        }
        if (uuid) cr.flags |= kUuidId;
        cr.id = id.value();
      }
      if (!r.description.empty()) {
        auto d = impl->arena.Add(r.description);
        if (!d.ok()) {
          error = d.status();
          return false;
        }
        cr.description = d.value();
      }
      auto mk = marking_ids.find(r.marking);
      if (mk == marking_ids.end()) {
        mk = marking_ids.emplace(r.marking, static_cast<uint16_t>(impl->markings.size())).first;
        impl->markings.push_back(r.marking);
      }
      cr.marking = mk->second;
      bool multi = false;
      for (const auto& conj : r.any_of) multi = multi || conj.size() > 1;
      if (r.any_of.size() > 0xFFFF) {
        error = Status::Error(r.id + ": too many alternatives");
        return false;
      }
      if (multi) {
        cr.flags |= kMultiTerm;
        cr.multi = static_cast<uint32_t>(impl->multi.size());
        std::vector<uint16_t> sizes;
        for (const auto& conj : r.any_of) sizes.push_back(static_cast<uint16_t>(conj.size()));
        impl->multi.push_back(std::move(sizes));
      }
      uint32_t rule_index = static_cast<uint32_t>(impl->rules.size());
      cr.first_ref = static_cast<uint32_t>(impl->refs.size());
      impl->rules.push_back(cr);
      StrRef first_key{0, 0};
      bool have_key = false;
      for (size_t c = 0; c < r.any_of.size(); ++c) {
        for (size_t t = 0; t < r.any_of[c].size(); ++t) {
          const Term& term = r.any_of[c][t];
          StrRef key{kNone, 0};
          if (Status s = impl->AddTerm(term, rule_index, static_cast<uint16_t>(c),
                                       static_cast<uint16_t>(t), blind_set, &key);
              !s.ok()) {
            error = Status::Error(f.path + ": " + r.id + ": " + s.message());
            return false;
          }
          if (c == 0 && t == 0 && key.off != kNone) {
            first_key = key;
            have_key = true;
          }
          ++stats.terms_by_kind[std::string(ToString(term.kind))];
          if (term.blinded) ++stats.blinded_terms;
        }
      }
      // The display is most often the first term's value, kept already as its key: shared.
      if (have_key && impl->arena.Get(first_key) == r.display) {
        impl->rules[rule_index].display = first_key;
      } else {
        auto disp = impl->arena.Add(r.display);
        if (!disp.ok()) {
          error = disp.status();
          return false;
        }
        impl->rules[rule_index].display = disp.value();
      }
      if (r.revoked) ++stats.revoked;
      else if (r.valid_until != 0 && now >= r.valid_until) ++stats.expired;
      else if (r.valid_from != 0 && now < r.valid_from) ++stats.not_yet_valid;
      return true;
    };
    if (drain != nullptr) {
      if (!(*drain)[fi].rules.Drain(add)) return error;
    } else {
      size_t index = 0;
      for (const Rule& r : f.rules)
        if (!add(r, index++)) return error;
    }
  }
  if (Status s = impl->Finish(options.regex_max_mem); !s.ok()) return s;
  stats.rules = impl->rules.size();
  stats.memory_bytes = impl->MemoryBytes();
  stats.blinded_table_bytes = impl->BlindTableBytes();
  stats.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto snap = std::shared_ptr<IndicatorSnapshot>(new IndicatorSnapshot(std::move(impl)));
  snap->stats_ = std::move(stats);
  return std::shared_ptr<const IndicatorSnapshot>(std::move(snap));
}

void IndicatorSnapshot::MatchObservables(const std::vector<Observable>& observables, int64_t now,
                                         bool any_where, bool include_inactive,
                                         std::vector<Match>* out) const {
  Impl::Collector c{*impl_, now, any_where, include_inactive, out, {}, {}, {}};
  for (const Observable& o : observables) impl_->MatchObservable(o, &c);
}

void IndicatorSnapshot::MatchMessage(const MessageAnalysis& m, int64_t now,
                                     const MatchBudget& budget, std::vector<Match>* out,
                                     std::vector<std::string>* defects) const {
  Impl::Collector c{*impl_, now, false, false, out, {}, {}, {}};
  for (const Observable& o : m.observables) impl_->MatchObservable(o, &c);
  Impl::Spend spend{budget, defects};
  Impl::RunGroup(impl_->subject, m.subject, Where::kHeaderSubject, TermKind::kSubjectRegex,
                 ToString(Where::kHeaderSubject), &c, &spend);
  if (!impl_->headers.empty()) {
    for (const HeaderField& h : m.headers) {
      auto it = impl_->headers.find(AsciiLowered(h.name));
      if (it == impl_->headers.end()) continue;
      Where w = EqualsIgnoreCase(h.name, "subject") ? Where::kHeaderSubject : Where::kHeaderOther;
      Impl::RunGroup(it->second, h.value, w, TermKind::kHeaderRegex,
                     std::string(ToString(Where::kHeaderOther)) + " " + PrintableUtf8(h.name), &c,
                     &spend);
    }
  }
  std::vector<uint32_t> found;
  for (const TextSegment& t : m.texts) {
    const std::string place = std::string(ToString(t.where)) + " " + t.path;
    Impl::RunGroup(impl_->body, t.text, t.where, TermKind::kBodyRegex, place, &c, &spend);
    if (impl_->content && spend.InTime(place)) {
      found.clear();
      impl_->content->FindAll(t.text, &found);
      for (uint32_t i : found) {
        const std::string& pattern = impl_->content_patterns[i];
        size_t at = FindIgnoreCase(t.text, pattern);
        std::string_view seen = at == std::string_view::npos
                                    ? std::string_view(pattern)
                                    : std::string_view(t.text).substr(at, pattern.size());
        c.Hit(impl_->content_refs[i], t.where, seen, TermKind::kContent);
      }
    }
  }
}

Status IndicatorSnapshot::MatchMessage(const MessageAnalysis& m, int64_t now,
                                       std::vector<Match>* out) const {
  std::vector<std::string> defects;
  MatchMessage(m, now, MatchBudget{}, out, &defects);
  if (!defects.empty()) return Status::Error(defects.front());
  return Status::Ok();
}

size_t IndicatorSnapshot::rule_count() const { return impl_->rules.size(); }

RuleView IndicatorSnapshot::rule(uint32_t index) const {
  const CompiledRule& r = impl_->rules[index];
  RuleView v;
  v.feed = impl_->feeds[r.feed];
  if (r.flags & kGeneratedId) v.id = std::string(v.feed) + ":" + std::to_string(r.id.off);
  else if (r.flags & kUuidId) v.id = UnpackUuidId(impl_->arena.Get(r.id));
  else v.id = std::string(impl_->arena.Get(r.id));
  v.display = impl_->arena.Get(r.display);
  v.description = impl_->arena.Get(r.description);
  v.marking = impl_->markings[r.marking];
  if (r.action != 0xFF) v.action = static_cast<Action>(r.action);
  v.confidence = r.confidence;
  v.valid_from = r.valid_from;
  v.valid_until = r.valid_until;
  v.revoked = (r.flags & kRevoked) != 0;
  v.blinded = (r.flags & kBlinded) != 0;
  if (v.blinded) v.display = kBlindedDisplay;
  v.where = impl_->refs[r.first_ref].where;
  return v;
}

}  // namespace gfi
