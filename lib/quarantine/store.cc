// The store factory; see store.h. Each backend is one file beside this one.
#include "quarantine/store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "quarantine/pg_store.h"
#include "quarantine/sqlite_store.h"

namespace gfi {

std::string QuarantineSha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string LocalStoreHost() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

std::string StoreHostName(const Config& config) {
  return config.store.host_name.empty() ? LocalStoreHost() : config.store.host_name;
}

std::string NewQuarantineId(int64_t* now) {
  auto t = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  *now = us / 1000000;
  time_t secs = static_cast<time_t>(*now);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  thread_local std::mt19937 rng{std::random_device{}()};
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02d.%06ldZ-%03x", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(us % 1000000), static_cast<unsigned>(rng() & 0xfff));
  return buf;
}

bool ValidQuarantineId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return true;
}


Result<std::unique_ptr<QuarantineStore>> OpenQuarantineStore(const Config& config,
                                                             const StoreOpenOptions& options) {
  switch (config.store.backend) {
    case StoreBackend::kSqlite: {
      auto s = SqliteQuarantineStore::Open(config.quarantine.dir, options);
      if (!s.ok()) return s.status();
      return std::unique_ptr<QuarantineStore>(std::move(s).value());
    }
    case StoreBackend::kPostgresql: {
      // The schema is created or upgraded at open by any program (daemon or gfictl).
      auto dsn = ReadDsnFile(config.store.dsn_file);
      if (!dsn.ok()) return dsn.status();
      PgStoreOptions o;
      o.max_connections = static_cast<size_t>(config.store.pool_size);
      o.statement_timeout_ms = static_cast<int>(config.store.timeout_ms);
      auto s = PgQuarantineStore::Open(dsn.value(), o);
      if (!s.ok()) return s.status();
      return std::unique_ptr<QuarantineStore>(std::move(s).value());
    }
  }
  return Status::Error(ErrorCode::kInvalid, "[store] backend: unknown");
}

}  // namespace gfi
