// Line iteration and error recording shared by the line-oriented feed readers.
#ifndef GFI_INDICATORS_TEXT_FEED_UTIL_H_
#define GFI_INDICATORS_TEXT_FEED_UTIL_H_

#include <string>
#include <string_view>

#include "indicators/feed.h"

namespace gfi {

// Calls fn(line_number, line) for each line (without CR/LF), numbering from 1.
template <typename F>
void ForEachLine(std::string_view text, F&& fn) {
  size_t pos = 0;
  int n = 0;
  // A UTF-8 byte-order mark from spreadsheet exports is not part of the first field.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(++n, line);
    pos = end + 1;
  }
}

inline void AddFeedError(Feed* feed, int line, const std::string& reason) {
  if (feed->errors.size() < kMaxErrorsPerFeed)
    feed->errors.push_back(feed->path + ":" + std::to_string(line) + ": " + reason);
  else if (feed->errors.size() == kMaxErrorsPerFeed)
    feed->errors.push_back(feed->path + ": more errors not shown");
}

}  // namespace gfi

#endif  // GFI_INDICATORS_TEXT_FEED_UTIL_H_
