// The store factory; see store.h. Each backend is one file beside this one.
#include "quarantine/store.h"

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
  }
  return Status::Error(ErrorCode::kInvalid, "[store] backend: unknown");
}

}  // namespace gfi
