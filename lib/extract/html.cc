// URLs and visible text of an HTML body, read by gumbo as a browser would read them. gumbo 0.10.1
// has no depth limit, and nesting or attribute counts cost it quadratic time and memory, so one
// linear pre-pass (NestingGuard) first bounds both; the tree is then walked without recursion.
#include "extract/html.h"

#include <gumbo.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace gfi {
namespace {

// Open elements the pre-pass lets through (conservatively counted: gumbo's own tree is at most a
// small constant factor deeper). Real mail nests tables a few dozen deep at most.
constexpr size_t kMaxDepth = 256;
// Attributes kept on one tag: gumbo checks each new attribute against all earlier ones.
constexpr int kMaxAttributes = 128;
// URLs reported per document: bounds memory; the analyzer applies its own, smaller, limit.
constexpr size_t kMaxUrls = 100000;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

// ---- NestingGuard: a linear approximation of the HTML5 tree builder ----
//
// It keeps its own stack of open elements and pops it only where the HTML5 algorithm certainly
// pops too, so its count is never (beyond a constant factor) below gumbo's real depth. A start tag
// that would take the count past kMaxDepth is rewritten as a self-closed <wbr .../>, which keeps
// its attributes (and so its URLs) but nests nothing, in HTML and in SVG/MathML alike.

enum TagFlag : uint32_t {
  kVoid = 1u << 0,           // no end tag, never pushed (in HTML content)
  kNoPush = 1u << 1,         // html, head, body: gumbo merges repeats instead of nesting
  kFormatting = 1u << 2,     // in the list of active formatting elements (re-opened by gumbo)
  kSpecial = 1u << 3,        // HTML5 "special" category (over-inclusive on purpose)
  kRawText = 1u << 4,        // content is text up to the matching end tag
  kPlaintext = 1u << 5,      // everything after it is text
  kScopeBoundary = 1u << 6,  // ends an "in scope" search (default scope, over-inclusive)
  kClosesP = 1u << 7,        // its start tag closes an open <p> in button scope
  kScopeCloser = 1u << 8,    // its end tag pops to it when it is in scope
  kTableFamily = 1u << 9,    // end tag pops to it within the table
  kForeignRoot = 1u << 10,   // svg, math
  kBreakout = 1u << 11,      // leaves SVG/MathML content when it starts there
  kHeading = 1u << 12,
};

struct TagInfo {
  std::string_view name;
  uint32_t flags;
};

constexpr uint32_t kBlock = kSpecial | kClosesP | kScopeCloser;

// Sorted by name for binary search.
constexpr TagInfo kTags[] = {
    {"a", kFormatting},
    {"address", kBlock},
    {"annotation-xml", kSpecial | kScopeBoundary},
    {"applet", kSpecial | kScopeBoundary | kScopeCloser},
    {"area", kSpecial | kVoid},
    {"article", kBlock},
    {"aside", kBlock},
    {"b", kFormatting | kBreakout},
    {"base", kSpecial | kVoid},
    {"basefont", kSpecial | kVoid},
    {"bgsound", kSpecial | kVoid},
    {"big", kFormatting | kBreakout},
    {"blockquote", kBlock | kBreakout},
    {"body", kSpecial | kNoPush | kBreakout},
    {"br", kSpecial | kVoid | kBreakout},
    {"button", kSpecial | kScopeCloser},
    {"caption", kSpecial | kScopeBoundary | kTableFamily},
    {"center", kBlock | kBreakout},
    {"code", kFormatting | kBreakout},
    {"col", kSpecial | kVoid},
    {"colgroup", kSpecial | kTableFamily},
    {"dd", kBlock | kBreakout},
    {"desc", kSpecial | kScopeBoundary},
    {"details", kBlock},
    {"dialog", kBlock},
    {"dir", kBlock},
    {"div", kBlock | kBreakout},
    {"dl", kBlock | kBreakout},
    {"dt", kBlock | kBreakout},
    {"em", kFormatting | kBreakout},
    {"embed", kSpecial | kVoid | kBreakout},
    {"fieldset", kBlock},
    {"figcaption", kBlock},
    {"figure", kBlock},
    {"font", kFormatting},
    {"footer", kBlock},
    {"foreignobject", kSpecial | kScopeBoundary},
    {"form", kBlock},
    {"frame", kSpecial | kVoid},
    {"frameset", kSpecial},
    {"h1", kBlock | kHeading | kBreakout},
    {"h2", kBlock | kHeading | kBreakout},
    {"h3", kBlock | kHeading | kBreakout},
    {"h4", kBlock | kHeading | kBreakout},
    {"h5", kBlock | kHeading | kBreakout},
    {"h6", kBlock | kHeading | kBreakout},
    {"head", kSpecial | kNoPush | kBreakout},
    {"header", kBlock},
    {"hgroup", kBlock},
    {"hr", kSpecial | kVoid | kClosesP | kBreakout},
    {"html", kSpecial | kNoPush | kScopeBoundary},
    {"i", kFormatting | kBreakout},
    {"iframe", kSpecial | kRawText},
    {"image", kSpecial | kVoid},
    {"img", kSpecial | kVoid | kBreakout},
    {"input", kSpecial | kVoid},
    {"isindex", kSpecial | kVoid},
    {"keygen", kSpecial | kVoid},
    {"li", kBlock | kBreakout},
    {"link", kSpecial | kVoid},
    {"listing", kBlock | kBreakout},
    {"main", kBlock},
    {"marquee", kSpecial | kScopeBoundary | kScopeCloser},
    {"math", kForeignRoot},
    {"menu", kBlock | kBreakout},
    {"menuitem", kSpecial},
    {"meta", kSpecial | kVoid | kBreakout},
    {"mi", kSpecial | kScopeBoundary},
    {"mn", kSpecial | kScopeBoundary},
    {"mo", kSpecial | kScopeBoundary},
    {"ms", kSpecial | kScopeBoundary},
    {"mtext", kSpecial | kScopeBoundary},
    {"nav", kBlock},
    {"nobr", kFormatting | kBreakout},
    {"noembed", kSpecial | kRawText},
    {"noframes", kSpecial | kRawText},
    {"noscript", kSpecial},
    {"object", kSpecial | kScopeBoundary | kScopeCloser},
    {"ol", kBlock | kBreakout},
    {"p", kBlock | kBreakout},
    {"param", kSpecial | kVoid},
    {"plaintext", kSpecial | kClosesP | kPlaintext},
    {"pre", kBlock | kBreakout},
    {"ruby", kBreakout},
    {"s", kFormatting | kBreakout},
    {"script", kSpecial | kRawText},
    {"section", kBlock},
    {"select", kSpecial},
    {"small", kFormatting | kBreakout},
    {"source", kSpecial | kVoid},
    {"span", kBreakout},
    {"strike", kFormatting | kBreakout},
    {"strong", kFormatting | kBreakout},
    {"style", kSpecial | kRawText},
    {"sub", kBreakout},
    {"summary", kBlock},
    {"sup", kBreakout},
    {"svg", kForeignRoot},
    {"table", kSpecial | kScopeBoundary | kTableFamily | kBreakout},
    {"tbody", kSpecial | kTableFamily},
    {"td", kSpecial | kScopeBoundary | kTableFamily},
    {"template", kSpecial | kScopeBoundary},
    {"textarea", kSpecial | kRawText},
    {"tfoot", kSpecial | kTableFamily},
    {"th", kSpecial | kScopeBoundary | kTableFamily},
    {"thead", kSpecial | kTableFamily},
    {"title", kSpecial | kScopeBoundary | kRawText},
    {"tr", kSpecial | kTableFamily},
    {"track", kSpecial | kVoid},
    {"tt", kFormatting | kBreakout},
    {"u", kFormatting | kBreakout},
    {"ul", kBlock | kBreakout},
    {"var", kBreakout},
    {"wbr", kSpecial | kVoid},
    {"xmp", kSpecial | kRawText | kClosesP},
};
constexpr size_t kNumTags = sizeof(kTags) / sizeof(kTags[0]);

// Index into kTags, or -1 for an unknown name (custom elements, SVG's g/path, ...).
int LookupTag(std::string_view name) {
  char buf[16];
  if (name.size() > sizeof buf) return -1;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = Lower(name[i]);
  std::string_view key(buf, name.size());
  size_t lo = 0, hi = kNumTags;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kTags[mid].name < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < kNumTags && kTags[lo].name == key ? static_cast<int>(lo) : -1;
}

uint8_t Bucket(std::string_view name) {
  uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ static_cast<unsigned char>(Lower(c))) * 16777619u;
  return static_cast<uint8_t>(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

class NestingGuard {
 public:
  explicit NestingGuard(std::string_view in) : in_(in) { stack_.reserve(kMaxDepth + 1); }

  // The text for gumbo: `in` itself, or a rewritten copy when a limit was hit.
  std::string_view Run() {
    Scan();
    if (!rewritten_) return in_;
    out_.append(in_.substr(copied_));
    return out_;
  }

 private:
  struct Open {
    std::string_view name;
    int tag;  // index into kTags or -1
    uint32_t flags;
    uint8_t bucket;
    GumboTag gumbo_tag;  // gumbo matches end tags by this: every unknown name is one tag
    bool foreign;        // SVG or MathML element
  };
  struct TagEnd {
    size_t gt = std::string_view::npos;   // position of the closing '>'
    size_t cut = std::string_view::npos;  // where attributes beyond the limit start
  };

  void Scan() {
    const size_t n = in_.size();
    size_t i = 0;
    while (i < n) {
      size_t lt = in_.find('<', i);
      if (lt == std::string_view::npos || lt + 1 >= n) return;
      i = lt + 1;
      const char c = in_[i];
      if (c == '!') {
        if (in_.compare(i + 1, 2, "--") == 0) {
          i = CommentEnd(lt);
        } else {
          i = BogusEnd(i);  // <!DOCTYPE>, <![CDATA[...]> outside foreign content
        }
      } else if (c == '?') {
        i = BogusEnd(i);
      } else if (c == '/') {
        if (i + 1 < n && IsAlpha(in_[i + 1])) {
          size_t name_end = NameEnd(i + 1);
          TagEnd t = ScanAttributes(name_end);
          if (t.gt == std::string_view::npos) return DropTail(lt);
          EndTag(in_.substr(i + 1, name_end - i - 1));
          i = t.gt + 1;
        } else {
          i = BogusEnd(i);
        }
      } else if (IsAlpha(c)) {
        size_t name_end = NameEnd(i);
        TagEnd t = ScanAttributes(name_end);
        if (t.gt == std::string_view::npos) return DropTail(lt);
        i = StartTag(i, name_end, t);
        if (i == std::string_view::npos) return;
      }
      // else: a '<' that starts no tag is text.
    }
  }

  // A tag cut by the end of input is dropped by gumbo, but only after tokenizing all of it (its
  // duplicate-attribute checks are quadratic): drop it here instead.
  void DropTail(size_t lt) { Replace(lt, in_.size() - lt, ""); }

  size_t NameEnd(size_t i) const {
    while (i < in_.size() && !IsSpace(in_[i]) && in_[i] != '/' && in_[i] != '>') ++i;
    return i;
  }

  // After "<!--": the first "-->" or "--!>"; "<!-->" and "<!--->" are complete empty comments.
  size_t CommentEnd(size_t lt) const {
    const size_t n = in_.size();
    for (size_t j = lt + 2; j + 2 < n; ++j) {
      if (in_[j] != '-' || in_[j + 1] != '-') continue;
      if (in_[j + 2] == '>') return j + 3;
      if (in_[j + 2] == '!' && j + 3 < n && in_[j + 3] == '>') return j + 4;
    }
    return n;
  }

  size_t BogusEnd(size_t i) const {
    size_t gt = in_.find('>', i);
    return gt == std::string_view::npos ? in_.size() : gt + 1;
  }

  // Follows the HTML5 tokenizer's attribute states far enough to find the tag's real '>' (a
  // quoted value may hold one) and to count attributes.
  TagEnd ScanAttributes(size_t k) const {
    const size_t n = in_.size();
    TagEnd t;
    int attrs = 0;
    while (k < n) {
      const char c = in_[k];
      if (c == '>') {
        t.gt = k;
        return t;
      }
      if (IsSpace(c) || c == '/') {
        ++k;
        continue;
      }
      if (++attrs > kMaxAttributes && t.cut == std::string_view::npos) t.cut = k;
      ++k;  // the first character of a name may be '='
      while (k < n && !IsSpace(in_[k]) && in_[k] != '/' && in_[k] != '>' && in_[k] != '=') ++k;
      while (k < n && IsSpace(in_[k])) ++k;
      if (k < n && in_[k] == '=') {
        ++k;
        while (k < n && IsSpace(in_[k])) ++k;
        if (k < n && (in_[k] == '"' || in_[k] == '\'')) {
          size_t close = in_.find(in_[k], k + 1);
          if (close == std::string_view::npos) return t;
          k = close + 1;
        } else {
          while (k < n && !IsSpace(in_[k]) && in_[k] != '>') ++k;
        }
      }
    }
    return t;
  }

  void Replace(size_t pos, size_t len, std::string_view with) {
    if (!rewritten_) out_.reserve(in_.size() + 64);
    rewritten_ = true;
    out_.append(in_.substr(copied_, pos - copied_));
    out_.append(with);
    copied_ = pos + len;
  }

  size_t Depth() const { return stack_.size() + formatting_outstanding_; }

  static constexpr std::string_view kRenamedForeign = "gfi-foreign";

  // A tag gumbo knows as HTML (by enum) that is not also an SVG/MathML element it relies on.
  static bool IsHtmlOnlyName(std::string_view name) {
    const GumboTag g =
        gumbo_tagn_enum(name.data(), static_cast<unsigned>(std::min<size_t>(name.size(), 64)));
    if (g == GUMBO_TAG_UNKNOWN) return false;
    static constexpr std::string_view kForeignNative[] = {
        "svg",    "math", "foreignobject", "desc",  "title",          "mi",    "mo",
        "mn",     "ms",   "mtext",         "mglyph", "malignmark",    "annotation-xml"};
    for (std::string_view f : kForeignNative)
      if (EqualsNoCase(name, f)) return false;
    return true;
  }

  // SVG/MathML elements whose content follows the HTML rules again.
  static bool IsIntegrationPoint(const Open& o) {
    static constexpr std::string_view kPoints[] = {"foreignobject", "desc", "title", "mi",
                                                   "mo",            "mn",   "ms",    "mtext"};
    for (std::string_view p : kPoints)
      if (EqualsNoCase(o.name, p)) return true;
    return false;
  }

  // gumbo decides by the current node: foreign content unless it is HTML or an integration point.
  bool CurrentIsForeign() const {
    return !stack_.empty() && stack_.back().foreign && !IsIntegrationPoint(stack_.back());
  }

  // Returns where scanning resumes, or npos to stop (plaintext).
  size_t StartTag(size_t name_begin, size_t name_end, const TagEnd& t) {
    std::string_view name = in_.substr(name_begin, name_end - name_begin);
    const int tag = LookupTag(name);
    const uint32_t flags = tag >= 0 ? kTags[tag].flags : 0;
    const std::string_view lname = tag >= 0 ? kTags[tag].name : std::string_view();
    // In SVG/MathML every element that does not break out nests, "void" names included.
    const bool foreign_context = CurrentIsForeign();
    const bool html_rules = !foreign_context || (flags & kBreakout);
    if (foreign_context && html_rules) {
      // A breakout tag pops SVG/MathML elements up to HTML or an integration point.
      size_t k = stack_.size();
      while (k > 0 && stack_[k - 1].foreign && !IsIntegrationPoint(stack_[k - 1])) --k;
      PopTo(k);
    }
    bool neutralise = false;
    if (html_rules && (flags & kTableFamily)) SelectInTable();
    // Outside a table, gumbo ignores table parts; pushing them would let their end tags pop
    // real elements.
    const bool ignored =
        html_rules && (flags & kTableFamily) && lname != "table" && (table_ == 0 || select_ > 0);
    if (!ignored && (!html_rules || !(flags & (kVoid | kNoPush)))) {
      if (html_rules && select_ == 0) ImplicitCloses(tag, flags);
      if (select_ > 0 && (lname == "select" || lname == "input" || lname == "keygen" ||
                          lname == "textarea"))
        CloseSelect();
      if (Depth() >= kMaxDepth) {
        neutralise = true;
      } else if (!html_rules && IsHtmlOnlyName(name)) {
        // gumbo 0.10.1 often tests tag enums without the namespace, so an SVG <select> or
        // <table> derails its insertion modes, up to a failed assert() (an abort() in the
        // packaged build): "<table><td><svg><select><foreignObject><table><table>". Such an
        // element means nothing in SVG/MathML; it is renamed, its attributes kept.
        Replace(name_begin, name_end - name_begin, kRenamedForeign);
        Push(kRenamedForeign, -1, 0, true);
      } else {
        Push(name, tag, flags, !html_rules || (flags & kForeignRoot));
      }
    }
    if (neutralise) {
      Replace(name_begin, name_end - name_begin, "wbr");
      if (t.cut != std::string_view::npos) {
        Replace(t.cut, t.gt + 1 - t.cut, " />");
      } else {
        Replace(t.gt, 1, " />");
      }
      return t.gt + 1;
    }
    if (t.cut != std::string_view::npos) Replace(t.cut, t.gt - t.cut, "");
    const size_t after = t.gt + 1;
    if (html_rules && (flags & kPlaintext) && select_ == 0) return std::string_view::npos;
    if ((flags & kRawText) && html_rules &&
        (select_ == 0 || lname == "script" || lname == "textarea"))
      return RawTextEnd(after, name);
    return after;
  }

  // Position of "</name" ending a raw-text element; the main loop then reads that end tag.
  size_t RawTextEnd(size_t from, std::string_view name) const {
    const size_t n = in_.size();
    size_t j = from;
    while (true) {
      size_t p = in_.find("</", j);
      if (p == std::string_view::npos) return n;
      size_t q = p + 2;
      if (q + name.size() <= n && EqualsNoCase(in_.substr(q, name.size()), name) &&
          (q + name.size() == n || IsSpace(in_[q + name.size()]) || in_[q + name.size()] == '/' ||
           in_[q + name.size()] == '>'))
        return p;
      j = p + 2;
    }
  }

  void Push(std::string_view name, int tag, uint32_t flags, bool foreign) {
    Open o{name, tag, flags, Bucket(name),
           gumbo_tagn_enum(name.data(), static_cast<unsigned>(std::min<size_t>(name.size(), 64))),
           foreign};
    ++present_[o.bucket];
    if (tag >= 0 && kTags[tag].name == "select") ++select_;
    if (tag >= 0 && kTags[tag].name == "table") ++table_;
    if (flags & kFormatting) {
      // gumbo keeps at most one <a> (and <nobr>) per marker level: a new one closes the old.
      const bool single = kTags[tag].name == "a" || kTags[tag].name == "nobr";
      if (!single || formatting_[tag] == 0) {
        ++formatting_[tag];
        ++formatting_outstanding_;
      }
    }
    stack_.push_back(o);
  }

  void Forget(const Open& o) {
    --present_[o.bucket];
    if (o.tag >= 0 && kTags[o.tag].name == "select") --select_;
    if (o.tag >= 0 && kTags[o.tag].name == "table") --table_;
  }

  // Pops down to `index`. A frameset is a floor: gumbo's frameset modes ignore every tag but
  // <frameset>, <frame> and </frameset>, so entries above one may be ours alone, and an end tag
  // matching them must not take the frameset with it.
  void PopTo(size_t index, bool frameset_target = false) {
    for (size_t k = stack_.size(); k-- > index;) {
      if (Is(stack_[k], "frameset") && !(frameset_target && k == index)) {
        index = k + 1;
        break;
      }
    }
    while (stack_.size() > index) {
      Forget(stack_.back());
      stack_.pop_back();
    }
  }

  bool FramesetAbove(size_t index) const {
    for (size_t k = index + 1; k < stack_.size(); ++k)
      if (Is(stack_[k], "frameset")) return true;
    return false;
  }

  bool Present(std::string_view name) const { return present_[Bucket(name)] > 0; }

  bool Is(const Open& o, std::string_view lower_name) const {
    return o.tag >= 0 && kTags[o.tag].name == lower_name;
  }

  // Index of the topmost element named `lower_name` if every element above it satisfies
  // `may_pass`; -1 otherwise.
  template <typename Pass>
  long FindAbove(std::string_view lower_name, Pass may_pass) const {
    if (!Present(lower_name)) return -1;
    for (size_t k = stack_.size(); k-- > 0;) {
      if (Is(stack_[k], lower_name)) return static_cast<long>(k);
      if (!may_pass(stack_[k])) return -1;
    }
    return -1;
  }

  void CloseAbove(std::string_view lower_name, auto may_pass) {
    long k = FindAbove(lower_name, may_pass);
    if (k >= 0) PopTo(static_cast<size_t>(k));
  }

  // The implied end tags of the HTML5 "in body" rules, only where they certainly apply.
  void ImplicitCloses(int tag, uint32_t flags) {
    if (tag < 0) return;
    const std::string_view name = kTags[tag].name;
    // Button scope; SVG and MathML roots are no boundary (gumbo leaves them on a breakout tag).
    const auto not_boundary = [&](const Open& o) {
      return !(o.flags & kScopeBoundary) && !Is(o, "button");
    };
    const auto not_special_or_adp = [&](const Open& o) {
      return !(o.flags & (kSpecial | kForeignRoot)) || Is(o, "address") || Is(o, "div") ||
             Is(o, "p");
    };
    const auto not_special = [](const Open& o) { return !(o.flags & (kSpecial | kForeignRoot)); };
    if (name == "li") {
      CloseAbove("li", not_special_or_adp);
    } else if (name == "dd" || name == "dt") {
      long a = FindAbove("dd", not_special_or_adp);
      long b = FindAbove("dt", not_special_or_adp);
      long k = std::max(a, b);
      if (k >= 0) PopTo(static_cast<size_t>(k));
    } else if (name == "a" || name == "nobr") {
      CloseAbove(name, not_special);
    } else if (name == "td" || name == "th") {
      ClearBackTo([&](const Open& o) {
        return Is(o, "tr") || Is(o, "tbody") || Is(o, "thead") || Is(o, "tfoot") ||
               Is(o, "table");
      });
    } else if (name == "tr") {
      ClearBackTo([&](const Open& o) {
        return Is(o, "tbody") || Is(o, "thead") || Is(o, "tfoot") || Is(o, "table");
      });
    } else if (name == "tbody" || name == "thead" || name == "tfoot" || name == "caption" ||
               name == "colgroup") {
      ClearBackTo([&](const Open& o) { return Is(o, "table"); });
    } else if (name == "table") {
      // In table mode a <table> closes the open table; inside a cell it nests.
      CloseAbove("table", [&](const Open& o) {
        return !Is(o, "td") && !Is(o, "th") && !Is(o, "caption") && !Is(o, "template") &&
               !Is(o, "select");
      });
    } else if (name == "option" || name == "optgroup") {
      if (!stack_.empty() && Is(stack_.back(), "option")) PopTo(stack_.size() - 1);
      if (name == "optgroup" && !stack_.empty() && Is(stack_.back(), "optgroup"))
        PopTo(stack_.size() - 1);
    }
    if (flags & kClosesP) CloseAbove("p", not_boundary);
    if ((flags & kHeading) && !stack_.empty() && (stack_.back().flags & kHeading))
      PopTo(stack_.size() - 1);
  }

  // A table part starting in a table closes whatever is open above its context (the cell, the
  // row, a caption, foster-parented elements), as the table insertion modes do.
  template <typename Context>
  void ClearBackTo(Context is_context) {
    for (size_t k = stack_.size(); k-- > 0;) {
      if (is_context(stack_[k])) return PopTo(k + 1);
      if (Is(stack_[k], "template")) return;
    }
  }

  // <select>, <input>, <keygen>, <textarea> inside a select close it (select scope: only option
  // and optgroup may be above it).
  void CloseSelect() {
    CloseAbove("select", [&](const Open& o) { return Is(o, "option") || Is(o, "optgroup"); });
  }

  // "In select in table": a table part closes the select, then is processed as usual.
  void SelectInTable() {
    if (select_ == 0 || table_ == 0) return;
    for (size_t k = stack_.size(); k-- > 0;) {
      if (Is(stack_[k], "select")) {
        for (size_t t = k; t-- > 0;)
          if (Is(stack_[t], "table")) return PopTo(k);
        return;
      }
    }
  }

  void EndTag(std::string_view name) {
    const int tag = LookupTag(name);
    const uint32_t flags = tag >= 0 ? kTags[tag].flags : 0;
    const std::string_view lname = tag >= 0 ? kTags[tag].name : std::string_view();
    if (!stack_.empty() && stack_.back().foreign) {
      // Foreign content: the nearest SVG/MathML element of that name, else the HTML rules.
      for (size_t k = stack_.size(); k-- > 0 && stack_[k].foreign;)
        if (EqualsNoCase(stack_[k].name, name)) return PopTo(k);
    }
    if (flags & kTableFamily) SelectInTable();
    if (select_ > 0) {
      // The "in select" mode ignores every other end tag.
      if (tag >= 0 && (kTags[tag].name == "select" || kTags[tag].name == "option" ||
                       kTags[tag].name == "optgroup" || kTags[tag].name == "script")) {
        CloseAbove(kTags[tag].name, [&](const Open& o) {
          return Is(o, "option") || Is(o, "optgroup");
        });
      }
      return;
    }
    if (flags & kFormatting) {
      // Adoption agency: without a special element above, a plain pop; with one, the formatting
      // element leaves the stack and the elements above it stay open. Out of scope, gumbo keeps
      // it in its list of active formatting elements, so it stays counted here too.
      bool special_above = false;
      bool remove = true;
      for (size_t k = stack_.size(); k-- > 0;) {
        const Open& o = stack_[k];
        if (Is(o, kTags[tag].name)) {
          if (!special_above) {
            PopTo(k);
          } else if (!FramesetAbove(k)) {
            Forget(o);
            stack_.erase(stack_.begin() + static_cast<long>(k));
          }
          break;
        }
        if (o.flags & kScopeBoundary) {
          remove = false;
          break;
        }
        if (o.flags & (kSpecial | kForeignRoot)) special_above = true;
      }
      if (remove && formatting_[tag] > 0) {
        --formatting_[tag];
        --formatting_outstanding_;
      }
      return;
    }
    if (stack_.empty()) return;
    if (lname == "frameset") {
      if (Is(stack_.back(), "frameset")) PopTo(stack_.size() - 1, /*frameset_target=*/true);
      return;
    }
    if (lname == "colgroup") {
      if (Is(stack_.back(), "colgroup")) PopTo(stack_.size() - 1);
      return;
    }
    if (lname == "form") {
      // gumbo removes the form from the stack; what was opened inside it stays open.
      for (size_t k = stack_.size(); k-- > 0;) {
        if (Is(stack_[k], "form")) {
          if (FramesetAbove(k)) return;
          Forget(stack_[k]);
          stack_.erase(stack_.begin() + static_cast<long>(k));
          return;
        }
        if (stack_[k].flags & kScopeBoundary) return;
      }
      return;
    }
    if (flags & kTableFamily) {
      const bool table = kTags[tag].name == "table";
      for (size_t k = stack_.size(); k-- > 0;) {
        const Open& o = stack_[k];
        if (Is(o, kTags[tag].name)) return PopTo(k);
        if ((!table && Is(o, "table")) || Is(o, "template")) return;
      }
      return;
    }
    if (flags & kScopeCloser) {
      const std::string_view target = kTags[tag].name;
      const bool heading = flags & kHeading;
      for (size_t k = stack_.size(); k-- > 0;) {
        const Open& o = stack_[k];
        if (heading ? (o.flags & kHeading) != 0 : Is(o, target)) return PopTo(k);
        if (o.flags & kScopeBoundary) return;
        if (target == "p" && Is(o, "button")) return;                   // button scope
        if (target == "li" && (Is(o, "ol") || Is(o, "ul"))) return;     // list item scope
      }
      return;
    }
    // "Any other end tag" (also SVG/MathML): pop to the same tag through non-special elements.
    // gumbo 0.10.1 compares tag enums, so "</x-y>" closes the nearest element of any unknown name.
    const GumboTag gumbo_tag =
        gumbo_tagn_enum(name.data(), static_cast<unsigned>(std::min<size_t>(name.size(), 64)));
    for (size_t k = stack_.size(); k-- > 0;) {
      const Open& o = stack_[k];
      if (o.gumbo_tag == gumbo_tag) return PopTo(k);
      if (o.flags & kSpecial) return;
    }
  }

  std::string_view in_;
  std::string out_;
  size_t copied_ = 0;
  bool rewritten_ = false;
  std::vector<Open> stack_;
  uint32_t present_[256] = {};  // open elements per name bucket: skips hopeless searches
  int formatting_[kNumTags] = {};
  size_t formatting_outstanding_ = 0;
  int select_ = 0;
  int table_ = 0;
};

// ---- tree walk ----

// gumbo allocates every node, string and vector separately and frees them one by one, recursively;
// that was a fifth of the time on ordinary mail. One arena per parse instead: allocation is a
// pointer bump, free is a no-op, and the whole tree goes at once when the arena does — so no
// recursive destroy either, whatever the depth. Memory freed early by gumbo (grown buffers) is
// reclaimed only with the arena, which bounds the waste to a small factor of the tree's size.
class GumboArena {
 public:
  GumboArena() = default;
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;

  void* Allocate(size_t size) {
    size = (size + 15) & ~size_t{15};
    if (size > left_) {
      size_t block = std::max(size, kBlock);
      blocks_.emplace_back(new (std::nothrow) unsigned char[block]);
      if (!blocks_.back()) {
        blocks_.pop_back();
        throw std::bad_alloc();
      }
      next_ = blocks_.back().get();
      left_ = block;
    }
    void* p = next_;
    next_ += size;
    left_ -= size;
    return p;
  }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
  unsigned char* next_ = nullptr;
  size_t left_ = 0;
};

void* GumboAlloc(void* arena, size_t size) {
  return static_cast<GumboArena*>(arena)->Allocate(size);
}
void GumboFree(void* /*arena*/, void* /*ptr*/) {}

GumboOptions ParserOptions(GumboArena* arena) {
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &GumboAlloc;
  options.deallocator = &GumboFree;
  options.userdata = arena;
  options.max_errors = 0;  // errors copy the open-element stack: unbounded memory otherwise
  return options;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

// WHATWG URL parsing removes every ASCII tab and newline ("ht&#10;tp://", "ev&#9;il.example",
// a value folded across lines): `v` as the browser reads it, in *buffer only when one is present.
std::string_view StripTabsAndNewlines(std::string_view v, std::string* buffer) {
  if (v.find_first_of("\t\n\r") == std::string_view::npos) return v;
  buffer->clear();
  buffer->reserve(v.size());
  for (char c : v)
    if (c != '\t' && c != '\n' && c != '\r') buffer->push_back(c);
  return *buffer;
}

// True when "<base" (any case) occurs: a tag name cannot be written with entities, so without
// it the document has no <base> element.
bool MayHaveBase(std::string_view html) {
  for (size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    if (StartsWithNoCase(html.substr(i + 1), "base")) return true;
  }
  return false;
}

const char* Attr(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a != nullptr ? a->value : nullptr;
}

bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_BR: case GUMBO_TAG_CAPTION: case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD: case GUMBO_TAG_DIV: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER: case GUMBO_TAG_FORM: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
    case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_HR: case GUMBO_TAG_LI: case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV: case GUMBO_TAG_OL: case GUMBO_TAG_OPTION: case GUMBO_TAG_P:
    case GUMBO_TAG_PRE: case GUMBO_TAG_SECTION: case GUMBO_TAG_TABLE: case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD: case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_TFOOT: case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD: case GUMBO_TAG_TR: case GUMBO_TAG_UL: case GUMBO_TAG_IMG:
      return true;
    default:
      return false;
  }
}

bool IsHidden(GumboTag tag) {
  return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_HEAD ||
         tag == GUMBO_TAG_TITLE || tag == GUMBO_TAG_TEMPLATE;
}

class Extractor {
 public:
  // `may_have_base`: the document holds "<base" somewhere, so relative references seen before
  // it are kept until it comes (without one they are dropped at once, with no copy).
  Extractor(HtmlContent* out, bool may_have_base) : out_(out), may_have_base_(may_have_base) {}

  size_t max_depth() const { return max_depth_; }

  void Walk(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next;
      bool hidden;
    };
    std::vector<Frame> stack;
    stack.push_back({root, 0, false});
    Enter(root, false);
    while (!stack.empty()) {
      max_depth_ = std::max(max_depth_, stack.size());
      Frame& f = stack.back();
      const GumboVector* children = Children(f.node);
      if (children == nullptr || f.next >= children->length) {
        Leave(f.node);
        stack.pop_back();
        continue;
      }
      const GumboNode* child = static_cast<const GumboNode*>(children->data[f.next++]);
      const bool parent_hidden = f.hidden;
      if (child->type == GUMBO_NODE_ELEMENT || child->type == GUMBO_NODE_TEMPLATE) {
        const bool hidden = parent_hidden || IsHidden(child->v.element.tag);
        Enter(child, hidden);
        stack.push_back({child, 0, hidden});  // `f` may dangle from here on
      } else if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE ||
                 child->type == GUMBO_NODE_CDATA) {
        const GumboNode* parent = child->parent;
        if (parent != nullptr && parent->type == GUMBO_NODE_ELEMENT &&
            parent->v.element.tag == GUMBO_TAG_STYLE)
          CssUrls(child->v.text.text);
        if (!parent_hidden) AppendText(child->v.text.text);
      }
    }
  }

 private:
  static const GumboVector* Children(const GumboNode* n) {
    if (n->type == GUMBO_NODE_DOCUMENT) return &n->v.document.children;
    if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
      return &n->v.element.children;
    return nullptr;
  }

  void Enter(const GumboNode* n, bool hidden) {
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) return;
    const GumboElement& e = n->v.element;
    if (!hidden && IsBlock(e.tag)) space_pending_ = true;
    if (e.tag == GUMBO_TAG_BASE && base_.empty()) {
      if (const char* href = Attr(e, "href")) {
        std::string stripped;
        std::string_view b = StripTabsAndNewlines(Trim(href), &stripped);
        if (StartsWithNoCase(b, "http://") || StartsWithNoCase(b, "https://")) {
          base_ = b;
          // Browsers resolve every relative link against the first <base href>, wherever in
          // the document it is: those met before it are resolved now.
          for (const std::string& rel : pending_relative_) Resolve(rel);
          std::vector<std::string>().swap(pending_relative_);
        }
      }
    }
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
      Attribute(e, a->name, a->value);
    }
  }

  void Leave(const GumboNode* n) {
    if ((n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) &&
        IsBlock(n->v.element.tag))
      space_pending_ = true;
  }

  void Attribute(const GumboElement& e, std::string_view name, std::string_view value) {
    if (name == "href" || name == "src" || name == "action" || name == "formaction" ||
        name == "background" || name == "poster" || name == "data" || name == "cite" ||
        name == "longdesc" || name == "dynsrc" || name == "lowsrc") {
      Candidate(value);
    } else if (name == "srcset" || name == "imagesrcset") {
      Srcset(value);
    } else if (name == "ping") {
      SplitOnSpace(value);
    } else if (name == "style") {
      CssUrls(value);
    } else if (name == "content" && e.tag == GUMBO_TAG_META) {
      const char* equiv = Attr(e, "http-equiv");
      if (equiv != nullptr && EqualsNoCase(Trim(equiv), "refresh")) MetaRefresh(value);
    }
  }

  // Keeps absolute URLs (and those a <base href> makes absolute); mailto:, cid:, data: and
  // fragment-only references name no host.
  void Candidate(std::string_view v) {
    v = Trim(v);
    if (v.empty() || out_->urls.size() >= kMaxUrls) return;
    std::string stripped;
    v = StripTabsAndNewlines(v, &stripped);
    if (StartsWithNoCase(v, "http:") || StartsWithNoCase(v, "https:") ||
        StartsWithNoCase(v, "ftp:") || StartsWithNoCase(v, "www.") || v.substr(0, 2) == "//" ||
        v.substr(0, 2) == "\\\\") {
      out_->urls.emplace_back(v);
    } else if (StartsWithNoCase(v, "javascript:")) {
      UrlsInScript(v);
    } else if (v.front() != '#' && v.find(':') == std::string_view::npos) {
      if (!base_.empty()) {
        Resolve(v);
      } else if (may_have_base_ && pending_relative_.size() < kMaxUrls) {
        pending_relative_.emplace_back(v);  // a <base href> may still come
      }
    }
  }

  // "javascript:window.location='http://evil.example/'": the literal URLs in it.
  void UrlsInScript(std::string_view v) {
    size_t i = 0;
    while (i < v.size()) {
      size_t best = i;
      while (best < v.size() && !StartsWithNoCase(v.substr(best), "http://") &&
             !StartsWithNoCase(v.substr(best), "https://"))
        ++best;
      if (best == v.size()) return;
      size_t end = best;
      while (end < v.size() && !IsSpace(v[end]) && v[end] != '\'' && v[end] != '"' &&
             v[end] != ')' && v[end] != ';')
        ++end;
      if (out_->urls.size() < kMaxUrls) out_->urls.emplace_back(v.substr(best, end - best));
      i = end;
    }
  }

  // A relative reference against <base href>: enough of RFC 3986 5.2 for matching hosts and
  // paths ("/x" from the authority, "x" and "?q" from the base's path).
  void Resolve(std::string_view rel) {
    if (out_->urls.size() >= kMaxUrls) return;
    std::string_view base = base_;
    size_t scheme_end = base.find("://") + 3;
    size_t path_start = base.find_first_of("/?#", scheme_end);
    if (path_start == std::string_view::npos) path_start = base.size();
    std::string url;
    if (rel.front() == '/' || rel.front() == '\\') {
      url.assign(base.substr(0, path_start));
    } else if (rel.front() == '?') {
      url.assign(base.substr(0, base.find_first_of("?#", path_start)));
    } else {
      size_t end = base.find_first_of("?#", path_start);
      std::string_view path = base.substr(0, end);
      size_t slash = path.rfind('/');
      url.assign(slash != std::string_view::npos && slash >= path_start ? path.substr(0, slash + 1)
                                                                       : path);
      if (slash == std::string_view::npos || slash < path_start) url.push_back('/');
    }
    url.append(rel);
    out_->urls.push_back(std::move(url));
  }

  // "a.jpg 1x, b.jpg 2x": each candidate is a URL up to white space, then descriptors to ','.
  void Srcset(std::string_view v) {
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (IsSpace(v[i]) || v[i] == ',')) ++i;
      size_t start = i;
      while (i < v.size() && !IsSpace(v[i])) ++i;
      std::string_view url = v.substr(start, i - start);
      bool descriptors = true;
      if (!url.empty() && url.back() == ',') {
        while (!url.empty() && url.back() == ',') url.remove_suffix(1);
        descriptors = false;
      }
      if (!url.empty()) Candidate(url);
      if (descriptors) {
        size_t comma = v.find(',', i);
        i = comma == std::string_view::npos ? v.size() : comma + 1;
      }
    }
  }

  void SplitOnSpace(std::string_view v) {
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && IsSpace(v[i])) ++i;
      size_t start = i;
      while (i < v.size() && !IsSpace(v[i])) ++i;
      if (i > start) Candidate(v.substr(start, i - start));
    }
  }

  // url(...) in CSS, quoted or not.
  void CssUrls(std::string_view css) {
    size_t i = 0;
    while (i + 4 <= css.size()) {
      size_t p = i;
      while (p + 4 <= css.size() && !((css[p] == 'u' || css[p] == 'U') &&
                                      StartsWithNoCase(css.substr(p), "url(")))
        ++p;
      if (p + 4 > css.size()) return;
      size_t k = p + 4;
      while (k < css.size() && IsSpace(css[k])) ++k;
      char quote = 0;
      if (k < css.size() && (css[k] == '"' || css[k] == '\'')) quote = css[k++];
      size_t start = k;
      while (k < css.size() && (quote ? css[k] != quote : css[k] != ')')) ++k;
      Candidate(css.substr(start, k - start));
      i = k + 1;
    }
  }

  // <meta http-equiv="refresh" content="0; url='http://...'"> (HTML "shared declarative refresh").
  void MetaRefresh(std::string_view v) {
    size_t i = 0;
    while (i < v.size() && (IsSpace(v[i]) || (v[i] >= '0' && v[i] <= '9') || v[i] == '.')) ++i;
    if (i < v.size() && (v[i] == ';' || v[i] == ',')) ++i;
    while (i < v.size() && IsSpace(v[i])) ++i;
    std::string_view rest = v.substr(i);
    if (StartsWithNoCase(rest, "url")) {
      size_t k = 3;
      while (k < rest.size() && IsSpace(rest[k])) ++k;
      if (k < rest.size() && rest[k] == '=') {
        ++k;
        while (k < rest.size() && IsSpace(rest[k])) ++k;
        rest = rest.substr(k);
      }
    }
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
      size_t close = rest.find(rest.front(), 1);
      rest = rest.substr(1, close == std::string_view::npos ? close : close - 1);
    }
    Candidate(rest);
  }

  // Collapses white space (NBSP included: "&nbsp;" pads most mail) to single spaces.
  void AppendText(const char* text) {
    std::string& out = out_->text;
    for (const char* p = text; *p != '\0'; ++p) {
      const char c = *p;
      if (IsSpace(c) || c == '\v') {
        space_pending_ = true;
      } else if (static_cast<unsigned char>(c) == 0xC2 &&
                 static_cast<unsigned char>(p[1]) == 0xA0) {
        space_pending_ = true;
        ++p;
      } else {
        if (space_pending_ && !out.empty()) out.push_back(' ');
        space_pending_ = false;
        out.push_back(c);
      }
    }
  }

  HtmlContent* out_;
  size_t max_depth_ = 0;
  bool space_pending_ = false;
  std::string base_;
  const bool may_have_base_;
  std::vector<std::string> pending_relative_;  // relative references seen before any <base href>
};

}  // namespace

HtmlContent ExtractHtml(std::string_view html, size_t max_bytes) {
  HtmlContent result;
  if (html.size() > max_bytes) {
    size_t cut = max_bytes;
    // Cut on a UTF-8 character boundary, so the cut adds no replacement character.
    for (int k = 0; k < 3 && cut > 0 && cut < html.size() &&
                    (static_cast<unsigned char>(html[cut]) & 0xC0) == 0x80;
         ++k)
      --cut;
    html = html.substr(0, cut);
    result.truncated = true;
  }
  NestingGuard guard(html);
  std::string_view safe = guard.Run();

  GumboArena arena;  // owns the whole parse tree; never gumbo_destroy_output
  const GumboOptions options = ParserOptions(&arena);
  GumboOutput* parsed = gumbo_parse_with_options(&options, safe.data(), safe.size());
  if (parsed == nullptr || parsed->document == nullptr) return result;
  result.text.reserve(safe.size() / 2);
  Extractor extractor(&result, MayHaveBase(safe));
  extractor.Walk(parsed->document);
  return result;
}

}  // namespace gfi
