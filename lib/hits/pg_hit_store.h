// The shared hit-record store ([store] backend = "postgresql"): hit records, message counts and
// false positives of a fleet in one PostgreSQL database, so gfictl report covers every host.
// Same schema rules as the quarantine (util/pg.h: created and upgraded at open under an advisory
// lock, a newer schema refused); aggregation is grouped on the server.
#ifndef GFI_HITS_PG_HIT_STORE_H_
#define GFI_HITS_PG_HIT_STORE_H_

#include <memory>
#include <string>

#include "hits/hit_store.h"
#include "util/pg.h"

namespace gfi {

class PgHitStore final : public HitStore {
 public:
  static constexpr int kSchemaVersion = 2;
  // The schema's steps (PgMigrate): steps[v] brings version v to v + 1. For the upgrade test.
  static const std::vector<std::string>& Migrations();

  // `dsn`: a libpq connection string (never printed). Without options.create, a database with
  // no hit-record schema is kNotFound.
  static Result<std::unique_ptr<PgHitStore>> Open(const std::string& dsn,
                                                  const HitStoreOpenOptions& options,
                                                  size_t max_connections = 2,
                                                  int statement_timeout_ms = 10000);

  Status Write(const HitBatch& batch) override;
  Result<HitAggregates> Aggregate(const HitQuery& query) override;
  Result<uint64_t> Purge(int64_t before) override;
  Result<HitStoreCounts> Counts() override;
  std::string Describe() const override { return "postgresql hit records"; }

 private:
  PgHitStore() = default;
  std::unique_ptr<PgPool> pool_;
};

}  // namespace gfi

#endif  // GFI_HITS_PG_HIT_STORE_H_
