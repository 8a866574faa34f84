#include "engine/status.h"

#include <simdjson.h>

#include "util/json_writer.h"

namespace gfi {
namespace {

// The keys, each spelt once.
namespace key {
constexpr const char* kPid = "pid";
constexpr const char* kStarted = "started";
constexpr const char* kWritten = "written";
constexpr const char* kConfig = "config";
constexpr const char* kSocket = "socket";
constexpr const char* kUser = "user";
constexpr const char* kRestartNeeded = "restart_needed";
constexpr const char* kLoadedAt = "loaded_at";
constexpr const char* kLoadSeconds = "load_seconds";
constexpr const char* kIndicators = "indicators";
constexpr const char* kMemoryBytes = "memory_bytes";
constexpr const char* kTypes = "types";
constexpr const char* kFeeds = "feeds";
constexpr const char* kPath = "path";
constexpr const char* kVersion = "version";
constexpr const char* kInvalidFeeds = "invalid_feeds";
constexpr const char* kStaleFeeds = "stale_feeds";
constexpr const char* kHeldFeeds = "held_feeds";
constexpr const char* kKept = "kept";
constexpr const char* kDegraded = "degraded";
constexpr const char* kLastReload = "last_reload";
constexpr const char* kLastReloadResult = "last_reload_result";
constexpr const char* kReloadsOk = "reloads_ok";
constexpr const char* kReloadsFailed = "reloads_failed";
constexpr const char* kRetiredStates = "retired_states";
constexpr const char* kMessages = "messages";
constexpr const char* kTotal = "total";
constexpr const char* kErrors = "errors";
constexpr const char* kSplitRecipients = "split_recipients";
}  // namespace key

bool IsOwnKey(std::string_view k) {
  for (const char* own :
       {key::kPid, key::kStarted, key::kWritten, key::kConfig, key::kSocket, key::kUser,
        key::kRestartNeeded, key::kLoadedAt, key::kLoadSeconds, key::kIndicators,
        key::kMemoryBytes, key::kTypes, key::kFeeds, key::kInvalidFeeds, key::kStaleFeeds,
        key::kHeldFeeds,
        key::kDegraded, key::kLastReload, key::kLastReloadResult, key::kReloadsOk,
        key::kReloadsFailed, key::kRetiredStates, key::kMessages})
    if (k == own) return true;
  return false;
}

using simdjson::dom::element;

int64_t I64(element e, const char* k) {
  int64_t v = 0;
  if (e[k].get(v) == simdjson::SUCCESS) return v;
  uint64_t u = 0;
  return e[k].get(u) == simdjson::SUCCESS ? static_cast<int64_t>(u) : 0;
}
uint64_t U64(element e, const char* k) {
  uint64_t v = 0;
  if (e[k].get(v) == simdjson::SUCCESS) return v;
  int64_t i = 0;
  return e[k].get(i) == simdjson::SUCCESS && i > 0 ? static_cast<uint64_t>(i) : 0;
}
double F64(element e, const char* k) {
  double v = 0;
  if (e[k].get(v) == simdjson::SUCCESS) return v;
  return static_cast<double>(I64(e, k));
}
std::string Str(element e, const char* k) {
  std::string_view v;
  return e[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

}  // namespace

uint64_t DaemonStatus::MessagesTotal() const {
  uint64_t n = 0;
  for (uint64_t m : messages) n += m;
  return n;
}

std::string DaemonStatusJson(const DaemonStatus& s) {
  JsonWriter w;
  w.BeginObject();
  w.Key(key::kPid).Int(s.pid);
  w.Key(key::kStarted).Int(s.started);
  w.Key(key::kWritten).Int(s.written);
  w.Key(key::kConfig).String(s.config);
  w.Key(key::kSocket).String(s.socket);
  w.Key(key::kUser).String(s.user);
  w.Key(key::kRestartNeeded).BeginArray();
  for (const std::string& k : s.restart_needed) w.String(k);
  w.EndArray();
  w.Key(key::kLoadedAt).Int(s.loaded_at);
  w.Key(key::kLoadSeconds).Double(s.load_seconds);
  w.Key(key::kIndicators).Uint(s.indicators);
  w.Key(key::kMemoryBytes).Uint(s.memory_bytes);
  w.Key(key::kTypes).BeginObject();
  for (const auto& [k, v] : s.types) w.Key(k).Uint(v);
  w.EndObject();
  w.Key(key::kFeeds).BeginArray();
  for (const DaemonStatus::Feed& f : s.feeds) {
    w.BeginObject();
    w.Key(key::kPath).String(f.path);
    w.Key(key::kIndicators).Uint(f.indicators);
    w.Key(key::kLoadSeconds).Double(f.load_seconds);
    w.EndObject();
  }
  w.EndArray();
  w.Key(key::kInvalidFeeds).BeginArray();
  for (const std::string& f : s.invalid_feeds) w.String(f);
  w.EndArray();
  w.Key(key::kStaleFeeds).BeginArray();
  for (const DaemonStatus::Stale& f : s.stale_feeds) {
    w.BeginObject();
    w.Key(key::kPath).String(f.path);
    w.Key(key::kVersion).Int(f.version);
    w.EndObject();
  }
  w.EndArray();
  w.Key(key::kHeldFeeds).BeginArray();
  for (const DaemonStatus::Held& f : s.held_feeds) {
    w.BeginObject();
    w.Key(key::kPath).String(f.path);
    w.Key(key::kIndicators).Uint(f.indicators);
    w.Key(key::kKept).Uint(f.kept);
    w.Key(key::kVersion).Int(f.version);
    w.EndObject();
  }
  w.EndArray();
  w.Key(key::kDegraded).Bool(s.degraded);
  w.Key(key::kLastReload).Int(s.last_reload);
  w.Key(key::kLastReloadResult).String(s.last_reload_result);
  w.Key(key::kReloadsOk).Uint(s.reloads_ok);
  w.Key(key::kReloadsFailed).Uint(s.reloads_failed);
  w.Key(key::kRetiredStates).Uint(s.retired_states);
  w.Key(key::kMessages).BeginObject();
  for (const auto& [action, name] : kActionNames.entries)
    w.Key(name).Uint(s.messages[static_cast<size_t>(action)]);
  w.Key(key::kTotal).Uint(s.MessagesTotal());
  w.Key(key::kErrors).Uint(s.scan_errors);
  w.Key(key::kSplitRecipients).Uint(s.split_recipients);
  w.EndObject();
  for (const auto& [k, json] : s.sections)
    if (!IsOwnKey(k)) w.Key(k).RawValue(json);
  w.EndObject();
  return w.Take();
}

Result<DaemonStatus> ParseDaemonStatus(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object top;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc.get(top) != simdjson::SUCCESS)
    return Status::Error("not a JSON object");
  DaemonStatus s;
  s.pid = I64(doc, key::kPid);
  s.started = I64(doc, key::kStarted);
  s.written = I64(doc, key::kWritten);
  s.config = Str(doc, key::kConfig);
  s.socket = Str(doc, key::kSocket);
  s.user = Str(doc, key::kUser);
  simdjson::dom::array a;
  if (doc[key::kRestartNeeded].get(a) == simdjson::SUCCESS)
    for (element k : a) {
      std::string_view v;
      if (k.get(v) == simdjson::SUCCESS) s.restart_needed.emplace_back(v);
    }
  s.loaded_at = I64(doc, key::kLoadedAt);
  s.load_seconds = F64(doc, key::kLoadSeconds);
  s.indicators = U64(doc, key::kIndicators);
  s.memory_bytes = U64(doc, key::kMemoryBytes);
  simdjson::dom::object types;
  if (doc[key::kTypes].get(types) == simdjson::SUCCESS)
    for (auto [k, v] : types) {
      uint64_t n = 0;
      if (v.get(n) != simdjson::SUCCESS) n = 0;
      s.types.emplace_back(std::string(k), n);
    }
  if (doc[key::kFeeds].get(a) == simdjson::SUCCESS)
    for (element f : a)
      s.feeds.push_back({Str(f, key::kPath), U64(f, key::kIndicators), F64(f, key::kLoadSeconds)});
  if (doc[key::kInvalidFeeds].get(a) == simdjson::SUCCESS)
    for (element f : a) {
      std::string_view v;
      if (f.get(v) == simdjson::SUCCESS) s.invalid_feeds.emplace_back(v);
    }
  if (doc[key::kStaleFeeds].get(a) == simdjson::SUCCESS)
    for (element f : a) s.stale_feeds.push_back({Str(f, key::kPath), I64(f, key::kVersion)});
  if (doc[key::kHeldFeeds].get(a) == simdjson::SUCCESS)
    for (element f : a)
      s.held_feeds.push_back({Str(f, key::kPath), U64(f, key::kIndicators), U64(f, key::kKept),
                              I64(f, key::kVersion)});
  bool degraded = false;
  s.degraded = doc[key::kDegraded].get(degraded) == simdjson::SUCCESS && degraded;
  s.last_reload = I64(doc, key::kLastReload);
  s.last_reload_result = Str(doc, key::kLastReloadResult);
  s.reloads_ok = U64(doc, key::kReloadsOk);
  s.reloads_failed = U64(doc, key::kReloadsFailed);
  s.retired_states = U64(doc, key::kRetiredStates);
  element m;
  if (doc[key::kMessages].get(m) == simdjson::SUCCESS) {
    for (const auto& [action, name] : kActionNames.entries)
      s.messages[static_cast<size_t>(action)] = U64(m, std::string(name).c_str());
    s.scan_errors = U64(m, key::kErrors);
    s.split_recipients = U64(m, key::kSplitRecipients);
  }
  for (auto [k, v] : top)
    if (!IsOwnKey(k)) s.sections.emplace(std::string(k), simdjson::minify(v));
  return s;
}

}  // namespace gfi
