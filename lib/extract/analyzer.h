// AnalyzeMessage: raw message + envelope in, everything the matcher needs out — the MIME parts
// with decoded sizes and digests, archive members, the observables with where they were seen,
// decoded text for content rules, and the defects met on the way.
//
// Thread-safe (no shared state); the result is a plain value. Never throws: every problem becomes
// a defect and the rest of the message is still analysed.
#ifndef GFI_EXTRACT_ANALYZER_H_
#define GFI_EXTRACT_ANALYZER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "extract/archive.h"
#include "global/limits.h"
#include "extract/observable.h"
#include "mime/mime_parser.h"
#include "util/deadline.h"
#include "util/digest.h"

namespace gfi {

// What the MTA told us (or the gfictl flags); any field may be empty.
struct Envelope {
  std::string client_ip;
  std::string client_name;
  std::string helo;
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string queue_id;
};

struct PartReport {
  std::string path;
  std::string content_type;
  std::string filename;  // decoded UTF-8; empty when the part has none
  std::string charset;
  std::string transfer_encoding;
  uint64_t size = 0;        // decoded bytes
  bool attachment = false;  // non-text leaf, or a text leaf named or marked "attachment"
  Digests digests;          // attachments only
  std::vector<ArchiveMember> members;
};

// Decoded body text, for regex and literal content rules.
struct TextSegment {
  Where where;       // kBodyText or kBodyHtml (visible text of the HTML)
  std::string path;  // MIME part
  std::string text;  // UTF-8
};

struct MessageAnalysis {
  uint64_t size = 0;  // raw bytes
  std::vector<PartReport> parts;
  std::vector<Observable> observables;  // distinct (type, value, where), in order of discovery
  std::vector<std::string> defects;
  // Subject, header values and texts are decoded (RFC 2047, charsets) and lose the invisible
  // characters a reader does not see (RemoveInvisibleFormatChars), for content rules.
  std::string subject;                  // RFC 2047-decoded
  std::vector<HeaderField> headers;     // top-level fields, values RFC 2047-decoded
  std::vector<TextSegment> texts;
};

MessageAnalysis AnalyzeMessage(std::string_view raw, const Envelope& envelope,
                               const AnalysisLimits& limits);

// The same within a deadline (the scan's [limits] max_scan_ms, see ScanMessage): checked before
// each header field and each MIME entity; once it has passed, defect limit.scan_time names the
// first one left out and the rest of the message is not analysed.
MessageAnalysis AnalyzeMessage(std::string_view raw, const Envelope& envelope,
                               const AnalysisLimits& limits, const Deadline& deadline);

}  // namespace gfi

#endif  // GFI_EXTRACT_ANALYZER_H_
