// Rendering of a MessageAnalysis for gfictl: the JSON contract of product.md and a readable table.
#ifndef GFI_CLI_INSPECT_RENDER_H_
#define GFI_CLI_INSPECT_RENDER_H_

#include <string>
#include <string_view>

#include "extract/analyzer.h"

namespace gfi {

// One line of JSON (no trailing newline) per the `gfictl inspect --json` contract.
std::string InspectJson(std::string_view file, const MessageAnalysis& a);

// A human-readable report, several lines, ending in a newline.
std::string InspectText(std::string_view file, const MessageAnalysis& a);

}  // namespace gfi

#endif  // GFI_CLI_INSPECT_RENDER_H_
