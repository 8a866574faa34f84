// What an HTML body yields: the URLs in its attributes and its visible text, via gumbo (a real
// HTML5 parser, so entities and broken markup are read as browsers read them).
//
// Thread-safe; input beyond `max_bytes` is not parsed and is reported in `truncated`.
#ifndef GFI_EXTRACT_HTML_H_
#define GFI_EXTRACT_HTML_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

struct HtmlContent {
  std::vector<std::string> urls;  // raw attribute values (href, src, action, ...), entities decoded
  std::string text;               // visible text, entities decoded, whitespace collapsed
  bool truncated = false;         // input was longer than max_bytes
};

HtmlContent ExtractHtml(std::string_view html, size_t max_bytes);

}  // namespace gfi

#endif  // GFI_EXTRACT_HTML_H_
