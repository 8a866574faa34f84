// The store factory; see store.h. Each backend is one file beside this one.
#include "quarantine/store.h"

#include "quarantine/pg_store.h"
#include "quarantine/sqlite_store.h"

namespace gfi {

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
