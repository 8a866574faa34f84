// Indicators as loaded from feeds, before compilation into an IndicatorSnapshot.
//
// A feed yields Rules. A rule is what an analyst wrote as one indicator (one STIX indicator
// object, one CSV line): an OR of conjunctions, each conjunction an AND of Terms that must all hold
// on the same message. Nearly every rule is a single term. Plain values; copyable.
#ifndef GFI_INDICATORS_INDICATOR_H_
#define GFI_INDICATORS_INDICATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extract/observable.h"

namespace gfi {

// Action and TermKind, with their names: global/vocabulary.h.

// Bit set of Where values a term is restricted to; kAnywhere when the feed did not restrict it.
using WhereMask = uint32_t;
inline constexpr WhereMask kAnywhere = 0xFFFFFFFFu;
inline constexpr WhereMask WhereBit(Where w) { return WhereMask{1} << static_cast<int>(w); }

struct Term {
  TermKind kind;
  std::string value;          // normalised (see each kind); blinded: the 16-byte keyed hash
  std::string header_name;    // kHeaderRegex only, lower-case
  WhereMask where = kAnywhere;
  // From a blinded feed (blind_feed.h): `value` is BlindKey::Hash of the normalised value under
  // the feed's key, never the value itself.
  bool blinded = false;
};

struct Rule {
  std::string id;           // indicator id (STIX id, CSV column, or generated "feed:line")
  std::string feed;         // feed file name
  std::string description;
  std::vector<std::vector<Term>> any_of;  // OR of ANDs
  int64_t valid_from = 0;   // unix seconds; 0 = unset
  int64_t valid_until = 0;  // unix seconds; 0 = unset
  bool revoked = false;
  int64_t modified = 0;     // STIX "modified" (unix seconds); the latest version of an id wins
  int confidence = -1;      // 0..100, -1 unknown
  std::string marking;      // "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", or a custom label
  std::optional<Action> action;
  // The indicator's value for display ("evil.example", or the STIX pattern); shown only when the
  // marking allows.
  std::string display;
  // Read from a blinded feed: always sensitive (the value is not known, `display` is empty; what
  // was observed is withheld unless revealed).
  bool blinded = false;

  // True when the rule may match at `now` (not revoked, within its validity window).
  bool ActiveAt(int64_t now) const {
    if (revoked) return false;
    if (valid_from != 0 && now < valid_from) return false;
    if (valid_until != 0 && now >= valid_until) return false;
    return true;
  }
};

}  // namespace gfi

#endif  // GFI_INDICATORS_INDICATOR_H_
