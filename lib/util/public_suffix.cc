// Public suffix look-ups; see public_suffix.h. psl_latest() reads the newest list the system has
// (Debian's publicsuffix package) and falls back to the one built into libpsl.
#include "util/public_suffix.h"

#include <libpsl.h>

namespace gfi {
namespace {

const psl_ctx_t* Psl() {
  static const psl_ctx_t* const kPsl = psl_latest(nullptr);
  return kPsl;
}

}  // namespace

bool IsPublicSuffix(const std::string& host) {
  const psl_ctx_t* const kPsl = Psl();
  if (kPsl == nullptr || host.empty()) return false;
  // PSL_TYPE_NO_STAR_RULE: the implicit "*" rule would make every unknown TLD's second level a
  // suffix; only listed suffixes count.
  return psl_is_public_suffix2(kPsl, host.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

size_t RegistrableDomainOffset(const std::string& host) {
  if (host.empty()) return std::string::npos;
  const psl_ctx_t* const psl = Psl();
  if (psl == nullptr) {
    size_t dot = host.rfind('.');
    return dot == std::string::npos ? 0 : dot + 1;
  }
  const char* r = psl_registrable_domain(psl, host.c_str());
  if (r == nullptr) return std::string::npos;
  return static_cast<size_t>(r - host.c_str());
}

}  // namespace gfi
