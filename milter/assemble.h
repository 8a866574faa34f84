// The milter adapter's input path, without libmilter: what the callbacks receive (the arguments
// of MAIL FROM and RCPT TO, header names and values, body chunks, the macros {i} and {j}) turned
// into what the engine scans — an Envelope and the message bytes (the header block rebuilt from
// the header callbacks, CRLF-terminated, a blank line, then the body as the MTA sent it).
//
// filter.cc calls these from its callbacks; fuzz/milter_fuzz.cc drives the same functions with
// arbitrary callback data. Pure functions and a plain struct: thread-compatible (one
// MessageAssembly per message, as libmilter runs one thread per connection).
#ifndef GFI_MILTER_ASSEMBLE_H_
#define GFI_MILTER_ASSEMBLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "extract/analyzer.h"
#include "milter/spool.h"
#include "util/status.h"

namespace gfi {

// The address of a MAIL FROM or RCPT TO argument as libmilter hands it ("<a@b>", " <a@b> ", "<>"):
// blanks and angle brackets around it removed. Null (no argument) gives "".
std::string EnvelopeAddress(const char* arg);

// Appends "Name: value\r\n" to `out`, each LF or CRLF between folded lines (libmilter passes
// them as the MTA has them) as CRLF, so the engine reads one line ending throughout.
void AppendHeaderLine(std::string* out, std::string_view name, std::string_view value);

// One message while it arrives: the envelope and the spooled bytes.
struct MessageAssembly {
  MessageAssembly(std::string spool_dir, uint64_t memory_limit, uint64_t max_message_bytes)
      : spool(std::move(spool_dir), memory_limit, max_message_bytes),
        max_bytes(max_message_bytes) {}

  Envelope env;
  Spool spool;
  uint64_t max_bytes;

  // Each is one callback's data; an error (the spool's) is sticky and ends the message.
  Status Header(const char* name, const char* value);  // null name or value: empty
  Status EndOfHeaders() { return spool.Append("\r\n"); }
  Status Body(const unsigned char* chunk, size_t len);

  // The whole message for ScanMessage; an error when it went past [milter] max_message_bytes
  // (it cannot be scanned whole) or the spool failed.
  Result<std::string_view> Message();
};

}  // namespace gfi

#endif  // GFI_MILTER_ASSEMBLE_H_
