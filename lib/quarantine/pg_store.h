// The shared quarantine store ([store] backend = "postgresql"): entries, message bytes (bytea)
// and history in one PostgreSQL database that a fleet of filters and their gfictl share.
//
// The schema is created and upgraded at open, in a transaction under an advisory lock (several
// hosts starting at once migrate once); a schema newer than this program is refused. Put() answers
// after the commit (the server's synchronous_commit decides how far that reaches: on by default).
// A status change is one conditional UPDATE ... WHERE status = expected, so two hosts releasing an
// entry deliver it once. The database unreachable or slow gives kIo (the milter tempfails).
#ifndef GFI_QUARANTINE_PG_STORE_H_
#define GFI_QUARANTINE_PG_STORE_H_

#include "quarantine/store.h"
#include "util/pg.h"

namespace gfi {

struct PgStoreOptions {
  size_t max_connections = 4;
  int statement_timeout_ms = 10000;
};

class PgQuarantineStore final : public QuarantineStore {
 public:
  // The schema version this program writes (gfi_schema_version, component 'quarantine').
  static constexpr int kSchemaVersion = 1;

  // `dsn`: a libpq connection string (never printed).
  static Result<std::unique_ptr<PgQuarantineStore>> Open(const std::string& dsn,
                                                         const PgStoreOptions& options = {});

  Result<std::string> Put(QuarantineEntry e, std::optional<std::string_view> raw) override;
  Result<std::vector<QuarantineEntry>> List(const QuarantineFilter& f) override;
  Result<QuarantineEntry> Get(const std::string& id) override;
  Result<std::string> ReadRaw(const std::string& id) override;
  Result<std::vector<std::string>> Find(const std::string& key) override;
  Result<Totals> Count(const QuarantineFilter& f) override;
  Status SetStatus(const std::string& id, QuarantineStatus expect, QuarantineStatus status,
                   const std::string& by, const std::string& detail) override;
  Status ClaimForRelease(const std::string& id, const std::string& by) override;
  Status Delete(const std::string& id, const std::string& by) override;
  Result<std::vector<QuarantineEntry>> PurgeCandidates(int64_t before) override;
  Result<size_t> Purge(int64_t before, const std::string& by,
                       const std::function<void(size_t, size_t)>& progress = nullptr) override;
  std::string Describe() const override { return "postgresql quarantine"; }

 private:
  PgQuarantineStore() = default;
  Status Migrate();
  Status Change(PgConn& c, const std::string& id, QuarantineStatus expect,
                QuarantineStatus status, const std::string& by, const std::string& detail);

  std::unique_ptr<PgPool> pool_;
};

}  // namespace gfi

#endif  // GFI_QUARANTINE_PG_STORE_H_
