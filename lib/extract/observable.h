// Observables: what the engine saw in a message (type, value, where), the unit indicators match.
//
// Values are normalised by the extractor: hosts lower-case, IDNs in punycode, no trailing dot;
// e-mail addresses with a lower-case domain part; hashes lower-case hex. Plain values; copyable.
#ifndef GFI_EXTRACT_OBSERVABLE_H_
#define GFI_EXTRACT_OBSERVABLE_H_

#include <optional>
#include <string>
#include <string_view>

#include "global/vocabulary.h"

namespace gfi {

// ObservableType and Where, with their names: global/vocabulary.h.

struct Observable {
  ObservableType type;
  std::string value;
  Where where;

  friend bool operator==(const Observable&, const Observable&) = default;
};

}  // namespace gfi

#endif  // GFI_EXTRACT_OBSERVABLE_H_
