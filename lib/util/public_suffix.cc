// Public suffix look-ups; see public_suffix.h. psl_latest() reads the newest list the system has
// (Debian's publicsuffix package) and falls back to the one built into libpsl.
#include "util/public_suffix.h"

#include <libpsl.h>

namespace gfi {

bool IsPublicSuffix(const std::string& host) {
  static const psl_ctx_t* const kPsl = psl_latest(nullptr);
  if (kPsl == nullptr || host.empty()) return false;
  // PSL_TYPE_NO_STAR_RULE: the implicit "*" rule would make every unknown TLD's second level a
  // suffix; only listed suffixes count.
  return psl_is_public_suffix2(kPsl, host.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

}  // namespace gfi
