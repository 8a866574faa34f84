// Helpers of the quarantine subcommands; see quarantine_common.h.
#include "quarantine_common.h"

#include <pwd.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "engine_setup.h"
#include "util/time.h"

namespace gfi {

std::unique_ptr<QuarantineStore> OpenConfiguredStore(const std::string& config_path,
                                                     const std::string& command, bool read_only,
                                                     Config* config) {
  if (read_only) {
    if (!LoadReadOnlyConfig(config_path, command, config)) return nullptr;
  } else {
    Result<Config> c = LoadConfigOrDefault(config_path);
    if (!c.ok()) {
      std::fprintf(stderr, "%s: %s\n", command.c_str(), c.error().c_str());
      return nullptr;
    }
    *config = std::move(c).value();
  }
  auto store = OpenQuarantineStore(*config, StoreOpenOptions{});
  if (!store.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), store.error().c_str());
    return nullptr;
  }
  return std::move(store).value();
}

Result<std::string> ResolveEntryId(QuarantineStore& store, const std::string& key) {
  auto ids = store.Find(key);
  if (!ids.ok()) return ids.status();
  if (ids.value().empty())
    return Status::Error(ErrorCode::kNotFound, "no quarantine entry '" + key + "'");
  if (ids.value().size() == 1) return ids.value()[0];
  // The id itself always wins over a reference or queue id that happens to be equal.
  for (const std::string& id : ids.value())
    if (id == key) return id;
  std::string list;
  for (const std::string& id : ids.value()) list += " " + id;
  return Status::Error("'" + key + "' is ambiguous: " + std::to_string(ids.value().size()) +
                       " entries:" + list);
}

std::vector<std::string> ExpandStdinIds(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  bool stdin_read = false;
  for (const std::string& id : ids) {
    if (id != "-") {
      out.push_back(id);
      continue;
    }
    if (stdin_read) continue;
    stdin_read = true;
    std::string line;
    while (std::getline(std::cin, line)) {
      size_t b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos) continue;
      size_t e = line.find_last_not_of(" \t\r");
      out.push_back(line.substr(b, e - b + 1));
    }
  }
  return out;
}

std::string Actor() {
  if (const char* s = std::getenv("SUDO_USER"); s != nullptr && *s != '\0')
    return std::string(s) + " (via sudo)";
  struct passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::getuid());
}

void Audit(const std::string& what) {
  openlog("gfictl", LOG_PID, LOG_MAIL);
  syslog(LOG_NOTICE, "quarantine: %s by %s", what.c_str(), Actor().c_str());
  closelog();
}

std::string TimeText(int64_t t) { return FormatUtc(t); }

}  // namespace gfi
