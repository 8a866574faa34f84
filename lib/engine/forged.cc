// Forged-header rule and authserv-id; see forged.h. The header block is walked line by line with
// no copy of the message; a line starting with a space or tab continues the header before it.
#include "engine/forged.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "util/strings.h"

namespace gfi {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Calls `header(name, value, begin, end)` for each header of the block, [begin, end) being its
// bytes (continuation lines included) in `message`. Returns the offset where the body starts (the
// empty line included in neither).
size_t ForEachHeader(
    std::string_view message,
    const std::function<void(std::string_view, std::string_view, size_t, size_t)>& header) {
  size_t pos = 0;
  size_t start = std::string_view::npos;  // of the header being read
  std::string_view name, value;
  auto flush = [&](size_t end) {
    if (start != std::string_view::npos) header(name, value, start, end);
    start = std::string_view::npos;
  };
  while (pos < message.size()) {
    size_t nl = message.find('\n', pos);
    size_t end = nl == std::string_view::npos ? message.size() : nl + 1;
    std::string_view line = message.substr(pos, end - pos);
    std::string_view bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
    if (bare.empty()) {
      flush(pos);
      return pos;
    }
    if (line[0] != ' ' && line[0] != '\t') {
      flush(pos);
      size_t colon = bare.find(':');
      name = colon == std::string_view::npos ? bare : bare.substr(0, colon);
      value = colon == std::string_view::npos ? "" : bare.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      start = pos;
    } else if (start != std::string_view::npos && value.empty()) {
      // "Name:" alone on its line: the value starts on the continuation (a folded authserv-id).
      value = bare;
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    }
    pos = end;
  }
  flush(pos);
  return pos;
}

}  // namespace

std::string LocalHostName() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') return name;
  return "localhost";
}

std::string AuthservId(const MilterConfig& milter, std::string_view mta_host) {
  if (!milter.authserv_id.empty()) return milter.authserv_id;
  if (!mta_host.empty()) return std::string(mta_host);
  return LocalHostName();
}

std::vector<std::string> PossibleAuthservIds(const MilterConfig& milter,
                                             std::string_view postfix_myhostname) {
  std::vector<std::string> ids;
  const std::string host = LocalHostName();  // must outlive the loop: the list holds views
  for (std::string_view id : {std::string_view(milter.authserv_id), postfix_myhostname,
                              std::string_view(host)}) {
    if (id.empty()) continue;
    if (std::none_of(ids.begin(), ids.end(),
                     [&](const std::string& have) { return EqualsIgnoreCase(have, id); }))
      ids.emplace_back(id);
  }
  return ids;
}

bool IsForgedHeader(std::string_view name, std::string_view value,
                    const std::vector<std::string>& authserv_ids) {
  if (EqualsIgnoreCase(name, kVerdictHeader) || EqualsIgnoreCase(name, kMatchHeader)) return true;
  if (!EqualsIgnoreCase(name, "Authentication-Results")) return false;
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  for (const std::string& id : authserv_ids) {
    if (id.empty() || value.size() < id.size()) continue;
    if (!EqualsIgnoreCase(value.substr(0, id.size()), id)) continue;
    if (value.size() == id.size()) return true;
    char next = value[id.size()];
    if (next == ';' || next == ' ' || next == '\t' || next == '\r' || next == '\n') return true;
  }
  return false;
}

std::vector<HeaderRef> FindForgedHeaders(std::string_view message,
                                         const std::vector<std::string>& authserv_ids) {
  std::vector<HeaderRef> out;
  std::map<std::string, int> counts;  // lower-case name -> occurrences so far
  ForEachHeader(message, [&](std::string_view name, std::string_view value, size_t, size_t) {
    int index = ++counts[Lower(name)];
    if (IsForgedHeader(name, value, authserv_ids)) out.push_back({std::string(name), index});
  });
  return out;
}

std::string StripForgedHeaders(std::string_view message,
                               const std::vector<std::string>& authserv_ids) {
  std::string out;
  out.reserve(message.size());
  size_t body = ForEachHeader(
      message, [&](std::string_view name, std::string_view value, size_t begin, size_t end) {
        if (!IsForgedHeader(name, value, authserv_ids))
          out.append(message.substr(begin, end - begin));
      });
  out.append(message.substr(body));
  return out;
}

}  // namespace gfi
