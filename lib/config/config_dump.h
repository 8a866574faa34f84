// The effective configuration as `section.key = value` lines (TOML values), for
// `gfictl config show` — what postconf(1) is to Postfix. Every key gfi-milter.toml(5) documents is
// listed, defaults included; [[tenant]] and [[policy.rule]] tables appear as tenant.N.key and
// policy.rule.N.key (N from 0, in file order).
#ifndef GFI_CONFIG_CONFIG_DUMP_H_
#define GFI_CONFIG_CONFIG_DUMP_H_

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace gfi {

struct ConfigLine {
  std::string key;    // "milter.socket", "tenant.0.name"
  std::string value;  // TOML: "\"unix:/run/...\"", "30", "true", "[\"a\", \"b\"]", "{ k = \"v\" }"
  std::string
      table;  // the key as LenientConfig::keys_set names it ("tenant.name" for tenant.0.name)
};

// In the order of gfi-milter.toml(5).
std::vector<ConfigLine> DescribeConfig(const Config& c);

}  // namespace gfi

#endif  // GFI_CONFIG_CONFIG_DUMP_H_
