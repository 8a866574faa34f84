// Index/file reconciliation; see reconcile.h. Recovered entries carry what the file itself says
// (header From, Subject, the time in its id); the envelope was only ever in the lost row.
#include "quarantine/reconcile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "extract/analyzer.h"
#include "util/strings.h"

namespace gfi {
namespace {

// The time encoded in an id (YYYYMMDDTHHMMSS.uuuuuuZ-xxx), or 0.
int64_t TimeOfId(const std::string& id) {
  struct tm tm = {};
  const char* end = strptime(id.c_str(), "%Y%m%dT%H%M%S", &tm);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(r));
  int err = errno;
  ::close(fd);
  if (r < 0) return Status::Error("cannot read " + path + ": " + std::strerror(err));
  return data;
}

}  // namespace

Result<ReconcileReport> Reconcile(SqliteQuarantineStore& store, const ReconcileOptions& o) {
  auto rows = store.IndexRows();
  if (!rows.ok()) return rows.status();
  auto files = store.MessageFiles();
  if (!files.ok()) return files.status();
  std::set<std::string> indexed, on_disk;
  for (const auto& r : rows.value()) indexed.insert(r.id);
  for (const auto& f : files.value()) on_disk.insert(f.id);

  ReconcileReport rep;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& f : files.value()) {
    if (indexed.count(f.id) != 0 || now - f.mtime < o.min_age_seconds) continue;
    rep.orphan_files.push_back(f.id);
    if (!o.repair_files) continue;
    auto raw = ReadFile(store.MessagePath(f.id));
    if (!raw.ok()) {
      rep.errors.push_back(f.id + ": " + raw.error());
      continue;
    }
    MessageAnalysis a = AnalyzeMessage(raw.value(), Envelope{}, o.limits);
    QuarantineEntry e;
    e.id = f.id;
    e.time = TimeOfId(f.id);
    if (e.time == 0) e.time = f.mtime;
    for (const HeaderField& h : a.headers) {
      if (EqualsIgnoreCase(h.name, "from") && e.header_from.empty()) e.header_from = h.value;
    }
    e.subject = a.subject;
    e.action = std::string(ToString(Action::kQuarantine));
    if (Status s = store.Adopt(e, o.by, "recovered from an orphan file"); !s.ok()) {
      rep.errors.push_back(f.id + ": " + s.message());
      continue;
    }
    ++rep.files_recovered;
  }
  for (const auto& r : rows.value()) {
    if (r.mode != QuarantineMode::kStore || r.status == QuarantineStatus::kDeleted ||
        r.status == QuarantineStatus::kMissing)
      continue;
    if (on_disk.count(r.id) != 0) continue;
    rep.missing_files.push_back(r.id);
    if (!o.repair_rows) continue;
    Status s = store.SetStatus(
        r.id, r.status, QuarantineStatus::kMissing, o.by,
        "message file " + store.MessagePath(r.id) + " is missing (was " +
            std::string(ToString(r.status)) + ")");
    if (!s.ok()) {
      rep.errors.push_back(r.id + ": " + s.message());
      continue;
    }
    ++rep.rows_marked;
  }
  return rep;
}

}  // namespace gfi
