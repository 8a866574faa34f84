// TOML configuration via toml++. Every key is read through one table of known keys so unknown
// ones are reported rather than ignored; toml++'s exceptions stop at this file's boundary.
#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <toml++/toml.h>

namespace gfi {
namespace {

const std::vector<std::string> kActions = {"accept",   "tag",    "quarantine",
                                           "tempfail", "reject", "discard"};

class Reader {
 public:
  Reader(const toml::table& root, const std::string& source) : root_(root), source_(source) {}

  Status Run(Config* c) {
    static const std::vector<std::string> kTables = {"milter", "indicators", "policy",
                                                     "quarantine", "limits"};
    for (const auto& [k, v] : root_) {
      std::string key(k.str());
      if (std::find(kTables.begin(), kTables.end(), key) == kTables.end())
        return Error(v, key, "unknown table or key");
      if (!v.is_table()) return Error(v, key, "expected a table");
    }
    Status s;
    if (!(s = Table("milter", {
            {"socket", [&](const toml::node& n, const std::string& k) {
               return Socket(n, k, &c->milter.socket);
             }},
            {"on_error", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, {"tempfail", "accept", "reject"}, &c->milter.on_error);
             }},
            {"user", [&](const toml::node& n, const std::string& k) {
               return String(n, k, &c->milter.user);
             }},
        })).ok())
      return s;
    if (!(s = Table("indicators", {
            {"paths", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->indicators.paths);
             }},
        })).ok())
      return s;
    if (!(s = Table("policy", {
            {"default_action", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kActions, &c->policy.default_action);
             }},
            {"feed_actions", [&](const toml::node& n, const std::string& k) {
               const toml::table* t = n.as_table();
               if (t == nullptr) return Error(n, k, "expected a table of feed = \"action\"");
               std::map<std::string, std::string> m;
               for (const auto& [feed, action] : *t) {
                 std::string v;
                 Status st = Enum(action, k + "." + std::string(feed.str()), kActions, &v);
                 if (!st.ok()) return st;
                 m[std::string(feed.str())] = v;
               }
               c->policy.feed_actions = std::move(m);
               return Status::Ok();
             }},
            {"sensitive_markings", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->policy.sensitive_markings);
             }},
        })).ok())
      return s;
    if (!(s = Table("quarantine", {
            {"mode", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, {"store", "hold"}, &c->quarantine.mode);
             }},
            {"dir", [&](const toml::node& n, const std::string& k) {
               return String(n, k, &c->quarantine.dir);
             }},
            {"release_via", [&](const toml::node& n, const std::string& k) {
               return ReleaseVia(n, k, &c->quarantine.release_via);
             }},
        })).ok())
      return s;
    AnalysisLimits& l = c->limits;
    auto sz = [&](size_t* dst, uint64_t lo, uint64_t hi) {
      return [this, dst, lo, hi](const toml::node& n, const std::string& k) {
        uint64_t v;
        Status st = Int(n, k, lo, hi, &v);
        if (st.ok()) *dst = static_cast<size_t>(v);
        return st;
      };
    };
    auto u64 = [&](uint64_t* dst, uint64_t lo, uint64_t hi) {
      return [this, dst, lo, hi](const toml::node& n, const std::string& k) {
        return Int(n, k, lo, hi, dst);
      };
    };
    uint64_t nesting = static_cast<uint64_t>(l.max_nesting);
    uint64_t adepth = static_cast<uint64_t>(l.max_archive_depth);
    uint64_t ratio = l.max_archive_ratio;
    if (!(s = Table("limits", {
            {"max_header_bytes", sz(&l.max_header_bytes, 1024, 64ull << 20)},
            {"max_parts", sz(&l.max_parts, 1, 1000000)},
            {"max_nesting", u64(&nesting, 1, 1000)},
            {"max_decoded_bytes", u64(&l.max_decoded_bytes, 1024, 16ull << 30)},
            {"max_archive_depth", u64(&adepth, 0, 100)},
            {"max_archive_members", sz(&l.max_archive_members, 0, 10000000)},
            {"max_archive_bytes", u64(&l.max_archive_bytes, 0, 64ull << 30)},
            {"max_archive_ratio", u64(&ratio, 1, 1000000)},
            {"max_urls", sz(&l.max_urls, 1, 10000000)},
            {"max_html_bytes", sz(&l.max_html_bytes, 1024, 1ull << 30)},
        })).ok())
      return s;
    l.max_nesting = static_cast<int>(nesting);
    l.max_archive_depth = static_cast<int>(adepth);
    l.max_archive_ratio = static_cast<uint32_t>(ratio);
    return Status::Ok();
  }

 private:
  using Handler = std::function<Status(const toml::node&, const std::string&)>;

  Status Table(const std::string& name, const std::vector<std::pair<std::string, Handler>>& keys) {
    const toml::table* t = root_[name].as_table();
    if (t == nullptr) return Status::Ok();
    for (const auto& [k, v] : *t) {
      const std::string short_key(k.str());
      const std::string key = name + "." + short_key;
      auto it = std::find_if(keys.begin(), keys.end(),
                             [&](const auto& e) { return e.first == short_key; });
      if (it == keys.end()) return Error(v, key, "unknown key");
      if (Status s = it->second(v, key); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Error(const toml::node& n, const std::string& key, const std::string& what) const {
    const auto& src = n.source();
    return Status::Error(source_ + ":" + std::to_string(src.begin.line) + ": " + key + ": " +
                         what);
  }

  Status String(const toml::node& n, const std::string& key, std::string* out) const {
    auto v = n.value<std::string>();
    if (!n.is_string() || !v) return Error(n, key, "expected a string");
    if (v->empty()) return Error(n, key, "must not be empty");
    *out = *v;
    return Status::Ok();
  }

  Status Enum(const toml::node& n, const std::string& key, const std::vector<std::string>& allowed,
              std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Error(n, key, "'" + v + "' is not one of: " + list);
    }
    *out = v;
    return Status::Ok();
  }

  Status Int(const toml::node& n, const std::string& key, uint64_t lo, uint64_t hi,
             uint64_t* out) const {
    if (!n.is_integer()) return Error(n, key, "expected an integer");
    int64_t v = *n.value<int64_t>();
    if (v < 0 || static_cast<uint64_t>(v) < lo || static_cast<uint64_t>(v) > hi)
      return Error(n, key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                               std::to_string(hi) + "]");
    *out = static_cast<uint64_t>(v);
    return Status::Ok();
  }

  Status StringList(const toml::node& n, const std::string& key,
                    std::vector<std::string>* out) const {
    const toml::array* a = n.as_array();
    if (a == nullptr) return Error(n, key, "expected an array of strings");
    std::vector<std::string> v;
    for (const toml::node& e : *a) {
      if (!e.is_string()) return Error(e, key, "expected an array of strings");
      v.push_back(*e.value<std::string>());
    }
    *out = std::move(v);
    return Status::Ok();
  }

  Status Socket(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    bool ok = false;
    if (v.rfind("unix:", 0) == 0 || v.rfind("local:", 0) == 0) {
      ok = v.find(':') + 1 < v.size() && v[v.find(':') + 1] == '/';
    } else if (v.rfind("inet:", 0) == 0 || v.rfind("inet6:", 0) == 0) {
      std::string rest = v.substr(v.find(':') + 1);
      size_t at = rest.find('@');
      std::string port = rest.substr(0, at);
      ok = !port.empty() && port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(port) > 0 && std::stoi(port) < 65536;
    }
    if (!ok)
      return Error(n, key, "'" + v + "' is not unix:/PATH, inet:PORT[@HOST] or inet6:PORT[@HOST]");
    *out = v;
    return Status::Ok();
  }

  Status ReleaseVia(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    bool ok = false;
    if (v.rfind("smtp:", 0) == 0) {
      size_t colon = v.rfind(':');
      std::string port = v.substr(colon + 1);
      ok = colon > 5 && !port.empty() && port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    } else if (v.rfind("sendmail:", 0) == 0) {
      ok = v.size() > 9 && v[9] == '/';
    }
    if (!ok) return Error(n, key, "'" + v + "' is not smtp:HOST:PORT or sendmail:/PATH");
    *out = v;
    return Status::Ok();
  }

  const toml::table& root_;
  const std::string& source_;
};

}  // namespace

Result<Config> ParseConfig(std::string_view text, const std::string& source) {
  Config c;
  c.source = source;
  try {
    toml::table root = toml::parse(text, source);
    Reader r(root, source);
    if (Status s = r.Run(&c); !s.ok()) return s;
  } catch (const toml::parse_error& e) {
    return Status::Error(source + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::Error(source + ": " + e.what());
  }
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open configuration file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error(path + ": read error");
  return ParseConfig(ss.str(), path);
}

Result<Config> LoadConfigOrDefault(const std::string& path) {
  if (!path.empty()) return LoadConfig(path);
  struct stat st;
  if (::stat(kDefaultConfigPath, &st) == 0) return LoadConfig(kDefaultConfigPath);
  return Config{};
}

}  // namespace gfi
