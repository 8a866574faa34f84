// Fuzzes HTML extraction: gumbo behind our nesting guard, the tree walk and the attribute parsers.
// The property is "no crash, no leak, no hang" (sanitizers, libFuzzer timeouts), plus the limit:
// input past max_bytes is reported as truncated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "extract/html.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  gfi::HtmlContent all = gfi::ExtractHtml(html, size);
  if (all.truncated) std::abort();
  gfi::HtmlContent half = gfi::ExtractHtml(html, size / 2);
  if (size > 0 && !half.truncated) std::abort();
  return 0;
}
