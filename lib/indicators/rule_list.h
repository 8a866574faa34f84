// RuleList: the rules of one feed, packed (issue 18: memory at start).
//
// A Rule as a C++ object costs about 550 bytes (five std::strings, two vectors, a Term with two
// more strings, their heap blocks): a million-indicator feed held as std::vector<Rule> was 550 MB
// next to a 100 MB snapshot, the whole of the 4.7x peak at start. Here each rule is encoded into
// 1 MiB blocks as it is read (varint lengths; the feed name and the marking interned; a generated
// "FEED:LINE" id kept as its number; a display equal to the term's value kept once), about
// 30-60 bytes a rule, and decoded one at a time when read. The blocks are never reallocated, so a
// view of a stored id (id_view) stays valid while the list lives, and the list frees whole.
//
// Reading is by iteration (a decoded Rule per step, in a buffer the iterator reuses) or by index
// (a decoded copy; for tests and tools, not for loops over millions). Rules are changed only
// through Transform, which re-encodes every rule. The per-kind counts and string sizes let
// IndicatorSnapshot::Build size its tables exactly before it starts.
#ifndef GFI_INDICATORS_RULE_LIST_H_
#define GFI_INDICATORS_RULE_LIST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "indicators/indicator.h"

namespace gfi {

inline constexpr size_t kTermKindCount = 14;

class RuleList {
 public:
  RuleList() = default;
  RuleList(std::initializer_list<Rule> rules);

  void push_back(const Rule& r);
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  void clear();

  // A decoded copy of rule i (O(1) to find its block, then up to kIndexStride decodes).
  Rule operator[](size_t i) const;
  Rule front() const { return (*this)[0]; }
  Rule back() const { return (*this)[count_ - 1]; }

  // Calls fn on each rule, which may change it; the list is re-encoded.
  void Transform(const std::function<void(Rule&)>& fn);
  // Replaces rule i (re-encodes the list: for tests and tools).
  void Set(size_t i, const Rule& r);
  // Calls fn(rule, index) on each rule in order, freeing each block once it is read (issue 18:
  // a snapshot built from a feed does not hold the feed beside it), and leaves the list empty.
  // Stops at fn's first false and empties the list all the same.
  bool Drain(const std::function<bool(const Rule&, size_t)>& fn);

  class const_iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Rule;
    using difference_type = std::ptrdiff_t;
    using pointer = const Rule*;
    using reference = const Rule&;

    const Rule& operator*() const { return rule_; }
    const Rule* operator->() const { return &rule_; }
    const_iterator& operator++();
    bool operator==(const const_iterator& o) const { return index_ == o.index_; }
    bool operator!=(const const_iterator& o) const { return index_ != o.index_; }
    // The current rule's id as stored in the list (valid while the list lives), or empty when
    // the id is a generated "FEED:LINE" kept as its number.
    std::string_view id_view() const { return id_view_; }

   private:
    friend class RuleList;
    const_iterator(const RuleList* list, size_t index);
    void Load();
    const RuleList* list_ = nullptr;
    size_t index_ = 0;
    size_t block_ = 0;
    size_t offset_ = 0;
    Rule rule_;
    std::string_view id_view_;
  };
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, count_); }

  // What Build sizes its tables by: terms per kind (blinded terms apart), and the bytes of the
  // strings a snapshot stores (ids, displays, descriptions, term values).
  // string_bytes() is an upper bound: the snapshot packs STIX ids, shares a display that is the
  // first term's text, and keeps each distinct key once.
  const std::array<size_t, kTermKindCount>& terms_by_kind() const { return kinds_; }
  size_t blinded_terms() const { return blinded_; }
  size_t string_bytes() const { return string_bytes_; }
  bool any_modified() const { return any_modified_; }
  // Memory held (blocks and index).
  size_t bytes() const;

 private:
  static constexpr size_t kBlockBytes = size_t{1} << 20;
  static constexpr size_t kIndexStride = 64;
  // Decodes the record at *p (advancing it) into *r; *id_view gets the stored id's bytes.
  void Decode(const char** p, Rule* r, std::string_view* id_view) const;
  uint32_t Intern(std::vector<std::string>* table, const std::string& s);

  // Memory mapped on its own, so that freeing it returns it to the system at once (a block from
  // malloc's heap would stay resident until the heap is trimmed, beside the snapshot built from
  // it). Never grows: records, and views into them, stay put.
  class Block {
   public:
    explicit Block(size_t capacity);
    Block(const Block& o);
    Block& operator=(const Block& o);
    Block(Block&& o) noexcept;
    Block& operator=(Block&& o) noexcept;
    ~Block() { Release(); }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    const char* data() const { return data_; }
    void append(std::string_view s);
    void Release();

   private:
    char* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };
  std::vector<Block> blocks_;  // each kBlockBytes (a bigger record: its own)
  // Every kIndexStride-th rule: (block, offset) of its record.
  std::vector<std::pair<uint32_t, uint32_t>> index_;
  std::vector<std::string> feeds_, markings_;  // interned Rule::feed and Rule::marking
  size_t count_ = 0;
  std::array<size_t, kTermKindCount> kinds_{};
  size_t blinded_ = 0;
  size_t string_bytes_ = 0;
  bool any_modified_ = false;
  std::string scratch_;  // one record being encoded
};

}  // namespace gfi

#endif  // GFI_INDICATORS_RULE_LIST_H_
