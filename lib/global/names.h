// Name tables for the project's enumerations: one table per enum, in one place (global/), checked
// at compile time to name every enumerator exactly once, in order. Every text form of a typed
// value (config files, JSON, logs, the database) goes through one of these tables, so no status,
// mode or action is ever spelt as a string literal elsewhere.
#ifndef GFI_GLOBAL_NAMES_H_
#define GFI_GLOBAL_NAMES_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

// Entries must list E's enumerators 0, 1, 2, ... in order (NameTableIsDense checks it).
template <typename E, size_t N>
struct NameTable {
  std::array<std::pair<E, std::string_view>, N> entries;

  constexpr std::string_view Name(E e) const { return entries[static_cast<size_t>(e)].second; }
  constexpr std::optional<E> Parse(std::string_view s) const {
    for (const auto& [value, name] : entries)
      if (name == s) return value;
    return std::nullopt;
  }
  // Every name, in enumerator order (for error messages: "expected one of ...").
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.emplace_back(entry.second);
    return out;
  }
  static constexpr size_t size() { return N; }
};

template <typename E, size_t N>
constexpr bool NameTableIsDense(const NameTable<E, N>& t) {
  for (size_t i = 0; i < N; ++i) {
    if (static_cast<size_t>(t.entries[i].first) != i || t.entries[i].second.empty()) return false;
    for (size_t j = 0; j < i; ++j)
      if (t.entries[j].second == t.entries[i].second) return false;
  }
  return true;
}

}  // namespace gfi

#endif  // GFI_GLOBAL_NAMES_H_
