// The hit-record store factory; see hit_store.h. Each backend is one file beside this one.
#include "hits/hit_store.h"

#include "hits/pg_hit_store.h"
#include "hits/sqlite_hit_store.h"

namespace gfi {

std::string HitStorePath(const Config& config) { return config.quarantine.dir + "/hits.sqlite"; }

Result<std::unique_ptr<HitStore>> OpenHitStore(const Config& config,
                                               const HitStoreOpenOptions& options) {
  switch (config.store.backend) {
    case StoreBackend::kSqlite: {
      auto s = SqliteHitStore::Open(HitStorePath(config), options);
      if (!s.ok()) return s.status();
      return std::unique_ptr<HitStore>(std::move(s).value());
    }
    case StoreBackend::kPostgresql: {
      auto dsn = ReadDsnFile(config.store.dsn_file);
      if (!dsn.ok()) return dsn.status();
      auto s = PgHitStore::Open(dsn.value(), options, 2, static_cast<int>(config.store.timeout_ms));
      if (!s.ok()) return s.status();
      return std::unique_ptr<HitStore>(std::move(s).value());
    }
  }
  return Status::Error(ErrorCode::kInvalid, "[store] backend: unknown");
}

}  // namespace gfi
