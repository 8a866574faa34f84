// The MIME structure of a message, read with mimetic behind this interface.
//
// ParseMime never throws and never loses content: when the structure cannot be read (mimetic threw,
// a limit was hit) the rest of the message is still returned as a text leaf and a defect names what
// happened and where. Results are plain values; the function is thread-safe.
//
// Lines end at LF, CRLF and also at a bare CR, as Python's email package reads them (see
// ReadMessage in the .cc for why); leaf bodies keep their bytes as written.
#ifndef GFI_MIME_MIME_PARSER_H_
#define GFI_MIME_MIME_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "global/limits.h"
#include "mime/header_decode.h"

namespace gfi {

struct HeaderField {
  std::string name;   // as written (case preserved)
  std::string value;  // unfolded, raw (RFC 2047 words not decoded), leading blanks dropped
};

struct MimePart {
  // IMAP-style section number: "1", "1.2", "2.1" (inside an attached message). Containers that are
  // not listed in reports (the top multipart, a message/rfc822 wrapper's inner root) may share
  // their path with their parent.
  std::string path;
  int depth = 0;  // 0 for the top entity; +1 per multipart or message/rfc822 level
  std::vector<HeaderField> headers;
  MediaParams content_type;  // .value defaulted: "text/plain", or "message/rfc822" in a digest
  bool content_type_given = false;
  MediaParams disposition;         // .value "" when there is no Content-Disposition
  std::string transfer_encoding;   // lower-case; "7bit" when absent
  std::string filename;            // decoded UTF-8: disposition filename, else type's name
  std::string body;                // leaves: the still-encoded body; containers: empty
  std::vector<MimePart> children;  // multipart: the parts; message/rfc822: one inner message

  bool IsMultipart() const { return content_type.value.rfind("multipart/", 0) == 0; }
  bool IsMessage() const { return content_type.value == "message/rfc822" && !children.empty(); }
  // A leaf carries a body: no children (a multipart that could not be split is a leaf too).
  bool IsLeaf() const { return children.empty(); }
  // The first header field with this name (case-insensitive), or nullptr.
  const HeaderField* Header(std::string_view name) const;
};

struct ParsedMessage {
  MimePart root;
  std::vector<std::string> defects;  // "code at PATH: detail"
  size_t part_count = 0;
};

ParsedMessage ParseMime(std::string_view raw, const AnalysisLimits& limits);

}  // namespace gfi

#endif  // GFI_MIME_MIME_PARSER_H_
