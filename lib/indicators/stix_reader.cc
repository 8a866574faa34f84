// STIX 2.1 bundles (also a bare array of objects, or one indicator object) into Rules. Only
// indicator and marking-definition objects are read; identities, relationships, malware and the
// like are context a mail filter has no use for. Patterns go through stix_pattern.h (a subset,
// with bounded expansion); at most kMaxErrorsPerFeed errors are kept.
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "indicators/feed.h"
#include "indicators/stix_pattern.h"
#include "util/strings.h"
#include "util/time.h"

namespace gfi {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// The TLP marking-definition ids are fixed by the STIX 2.1 specification (TLP 1.0) and by the
// OASIS TLP 2.0 extension; feeds reference them without defining them.
struct KnownMarking {
  std::string_view id;
  std::string_view label;
};
constexpr KnownMarking kTlpMarkings[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
    // TLP 1.0: WHITE became CLEAR in TLP 2.0 and means the same.
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:CLEAR"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED"},
};

constexpr std::string_view kTlpOrder[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                          "TLP:RED"};

// Restrictiveness of a canonical TLP label; -1 for anything else.
int TlpRank(std::string_view label) {
  for (size_t i = 0; i < std::size(kTlpOrder); ++i)
    if (kTlpOrder[i] == label) return static_cast<int>(i);
  return -1;
}

// "green", "tlp:Amber+Strict", "white" -> canonical TLP 2.0 labels; nullopt for other text.
std::optional<std::string> CanonicalTlp(std::string_view s) {
  std::string u;
  for (char c : Trim(s)) u.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  if (u.rfind("TLP:", 0) == 0) u.erase(0, 4);
  if (u == "WHITE") u = "CLEAR";
  std::string label = "TLP:" + u;
  if (TlpRank(label) < 0) return std::nullopt;
  return label;
}

std::optional<int64_t> Seconds(std::optional<Rfc3339Time> t) {
  if (!t) return std::nullopt;
  return t->seconds;
}

enum class Got { kMissing, kOk, kWrongType };

// An absent property and a JSON null both count as missing.
template <typename T>
Got GetField(object o, std::string_view key, T* out) {
  element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return Got::kMissing;
  return e.get(*out) == simdjson::SUCCESS ? Got::kOk : Got::kWrongType;
}

// The first key `o` holds more than once, if any. JSON leaves a repeated key open and readers
// differ (simdjson's at_key sees the first): an object that has one has no single reading.
std::optional<std::string> DuplicateKey(object o) {
  std::vector<std::string_view> keys;
  for (auto field : o) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  for (size_t i = 1; i < keys.size(); ++i)
    if (keys[i] == keys[i - 1]) return std::string(keys[i]);
  return std::nullopt;
}

constexpr std::string_view kMarkingPrefix = "marking-definition--";

class StixReader {
 public:
  explicit StixReader(Feed* feed) : feed_(feed) {}

  void Read(std::string_view text) {
    simdjson::dom::parser parser;
    element root;
    simdjson::error_code err = parser.parse(text.data(), text.size()).get(root);
    if (err != simdjson::SUCCESS) {
      Add(&feed_->errors, feed_->path + ": invalid JSON: " + simdjson::error_message(err));
      return;
    }
    std::vector<std::pair<element, std::string>> objects;
    array list;
    object single;
    if (root.get(list) == simdjson::SUCCESS) {
      Collect(list, "$", &objects);
    } else if (root.get(single) == simdjson::SUCCESS) {
      // A bundle with "objects" twice would lose one list's indicators (and definitions).
      if (std::optional<std::string> dup = DuplicateKey(single)) {
        Error("$." + *dup, "the key appears more than once (refused: which one holds is ambiguous)");
        return;
      }
      std::string_view type;
      if (GetField(single, "type", &type) == Got::kOk && type == "bundle") {
        switch (GetField(single, "objects", &list)) {
          case Got::kOk:
            Collect(list, "$.objects", &objects);
            break;
          case Got::kWrongType:
            Error("$.objects", "expected an array");
            break;
          case Got::kMissing:
            break;  // an empty bundle is valid STIX
        }
      } else {
        objects.emplace_back(root, "$");
      }
    } else {
      Error("$", "expected a STIX bundle, an array of STIX objects or an indicator object");
      return;
    }
    // Markings first: an indicator may reference a definition that comes later in the bundle.
    for (const auto& [e, path] : objects) {
      object o;
      std::string_view type;
      if (e.get(o) == simdjson::SUCCESS && GetField(o, "type", &type) == Got::kOk &&
          type == "marking-definition")
        ReadMarking(o, path);
    }
    for (const auto& [e, path] : objects) {
      object o;
      if (e.get(o) != simdjson::SUCCESS) {
        Error(path, "expected a STIX object");
        continue;
      }
      std::string_view type;
      Got got = GetField(o, "type", &type);
      if (got != Got::kOk) {
        Error(path + ".type",
              got == Got::kMissing ? "required property is missing" : "expected a string");
        continue;
      }
      if (type == "indicator") {
        ReadIndicator(o, path);
      } else if (DuplicateKey(o) == "type") {
        // {"type":"identity","type":"indicator",...}: another reader would load an indicator.
        Error(path + ".type", "the key appears more than once (refused: which one holds is "
                              "ambiguous)");
      }
    }
  }

 private:
  static void Collect(array list, const std::string& base,
                      std::vector<std::pair<element, std::string>>* out) {
    size_t i = 0;
    for (element e : list) out->emplace_back(e, base + "[" + std::to_string(i++) + "]");
  }

  void Add(std::vector<std::string>* list, std::string message) {
    if (list == &feed_->errors && list->size() >= kMaxErrorsPerFeed) {
      if (list->size() == kMaxErrorsPerFeed)
        list->push_back(feed_->path + ": more errors not shown");
      return;
    }
    list->push_back(std::move(message));
  }
  void Error(const std::string& json_path, const std::string& reason) {
    Add(&feed_->errors, feed_->path + ": " + json_path + ": " + reason);
  }
  void Unsupported(const std::string& json_path, const std::string& reason) {
    Add(&feed_->unsupported, feed_->path + ": " + json_path + ": " + reason);
  }

  // Labels a marking-definition: a statement's text, a TLP level, or (STIX 2.1
  // extension-based definitions) its name. A definition none of these label (a TLP level outside
  // TLP 1.0 and 2.0 included) is not registered, so references to it stay unresolved, hence
  // sensitive; so is one with a key given twice, which is also an error.
  void ReadMarking(object o, const std::string& path) {
    std::string_view id, kind, text, name;
    if (GetField(o, "id", &id) != Got::kOk || id.empty()) {
      Error(path + ".id", "a marking-definition needs a string id");
      return;
    }
    object def;
    const Got got_def = GetField(o, "definition", &def);
    std::optional<std::string> dup = DuplicateKey(o);
    if (!dup && got_def == Got::kOk) {
      dup = DuplicateKey(def);
      if (dup) *dup = "definition." + *dup;
    }
    if (dup) {
      Error(path + "." + *dup, "the key appears more than once (refused: which one holds is "
                               "ambiguous; indicators referencing it are treated as sensitive)");
      return;
    }
    std::string label;
    bool unknown_tlp = false;
    if (GetField(o, "definition_type", &kind) == Got::kOk && got_def == Got::kOk) {
      if (kind == "statement" && GetField(def, "statement", &text) == Got::kOk) {
        label = std::string(text);
      } else if (kind == "tlp" && GetField(def, "tlp", &text) == Got::kOk) {
        std::optional<std::string> tlp = CanonicalTlp(text);
        if (tlp) label = *tlp;
        else unknown_tlp = true;
      }
    }
    if (label.empty() && !unknown_tlp && GetField(o, "name", &name) == Got::kOk &&
        !Trim(name).empty()) {
      std::optional<std::string> tlp = CanonicalTlp(name);
      label = tlp ? *tlp : std::string(name);
    }
    if (label.empty() || Trim(label).empty()) return;  // unresolved: sensitive
    markings_[std::string(id)] = std::move(label);
  }

  static std::string AsciiUpper(std::string_view s) {
    std::string u(s);
    for (char& c : u)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return u;
  }

  // The label of a marking reference, or nullopt when it does not resolve (defined in another
  // file, or nowhere, or by a definition that says nothing usable).
  std::optional<std::string> LabelOf(std::string_view ref) const {
    for (const KnownMarking& m : kTlpMarkings)
      if (m.id == ref) return std::string(m.label);
    auto it = markings_.find(std::string(ref));
    if (it == markings_.end()) return std::nullopt;
    return it->second;
  }

  // Gathers the marking references of `refs`: object_marking_refs (strings) or granular_markings
  // (objects with a marking_ref; one with only a lang carries no handling restriction). A
  // granular marking restricts part of the object, and here the value is the part. Returns false
  // (an error) on a malformed reference.
  bool CollectRefs(array refs, const std::string& path, std::vector<std::string_view>* out) {
    size_t i = 0;
    for (element e : refs) {
      const std::string at = path + "[" + std::to_string(i++) + "]";
      std::string_view ref;
      object granular;
      if (e.get(granular) == simdjson::SUCCESS) {
        if (std::optional<std::string> dup = DuplicateKey(granular)) {
          Error(at + "." + *dup, "the key appears more than once (refused: which one holds is "
                                 "ambiguous)");
          return false;
        }
        const Got got = GetField(granular, "marking_ref", &ref);
        if (got == Got::kMissing) continue;
        if (got == Got::kWrongType) {
          Error(at + ".marking_ref", "expected a marking-definition id");
          return false;
        }
      } else if (e.get(ref) != simdjson::SUCCESS) {
        Error(at, "expected a marking-definition id");
        return false;
      }
      if (ref.rfind(kMarkingPrefix, 0) != 0 || ref.size() == kMarkingPrefix.size()) {
        Error(at, "expected a marking-definition id (marking-definition--UUID)");
        return false;
      }
      out->push_back(ref);
    }
    return true;
  }

  // One marking for several references, strictest first, whatever their order: TLP:RED if
  // any; else a reference that does not resolve (the smallest such id is the label, which
  // IsSensitiveMarking always takes as sensitive: nobody can say it is shareable); else the
  // custom label (a statement such as "GFI//NOFORN" or a named definition: only the
  // configuration can say whether it is sensitive, and it restricts handling more than any TLP
  // level but RED) — but two different custom labels have no one label the configuration could
  // judge, so the smallest of their ids stands for them, sensitive like an unresolved one; else
  // the most restrictive TLP level. Empty when there is no reference.
  std::string ResolveMarking(const std::vector<std::string_view>& refs) const {
    int best = -1;
    std::string unresolved, custom, custom_id;
    bool several_custom = false;
    for (std::string_view ref : refs) {
      std::optional<std::string> label = LabelOf(ref);
      if (!label) {
        if (unresolved.empty() || ref < unresolved) unresolved = std::string(ref);
        continue;
      }
      const int rank = TlpRank(*label);
      if (rank > best) best = rank;
      if (rank >= 0) continue;
      if (custom_id.empty() || ref < custom_id) custom_id = std::string(ref);
      if (custom.empty()) custom = std::move(*label);
      else if (*label != custom) several_custom = true;
    }
    const int red = TlpRank("TLP:RED");
    if (best == red) return std::string(kTlpOrder[red]);
    if (!unresolved.empty()) return unresolved;
    if (several_custom) return custom_id;
    if (!custom.empty()) return custom;
    return best >= 0 ? std::string(kTlpOrder[best]) : std::string();
  }

  void ReadIndicator(object o, const std::string& path) {
    Rule r;
    r.feed = feed_->name;
    bool ok = true;
    auto fail = [&](const std::string& field, const std::string& reason) {
      Error(path + "." + field, reason);
      ok = false;
    };
    auto check = [&](Got got, const std::string& field, const std::string& type) {
      if (got == Got::kWrongType) fail(field, "expected " + type);
      return got == Got::kOk;
    };

    // A key given twice ("object_marking_refs": [] and then a TLP:RED list) has no one reading:
    // JSON leaves it open and readers differ (we would see the first). The object is refused.
    if (std::optional<std::string> dup = DuplicateKey(o))
      fail(*dup, "the key appears more than once (refused: which one holds is ambiguous)");
    // Whether the object carries any marking reference at all, well-formed or not: errors then
    // never quote its values.
    const bool has_marking_refs = o.at_key("object_marking_refs").error() == simdjson::SUCCESS ||
                                  o.at_key("granular_markings").error() == simdjson::SUCCESS;

    std::string_view s;
    Got got = GetField(o, "id", &s);
    if (got == Got::kMissing || (got == Got::kOk && s.empty()))
      fail("id", "required property is missing");
    else if (check(got, "id", "a string"))
      r.id = std::string(s);

    std::string_view name, description;
    if (check(GetField(o, "name", &name), "name", "a string")) r.description = std::string(name);
    if (check(GetField(o, "description", &description), "description", "a string") &&
        r.description.empty())
      r.description = std::string(description);

    for (const char* field : {"valid_from", "valid_until"}) {
      if (!check(GetField(o, field, &s), field, "an RFC 3339 timestamp string")) continue;
      std::optional<int64_t> t = Seconds(ParseRfc3339(s));
      if (!t) {
        fail(field, "bad timestamp '" + std::string(s) + "' (expected RFC 3339, e.g. " +
                        "2026-01-01T00:00:00Z)");
        continue;
      }
      (std::string_view(field) == "valid_from" ? r.valid_from : r.valid_until) = *t;
    }
    if (check(GetField(o, "modified", &s), "modified", "an RFC 3339 timestamp string")) {
      if (std::optional<int64_t> t = Seconds(ParseRfc3339(s))) r.modified = *t;
      else fail("modified", "bad timestamp '" + std::string(s) + "'");
    }
    if (r.valid_from != 0 && r.valid_until != 0 && r.valid_until <= r.valid_from)
      fail("valid_until", "must be later than valid_from");

    bool revoked;
    if (check(GetField(o, "revoked", &revoked), "revoked", "true or false")) r.revoked = revoked;

    element conf;
    if (o.at_key("confidence").get(conf) == simdjson::SUCCESS && !conf.is_null()) {
      int64_t c;
      if (conf.get(c) != simdjson::SUCCESS || c < 0 || c > 100)
        fail("confidence", "expected an integer from 0 to 100");
      else
        r.confidence = static_cast<int>(c);
    }

    std::vector<std::string_view> marking_refs;
    array refs;
    if (check(GetField(o, "object_marking_refs", &refs), "object_marking_refs", "an array") &&
        !CollectRefs(refs, path + ".object_marking_refs", &marking_refs))
      ok = false;
    array granular;
    if (check(GetField(o, "granular_markings", &granular), "granular_markings", "an array") &&
        !CollectRefs(granular, path + ".granular_markings", &marking_refs))
      ok = false;
    r.marking = ResolveMarking(marking_refs);

    if (check(GetField(o, "x_gfi_action", &s), "x_gfi_action", "a string")) {
      r.action = ParseAction(AsciiLowered(s));
      if (!r.action)
        fail("x_gfi_action", "unknown action '" + std::string(s) +
                                 "' (accept, tag, quarantine, tempfail, reject, discard)");
    }

    std::string_view pattern_type = "stix";  // STIX 2.0 had no pattern_type
    check(GetField(o, "pattern_type", &pattern_type), "pattern_type", "a string");
    std::string_view pattern;
    got = GetField(o, "pattern", &pattern);
    if (got == Got::kMissing) fail("pattern", "required property is missing");
    if (!check(got, "pattern", "a string")) return;
    r.display = std::string(pattern);

    if (pattern_type != "stix") {
      Unsupported(path, "pattern_type '" + std::string(pattern_type) + "' is not supported");
      return;
    }
    Result<CompiledPattern> compiled = CompileStixPattern(pattern);
    // Errors and unsupported reasons quote the offending value (a literal, a regex fragment).
    // The reader cannot know which markings the configuration treats as sensitive, so for an
    // object with any marking reference, well-formed or not, they never do: errors reach logs
    // and terminals.
    // (Not even the marking: a custom statement is arbitrary text, long or not printable.)
    const std::string withheld = "(details withheld: the indicator carries marking references)";
    if (!compiled.ok()) {
      fail("pattern", has_marking_refs ? "invalid pattern " + withheld : compiled.error());
      return;
    }
    if (!compiled.value().unsupported.empty()) {
      Unsupported(path, has_marking_refs ? "pattern outside the supported subset " + withheld
                                         : compiled.value().unsupported);
      return;
    }
    if (!ok) return;
    r.any_of = std::move(compiled).value().any_of;
    // A plain equality shows as its value ("evil.example"), like CSV and Zeek indicators; anything
    // richer (AND, OR, regexes, prefixes) shows as the pattern the analyst wrote.
    if (r.any_of.size() == 1 && r.any_of[0].size() == 1) {
      const Term& t = r.any_of[0][0];
      switch (t.kind) {
        case TermKind::kIp:
        case TermKind::kDomain:
        case TermKind::kEmail:
        case TermKind::kUrl:
        case TermKind::kMd5:
        case TermKind::kSha1:
        case TermKind::kSha256:
        case TermKind::kFilename:
          r.display = t.value;
          break;
        default:
          break;
      }
    }
    feed_->rules.push_back(std::move(r));
  }

  Feed* feed_;
  std::unordered_map<std::string, std::string> markings_;  // bundle's definitions: id -> label
};

}  // namespace

void ParseStixBundle(std::string_view text, Feed* feed) {
  // simdjson's DOM and our containers allocate; an allocation failure on a huge feed must end as
  // an error on this feed, not as an exception through the loader.
  try {
    StixReader(feed).Read(text);
  } catch (const std::exception& e) {
    feed->errors.push_back(feed->path + ": cannot read STIX bundle: " + e.what());
  }
}

int TlpMarkingRank(std::string_view label) { return TlpRank(label); }

}  // namespace gfi
