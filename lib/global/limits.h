// Limits on what one message may make the engine do. Each is an explicit option (as Postfix's
// header_size_limit and mime_nesting_limit); reaching one records a defect the policy can see, and
// what was read up to that point is still reported.
#ifndef GFI_GLOBAL_LIMITS_H_
#define GFI_GLOBAL_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace gfi {

struct AnalysisLimits {
  size_t max_header_bytes = 1 << 20;         // all header fields of one entity together
  size_t max_parts = 1000;                   // MIME entities in one message
  int max_nesting = 20;                      // multipart / message/rfc822 depth
  uint64_t max_decoded_bytes = 64ull << 20;  // decoded body bytes in one message, all parts
  int max_archive_depth = 3;                 // archives inside archives
  size_t max_archive_members = 1000;         // members read, all archives of a message together
  uint64_t max_archive_bytes = 256ull << 20; // bytes expanded from archives, whole message
  uint32_t max_archive_ratio = 100;          // expanded bytes per compressed byte, per member
  size_t max_urls = 10000;                   // distinct URLs reported per message
  size_t max_html_bytes = 8ull << 20;        // HTML handed to the HTML parser, per part
  uint64_t max_regex_bytes = 16ull << 20;    // text handed to regex rules, whole message (each
                                             // text once per group of regexes it is matched by)
  uint32_t max_scan_ms = 2000;               // wall-clock time of one message's analysis and
                                             // matching, checked between steps
};

}  // namespace gfi

#endif  // GFI_GLOBAL_LIMITS_H_
