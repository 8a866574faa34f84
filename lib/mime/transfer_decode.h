// Content-Transfer-Encoding decoders: base64 and quoted-printable, lenient as mail readers are.
//
// Pure functions; thread-safe. Both run in linear time and never fail: what cannot be decoded is
// skipped (base64) or kept literally (quoted-printable), and counted so the caller can record a
// defect. Output never exceeds `max_out` bytes; `truncated` says when it would have.
#ifndef GFI_MIME_TRANSFER_DECODE_H_
#define GFI_MIME_TRANSFER_DECODE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace gfi {

struct DecodeStats {
  size_t invalid_chars = 0;  // base64: bytes outside the alphabet that were not whitespace
  bool truncated = false;    // output reached max_out
};

// Appends the decoded bytes of base64 `in` to `out`. Whitespace and line breaks anywhere are
// ignored, lines may have any length, padding may be missing; '=' ends a quantum.
DecodeStats DecodeBase64(std::string_view in, std::string* out, size_t max_out = SIZE_MAX);

// Appends the decoded bytes of quoted-printable `in` to `out`: "=XX" (either case), soft line
// breaks ("=" then optional blanks then CRLF or LF), trailing blanks on a line dropped; a "=" that
// starts no valid escape is kept as it is.
DecodeStats DecodeQuotedPrintable(std::string_view in, std::string* out,
                                  size_t max_out = SIZE_MAX);

}  // namespace gfi

#endif  // GFI_MIME_TRANSFER_DECODE_H_
