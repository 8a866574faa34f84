// Fuzzes STIX marking resolution (indicators/stix_reader.cc) with bundles built from the input:
// marking-definitions of every kind (statements with arbitrary text, TLP levels real and not,
// names, none, keys given twice), and an indicator whose object_marking_refs and
// granular_markings reference TLP 1.0 and 2.0 ids, those definitions, undefined ids and malformed
// values. Checked, beyond no crash/leak/hang: a TLP:RED reference always gives TLP:RED; an
// unresolved one (and no RED) always gives a sensitive marking; only TLP references give the most
// restrictive TLP level; the order of references does not matter; and no error or unsupported
// message of a marked indicator quotes its pattern.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "indicators/feed.h"
#include "policy/policy.h"

namespace {

struct Tlp {
  const char* id;
  int rank;  // 0 CLEAR .. 4 RED
};
constexpr Tlp kTlp[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", 0},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", 1},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", 2},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", 3},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", 4},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", 0},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", 1},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", 2},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", 4},
};
constexpr const char* kTlpLabel[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                     "TLP:RED"};
constexpr const char* kLevels[] = {"clear", "white", "green", "amber", "AMBER+STRICT", "red",
                                   "Red", "purple", "", "tlp:red"};
constexpr const char* kCanary = "canary-7f3a9e";

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

struct Ref {
  std::string json;  // as it appears in the array
  enum Kind { kTlpRef, kDefined, kUndefined, kMalformed } kind;
  int tlp = -1;     // kTlpRef: rank
  bool granular = false;
};

gfi::Feed Parse(const std::vector<std::string>& defs, const std::vector<Ref>& refs,
                const std::string& pattern) {
  std::string object_refs, granular;
  for (const Ref& r : refs) {
    std::string& list = r.granular ? granular : object_refs;
    if (!list.empty()) list += ",";
    list += r.granular ? "{\"selectors\":[\"pattern\"],\"marking_ref\":" + r.json + "}" : r.json;
  }
  std::string ind = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--f\","
                    "\"pattern_type\":\"stix\",\"pattern\":" + Json(pattern);
  if (!object_refs.empty()) ind += ",\"object_marking_refs\":[" + object_refs + "]";
  if (!granular.empty()) ind += ",\"granular_markings\":[" + granular + "]";
  ind += "}";
  std::string bundle = "{\"type\":\"bundle\",\"id\":\"bundle--f\",\"objects\":[" + ind;
  for (const std::string& d : defs) bundle += "," + d;
  bundle += "]}";
  gfi::Feed f;
  f.path = f.name = "fuzz.json";
  gfi::ParseStixBundle(bundle, &f);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // Up to four definitions in the bundle, marking-definition--d0..d3; some ids stay undefined.
  std::vector<std::string> defs;
  bool defined[4] = {false, false, false, false};
  const int n_defs = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < n_defs; ++i) {
    const int slot = in.ConsumeIntegralInRange<int>(0, 3);
    std::string d = "{\"type\":\"marking-definition\",\"id\":\"marking-definition--d" +
                    std::to_string(slot) + "\"";
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
        d += ",\"definition_type\":\"statement\",\"definition\":{\"statement\":" +
             Json(in.ConsumeRandomLengthString(64)) + "}";
        break;
      case 1:
        d += ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":" +
             Json(kLevels[in.ConsumeIntegralInRange<size_t>(0, std::size(kLevels) - 1)]) + "}";
        break;
      case 2:
        d += ",\"name\":" + Json(in.ConsumeRandomLengthString(32));
        break;
      case 3:  // a key twice: refused, references to it stay unresolved
        d += ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"clear\",\"tlp\":\"red\"}";
        break;
      default:
        break;  // nothing usable
    }
    defs.push_back(d + "}");
    defined[slot] = true;
  }
  std::vector<Ref> refs;
  const int n_refs = in.ConsumeIntegralInRange<int>(0, 6);
  for (int i = 0; i < n_refs; ++i) {
    Ref r;
    r.granular = in.ConsumeBool();
    const int pick = in.ConsumeIntegralInRange<int>(0, 15);
    if (pick < 9) {
      r.kind = Ref::kTlpRef;
      r.json = Json(kTlp[pick].id);
      r.tlp = kTlp[pick].rank;
    } else if (pick < 13) {
      const int slot = pick - 9;
      r.kind = defined[slot] ? Ref::kDefined : Ref::kUndefined;
      r.json = Json("marking-definition--d" + std::to_string(slot));
    } else if (pick == 13) {
      r.kind = Ref::kUndefined;
      r.json = Json("marking-definition--elsewhere-" + std::to_string(i));
    } else {
      r.kind = Ref::kMalformed;
      r.json = in.ConsumeBool() ? "7" : Json(in.ConsumeRandomLengthString(16));
    }
    refs.push_back(r);
  }
  // A pattern that compiles, one that does not, or one outside the subset; each quotes the canary.
  static const std::string kPatterns[] = {
      std::string("[domain-name:value = '") + kCanary + ".example']",
      std::string("[ipv4-addr:value = '") + kCanary + "']",
      std::string("[email-message:subject MATCHES '(?P<") + kCanary + ">x)']",
  };
  const std::string& pattern = kPatterns[in.ConsumeIntegralInRange<int>(0, 2)];

  gfi::Feed f = Parse(defs, refs, pattern);
  if (!refs.empty()) {
    for (const std::string& e : f.errors)
      if (e.find(kCanary) != std::string::npos) std::abort();
    for (const std::string& u : f.unsupported)
      if (u.find(kCanary) != std::string::npos) std::abort();
  }
  if (f.rules.empty()) return 0;
  if (f.rules.size() != 1) std::abort();
  const std::string& marking = f.rules[0].marking;
  bool red = false, unresolved = false, only_tlp = true;
  int best = -1;
  for (const Ref& r : refs) {
    if (r.kind == Ref::kMalformed) std::abort();  // a malformed reference refuses the indicator
    if (r.kind == Ref::kTlpRef) {
      red = red || r.tlp == 4;
      best = std::max(best, r.tlp);
    } else {
      only_tlp = false;
      unresolved = unresolved || r.kind == Ref::kUndefined;
    }
  }
  gfi::PolicySettings none;
  none.sensitive_markings = {};
  if (red && marking != "TLP:RED") std::abort();
  // (A definition in the bundle may itself say TLP:RED, the strictest reading of all.)
  if (!red && unresolved && marking != "TLP:RED" && !gfi::IsSensitiveMarking(none, marking))
    std::abort();
  if (only_tlp && (best < 0 ? !marking.empty() : marking != kTlpLabel[best])) std::abort();
  // The same references in the opposite order: the same marking.
  std::vector<Ref> reversed(refs.rbegin(), refs.rend());
  gfi::Feed g = Parse(defs, reversed, pattern);
  if (g.rules.size() != 1 || g.rules[0].marking != marking) std::abort();
  return 0;
}
