// Reconciling the quarantine index with the message files under DIR/messages.
//
// Two kinds of damage are found: orphan files (a message file without an index row: the index was
// restored from a backup, or lost a transaction) and rows without bytes (store mode, not deleted,
// whose message file is gone). Repair indexes an orphan file as an entry recovered from the file
// (From and Subject parsed from its header block by the engine's own parser, status held, history
// "recovered from an orphan file") and marks a row without bytes with status "missing" (it stays
// listable; release refuses it, delete still works). Nothing is ever deleted.
//
// Files younger than `min_age_seconds` are left alone: a daemon's Put writes the file before it
// commits the row, so a fresh file without a row may be a message being stored right now.
//
// Threads and processes: as safe as the store's own calls (each repair is one store transaction),
// so it may run while a daemon serves from the same store. A row that changes status between the
// scan and its repair is left alone and reported in `errors`. Cost: one index scan and one
// directory listing; each orphan is read and parsed once.
#ifndef GFI_QUARANTINE_RECONCILE_H_
#define GFI_QUARANTINE_RECONCILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "global/limits.h"
#include "quarantine/sqlite_store.h"
#include "util/status.h"

namespace gfi {

struct ReconcileOptions {
  bool repair_files = false;  // index orphan files
  bool repair_rows = false;   // mark rows without bytes "missing"
  int64_t min_age_seconds = 60;
  std::string by = "gfi-milter";  // actor recorded in the history
  AnalysisLimits limits;          // for parsing the orphans' headers
};

struct ReconcileReport {
  std::vector<std::string> orphan_files;   // ids of message files without an index row
  std::vector<std::string> missing_files;  // ids of store-mode rows whose file is gone
  size_t files_recovered = 0;              // orphans indexed (repair_files)
  size_t rows_marked = 0;                  // rows marked "missing" (repair_rows)
  std::vector<std::string> errors;         // repairs that failed, one line each
  // Found and not repaired (what `gfictl quarantine check` exits 1 for).
  size_t unrepaired() const {
    return orphan_files.size() + missing_files.size() - files_recovered - rows_marked;
  }
};

// Compares index and files; repairs per `o`. Fails only when neither can be read.
// Only the embedded store keeps message files beside an index; a database backend keeps both in
// one transaction and has nothing to reconcile.
Result<ReconcileReport> Reconcile(SqliteQuarantineStore& store, const ReconcileOptions& o);

}  // namespace gfi

#endif  // GFI_QUARANTINE_RECONCILE_H_
