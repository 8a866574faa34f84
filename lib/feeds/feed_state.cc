// Per-source state files; see feed_state.h. Read with simdjson, written with JsonWriter.
#include "feeds/feed_state.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "util/json_writer.h"

namespace gfi {
namespace {

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string StateDir(const std::string& feeds_dir) { return feeds_dir + "/.state"; }
std::string StatePath(const std::string& feeds_dir, const std::string& name) {
  return StateDir(feeds_dir) + "/" + name + ".json";
}
std::string FeedPath(const std::string& feeds_dir, const std::string& name) {
  return feeds_dir + "/" + name + ".json";
}

std::string SourceStateJson(const SourceState& s) {
  JsonWriter w;
  w.BeginObject();
  AddStateFields(s, &w);
  w.EndObject();
  return w.Take();
}

void AddStateFields(const SourceState& s, JsonWriter* out) {
  JsonWriter& w = *out;
  w.Key("name").String(s.name);
  w.Key("url").String(s.url);
  w.Key("last_attempt").Int(s.last_attempt);
  w.Key("last_success").Int(s.last_success);
  w.Key("objects").Uint(s.objects);
  w.Key("date_added_last").String(s.date_added_last);
  w.Key("last_error").String(s.last_error);
  w.Key("consecutive_failures").Uint(s.consecutive_failures);
  w.Key("last_new_objects").Uint(s.last_new_objects);
  w.Key("last_pages").Uint(s.last_pages);
  w.Key("last_seconds").Double(s.last_seconds);
  w.Key("feed_size").Uint(s.feed_size);
  w.Key("feed_mtime_ns").Int(s.feed_mtime_ns);
  w.Key("feed_inode").Uint(s.feed_inode);
}

Result<SourceState> ParseSourceStateJson(std::string_view json) {
  SourceState s;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS)
    return Status::Error("not a JSON object");
  auto str = [&](const char* k, std::string* out) {
    std::string_view v;
    if (o[k].get(v) == simdjson::SUCCESS) *out = std::string(v);
  };
  auto i64 = [&](const char* k, int64_t* out) {
    int64_t v;
    if (o[k].get(v) == simdjson::SUCCESS) *out = v;
  };
  auto u64 = [&](const char* k, uint64_t* out) {
    uint64_t v;
    if (o[k].get(v) == simdjson::SUCCESS) *out = v;
  };
  str("name", &s.name);
  str("url", &s.url);
  i64("last_attempt", &s.last_attempt);
  i64("last_success", &s.last_success);
  u64("objects", &s.objects);
  str("date_added_last", &s.date_added_last);
  str("last_error", &s.last_error);
  u64("consecutive_failures", &s.consecutive_failures);
  u64("last_new_objects", &s.last_new_objects);
  u64("last_pages", &s.last_pages);
  double d;
  if (o["last_seconds"].get(d) == simdjson::SUCCESS) s.last_seconds = d;
  u64("feed_size", &s.feed_size);
  i64("feed_mtime_ns", &s.feed_mtime_ns);
  u64("feed_inode", &s.feed_inode);
  return s;
}

Result<SourceState> LoadSourceState(const std::string& feeds_dir, const std::string& name) {
  SourceState s;
  s.name = name;
  const std::string path = StatePath(feeds_dir, name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return s;
    return Status::Error(path + ": cannot open state file: " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Result<SourceState> parsed = ParseSourceStateJson(text);
  if (!parsed.ok())
    return Status::Error(path + ": state file is not a JSON object (remove it to start afresh)");
  SourceState out = parsed.value();
  out.name = name;  // the file's name decides, not what it says
  return out;
}

Status SaveSourceState(const std::string& feeds_dir, const SourceState& s) {
  return WriteFileAtomically(StatePath(feeds_dir, s.name), SourceStateJson(s) + "\n", 0640);
}

int64_t NextPullDue(const SourceState& s, uint64_t interval) {
  if (interval == 0) return std::numeric_limits<int64_t>::max();
  if (s.last_attempt == 0) return 0;
  const uint64_t cap = std::max<uint64_t>(interval, 3600);
  uint64_t delay = interval;
  for (uint64_t i = 0; i < s.consecutive_failures && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, s.consecutive_failures == 0 ? interval : cap);
  return s.last_attempt + static_cast<int64_t>(delay);
}

Status WriteFileAtomically(const std::string& path, std::string_view data, unsigned mode) {
  const std::string dir = DirName(path);
  const std::string base = path.substr(path.rfind('/') + 1);
  std::string tmp = dir + "/." + base + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::Error(tmp + ": cannot create: " + std::strerror(errno));
  struct stat dst;
  if (::geteuid() == 0 && ::stat(dir.c_str(), &dst) == 0 && dst.st_uid != 0 &&
      ::fchown(fd, dst.st_uid, dst.st_gid) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::Error(tmp + ": chown: " + std::strerror(err));
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Error(tmp + ": write failed: " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::Error(tmp + ": fsync failed: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::Error(path + ": rename failed: " + std::strerror(err));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace gfi
