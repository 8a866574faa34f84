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

#include <algorithm>

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
      if (type == "indicator") ReadIndicator(o, path);
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
  // extension-based definitions) its name; failing all of these, its id.
  void ReadMarking(object o, const std::string& path) {
    std::string_view id, kind, text, name;
    if (GetField(o, "id", &id) != Got::kOk || id.empty()) {
      Error(path + ".id", "a marking-definition needs a string id");
      return;
    }
    std::string label;
    object def;
    if (GetField(o, "definition_type", &kind) == Got::kOk &&
        GetField(o, "definition", &def) == Got::kOk) {
      if (kind == "statement" && GetField(def, "statement", &text) == Got::kOk) {
        label = std::string(text);
      } else if (kind == "tlp" && GetField(def, "tlp", &text) == Got::kOk) {
        std::optional<std::string> tlp = CanonicalTlp(text);
        label = tlp ? *tlp : "TLP:" + AsciiUpper(text);
      }
    }
    if (label.empty() && GetField(o, "name", &name) == Got::kOk && !Trim(name).empty()) {
      std::optional<std::string> tlp = CanonicalTlp(name);
      label = tlp ? *tlp : std::string(name);
    }
    if (label.empty()) label = std::string(id);
    markings_[std::string(id)] = std::move(label);
  }

  static std::string AsciiUpper(std::string_view s) {
    std::string u(s);
    for (char& c : u)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return u;
  }

  std::string LabelOf(std::string_view ref) const {
    for (const KnownMarking& m : kTlpMarkings)
      if (m.id == ref) return std::string(m.label);
    auto it = markings_.find(std::string(ref));
    // An unknown reference (a definition in another file, or none) still says the value is
    // marked: its label is the id itself, which the policy treats as sensitive
    // (IsSensitiveMarking: a marking that does not resolve is never taken as shareable).
    return it == markings_.end() ? std::string(ref) : it->second;
  }

  // Several markings: TLP:RED if present (always withheld); else a custom label if any, since
  // custom statements ("GFI//NOFORN") are how partners restrict handling and only the
  // configuration can say they are sensitive; else the most restrictive TLP level.
  // `refs` may be object_marking_refs (strings) or granular_markings (objects with a
  // marking_ref); a granular marking restricts part of the object, and here the value is the part.
  bool ResolveMarking(array refs, const std::string& path, std::string* out) {
    int best = -1;
    std::string first_custom;
    if (!out->empty()) {  // combine with markings already resolved
      best = TlpRank(*out);
      if (best < 0) first_custom = *out;
    }
    size_t i = 0;
    for (element e : refs) {
      std::string_view ref;
      object granular;
      if (e.get(granular) == simdjson::SUCCESS) {
        if (GetField(granular, "marking_ref", &ref) != Got::kOk) {
          ++i;
          continue;  // language-only granular markings carry no handling restriction
        }
      } else if (e.get(ref) != simdjson::SUCCESS) {
        Error(path + "[" + std::to_string(i) + "]", "expected a marking-definition id");
        return false;
      }
      ++i;
      std::string label = LabelOf(ref);
      int rank = TlpRank(label);
      if (rank > best) best = rank;
      if (rank < 0 && first_custom.empty()) first_custom = std::move(label);
    }
    const int red = TlpRank("TLP:RED");
    if (best == red) *out = std::string(kTlpOrder[red]);
    else if (!first_custom.empty()) *out = first_custom;
    else *out = best >= 0 ? std::string(kTlpOrder[best]) : std::string();
    return true;
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
    {
      std::vector<std::string_view> keys;
      for (auto field : o) keys.push_back(field.key);
      std::sort(keys.begin(), keys.end());
      for (size_t i = 1; i < keys.size(); ++i)
        if (keys[i] == keys[i - 1] && (i == 1 || keys[i - 1] != keys[i - 2]))
          fail(std::string(keys[i]), "the key appears more than once (refused: which one holds "
                                     "is ambiguous)");
    }
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

    array refs;
    if (check(GetField(o, "object_marking_refs", &refs), "object_marking_refs", "an array") &&
        !ResolveMarking(refs, path + ".object_marking_refs", &r.marking))
      ok = false;
    array granular;
    if (check(GetField(o, "granular_markings", &granular), "granular_markings", "an array") &&
        !ResolveMarking(granular, path + ".granular_markings", &r.marking))
      ok = false;

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
    if (!compiled.ok()) {
      // Errors quote the offending value; for a marked indicator (anything beyond TLP:CLEAR and
      // TLP:GREEN) they must not, since errors reach logs and terminals.
      const bool shareable =
          (!has_marking_refs && r.marking.empty()) ||
          (ok && (r.marking == "TLP:CLEAR" || r.marking == "TLP:GREEN"));
      fail("pattern", shareable ? compiled.error()
                                : "invalid pattern (details withheld: marked " + r.marking + ")");
      return;
    }
    if (!compiled.value().unsupported.empty()) {
      Unsupported(path, compiled.value().unsupported);
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

}  // namespace gfi
