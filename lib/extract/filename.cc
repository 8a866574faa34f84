// Windows' reading of a file name: what it cuts (NUL) and what it drops (trailing dots, spaces).
// Names are short; each form costs one copy.
#include "extract/filename.h"


namespace gfi {
namespace {

std::string_view TrimTrailingDotsAndSpaces(std::string_view s) {
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

}  // namespace

void FilenameMatchForms(std::string_view name, std::vector<std::string>* out) {
  const size_t nul = name.find('\0');
  std::string_view cut = TrimTrailingDotsAndSpaces(name.substr(0, nul));
  if (!cut.empty()) out->emplace_back(cut);
  if (nul == std::string_view::npos) return;
  std::string dropped;
  dropped.reserve(name.size());
  for (char c : name)
    if (c != '\0') dropped.push_back(c);
  std::string_view d = TrimTrailingDotsAndSpaces(dropped);
  if (!d.empty() && d != cut) out->emplace_back(d);
}

}  // namespace gfi
