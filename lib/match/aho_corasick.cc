// Two ways to find which literals occur, chosen at build time (LiteralOptions::Scan):
//  - the automaton: Aho-Corasick over pattern prefixes of up to kTopDepth bytes, plus a
//    path-compressed trie of the longer patterns' remaining bytes ("tails"), walked forward from
//    the text at a depth-kTopDepth state;
//  - the prefilter: a bitmap of hashed pattern keys (first kKeyBytes bytes) tested at every text
//    position, an exact hash table of the keys where it passes, then the same tails.
// Limits: patterns < 2^31 and <= 16 MiB each, 4 GiB in all; see FindAll for search cost.
#include "match/literal_matcher.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

namespace gfi {
namespace {

// Why a depth bound: every automaton state needs a 4-byte failure link, and with a million
// 8-60 byte literals most states sit on long unary chains that no other pattern shares. Stopping
// the automaton at kTopDepth and matching those chains by comparison keeps the whole structure
// at about one byte per pattern byte (Vectorscan's database is ~4.5). A state at the maximum
// depth is always the longest suffix of the text read so far, so a tail can only start there.
constexpr uint32_t kTopDepth = 8;

// States in the first BFS positions get a full transition row (failures resolved), so the
// shallow states that most text bytes visit cost one load. The table gets about four times the
// bytes of the state records, within these bounds (8 MiB measured best for 100k-1M literals).
constexpr size_t kDenseMinBytes = 2u << 20;
constexpr size_t kDenseMaxBytes = 8u << 20;

constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr uint32_t kMaxPatterns = 1u << 31;

// A state value in the scan loop: (state id << 1) | 1 when the state needs attention (it or a
// suffix of it ends a pattern, or tails hang off it).
inline uint32_t Tag(uint32_t id, bool special) { return (id << 1) | (special ? 1u : 0u); }

// One automaton state. Everything a sparse transition reads is in this record, and the children
// of a state are adjacent records, so testing a child's label also loads the state the scan
// moves to next.
struct State {
  uint32_t first_child;  // children are [first_child, next state's first_child)
  uint32_t fail;         // failure link (plain id)
  uint8_t label;         // class of the edge into this state
  uint8_t flags;         // kOutput | kTails
  uint16_t unused;
};
constexpr uint8_t kOutput = 1;  // this state or a proper suffix of it ends a pattern
constexpr uint8_t kTails = 2;   // a depth-kTopDepth state with longer patterns below it

// One edge of the tail trie. The children of a node are adjacent, in ascending order of first
// byte, so finding the edge for a text byte scans consecutive records (a URL scheme or "www."
// can have dozens of them) rather than chasing one pointer per sibling.
struct TailNode {
  uint32_t label_off;  // into tail_bytes_
  uint32_t len_first;  // label length << 8 | first label byte (length >= 1)
  uint32_t children;   // index of the first child, or kNone
  uint32_t group;      // bit 31: last of its siblings; low bits: group + 1, or 0 for no output
};
constexpr uint32_t kLastSibling = 1u << 31;
constexpr uint64_t kMaxTailLabel = (uint64_t{1} << 24) - 1;

// Pattern groups found by one FindAll call. Deduplicated as it grows, so a pattern repeated all
// through a large text costs no more memory than one occurrence.
struct Collector {
  std::vector<uint32_t> v;
  size_t compact_at = 4096;
  void Add(uint32_t group) {
    v.push_back(group);
    if (v.size() >= compact_at) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
      compact_at = std::max(compact_at, 2 * v.size());
    }
  }
};

// Texts at least this long are scanned as kStreams interleaved segments: the automaton is bound
// by the latency of its table loads, and independent streams overlap them. That pays (2x at 10k
// literals) only while most steps are dense lookups; when most are sparse, the four streams'
// unpredictable branches cost more than they save (-15% at 1M), so it is enabled only when at
// least 1/kInterleaveDenseShare of the states are dense.
constexpr size_t kStreams = 4;
constexpr size_t kInterleaveMin = 1024;
constexpr size_t kInterleaveDenseShare = 8;

// The prefilter. Each distinct pattern has a key, its first min(length, kKeyBytes) folded bytes,
// and a bitmap holds one bit per hashed key. An occurrence can start at a text position only if
// the window there hashes to a set bit; only then is the window looked up in an exact table of
// the keys, whose entry names the pattern equal to the key and the tails of the longer ones. Mail
// text rarely has 8-byte runs that begin an indicator (spaces break most of them), so a few
// percent of positions pass, and each window costs one multiply and one bitmap load independent
// of the others, where the automaton has a chain of dependent table loads. Each distinct length
// under kKeyBytes adds a hash per position, and short keys pass far more often: kAuto keeps the
// automaton when any pattern is shorter than kPrefilterMinLength (a forced prefilter takes any).
constexpr size_t kKeyBytes = 8;
constexpr size_t kPrefilterMinLength = 4;
constexpr size_t kFilterBitsPerKey = 32;
constexpr uint32_t kFilterMinLog2 = 12;  // 512 bytes
constexpr uint32_t kFilterMaxLog2 = 24;  // 2 MiB
// Positions are tested in blocks of this many, folded once into a buffer on the stack.
constexpr size_t kFilterBlock = 4096;
// When every pattern has at least kKeyBytes bytes, half the positions are tested first, with
// 7-byte windows: a pattern starting at an odd position has bytes 1..7 at the next even one.
// The sample bitmap holds both windows of each key. Measured (bench/literal_bench --ac-only):
// 1.5x the scan at 10k literals, even at 100k (under 65536 distinct keys) until the 12-byte
// confirmation below made it 1.7x there. Beyond kSampleMaxKeys keys the sample bitmap alone
// outgrows a 1 MiB L2, and it is not used (not measured).
constexpr size_t kSampleStride = 2;
constexpr size_t kSampleMaxKeys = 1u << 16;
// With the sampled scan, a key whose patterns all have kConfirmBytes bytes or more is in the key
// bitmap as those patterns' first kConfirmBytes bytes instead: most positions that match a key
// are a common word the key begins, and the text leaves that word within a few bytes.
constexpr size_t kConfirmBytes = 12;

// Folds A-Z to a-z in eight bytes at once (bytes >= 0x80 unchanged): the SWAR form of fold_.
inline uint64_t FoldAscii8(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  uint64_t low7 = w & (kOnes * 0x7F);
  uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');   // bit 7 set where low7 >= 'A'
  uint64_t above_z = low7 + kOnes * (0x80 - 'Z' - 1);  // bit 7 set where low7 > 'Z'
  uint64_t upper = at_least_a & ~above_z & ~w & (kOnes * 0x80);
  return w | (upper >> 2);
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Multiplicative hashing: the top bits of the product depend on every byte of the key; the
// filter and the key tables take as many of them as they need.
inline uint64_t KeyHash(uint64_t key) { return key * 0x9E3779B97F4A7C15ull; }

inline uint32_t Load32(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The hash of a kConfirmBytes window: its first 8 bytes and the next 4.
inline uint64_t ConfirmHash(const uint8_t* p) {
  static_assert(kConfirmBytes == kKeyBytes + 4);
  return KeyHash(Load64(p) ^ (uint64_t{Load32(p + kKeyBytes)} * 0xC2B2AE3D27D4EB4Full));
}

// A key shorter than kKeyBytes is its bytes, zeros, and its length in the last byte (always zero
// in the window of a real short key), so that "ab" and "ab\0" differ. As (window & mask) | tag.
struct ShortKeyLength {
  uint64_t mask;
  uint64_t tag;
  uint32_t length;
};

ShortKeyLength MakeShortKeyLength(size_t k) {
  uint8_t mask[kKeyBytes] = {};
  uint8_t tag[kKeyBytes] = {};
  std::memset(mask, 0xFF, k);
  tag[kKeyBytes - 1] = static_cast<uint8_t>(k);
  return {Load64(mask), Load64(tag), static_cast<uint32_t>(k)};
}

// One slot of a key table (open addressing, linear probing; empty when group and tail are kNone).
struct KeyEntry {
  uint64_t key;
  uint32_t group;  // the pattern group equal to the key, or kNone
  uint32_t tail;   // first TailNode of the longer patterns with this key as prefix, or kNone
};

// A key table of 2^(64 - shift) slots.
struct KeyTable {
  std::vector<KeyEntry> slots;
  uint32_t shift = 63;

  const KeyEntry* Find(uint64_t key) const {
    const size_t mask = slots.size() - 1;
    const KeyEntry* base = slots.data();
    for (size_t i = static_cast<size_t>(KeyHash(key) >> shift);; i = (i + 1) & mask) {
      const KeyEntry* e = base + i;
      if (e->key == key && (e->group != kNone || e->tail != kNone)) return e;
      if (e->group == kNone && e->tail == kNone) return nullptr;
    }
  }
  void Prefetch(uint64_t key) const {
    __builtin_prefetch(slots.data() + static_cast<size_t>(KeyHash(key) >> shift));
  }
  void Init(size_t entries) {
    uint32_t log2 = 4;
    while ((size_t{1} << log2) < entries + entries / 2) ++log2;  // load factor <= 2/3
    shift = 64 - log2;
    slots.assign(size_t{1} << log2, KeyEntry{0, kNone, kNone});
  }
  KeyEntry* Insert(uint64_t key) {
    const size_t mask = slots.size() - 1;
    for (size_t i = static_cast<size_t>(KeyHash(key) >> shift);; i = (i + 1) & mask) {
      KeyEntry* e = &slots[i];
      if (e->group == kNone && e->tail == kNone) {
        e->key = key;
        return e;
      }
    }
  }
};

// Outputs of a kOutput state, found through a rank over the kOutput bitmap (few states have one).
struct OutputInfo {
  uint32_t group;      // pattern group ending exactly here, or kNone
  uint32_t dict_next;  // output index of the nearest proper suffix that ends a pattern, or kNone
};

class AhoCorasickMatcher final : public LiteralMatcher {
 public:
  AhoCorasickMatcher() = default;

  void FindAll(std::string_view text, std::vector<uint32_t>* found) const override;
  size_t MemoryBytes() const override;

  std::array<uint8_t, 256> fold_{};  // case folding (identity when case-sensitive)
  std::array<uint8_t, 256> cls_{};   // byte -> class of its folded value
  uint32_t num_classes_ = 0;
  uint32_t absent_class_ = kNone;    // class of bytes no pattern contains, if any

  uint32_t num_dense_ = 0;
  bool interleave_ = false;
  // The prefilter (when prefilter_; the automaton's members above are then empty).
  bool prefilter_ = false;
  bool fold_case_ = false;
  uint32_t filter_shift_ = 63;  // 64 - log2(bits in filter_)
  std::vector<uint64_t> filter_;
  KeyTable long_keys_;                         // keys of patterns of kKeyBytes bytes or more
  KeyTable short_keys_;                        // keys of shorter patterns
  std::vector<ShortKeyLength> short_lengths_;  // each length < kKeyBytes in use, ascending
  uint32_t sample_shift_ = 63;  // 64 - log2(bits in sample_)
  std::vector<uint64_t> sample_;  // empty unless every pattern is long enough to sample
  uint64_t sample_mask_ = 0;      // keeps a window's first kKeyBytes - kSampleStride + 1 bytes
  std::vector<uint32_t> dense_;                // num_dense_ x num_classes_ tagged successors
  std::vector<State> states_;                  // BFS order, plus a sentinel
  uint32_t first_deepest_ = 0;                 // states from here on are at depth kTopDepth

  std::vector<uint64_t> output_bits_;  // rank structure over kOutput states
  std::vector<uint32_t> output_rank_;  // kOutput states before each 64-bit word
  std::vector<OutputInfo> outputs_;

  std::vector<uint32_t> tails_of_;  // per state from first_deepest_: first TailNode, or kNone
  std::vector<TailNode> tail_nodes_;
  std::vector<uint8_t> tail_bytes_;  // folded

  std::vector<uint32_t> group_begin_;  // ids of group g: group_ids_[group_begin_[g] .. [g+1])
  std::vector<uint32_t> group_ids_;

 private:
  uint32_t OutputIndex(uint32_t s) const {
    uint64_t below = output_bits_[s >> 6] & ((uint64_t{1} << (s & 63)) - 1);
    return output_rank_[s >> 6] + static_cast<uint32_t>(__builtin_popcountll(below));
  }
  uint32_t SparseStep(uint32_t s, uint32_t c) const;
  // One transition on one text byte; `s` and the result are tagged.
  uint32_t Step(uint32_t s, uint8_t byte) const {
    uint32_t c = cls_[byte];
    uint32_t id = s >> 1;
    return id < num_dense_ ? dense_[static_cast<size_t>(id) * num_classes_ + c] : SparseStep(id, c);
  }
  // Runs from tagged state s over [p, stop); tails may look ahead up to `end`.
  void Run(uint32_t s, const uint8_t* p, const uint8_t* stop, const uint8_t* end,
           Collector* groups) const {
    for (; p < stop; ++p) {
      s = Step(s, *p);
      if (s & 1) OnSpecial(s >> 1, p + 1, end, groups);
    }
  }
  void OnSpecial(uint32_t s, const uint8_t* next, const uint8_t* end, Collector* groups) const;
  bool FilterHit(uint64_t key) const { return FilterBit(KeyHash(key)); }
  bool FilterBit(uint64_t hash) const {
    uint64_t h = hash >> filter_shift_;
    return (filter_.data()[h >> 6] >> (h & 63)) & 1;
  }
  bool SampleHit(uint64_t window) const {
    uint64_t h = KeyHash(window) >> sample_shift_;
    return (sample_.data()[h >> 6] >> (h & 63)) & 1;
  }
  template <bool kShortKeys, bool kSampled>
  void ScanFiltered(const uint8_t* begin, const uint8_t* end, Collector* groups) const;
  template <bool kShortKeys>
  void OnPass(uint64_t window, const uint8_t* p, const uint8_t* end, Collector* groups) const;
  void OnKey(const KeyEntry& e, const uint8_t* next, const uint8_t* end, Collector* groups) const {
    if (e.group != kNone) groups->Add(e.group);
    if (e.tail != kNone) WalkTails(e.tail, next, end, groups);
  }
  void WalkTails(uint32_t node, const uint8_t* p, const uint8_t* end, Collector* groups) const;
};

// Follows failure links until a state has an edge on class c; dense states resolve in one step.
inline uint32_t AhoCorasickMatcher::SparseStep(uint32_t s, uint32_t c) const {
  if (c == absent_class_) return 0;
  for (;;) {
    if (s < num_dense_) return dense_[static_cast<size_t>(s) * num_classes_ + c];
    const State* st = &states_[s];
    for (uint32_t j = st[0].first_child, hi = st[1].first_child; j < hi; ++j) {
      if (states_[j].label == c) return Tag(j, states_[j].flags != 0);
    }
    s = st->fail;
  }
}

// Looks up the keys of the window at p (its bytes folded, zero beyond the end of the text).
template <bool kShortKeys>
void AhoCorasickMatcher::OnPass(uint64_t window, const uint8_t* p, const uint8_t* end,
                                Collector* groups) const {
  const size_t left = static_cast<size_t>(end - p);
  if (left >= kKeyBytes) {
    if (const KeyEntry* e = long_keys_.Find(window)) OnKey(*e, p + kKeyBytes, end, groups);
  }
  if constexpr (kShortKeys) {
    for (const ShortKeyLength& l : short_lengths_) {
      if (left < l.length) break;
      if (const KeyEntry* e = short_keys_.Find((window & l.mask) | l.tag)) {
        OnKey(*e, p + l.length, end, groups);
      }
    }
  }
}

// Tests every position of [begin, end) against the prefilter, kFilterBlock positions at a time,
// and looks up the keys where it passes. Windows that run past the end of the text are padded
// with zeros: that may add passes, never hide one, and OnPass takes no key longer than the rest.
// kSampled (every pattern at least kKeyBytes + 1 - kSampleStride bytes long): only every
// kSampleStride-th position is tested first, against the sample bitmap, and the positions that
// window could start are then tested against the key bitmap, by their kKeyBytes window and their
// kConfirmBytes window (hence the block is folded up to kConfirmBytes - 1 bytes beyond).
template <bool kShortKeys, bool kSampled>
void AhoCorasickMatcher::ScanFiltered(const uint8_t* begin, const uint8_t* end,
                                      Collector* groups) const {
  static_assert(!(kShortKeys && kSampled));
  static_assert(kFilterBlock % kSampleStride == 0 && kFilterBlock < 65536);
  // buf[0] is the byte before the block (folded), buf[1 + i] the block's byte i.
  alignas(8) uint8_t buf[kFilterBlock + 3 * kKeyBytes];
  uint16_t samples[kFilterBlock];
  uint16_t candidates[kFilterBlock + kSampleStride];  // indexes into buf
  buf[0] = 0;
  for (const uint8_t* block = begin; block < end; block += kFilterBlock) {
    const size_t n = std::min<size_t>(kFilterBlock, static_cast<size_t>(end - block));
    const size_t avail =
        std::min<size_t>(n + kConfirmBytes - 1, static_cast<size_t>(end - block));
    if (block != begin) buf[0] = fold_[block[-1]];
    uint8_t* out = buf + 1;
    if (fold_case_) {
      size_t i = 0;
      for (; i + 8 <= avail; i += 8) {
        uint64_t w = FoldAscii8(Load64(block + i));
        std::memcpy(out + i, &w, 8);
      }
      for (; i < avail; ++i) out[i] = fold_[block[i]];
    } else {
      std::memcpy(out, block, avail);
    }
    std::memset(out + avail, 0, sizeof buf - 1 - avail);
    // Branch-free: the positions that pass are collected first, then looked up together, so
    // the key-table loads of different positions overlap and no branch depends on a bitmap.
    size_t passed = 0;
    if constexpr (kSampled) {
      size_t sampled = 0;
      for (size_t i = 0; i < n; i += kSampleStride) {
        samples[sampled] = static_cast<uint16_t>(i);
        sampled += SampleHit(Load64(out + i) & sample_mask_);
      }
      // A window at i is some pattern's bytes [o, o + kKeyBytes - kSampleStride + 1) for an
      // o < kSampleStride: the pattern starts at i - o, before the block for i - o < 0.
      const size_t first = block == begin ? 1 : 0;  // no byte before the text
      for (size_t k = 0; k < sampled; ++k) {
        for (size_t o = 0; o < kSampleStride; ++o) {
          size_t at = samples[k] + 1 - o;  // into buf
          candidates[passed] = static_cast<uint16_t>(at);
          bool hit = (static_cast<int>(FilterHit(Load64(buf + at))) |
                      static_cast<int>(FilterBit(ConfirmHash(buf + at)))) != 0;  // no branch
          passed += hit && at >= first;
        }
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        uint64_t w = Load64(out + i);
        bool hit = FilterHit(w);
        if constexpr (kShortKeys) {
          for (const ShortKeyLength& l : short_lengths_) hit |= FilterHit((w & l.mask) | l.tag);
        }
        candidates[passed] = static_cast<uint16_t>(i + 1);
        passed += hit;
      }
    }
    if constexpr (!kShortKeys) {
      for (size_t k = 0; k < passed; ++k) long_keys_.Prefetch(Load64(buf + candidates[k]));
    }
    for (size_t k = 0; k < passed; ++k) {
      size_t at = candidates[k];
      OnPass<kShortKeys>(Load64(buf + at), block + at - 1, end, groups);
    }
  }
}

void AhoCorasickMatcher::WalkTails(uint32_t node, const uint8_t* p, const uint8_t* end,
                                   Collector* groups) const {
  const TailNode* nodes = tail_nodes_.data();
  while (p < end) {
    uint32_t c = fold_[*p];
    const TailNode* n = nodes + node;
    for (;;) {
      uint32_t first = n->len_first & 0xFF;
      if (first == c) break;
      if (first > c || (n->group & kLastSibling) != 0) return;
      ++n;
    }
    uint32_t len = n->len_first >> 8;
    if (static_cast<size_t>(end - p) < len) return;
    const uint8_t* label = tail_bytes_.data() + n->label_off;
    for (uint32_t k = 1; k < len; ++k) {
      if (fold_[p[k]] != label[k]) return;
    }
    p += len;
    if ((n->group & ~kLastSibling) != 0) groups->Add((n->group & ~kLastSibling) - 1);
    if (n->children == kNone) return;
    node = n->children;
  }
}

void AhoCorasickMatcher::OnSpecial(uint32_t s, const uint8_t* next, const uint8_t* end,
                                   Collector* groups) const {
  uint8_t flags = states_[s].flags;
  if (flags & kTails) WalkTails(tails_of_[s - first_deepest_], next, end, groups);
  if (flags & kOutput) {
    uint32_t k = OutputIndex(s);
    if (outputs_[k].group == kNone) k = outputs_[k].dict_next;
    for (; k != kNone; k = outputs_[k].dict_next) groups->Add(outputs_[k].group);
  }
}

// Cost: O(text + occurrences) automaton steps, plus for each position where a depth-kTopDepth
// state is reached, a tail walk as long as the text matches some tail (O(text x longest pattern)
// only for adversarial, self-overlapping literals). The prefilter: O(text) bitmap tests, plus
// for each position that passes, a key lookup per key length and the same tail walk.
void AhoCorasickMatcher::FindAll(std::string_view text, std::vector<uint32_t>* found) const {
  Collector groups;
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* end = begin + text.size();
  if (prefilter_) {
    if (!short_lengths_.empty()) {
      ScanFiltered<true, false>(begin, end, &groups);
    } else if (!sample_.empty()) {
      ScanFiltered<false, true>(begin, end, &groups);
    } else {
      ScanFiltered<false, false>(begin, end, &groups);
    }
  } else if (!interleave_ || text.size() < kInterleaveMin) {
    Run(0, begin, end, end, &groups);
  } else {
    // Each stream starts from the root at its segment and runs kTopDepth - 1 bytes into the
    // next one: an occurrence starting in a segment either ends within that overlap or reaches
    // its depth-kTopDepth state there, from where the tail walk looks ahead to the real end.
    const size_t seg = text.size() / kStreams;
    const uint8_t* p0 = begin;
    const uint8_t* p1 = begin + seg;
    const uint8_t* p2 = begin + 2 * seg;
    const uint8_t* p3 = begin + 3 * seg;
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < seg; ++i) {
      s0 = Step(s0, *p0++);
      s1 = Step(s1, *p1++);
      s2 = Step(s2, *p2++);
      s3 = Step(s3, *p3++);
      if ((s0 | s1 | s2 | s3) & 1) {
        if (s0 & 1) OnSpecial(s0 >> 1, p0, end, &groups);
        if (s1 & 1) OnSpecial(s1 >> 1, p1, end, &groups);
        if (s2 & 1) OnSpecial(s2 >> 1, p2, end, &groups);
        if (s3 & 1) OnSpecial(s3 >> 1, p3, end, &groups);
      }
    }
    const size_t overlap = kTopDepth - 1;
    Run(s0, p0, p0 + overlap, end, &groups);
    Run(s1, p1, p1 + overlap, end, &groups);
    Run(s2, p2, p2 + overlap, end, &groups);
    Run(s3, p3, end, end, &groups);
  }
  std::vector<uint32_t>& g = groups.v;
  if (g.empty()) return;
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  size_t first = found->size();
  for (uint32_t k : g) {
    found->insert(found->end(), group_ids_.begin() + group_begin_[k],
                  group_ids_.begin() + group_begin_[k + 1]);
  }
  // Groups are ordered by pattern bytes, not id: restore id order.
  std::sort(found->begin() + static_cast<std::ptrdiff_t>(first), found->end());
}

size_t AhoCorasickMatcher::MemoryBytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  return sizeof(*this) + bytes(dense_) + bytes(states_) + bytes(output_bits_) +
         bytes(output_rank_) + bytes(outputs_) + bytes(tails_of_) + bytes(tail_nodes_) +
         bytes(tail_bytes_) + bytes(group_begin_) + bytes(group_ids_) + bytes(filter_) +
         bytes(long_keys_.slots) + bytes(short_keys_.slots) + bytes(short_lengths_) +
         bytes(sample_);
}

// Sorted distinct folded patterns are the input of both tries.
struct Sorted {
  std::vector<uint8_t> pool;            // folded bytes of every pattern
  std::vector<std::string_view> strs;   // distinct folded patterns, ascending
};

size_t CommonPrefix(std::string_view a, std::string_view b, size_t from) {
  size_t n = std::min(a.size(), b.size());
  while (from < n && a[from] == b[from]) ++from;
  return from;
}

// Builds the tails of strs[lo, hi) (all sharing their first `depth` bytes, all longer) as a
// path-compressed trie, each node's children adjacent; returns the index of the first top-level
// node. Iterative, since tails nest as deep as the longest pattern.
uint32_t BuildTails(const std::vector<std::string_view>& strs, uint32_t lo, uint32_t hi,
                    uint32_t depth, const std::vector<uint32_t>& tail_off,
                    std::vector<TailNode>* nodes) {
  struct Range {
    uint32_t parent;  // the node these are the children of, or kNone for the top level
    uint32_t lo, hi, depth;
  };
  uint32_t top = kNone;
  std::vector<Range> work = {{kNone, lo, hi, depth}};
  while (!work.empty()) {
    Range r = work.back();
    work.pop_back();
    uint32_t block = static_cast<uint32_t>(nodes->size());
    if (r.parent == kNone) {
      top = block;
    } else {
      (*nodes)[r.parent].children = block;
    }
    for (uint32_t a = r.lo, b; a < r.hi; a = b) {
      uint8_t byte = static_cast<uint8_t>(strs[a][r.depth]);
      b = a + 1;
      while (b < r.hi && static_cast<uint8_t>(strs[b][r.depth]) == byte) ++b;
      uint32_t common = static_cast<uint32_t>(CommonPrefix(strs[a], strs[b - 1], r.depth + 1));
      TailNode n;
      n.label_off = tail_off[a] + (r.depth - depth);
      n.len_first = (common - r.depth) << 8 | byte;
      n.children = kNone;
      n.group = 0;
      uint32_t child_lo = a;
      if (strs[a].size() == common) {
        n.group = a + 1;
        ++child_lo;
      }
      if (child_lo < b) work.push_back({static_cast<uint32_t>(nodes->size()), child_lo, b, common});
      nodes->push_back(n);
    }
    nodes->back().group |= kLastSibling;
  }
  return top;
}

// Copies, once, the bytes of every pattern beyond its first `depth`; returns each group's offset.
std::vector<uint32_t> CopyTailBytes(const std::vector<std::string_view>& strs, size_t depth,
                                    std::vector<uint8_t>* bytes) {
  std::vector<uint32_t> tail_off(strs.size(), 0);
  size_t total = 0;
  for (std::string_view s : strs) total += s.size() > depth ? s.size() - depth : 0;
  bytes->reserve(total);
  for (size_t g = 0; g < strs.size(); ++g) {
    if (strs[g].size() > depth) {
      tail_off[g] = static_cast<uint32_t>(bytes->size());
      bytes->insert(bytes->end(), strs[g].begin() + static_cast<std::ptrdiff_t>(depth),
                    strs[g].end());
    }
  }
  return tail_off;
}

// The prefilter's keys, bitmap and key tables, and the tails below kKeyBytes, from the sorted
// distinct folded patterns. Patterns sharing their first kKeyBytes bytes are adjacent in that
// order, the one of exactly kKeyBytes bytes first, so each long key is one run of groups.
void BuildPrefilter(const std::vector<std::string_view>& strs, const LiteralOptions& options,
                    AhoCorasickMatcher* m) {
  m->prefilter_ = true;
  m->fold_case_ = options.case_insensitive;
  struct Key {
    uint64_t key;
    uint32_t group;   // equal to the key, or kNone
    uint32_t lo, hi;  // groups of the longer patterns with this key as prefix
    uint32_t length;  // key bytes
  };
  std::vector<Key> keys;
  std::array<bool, kKeyBytes> short_length{};
  size_t num_long = 0;
  size_t last_long = kNone;
  for (uint32_t g = 0; g < strs.size(); ++g) {
    std::string_view s = strs[g];
    size_t k = std::min(s.size(), kKeyBytes);
    uint8_t bytes[kKeyBytes] = {};
    std::memcpy(bytes, s.data(), k);
    if (k < kKeyBytes) {
      bytes[kKeyBytes - 1] = static_cast<uint8_t>(k);
      short_length[k] = true;
      keys.push_back({Load64(bytes), g, 0, 0, static_cast<uint32_t>(k)});
      continue;
    }
    uint64_t key = Load64(bytes);
    if (last_long == kNone || keys[last_long].key != key) {
      last_long = keys.size();
      ++num_long;
      keys.push_back({key, kNone, g, g, kKeyBytes});
    }
    if (s.size() == kKeyBytes) {
      keys[last_long].group = g;
      keys[last_long].lo = g + 1;
    }
    keys[last_long].hi = g + 1;
  }
  for (size_t k = 1; k < kKeyBytes; ++k) {
    if (short_length[k]) m->short_lengths_.push_back(MakeShortKeyLength(k));
  }

  const bool sampled = m->short_lengths_.empty() && num_long > 0 && num_long <= kSampleMaxKeys;
  auto confirmed = [&](const Key& k) {  // in the key bitmap by kConfirmBytes windows
    if (!sampled || k.group != kNone) return false;
    for (uint32_t g = k.lo; g < k.hi; ++g) {
      if (strs[g].size() < kConfirmBytes) return false;
    }
    return true;
  };
  size_t entries = 0;
  for (const Key& k : keys) entries += confirmed(k) ? k.hi - k.lo : 1;
  uint32_t log2 = kFilterMinLog2;
  while (log2 < kFilterMaxLog2 && (size_t{1} << log2) < kFilterBitsPerKey * entries) ++log2;
  m->filter_shift_ = 64 - log2;
  m->filter_.assign((size_t{1} << log2) / 64, 0);
  auto set_bit = [&](uint64_t hash) {
    uint64_t h = hash >> m->filter_shift_;
    m->filter_[h >> 6] |= uint64_t{1} << (h & 63);
  };
  m->long_keys_.Init(num_long);
  m->short_keys_.Init(keys.size() - num_long);
  std::vector<uint32_t> tail_off = CopyTailBytes(strs, kKeyBytes, &m->tail_bytes_);
  for (const Key& k : keys) {
    if (confirmed(k)) {
      for (uint32_t g = k.lo; g < k.hi; ++g) {
        set_bit(ConfirmHash(reinterpret_cast<const uint8_t*>(strs[g].data())));
      }
    } else {
      set_bit(KeyHash(k.key));
    }
    KeyEntry* e = (k.length == kKeyBytes ? m->long_keys_ : m->short_keys_).Insert(k.key);
    e->group = k.group;
    if (k.lo < k.hi) {
      e->tail = BuildTails(strs, k.lo, k.hi, kKeyBytes, tail_off, &m->tail_nodes_);
    }
  }
  m->tail_nodes_.shrink_to_fit();

  // The sample bitmap: each long key's windows at offsets 0 .. kSampleStride - 1.
  if (!sampled) return;
  uint8_t mask[kKeyBytes] = {};
  std::memset(mask, 0xFF, kKeyBytes - kSampleStride + 1);
  m->sample_mask_ = Load64(mask);
  log2 = kFilterMinLog2;
  while (log2 < kFilterMaxLog2 &&
         (size_t{1} << log2) < kFilterBitsPerKey * kSampleStride * num_long) {
    ++log2;
  }
  m->sample_shift_ = 64 - log2;
  m->sample_.assign((size_t{1} << log2) / 64, 0);
  for (const Key& k : keys) {
    uint8_t bytes[2 * kKeyBytes] = {};
    std::memcpy(bytes, &k.key, sizeof k.key);
    for (size_t o = 0; o < kSampleStride; ++o) {
      uint64_t h = KeyHash(Load64(bytes + o) & m->sample_mask_) >> m->sample_shift_;
      m->sample_[h >> 6] |= uint64_t{1} << (h & 63);
    }
  }
}

}  // namespace

Result<std::unique_ptr<LiteralMatcher>> BuildAhoCorasick(const std::vector<std::string>& patterns,
                                                        const LiteralOptions& options) {
  if (patterns.size() >= kMaxPatterns) return Status::Error("aho-corasick: too many patterns");
  auto m = std::make_unique<AhoCorasickMatcher>();
  for (int b = 0; b < 256; ++b) {
    m->fold_[b] =
        static_cast<uint8_t>(options.case_insensitive && b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
  }

  // 1. Fold every pattern into one pool and sort by content. The 8-byte big-endian key settles
  //    most comparisons without touching the pool.
  const uint32_t n = static_cast<uint32_t>(patterns.size());
  std::vector<uint8_t> pool;
  std::vector<uint64_t> offsets(n + 1, 0);
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (patterns[i].empty()) {
      return Status::Error("aho-corasick: pattern " + std::to_string(i) + " is empty");
    }
    if (patterns[i].size() > kMaxTailLabel) {
      return Status::Error("aho-corasick: pattern " + std::to_string(i) + " is over 16 MiB");
    }
    total += patterns[i].size();
    offsets[i + 1] = total;
  }
  if (total >= (uint64_t{1} << 32)) return Status::Error("aho-corasick: patterns exceed 4 GiB");
  pool.resize(total);
  std::array<bool, 256> present{};
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t* out = pool.data() + offsets[i];
    for (char ch : patterns[i]) {
      *out = m->fold_[static_cast<uint8_t>(ch)];
      present[*out++] = true;
    }
  }
  auto view = [&](uint32_t i) {
    return std::string_view(reinterpret_cast<const char*>(pool.data() + offsets[i]),
                            offsets[i + 1] - offsets[i]);
  };
  std::vector<std::pair<uint64_t, uint32_t>> keyed(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view v = view(i);
    uint64_t key = 0;
    for (size_t k = 0; k < 8; ++k) {
      key = (key << 8) | (k < v.size() ? static_cast<uint8_t>(v[k]) : 0u);
    }
    keyed[i] = {key, i};
  }
  std::sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    int c = view(x.second).compare(view(y.second));
    return c != 0 ? c < 0 : x.second < y.second;
  });

  // 2. Groups of equal patterns (duplicates share one automaton output).
  std::vector<std::string_view> strs;
  m->group_ids_.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    std::string_view v = view(keyed[k].second);
    if (strs.empty() || strs.back() != v) {
      strs.push_back(v);
      m->group_begin_.push_back(k);
    }
    m->group_ids_.push_back(keyed[k].second);
  }
  m->group_begin_.push_back(n);
  keyed = {};
  const uint32_t num_groups = static_cast<uint32_t>(strs.size());

  size_t shortest = kMaxTailLabel;
  for (std::string_view s : strs) shortest = std::min(shortest, s.size());
  if (options.scan == LiteralOptions::Scan::kPrefilter ||
      (options.scan == LiteralOptions::Scan::kAuto && num_groups > 0 &&
       shortest >= kPrefilterMinLength)) {
    BuildPrefilter(strs, options, m.get());
    return std::unique_ptr<LiteralMatcher>(std::move(m));
  }

  // 3. Byte classes: one per byte value some folded pattern uses, in byte order so that sorted
  //    children are sorted by class; every other byte shares one class that always leads to root.
  uint32_t classes = 0;
  std::array<uint8_t, 256> class_of{};
  for (int b = 0; b < 256; ++b) {
    if (present[b]) class_of[b] = static_cast<uint8_t>(classes++);
  }
  if (classes < 256) {
    m->absent_class_ = classes;
    for (int b = 0; b < 256; ++b) {
      if (!present[b]) class_of[b] = static_cast<uint8_t>(classes);
    }
    ++classes;
  }
  m->num_classes_ = classes;
  for (int b = 0; b < 256; ++b) m->cls_[b] = class_of[m->fold_[b]];

  // 4. Prefix trie of depth <= kTopDepth in DFS order (sorted input: each string adds the nodes
  //    below its common prefix with the previous one). Node 0 is the root.
  std::vector<uint32_t> t_parent = {kNone};
  std::vector<uint8_t> t_label = {0};
  std::vector<uint32_t> t_group = {kNone};
  std::vector<std::pair<uint32_t, uint32_t>> t_tails;  // (node, first group) of tail ranges
  std::vector<uint32_t> t_tails_end;
  std::array<uint32_t, kTopDepth + 1> path{};
  for (uint32_t g = 0; g < num_groups; ++g) {
    std::string_view s = strs[g];
    size_t lcp = g == 0 ? 0 : CommonPrefix(strs[g - 1], s, 0);
    size_t top = std::min<size_t>(s.size(), kTopDepth);
    lcp = std::min(lcp, top);
    for (size_t d = lcp + 1; d <= top; ++d) {
      path[d] = static_cast<uint32_t>(t_parent.size());
      t_parent.push_back(path[d - 1]);
      t_label.push_back(class_of[static_cast<uint8_t>(s[d - 1])]);
      t_group.push_back(kNone);
    }
    if (s.size() <= kTopDepth) {
      t_group[path[s.size()]] = g;
    } else if (!t_tails.empty() && t_tails.back().first == path[kTopDepth]) {
      t_tails_end.back() = g + 1;
    } else {
      t_tails.push_back({path[kTopDepth], g});
      t_tails_end.push_back(g + 1);
    }
  }
  const uint32_t num_states = static_cast<uint32_t>(t_parent.size());

  // 5. Renumber in BFS order: shallow states first and the children of each state contiguous.
  //    In DFS order a node's children are in ascending id (= label) order.
  std::vector<uint32_t> child_begin(num_states + 1, 0);
  for (uint32_t v = 1; v < num_states; ++v) ++child_begin[t_parent[v] + 1];
  for (uint32_t v = 0; v < num_states; ++v) child_begin[v + 1] += child_begin[v];
  std::vector<uint32_t> children(num_states > 0 ? num_states - 1 : 0);
  {
    std::vector<uint32_t> fill(child_begin.begin(), child_begin.end() - 1);
    for (uint32_t v = 1; v < num_states; ++v) children[fill[t_parent[v]]++] = v;
  }
  t_parent = {};
  std::vector<uint32_t> bfs = {0};  // bfs[new id] = old id
  bfs.reserve(num_states);
  std::vector<State>& st = m->states_;
  st.assign(num_states + 1, State{});
  for (uint32_t k = 0; k < bfs.size(); ++k) {
    uint32_t old = bfs[k];
    st[k].first_child = static_cast<uint32_t>(bfs.size());
    for (uint32_t j = child_begin[old]; j < child_begin[old + 1]; ++j) bfs.push_back(children[j]);
  }
  st[num_states].first_child = num_states;
  children = {};
  child_begin = {};
  std::vector<uint32_t> group(num_states);
  std::vector<uint32_t> tails_of(num_states, kNone);  // index into t_tails
  for (uint32_t k = 0; k < num_states; ++k) {
    st[k].label = t_label[bfs[k]];
    group[k] = t_group[bfs[k]];
  }
  {
    std::vector<uint32_t> new_id(num_states);
    for (uint32_t k = 0; k < num_states; ++k) new_id[bfs[k]] = k;
    for (uint32_t t = 0; t < t_tails.size(); ++t) tails_of[new_id[t_tails[t].first]] = t;
  }
  bfs = {};
  t_label = {};
  t_group = {};
  // The deepest level is last in BFS order; find where it starts.
  {
    uint32_t s = 0;
    for (uint32_t d = 0; d < kTopDepth && s < num_states; ++d) s = st[s].first_child;
    m->first_deepest_ = std::min(s, num_states);
  }

  // 6. Failure links in BFS order (the classic amortised-linear construction) and the nearest
  //    pattern-ending proper suffix of each state.
  auto child = [&](uint32_t s, uint8_t c) -> uint32_t {
    uint32_t lo = st[s].first_child, hi = st[s + 1].first_child;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (st[mid].label < c) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < st[s + 1].first_child && st[lo].label == c ? lo : kNone;
  };
  std::vector<uint32_t> dict(num_states, kNone);  // state id
  for (uint32_t s = 0; s < num_states; ++s) {
    for (uint32_t c = st[s].first_child; c < st[s + 1].first_child; ++c) {
      uint32_t f = 0;
      if (s != 0) {
        for (uint32_t t = st[s].fail;; t = st[t].fail) {
          uint32_t x = child(t, st[c].label);
          if (x != kNone) {
            f = x;
            break;
          }
          if (t == 0) break;
        }
      }
      st[c].fail = f;
      dict[c] = group[f] != kNone ? f : dict[f];
    }
  }

  // 7. Output states, their rank structure and dictionary-suffix chains.
  m->output_bits_.assign(num_states / 64 + 1, 0);
  m->output_rank_.assign(num_states / 64 + 1, 0);
  std::vector<uint32_t> output_index(num_states, kNone);
  uint32_t num_outputs = 0;
  for (uint32_t s = 0; s < num_states; ++s) {
    if (group[s] != kNone || dict[s] != kNone) {
      st[s].flags |= kOutput;
      m->output_bits_[s >> 6] |= uint64_t{1} << (s & 63);
      output_index[s] = num_outputs++;
    }
  }
  for (size_t w = 1; w < m->output_rank_.size(); ++w) {
    m->output_rank_[w] = m->output_rank_[w - 1] +
                         static_cast<uint32_t>(__builtin_popcountll(m->output_bits_[w - 1]));
  }
  m->outputs_.resize(num_outputs);
  for (uint32_t s = 0; s < num_states; ++s) {
    if (output_index[s] == kNone) continue;
    OutputInfo& out = m->outputs_[output_index[s]];
    out.group = group[s];
    out.dict_next = dict[s] == kNone ? kNone : output_index[dict[s]];
  }
  dict = {};
  group = {};
  output_index = {};

  // 8. Tails.
  std::vector<uint32_t> tail_off = CopyTailBytes(strs, kTopDepth, &m->tail_bytes_);
  m->tails_of_.assign(num_states - m->first_deepest_, kNone);
  for (uint32_t s = m->first_deepest_; s < num_states; ++s) {
    if (tails_of[s] == kNone) continue;
    uint32_t t = tails_of[s];
    st[s].flags |= kTails;
    m->tails_of_[s - m->first_deepest_] =
        BuildTails(strs, t_tails[t].second, t_tails_end[t], kTopDepth, tail_off, &m->tail_nodes_);
  }
  m->tail_nodes_.shrink_to_fit();
  tails_of = {};

  // 9. Dense rows for the first BFS states.
  size_t budget =
      std::clamp<size_t>(4 * sizeof(State) * num_states, kDenseMinBytes, kDenseMaxBytes);
  size_t max_dense = std::max<size_t>(1, budget / (sizeof(uint32_t) * classes));
  m->num_dense_ = static_cast<uint32_t>(std::min<size_t>(num_states, max_dense));
  m->interleave_ = static_cast<size_t>(m->num_dense_) * kInterleaveDenseShare >= num_states;
  m->dense_.assign(static_cast<size_t>(m->num_dense_) * classes, 0);
  for (uint32_t s = 0; s < m->num_dense_; ++s) {
    uint32_t* row = m->dense_.data() + static_cast<size_t>(s) * classes;
    if (s != 0) {
      // fail < s: its row is complete.
      std::memcpy(row, m->dense_.data() + static_cast<size_t>(st[s].fail) * classes,
                  classes * sizeof(uint32_t));
    }
    for (uint32_t c = st[s].first_child; c < st[s + 1].first_child; ++c) {
      row[st[c].label] = Tag(c, st[c].flags != 0);
    }
  }
  return std::unique_ptr<LiteralMatcher>(std::move(m));
}

}  // namespace gfi
