// uuencoded files inside text ("begin 644 name" ... "end"), which Outlook and Thunderbird still
// show as attachments, so an attacker can use them to carry a file past MIME-only scanners.
//
// Pure function; thread-safe; one linear pass over the text.
#ifndef GFI_MIME_UUENCODE_H_
#define GFI_MIME_UUENCODE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

struct UuFile {
  std::string name;  // as written after the mode
  std::string data;  // decoded bytes
  bool truncated = false;  // no "end" line, or max_bytes reached
};

// Every uuencoded block in `text`, at most `max_files`, decoding at most `max_bytes` in all.
std::vector<UuFile> FindUuencoded(std::string_view text, size_t max_files, size_t max_bytes);

}  // namespace gfi

#endif  // GFI_MIME_UUENCODE_H_
