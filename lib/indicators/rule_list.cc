// RuleList: see rule_list.h. A record is, in order (varints little-endian base 128):
//   flags; feed index; marking index; id (a number when kGeneratedId, else length + bytes);
//   action byte (kAction); confidence + 1 (kConfidence); valid_from, valid_until, modified
//   (zigzag, each when its flag is set); description (kDescription); display (unless
//   kDisplayIsValue: then it is the first term's value); alternatives: count, then per
//   alternative its term count, then per term: kind byte, term flags byte, where (kWhere),
//   value, header name (kHeader).
#include "indicators/rule_list.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace gfi {
namespace {

enum RecordFlags : uint32_t {
  kRevoked = 1,
  kBlinded = 2,
  kAction = 4,
  kGeneratedId = 8,
  kDisplayIsValue = 16,
  kDescription = 32,
  kValidFrom = 64,
  kValidUntil = 128,
  kModified = 256,
  kConfidence = 512,
};

enum TermFlags : uint8_t { kTermBlinded = 1, kTermHeader = 2, kTermWhere = 4 };

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t GetVarint(const char** p) {
  uint64_t v = 0;
  int shift = 0;
  while (true) {
    const auto b = static_cast<unsigned char>(*(*p)++);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (b < 0x80) return v;
    shift += 7;
  }
}

void PutSigned(std::string* out, int64_t v) {
  PutVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

int64_t GetSigned(const char** p) {
  const uint64_t u = GetVarint(p);
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

std::string_view GetString(const char** p) {
  const size_t n = GetVarint(p);
  std::string_view s(*p, n);
  *p += n;
  return s;
}

// "FEED:LINE" with LINE a number as std::to_string writes it (so that it round-trips).
bool GeneratedId(const Rule& r, uint64_t* line) {
  const std::string& id = r.id;
  const size_t n = r.feed.size();
  if (id.size() <= n + 1 || id.size() - n - 1 > 9 || id.compare(0, n, r.feed) != 0 || id[n] != ':')
    return false;
  if (id[n + 1] == '0' && id.size() != n + 2) return false;
  uint64_t v = 0;
  for (size_t i = n + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  *line = v;
  return true;
}

// Kinds whose values a snapshot keeps as text (the others: binary, or in a regex or automaton).
bool KeptAsText(TermKind k) {
  return k == TermKind::kDomain || k == TermKind::kEmail || k == TermKind::kUrl ||
         k == TermKind::kUrlPrefix || k == TermKind::kFilename;
}

}  // namespace

RuleList::Block::Block(size_t capacity) {
  static const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  capacity_ = (std::max<size_t>(capacity, 1) + kPage - 1) / kPage * kPage;
  void* p = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<char*>(p);
}

RuleList::Block::Block(const Block& o) : Block(o.size_) {
  std::memcpy(data_, o.data_, o.size_);
  size_ = o.size_;
}

RuleList::Block& RuleList::Block::operator=(const Block& o) {
  if (this != &o) *this = Block(o);
  return *this;
}

RuleList::Block::Block(Block&& o) noexcept
    : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
  o.data_ = nullptr;
  o.size_ = o.capacity_ = 0;
}

RuleList::Block& RuleList::Block::operator=(Block&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  return *this;
}

void RuleList::Block::append(std::string_view s) {
  std::memcpy(data_ + size_, s.data(), s.size());
  size_ += s.size();
}

void RuleList::Block::Release() {
  if (data_ != nullptr) munmap(data_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

RuleList::RuleList(std::initializer_list<Rule> rules) {
  for (const Rule& r : rules) push_back(r);
}

uint32_t RuleList::Intern(std::vector<std::string>* table, const std::string& s) {
  // Few distinct values (one feed name, a handful of markings): the last one is nearly always it.
  for (size_t i = table->size(); i-- > 0;)
    if ((*table)[i] == s) return static_cast<uint32_t>(i);
  table->push_back(s);
  return static_cast<uint32_t>(table->size() - 1);
}

void RuleList::push_back(const Rule& r) {
  std::string& out = scratch_;
  out.clear();
  const Term* first = !r.any_of.empty() && !r.any_of[0].empty() ? &r.any_of[0][0] : nullptr;
  uint64_t line = 0;
  uint32_t flags = 0;
  if (r.revoked) flags |= kRevoked;
  if (r.blinded) flags |= kBlinded;
  if (r.action) flags |= kAction;
  if (GeneratedId(r, &line)) flags |= kGeneratedId;
  if (first != nullptr && r.display == first->value) flags |= kDisplayIsValue;
  if (!r.description.empty()) flags |= kDescription;
  if (r.valid_from != 0) flags |= kValidFrom;
  if (r.valid_until != 0) flags |= kValidUntil;
  if (r.modified != 0) flags |= kModified;
  if (r.confidence != -1) flags |= kConfidence;
  PutVarint(&out, flags);
  PutVarint(&out, Intern(&feeds_, r.feed));
  PutVarint(&out, Intern(&markings_, r.marking));
  if (flags & kGeneratedId) PutVarint(&out, line);
  else PutString(&out, r.id);
  if (flags & kAction) out.push_back(static_cast<char>(*r.action));
  if (flags & kConfidence) PutSigned(&out, static_cast<int64_t>(r.confidence) + 1);
  if (flags & kValidFrom) PutSigned(&out, r.valid_from);
  if (flags & kValidUntil) PutSigned(&out, r.valid_until);
  if (flags & kModified) PutSigned(&out, r.modified);
  if (flags & kDescription) PutString(&out, r.description);
  if (!(flags & kDisplayIsValue)) PutString(&out, r.display);
  PutVarint(&out, r.any_of.size());
  for (const std::vector<Term>& conj : r.any_of) {
    PutVarint(&out, conj.size());
    for (const Term& t : conj) {
      out.push_back(static_cast<char>(t.kind));
      uint8_t tf = 0;
      if (t.blinded) tf |= kTermBlinded;
      if (!t.header_name.empty()) tf |= kTermHeader;
      if (t.where != kAnywhere) tf |= kTermWhere;
      out.push_back(static_cast<char>(tf));
      if (tf & kTermWhere) PutVarint(&out, t.where);
      PutString(&out, t.value);
      if (tf & kTermHeader) PutString(&out, t.header_name);
      if (t.blinded) ++blinded_;
      else ++kinds_[static_cast<size_t>(t.kind)];
      if (!t.blinded && KeptAsText(t.kind)) string_bytes_ += t.value.size();
    }
  }
  // What the snapshot stores of the id: nothing for a generated one, 16 bytes for a STIX
  // "indicator--UUID" (snapshot.cc packs those), else the id.
  const size_t id_bytes = flags & kGeneratedId ? 0
                          : r.id.size() == 47 && r.id.compare(0, 11, "indicator--") == 0
                              ? 16
                              : r.id.size();
  // A display equal to the first term's value shares that term's text in the snapshot.
  const bool shared_display = first != nullptr && !first->blinded && r.display == first->value &&
                              (first->kind == TermKind::kDomain || first->kind == TermKind::kEmail ||
                               first->kind == TermKind::kFilename);
  string_bytes_ += id_bytes + (shared_display ? 0 : r.display.size()) + r.description.size();
  if (r.modified != 0) any_modified_ = true;

  // Blocks are reserved once and never grow past it: records (and views into them) stay put.
  if (blocks_.empty() || blocks_.back().size() + out.size() > blocks_.back().capacity())
    blocks_.emplace_back(std::max(kBlockBytes, out.size()));
  if (count_ % kIndexStride == 0)
    index_.emplace_back(static_cast<uint32_t>(blocks_.size() - 1),
                        static_cast<uint32_t>(blocks_.back().size()));
  blocks_.back().append(out);
  ++count_;
}

void RuleList::clear() { *this = RuleList(); }

size_t RuleList::bytes() const {
  size_t n = index_.capacity() * sizeof(index_[0]);
  for (const Block& b : blocks_) n += b.capacity();
  return n;
}

void RuleList::Decode(const char** p, Rule* r, std::string_view* id_view) const {
  const auto flags = static_cast<uint32_t>(GetVarint(p));
  r->feed = feeds_[GetVarint(p)];
  r->marking = markings_[GetVarint(p)];
  if (flags & kGeneratedId) {
    const uint64_t line = GetVarint(p);
    r->id.assign(r->feed).append(":").append(std::to_string(line));
    *id_view = {};
  } else {
    *id_view = GetString(p);
    r->id.assign(*id_view);
  }
  r->revoked = (flags & kRevoked) != 0;
  r->blinded = (flags & kBlinded) != 0;
  if (flags & kAction) r->action = static_cast<Action>(static_cast<unsigned char>(*(*p)++));
  else r->action.reset();
  r->confidence = flags & kConfidence ? static_cast<int>(GetSigned(p) - 1) : -1;
  r->valid_from = flags & kValidFrom ? GetSigned(p) : 0;
  r->valid_until = flags & kValidUntil ? GetSigned(p) : 0;
  r->modified = flags & kModified ? GetSigned(p) : 0;
  if (flags & kDescription) r->description.assign(GetString(p));
  else r->description.clear();
  if (!(flags & kDisplayIsValue)) r->display.assign(GetString(p));
  r->any_of.resize(GetVarint(p));
  for (std::vector<Term>& conj : r->any_of) {
    conj.resize(GetVarint(p));
    for (Term& t : conj) {
      t.kind = static_cast<TermKind>(static_cast<unsigned char>(*(*p)++));
      const auto tf = static_cast<uint8_t>(*(*p)++);
      t.blinded = (tf & kTermBlinded) != 0;
      t.where = tf & kTermWhere ? static_cast<WhereMask>(GetVarint(p)) : kAnywhere;
      t.value.assign(GetString(p));
      if (tf & kTermHeader) t.header_name.assign(GetString(p));
      else t.header_name.clear();
    }
  }
  if (flags & kDisplayIsValue) r->display = r->any_of[0][0].value;
}

Rule RuleList::operator[](size_t i) const {
  const auto [block, offset] = index_.at(i / kIndexStride);
  size_t b = block;
  const char* p = blocks_[b].data() + offset;
  Rule r;
  std::string_view id;
  for (size_t k = i - i % kIndexStride;; ++k) {
    if (p == blocks_[b].data() + blocks_[b].size()) p = blocks_[++b].data();
    Decode(&p, &r, &id);
    if (k == i) return r;
  }
}

void RuleList::Transform(const std::function<void(Rule&)>& fn) {
  RuleList out;
  for (const_iterator it = begin(); it != end(); ++it) {
    Rule r = *it;
    fn(r);
    out.push_back(r);
  }
  *this = std::move(out);
}

bool RuleList::Drain(const std::function<bool(const Rule&, size_t)>& fn) {
  Rule r;
  std::string_view id;
  bool ok = true;
  size_t i = 0;
  for (Block& block : blocks_) {
    const char* p = block.data();
    const char* end = p + block.size();
    while (ok && p < end) {
      Decode(&p, &r, &id);
      ok = fn(r, i++);
    }
    block.Release();  // freed now, not with the list
    if (!ok) break;
  }
  clear();
  return ok;
}

void RuleList::Set(size_t i, const Rule& r) {
  size_t k = 0;
  Transform([&](Rule& each) {
    if (k++ == i) each = r;
  });
}

RuleList::const_iterator::const_iterator(const RuleList* list, size_t index)
    : list_(list), index_(index) {
  if (index_ < list_->count_) Load();
}

void RuleList::const_iterator::Load() {
  if (offset_ == list_->blocks_[block_].size()) {
    ++block_;
    offset_ = 0;
  }
  const char* base = list_->blocks_[block_].data();
  const char* p = base + offset_;
  list_->Decode(&p, &rule_, &id_view_);
  offset_ = static_cast<size_t>(p - base);
}

RuleList::const_iterator& RuleList::const_iterator::operator++() {
  if (++index_ < list_->count_) Load();
  return *this;
}

}  // namespace gfi
