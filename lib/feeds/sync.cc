// One pull of one TAXII source; see sync.h for the steps and the all-or-nothing rule. Objects are
// kept minified as received (simdjson::minify) and written back with JsonWriter::RawValue, so a
// pull never reinterprets an object it does not use.
#include "feeds/sync.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <utility>

#include "feeds/taxii_client.h"
#include "indicators/feed.h"
#include "util/json_writer.h"
#include "util/strings.h"
#include "util/time.h"

namespace gfi {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// a later than b (unparseable counts as earliest).
bool Later(std::string_view a, std::string_view b) {
  auto ta = ParseRfc3339(a), tb = ParseRfc3339(b);
  if (!ta) return false;
  if (!tb) return true;
  return *ta > *tb;
}

struct StoredObject {
  std::string version;  // "modified", else "created", else ""
  std::string json;     // minified
};
using Store = std::map<std::string, StoredObject>;  // by id; a sorted, stable bundle

// Puts one object version into `store` unless the version held is later. An older version than
// the one held is ignored; the same version again replaces it only when it differs (the later
// received wins). True when the store changed.
bool MergeOne(std::string id, StoredObject o, Store* store) {
  auto it = store->find(id);
  if (it == store->end()) {
    store->emplace(std::move(id), std::move(o));
    return true;
  }
  if (!o.version.empty() && Later(it->second.version, o.version)) return false;
  if (it->second.json == o.json) return false;
  it->second = std::move(o);
  return true;
}

// Reads the objects of a TAXII envelope or a STIX bundle into `store` (latest version wins).
// `what` names the text in errors ("page 2"), which never quote object content.
struct MergeResult {
  uint64_t received = 0;
  bool changed = false;
  bool more = false;
  std::optional<std::string> next;
};

Status Merge(const std::string& text, const std::string& what, Store* store, MergeResult* out) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  simdjson::error_code err = parser.parse(text).get(root);
  if (err != simdjson::SUCCESS)
    return Status::Error(what + ": not a JSON object: " + simdjson::error_message(err));
  bool more = false;
  simdjson::dom::element e;
  if (root.at_key("more").get(e) == simdjson::SUCCESS && !e.is_null() &&
      e.get(more) != simdjson::SUCCESS)
    return Status::Error(what + ": \"more\" is not true or false");
  out->more = more;
  std::string_view next;
  if (root.at_key("next").get(e) == simdjson::SUCCESS && !e.is_null()) {
    if (e.get(next) != simdjson::SUCCESS) return Status::Error(what + ": \"next\" is not a string");
    out->next = std::string(next);
  }
  simdjson::dom::array objects;
  if (root.at_key("objects").get(e) != simdjson::SUCCESS || e.is_null()) return Status::Ok();
  if (e.get(objects) != simdjson::SUCCESS)
    return Status::Error(what + ": \"objects\" is not an array");
  size_t i = 0;
  for (simdjson::dom::element item : objects) {
    const std::string where = what + ": objects[" + std::to_string(i++) + "]";
    simdjson::dom::object o;
    if (item.get(o) != simdjson::SUCCESS) return Status::Error(where + ": not an object");
    std::string_view id, type, version;
    if (o.at_key("id").get(id) != simdjson::SUCCESS || id.empty())
      return Status::Error(where + ": no string \"id\"");
    if (o.at_key("type").get(type) != simdjson::SUCCESS || type.empty())
      return Status::Error(where + ": no string \"type\"");
    if (o.at_key("modified").get(version) != simdjson::SUCCESS &&
        o.at_key("created").get(version) != simdjson::SUCCESS)
      version = {};
    ++out->received;
    if (MergeOne(std::string(id), StoredObject{std::string(version), simdjson::minify(item)},
                 store))
      out->changed = true;
  }
  return Status::Ok();
}

std::string HttpError(const HttpResponse& r) {
  std::string what;
  switch (r.status) {
    case 400:
      what = "bad request";
      break;
    case 401:
      what = "authentication failed";
      break;
    case 403:
      what = "forbidden: no access to this collection";
      break;
    case 404:
      what = "not found: check the collection URL";
      break;
    case 406:
      what = "not acceptable: the server does not offer TAXII 2.1";
      break;
    case 408:
      what = "request timeout";
      break;
    case 413:
      what = "request too large";
      break;
    case 415:
      what = "unsupported media type";
      break;
    case 416:
      what = "range not satisfiable";
      break;
    case 422:
      what = "unprocessable";
      break;
    case 429:
      what = "too many requests";
      break;
    default:
      what = r.status >= 500 ? "server error" : "unexpected status";
      break;
  }
  std::string msg = "HTTP " + std::to_string(r.status) + " (" + what + ")";
  // The TAXII error object's title (and error_code), when the body is one.
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(r.body).get(o) == simdjson::SUCCESS) {
    std::string_view title;
    if (o.at_key("title").get(title) == simdjson::SUCCESS && !title.empty()) {
      std::string t = PrintableUtf8(title.substr(0, 200));
      msg += ": " + t;
    }
  }
  return msg;
}

// "application/taxii+json;version=2.1" (parameters in any order and case, spaces allowed).
bool IsTaxii21(const std::string& content_type) {
  std::string ct = AsciiLowered(content_type);
  std::string_view v = ct;
  size_t semi = v.find(';');
  if (Trim(v.substr(0, semi)) != "application/taxii+json") return false;
  while (semi != std::string_view::npos) {
    v = v.substr(semi + 1);
    semi = v.find(';');
    std::string_view param = Trim(v.substr(0, semi));
    if (param.rfind("version", 0) == 0) {
      size_t eq = param.find('=');
      if (eq == std::string_view::npos || Trim(param.substr(eq + 1)) != "2.1") return false;
    }
  }
  return true;
}

std::string RandomUuid() {
  std::random_device rd;
  unsigned char b[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t x = rd();
    std::memcpy(b + i, &x, 4);
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 15]);
  }
  return s;
}

std::string BundleText(const Store& store, size_t bytes_hint) {
  JsonWriter w;
  w.Reserve(bytes_hint + store.size() * 2 + 128);
  w.BeginObject();
  w.Key("type").String("bundle");
  w.Key("id").String("bundle--" + RandomUuid());
  w.Key("objects").BeginArray();
  for (const auto& [id, o] : store) w.RawValue(o.json);
  w.EndArray();
  w.EndObject();
  std::string text = w.Take();
  text.push_back('\n');
  return text;
}

// Creates `dir` (mode 0750) when missing; as root inside a directory owned by another user
// (the daemon's feeds directory), it gets that owner.
Status EnsureDir(const std::string& dir, const std::string& owner_from) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::Error(dir + ": not a directory");
    return Status::Ok();
  }
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
    return Status::Error(dir + ": cannot create directory: " + std::strerror(errno));
  struct stat ost;
  if (::geteuid() == 0 && !owner_from.empty() && ::stat(owner_from.c_str(), &ost) == 0 &&
      ost.st_uid != 0 && ::chown(dir.c_str(), ost.st_uid, ost.st_gid) != 0)
    return Status::Error(dir + ": chown: " + std::strerror(errno));
  return Status::Ok();
}

class SourceLock {
 public:
  ~SourceLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  // Ok and held, or busy (another process pulls), or an error.
  Status Take(const std::string& path, bool* busy) {
    *busy = false;
    // Read-only is enough for flock, so a lock file another user made (a root gfictl) still
    // serves; a new one gets the owner of the directory, as every file here does.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return Status::Error(path + ": cannot open lock file: " + std::strerror(errno));
    const std::string dir = path.substr(0, path.rfind('/'));
    struct stat dst, fst;
    if (::geteuid() == 0 && ::stat(dir.c_str(), &dst) == 0 && dst.st_uid != 0 &&
        ::fstat(fd_, &fst) == 0 && fst.st_uid == 0 && ::fchown(fd_, dst.st_uid, dst.st_gid) != 0)
      return Status::Error(path + ": chown: " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        *busy = true;
        return Status::Error("busy: another process is pulling this source (lock " + path + ")");
      }
      return Status::Error(path + ": flock: " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

bool FileMatches(const std::string& path, const SourceState& st, struct stat* out) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) return false;
  if (out != nullptr) *out = sb;
  const int64_t mtime_ns =
      static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
  return static_cast<uint64_t>(sb.st_size) == st.feed_size && mtime_ns == st.feed_mtime_ns &&
         static_cast<uint64_t>(sb.st_ino) == st.feed_inode;
}

}  // namespace

SyncOutcome SyncSource(const FeedsConfig& feeds, const TaxiiSourceConfig& source,
                       const SyncOptions& options) {
  SyncOutcome out;
  const auto start = std::chrono::steady_clock::now();
  const std::string parent = feeds.dir.substr(0, feeds.dir.rfind('/'));
  if (Status s = EnsureDir(feeds.dir, parent.empty() ? "/" : parent); !s.ok()) {
    out.error = s.message();
    return out;
  }
  if (Status s = EnsureDir(StateDir(feeds.dir), feeds.dir); !s.ok()) {
    out.error = s.message();
    return out;
  }
  SourceLock lock;
  if (Status s = lock.Take(StateDir(feeds.dir) + "/" + source.name + ".lock", &out.busy); !s.ok()) {
    out.error = s.message();
    return out;
  }
  Result<SourceState> loaded = LoadSourceState(feeds.dir, source.name);
  if (!loaded.ok()) {
    out.error = loaded.error();
    return out;
  }
  SourceState state = std::move(loaded).value();
  state.last_attempt = Now();
  auto fail = [&](const std::string& why) {
    out.ok = false;
    out.error = why;
    state.last_error = why;
    ++state.consecutive_failures;
    if (Status s = SaveSourceState(feeds.dir, state); !s.ok()) out.error += "; " + s.message();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  };

  // The store is the feed file the last success wrote, when it is still that file; it is read
  // only once something new has come (an incremental pull with nothing new reads nothing).
  const std::string feed_path = FeedPath(feeds.dir, source.name);
  out.full_pull = true;
  if (state.last_success == 0) {
    // first pull
  } else if (state.url != source.url) {
    out.note = "the collection URL changed: full pull";
  } else if (!FileMatches(feed_path, state, nullptr)) {
    out.note = "the feed file is not the one the last pull wrote (removed or changed): full pull";
  } else {
    out.full_pull = false;
  }
  // A full pull starts from the beginning, whatever date was stored.
  const std::string since = out.full_pull ? "" : state.date_added_last;

  Result<std::unique_ptr<TaxiiClient>> client = TaxiiClient::Create(source);
  if (!client.ok()) return fail(client.error());
  TaxiiClient& c = *client.value();
  c.SetCancel(options.cancel);

  SyncProgress progress;
  std::string added_after = since, next, date_last = since;
  Store incoming;  // what this pull received, latest version per id
  size_t store_bytes = 0;
  constexpr uint64_t kMaxPages = 1000000;
  for (uint64_t page = 1;; ++page) {
    if (page > kMaxPages) return fail("more than " + std::to_string(kMaxPages) + " pages; stopped");
    const std::string where = page == 1 ? std::string() : "page " + std::to_string(page) + ": ";
    std::string url = source.url + "objects/?limit=" + std::to_string(source.page_size);
    if (!added_after.empty()) url += "&added_after=" + c.Escape(added_after);
    if (!next.empty()) url += "&next=" + c.Escape(next);
    Result<HttpResponse> r = c.Get(url);
    if (!r.ok()) return fail(where + r.error());
    const HttpResponse& resp = r.value();
    if (resp.status != 200) return fail(where + HttpError(resp));
    if (!IsTaxii21(resp.content_type))
      return fail(where + "not a TAXII 2.1 response (Content-Type: " +
                  PrintableUtf8(resp.content_type.substr(0, 100)) + ")");
    MergeResult m;
    if (Status s = Merge(resp.body, "page " + std::to_string(page), &incoming, &m); !s.ok())
      return fail("invalid TAXII envelope: " + s.message());
    progress.pages = page;
    progress.objects_received += m.received;
    progress.bytes_received += resp.body.size();
    store_bytes += resp.body.size();
    if (!resp.date_added_last.empty() &&
        (date_last.empty() || Later(resp.date_added_last, date_last)))
      date_last = resp.date_added_last;
    if (options.progress) options.progress(progress);
    if (!m.more) break;
    if (m.next && !m.next->empty()) {
      if (*m.next == next) return fail(where + "the server repeats the same \"next\"; stopped");
      next = *m.next;
    } else {
      // Paging by date (TAXII 2.1 §3.4): the next page is what was added after this one.
      if (resp.date_added_last.empty() ||
          (!added_after.empty() && !Later(resp.date_added_last, added_after)))
        return fail(where +
                    "\"more\" is true without \"next\" or an advancing "
                    "X-TAXII-Date-Added-Last; stopped");
      added_after = resp.date_added_last;
      next.clear();
    }
  }
  out.pages = progress.pages;
  out.received = progress.objects_received;

  // A full pull is the store (and rewrites the file even when nothing came); otherwise what came
  // is merged into what the feed file holds.
  Store store;
  bool changed = out.full_pull;
  uint64_t held = state.objects;
  if (out.full_pull) {
    store = std::move(incoming);
  } else if (!incoming.empty()) {
    std::ifstream in(feed_path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = std::move(ss).str();
    MergeResult ignored;
    if (!in || !FileMatches(feed_path, state, nullptr) ||
        !Merge(text, feed_path, &store, &ignored).ok()) {
      state.feed_size = 0;  // no longer trusted: the next pull is a full one
      return fail("the feed file " + feed_path +
                  " cannot be read back; the next pull is a full one");
    }
    store_bytes += text.size();
    for (auto& [id, o] : incoming) changed = MergeOne(id, std::move(o), &store) || changed;
    Store().swap(incoming);
  }
  if (changed) {
    held = store.size();
    std::string text = BundleText(store, store_bytes);
    Store().swap(store);  // the text is all that is needed now: a lower peak for the check below
    // The loader's own reader: a bundle it would refuse never replaces the feed in service.
    Feed check;
    check.path = feed_path;
    check.name = source.name + ".json";
    ParseStixBundle(text, &check);
    if (!check.ok()) return fail("the merged feed does not load: " + check.errors.front());
    if (Status s = WriteFileAtomically(feed_path, text, 0640); !s.ok()) return fail(s.message());
    struct stat sb;
    if (::stat(feed_path.c_str(), &sb) == 0) {
      state.feed_size = static_cast<uint64_t>(sb.st_size);
      state.feed_mtime_ns =
          static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
      state.feed_inode = static_cast<uint64_t>(sb.st_ino);
    }
    out.replaced = true;
  }
  state.url = source.url;
  state.last_success = state.last_attempt;
  state.objects = held;
  state.date_added_last = date_last;
  state.last_error.clear();
  state.consecutive_failures = 0;
  state.last_new_objects = out.received;
  state.last_pages = out.pages;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.last_seconds = out.seconds;
  out.objects = held;
  if (Status s = SaveSourceState(feeds.dir, state); !s.ok()) {
    // The feed is in place; only the bookkeeping failed (the next pull is then a full one).
    out.error = s.message();
    return out;
  }
  out.ok = true;
  return out;
}

std::string FeedsStatusJson(const FeedsConfig& feeds, int64_t now) {
  JsonWriter w;
  w.BeginObject();
  w.Key("dir").String(feeds.dir);
  w.Key("sources").BeginArray();
  for (const TaxiiSourceConfig& src : feeds.taxii) {
    Result<SourceState> st = LoadSourceState(feeds.dir, src.name);
    SourceState s = st.ok() ? st.value() : SourceState{};
    s.name = src.name;
    if (!st.ok()) s.last_error = st.error();
    w.BeginObject();
    AddStateFields(s, &w);
    w.Key("collection").String(src.url);
    w.Key("feed").String(FeedPath(feeds.dir, src.name));
    w.Key("interval").Uint(src.interval);
    const int64_t due = NextPullDue(s, src.interval);
    if (src.interval == 0) {
      w.Key("next_pull").Null();
    } else {
      w.Key("next_pull").Int(due < now ? now : due);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

Result<std::vector<SourceState>> ParseFeedsStatus(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array sources;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc["sources"].get(sources) != simdjson::SUCCESS)
    return Status::Error("not a feeds status object (no \"sources\" list)");
  std::vector<SourceState> out;
  for (simdjson::dom::element e : sources) {
    Result<SourceState> s = ParseSourceStateJson(simdjson::minify(e));
    if (!s.ok()) return s.status();
    out.push_back(std::move(s.value()));
  }
  return out;
}

}  // namespace gfi
