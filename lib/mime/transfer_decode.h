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
  // base64: an alphabet character follows a '=' (as in "QUI=REVG" or "QQ==QUJD"), where readers
  // disagree; DecodeBase64StopAtPadding then gives the other reading.
  bool data_after_padding = false;
};

// Appends the decoded bytes of base64 `in` to `out`. Whitespace and line breaks anywhere are
// ignored, lines may have any length, padding may be missing; '=' ends a quantum.
DecodeStats DecodeBase64(std::string_view in, std::string* out, size_t max_out = SIZE_MAX);

// Base64 as Python's email reads it (binascii.a2b_base64 in non-strict mode, CPython 3.11 and
// 3.12): characters outside the alphabet are skipped, a '=' before the third character of a
// quantum is ignored, and padding that completes a quantum ends the data: "QUI=REVG" is "AB" here
// and "ABDEF" for DecodeBase64 (and for Python 3.13). Only worth calling when DecodeBase64 reported
// data_after_padding; the two readings agree otherwise. Same contract for `out` and `max_out`.
DecodeStats DecodeBase64StopAtPadding(std::string_view in, std::string* out,
                                      size_t max_out = SIZE_MAX);

// Appends the decoded bytes of quoted-printable `in` to `out`: "=XX" (either case), soft line
// breaks ("=" then optional blanks then CRLF, LF or a bare CR), trailing blanks on a line
// dropped; a "=" that starts no valid escape is kept as it is.
DecodeStats DecodeQuotedPrintable(std::string_view in, std::string* out,
                                  size_t max_out = SIZE_MAX);

}  // namespace gfi

#endif  // GFI_MIME_TRANSFER_DECODE_H_
