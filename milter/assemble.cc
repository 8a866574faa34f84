// The milter input path; see assemble.h. No libmilter here: the fuzzer links this file alone.
#include "milter/assemble.h"

namespace gfi {

std::string EnvelopeAddress(const char* arg) {
  std::string_view a = arg != nullptr ? arg : "";
  while (!a.empty() && (a.front() == '<' || a.front() == ' ')) a.remove_prefix(1);
  while (!a.empty() && (a.back() == '>' || a.back() == ' ')) a.remove_suffix(1);
  return std::string(a);
}

void AppendHeaderLine(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    if (c == '\n') {
      out->append("\r\n");
      continue;
    }
    out->push_back(c);
  }
  out->append("\r\n");
}

Status MessageAssembly::Header(const char* name, const char* value) {
  std::string line;
  AppendHeaderLine(&line, name != nullptr ? name : "", value != nullptr ? value : "");
  return spool.Append(line);
}

Status MessageAssembly::Body(const unsigned char* chunk, size_t len) {
  if (chunk == nullptr || len == 0) return Status::Ok();
  return spool.Append(std::string_view(reinterpret_cast<const char*>(chunk), len));
}

Result<std::string_view> MessageAssembly::Message() {
  if (spool.oversize())
    return Status::Error("message larger than [milter] max_message_bytes (" +
                         std::to_string(max_bytes) + "), not scanned");
  return spool.View();
}

}  // namespace gfi
