// Fuzzes URL discovery, normalisation and redirect unwrapping on arbitrary text. Besides "no
// crash, no leak, no hang", it checks two properties: every span found lies inside the input, and
// normalisation is idempotent (a normalised URL normalises to itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "extract/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view raw : gfi::FindUrlsInText(text, 64)) {
    if (raw.empty() || raw.data() < text.data() || raw.data() + raw.size() > text.data() + size)
      std::abort();
    auto url = gfi::NormalizeUrl(raw);
    if (!url) continue;
    auto again = gfi::NormalizeUrl(url->url);
    if (!again || again->url != url->url || again->host != url->host) std::abort();
    for (const std::string& inner : gfi::UnwrapRedirects(*url)) gfi::NormalizeUrl(inner);
  }
  // The whole input as one URL and as one host, as indicator feeds hand them over.
  if (auto url = gfi::NormalizeUrl(text)) gfi::UnwrapRedirects(*url);
  gfi::NormalizeHost(text);
  return 0;
}
