// Aho-Corasick over pattern prefixes of up to kTopDepth bytes, plus a path-compressed trie of the
// longer patterns' remaining bytes, walked forward from the text at a depth-kTopDepth state.
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

// One edge of the tail trie, stored in DFS preorder: the first child of a node with children is
// the next node. Index 0 is never a sibling, so 0 means "no next sibling".
struct TailNode {
  uint32_t label_off;     // into tail_bytes_
  uint32_t len_first;     // label length << 8 | first label byte (length >= 1)
  uint32_t next_sibling;  // 0 = none; siblings are in ascending order of first byte
  uint32_t group;         // bit 31: has children; low bits: group + 1, or 0 for no output
};
constexpr uint32_t kHasChildren = 1u << 31;
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
  std::vector<uint32_t> dense_;  // num_dense_ x num_classes_ tagged successors
  std::vector<State> states_;    // BFS order, plus a sentinel
  uint32_t first_deepest_ = 0;   // states from here on are at depth kTopDepth

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

void AhoCorasickMatcher::WalkTails(uint32_t node, const uint8_t* p, const uint8_t* end,
                                   Collector* groups) const {
  while (p < end) {
    uint32_t c = fold_[*p];
    for (;;) {
      uint32_t first = tail_nodes_[node].len_first & 0xFF;
      if (first == c) break;
      if (first > c) return;
      node = tail_nodes_[node].next_sibling;
      if (node == 0) return;
    }
    const TailNode& n = tail_nodes_[node];
    uint32_t len = n.len_first >> 8;
    if (static_cast<size_t>(end - p) < len) return;
    const uint8_t* label = tail_bytes_.data() + n.label_off;
    for (uint32_t k = 1; k < len; ++k) {
      if (fold_[p[k]] != label[k]) return;
    }
    p += len;
    if ((n.group & ~kHasChildren) != 0) groups->Add((n.group & ~kHasChildren) - 1);
    if ((n.group & kHasChildren) == 0) return;
    ++node;
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
// only for adversarial, self-overlapping literals).
void AhoCorasickMatcher::FindAll(std::string_view text, std::vector<uint32_t>* found) const {
  Collector groups;
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* end = begin + text.size();
  if (!interleave_ || text.size() < kInterleaveMin) {
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
         bytes(tail_bytes_) + bytes(group_begin_) + bytes(group_ids_);
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
// path-compressed trie in DFS preorder; returns the index of its first node. Iterative, since
// tails nest as deep as the longest pattern.
uint32_t BuildTails(const std::vector<std::string_view>& strs, uint32_t lo, uint32_t hi,
                    uint32_t depth, const std::vector<uint32_t>& tail_off,
                    std::vector<TailNode>* nodes) {
  struct Frame {
    uint32_t cur, hi, depth, prev;
  };
  uint32_t first = static_cast<uint32_t>(nodes->size());
  std::vector<Frame> stack = {{lo, hi, depth, kNone}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.cur >= f.hi) {
      stack.pop_back();
      continue;
    }
    uint32_t a = f.cur;
    uint32_t b = a + 1;
    uint8_t byte = static_cast<uint8_t>(strs[a][f.depth]);
    while (b < f.hi && static_cast<uint8_t>(strs[b][f.depth]) == byte) ++b;
    f.cur = b;
    uint32_t common = static_cast<uint32_t>(CommonPrefix(strs[a], strs[b - 1], f.depth + 1));
    uint32_t index = static_cast<uint32_t>(nodes->size());
    if (f.prev != kNone) (*nodes)[f.prev].next_sibling = index;
    f.prev = index;
    TailNode n;
    n.label_off = tail_off[a] + (f.depth - depth);
    n.len_first = (common - f.depth) << 8 | static_cast<uint8_t>(strs[a][f.depth]);
    n.next_sibling = 0;
    n.group = 0;
    uint32_t child_lo = a;
    if (strs[a].size() == common) {
      n.group = a + 1;
      ++child_lo;
    }
    if (child_lo < b) n.group |= kHasChildren;
    nodes->push_back(n);
    if (child_lo < b) stack.push_back({child_lo, b, common, kNone});  // invalidates f
  }
  return first;
}

}  // namespace

Result<std::unique_ptr<LiteralMatcher>> BuildAhoCorasick(const std::vector<std::string>& patterns,
                                                        const LiteralOptions& options) {
  if (patterns.size() >= kMaxPatterns) return Status::Error("aho-corasick: too many patterns");
  auto m = std::make_unique<AhoCorasickMatcher>();
  for (int b = 0; b < 256; ++b) {
    m->fold_[b] = static_cast<uint8_t>(
        options.case_insensitive && b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
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

  // 8. Tails, with their bytes copied once (only what lies below the top trie).
  std::vector<uint32_t> tail_off(num_groups, 0);  // per group, its tail in tail_bytes_
  size_t tail_total = 0;
  for (uint32_t g = 0; g < num_groups; ++g) {
    if (strs[g].size() > kTopDepth) tail_total += strs[g].size() - kTopDepth;
  }
  m->tail_bytes_.reserve(tail_total);
  for (uint32_t g = 0; g < num_groups; ++g) {
    if (strs[g].size() > kTopDepth) {
      tail_off[g] = static_cast<uint32_t>(m->tail_bytes_.size());
      m->tail_bytes_.insert(m->tail_bytes_.end(), strs[g].begin() + kTopDepth, strs[g].end());
    }
  }
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
