// TOML configuration via toml++. Every key is read through one table of known keys so unknown
// ones are reported rather than ignored; toml++'s exceptions stop at this file's boundary.
#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <toml++/toml.h>

#include "global/vocabulary.h"
#include "util/net.h"
#include "util/strings.h"

namespace gfi {
namespace {

// Names from the one vocabulary (global/vocabulary.h).
// Indicator types as policy keys: the term kinds' names, and "spf" (the SPF verdict of a
// protected domain).
const std::vector<std::string> kTypes = [] {
  std::vector<std::string> t = kTermKindNames.Names();
  t.emplace_back(kSpfMatchType);
  return t;
}();
// "limit.parts", "mime.*", "archive.encrypted": lower-case words, dots, '_', at most one trailing
// '*' (a prefix).
bool ValidDefectPattern(const std::string& d) {
  if (d.empty()) return false;
  for (size_t i = 0; i < d.size(); ++i) {
    char c = d[i];
    if (c == '*') {
      if (i + 1 != d.size()) return false;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) return false;
  }
  return true;
}

const std::vector<std::string> kWheres = kWhereNames.Names();
const std::vector<std::string> kSpfResults = kSpfResultNames.Names();

// 127.0.0.0/8 or ::1.
bool IsLoopback(const IpAddress& ip) {
  if (!ip.v6) return ip.bytes[0] == 127;
  for (size_t i = 0; i < 15; ++i)
    if (ip.bytes[i] != 0) return false;
  return ip.bytes[15] == 1;
}

class Reader {
 public:
  // errors == nullptr: strict (the first error is returned). Otherwise lenient: each error is
  // appended there, the key keeps its default, and reading goes on. keys_set (optional) receives
  // every "section.key" read successfully.
  Reader(const toml::table& root, const std::string& source,
         std::vector<std::string>* errors = nullptr, std::vector<std::string>* keys_set = nullptr)
      : root_(root), source_(source), errors_(errors), keys_set_(keys_set) {}

  Status Run(Config* c) {
    static const std::vector<std::string> kTables = {"milter", "indicators", "policy", "quarantine",
                                                     "store", "limits", "allow", "spf", "feeds",
                                                     "hits", "report", "metrics"};
    for (const auto& [k, v] : root_) {
      std::string key(k.str());
      if (key == "tenant") {
        if (!v.is_array_of_tables() && !Note(Error(v, key, "expected [[tenant]] tables")))
          return Error(v, key, "expected [[tenant]] tables");
        continue;
      }
      if (std::find(kTables.begin(), kTables.end(), key) == kTables.end()) {
        if (!Note(Error(v, key, "unknown table or key")))
          return Error(v, key, "unknown table or key");
        continue;
      }
      if (!v.is_table() && !Note(Error(v, key, "expected a table")))
        return Error(v, key, "expected a table");
    }
    Status s;
    if (!(s = Table("milter", {
            {"socket", [&](const toml::node& n, const std::string& k) {
               return Socket(n, k, &c->milter.socket);
             }},
            {"on_error", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kOnErrorNames, &c->milter.on_error);
             }},
            {"user", [&](const toml::node& n, const std::string& k) {
               return String(n, k, &c->milter.user);
             }},
            {"socket_group", [&](const toml::node& n, const std::string& k) {
               return Token(n, k, &c->milter.socket_group);
             }},
            {"pid_file", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->milter.pid_file);
             }},
            {"status_file", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->milter.status_file);
             }},
            {"spool_dir", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->milter.spool_dir);
             }},
            {"memory_per_message", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 4096, 1ull << 30, &c->milter.memory_per_message);
             }},
            {"max_message_bytes", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1024, 64ull << 30, &c->milter.max_message_bytes);
             }},
            {"reject_reply", [&](const toml::node& n, const std::string& k) {
               return Reply(n, k, &c->milter.reject_reply);
             }},
            {"tempfail_reply", [&](const toml::node& n, const std::string& k) {
               return Reply(n, k, &c->milter.tempfail_reply);
             }},
            {"authserv_id", [&](const toml::node& n, const std::string& k) {
               return Token(n, k, &c->milter.authserv_id);
             }},
            {"timeout", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1, 86400, &c->milter.timeout);
             }},
        })).ok())
      return s;
    if (!(s = Table("indicators", {
            {"paths", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->indicators.paths);
             }},
            {"reload_interval", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 0, 86400, &c->indicators.reload_interval);
             }},
            {"last_good_dir", [&](const toml::node& n, const std::string& k) {
               return String(n, k, &c->indicators.last_good_dir);
             }},
            {"max_shrink", [&](const toml::node& n, const std::string& k) {
               return Fraction(n, k, 0.0, 1.0, &c->indicators.max_shrink);
             }},
            {"markings", [&](const toml::node& n, const std::string& k) {
               return StringMap(n, k, &c->indicators.markings);
             }},
            {"trusted_keys", [&](const toml::node& n, const std::string& k) {
               return KeyFiles(n, k, &c->indicators.trusted_keys,
                               &c->indicators.trusted_public_keys);
             }},
            {"require_signature", [&](const toml::node& n, const std::string& k) {
               return Bool(n, k, &c->indicators.require_signature);
             }},
            {"blind_keys", [&](const toml::node& n, const std::string& k) {
               if (Status e = StringList(n, k, &c->indicators.blind_keys); !e.ok()) return e;
               for (const std::string& p : c->indicators.blind_keys)
                 if (p.empty()) return Error(n, k, "an empty path");
               return Status::Ok();
             }},
        })).ok())
      return s;
    if (!(s = Table("policy", {
            {"default_action", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kActionNames, &c->policy.default_action);
             }},
            {"limit_action", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kActionNames, &c->policy.limit_action);
             }},
            {"feed_actions", [&](const toml::node& n, const std::string& k) {
               return ActionMap(n, k, {}, &c->policy.feed_actions);
             }},
            {"type_actions", [&](const toml::node& n, const std::string& k) {
               return ActionMap(n, k, kTypes, &c->policy.type_actions);
             }},
            {"marking_actions", [&](const toml::node& n, const std::string& k) {
               return ActionMap(n, k, {}, &c->policy.marking_actions);
             }},
            {"sensitive_markings", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->policy.sensitive_markings);
             }},
            {"mixed_tenants", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kMixedTenantsNames, &c->policy.mixed_tenants);
             }},
            {"rule", [&](const toml::node& n, const std::string& k) {
               return Rules(n, k, &c->policy.rules);
             }},
        })).ok())
      return s;
    if (const toml::array* tenants = root_["tenant"].as_array();
        tenants != nullptr && tenants->is_array_of_tables()) {
      for (const toml::node& t : *tenants) {
        if (!(s = Tenant(t, &c->tenants)).ok() && !Note(s)) return s;
      }
    }
    if (!(s = Table("allow", {
            {"client_networks", [&](const toml::node& n, const std::string& k) {
               return Networks(n, k, &c->allow.client_networks);
             }},
            {"senders", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->allow.senders);
             }},
            {"recipients", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->allow.recipients);
             }},
        })).ok())
      return s;
    if (!(s = Table("spf", {
            {"enabled", [&](const toml::node& n, const std::string& k) {
               return Bool(n, k, &c->spf.enabled);
             }},
            {"resolvers", [&](const toml::node& n, const std::string& k) {
               return Resolvers(n, k, &c->spf.resolvers);
             }},
            {"timeout", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1, 60, &c->spf.timeout);
             }},
            {"protected_domains", [&](const toml::node& n, const std::string& k) {
               return StringList(n, k, &c->spf.protected_domains);
             }},
            {"fail_action", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kActionNames, &c->spf.fail_action);
             }},
            {"softfail_action", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kActionNames, &c->spf.softfail_action);
             }},
        })).ok())
      return s;
    if (!(s = Table("store", {
            {"backend", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kStoreBackendNames, &c->store.backend);
             }},
            {"dsn_file", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->store.dsn_file);
             }},
            {"pool_size", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1, 64, &c->store.pool_size);
             }},
            {"timeout_ms", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 100, 600000, &c->store.timeout_ms);
             }},
            {"host_name", [&](const toml::node& n, const std::string& k) {
               return Token(n, k, &c->store.host_name);
             }},
        })).ok())
      return s;
    if (!(s = Table("quarantine", {
            {"mode", [&](const toml::node& n, const std::string& k) {
               return Enum(n, k, kQuarantineModeNames, &c->quarantine.mode);
             }},
            {"dir", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->quarantine.dir);
             }},
            {"release_via", [&](const toml::node& n, const std::string& k) {
               return ReleaseVia(n, k, &c->quarantine.release_via);
             }},
            {"postsuper", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->quarantine.postsuper);
             }},
            {"postqueue", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->quarantine.postqueue);
             }},
            {"postfix_config", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->quarantine.postfix_config);
             }},
            {"retention_days", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 0, 36500, &c->quarantine.retention_days);
             }},
        })).ok())
      return s;
    if (!(s = Table("hits", {
            {"enabled", [&](const toml::node& n, const std::string& k) {
               return Bool(n, k, &c->hits.enabled);
             }},
            {"retention_days", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 0, 36500, &c->hits.retention_days);
             }},
            {"queue_size", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1, 100000000, &c->hits.queue_size);
             }},
            {"batch_size", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 1, 1000000, &c->hits.batch_size);
             }},
            {"flush_ms", [&](const toml::node& n, const std::string& k) {
               return Int(n, k, 10, 3600000, &c->hits.flush_ms);
             }},
        })).ok())
      return s;
    if (!(s = Table("report", {
            {"identity_name", [&](const toml::node& n, const std::string& k) {
               return IdentityName(n, k, &c->report.identity_name);
             }},
        })).ok())
      return s;
    if (!(s = Table("metrics", {
            {"listen", [&](const toml::node& n, const std::string& k) {
               return MetricsListen(n, k, &c->metrics.listen);
             }},
            {"allow_remote", [&](const toml::node& n, const std::string& k) {
               return Bool(n, k, &c->metrics.allow_remote);
             }},
        })).ok())
      return s;
    if (const toml::node* n = root_["metrics"]["listen"].node();
        n != nullptr && !c->metrics.allow_remote && !c->metrics.listen.empty()) {
      Result<HostPort> hp = ParseHostPort(c->metrics.listen);
      std::optional<IpAddress> ip = hp.ok() ? ParseIp(hp.value().host) : std::nullopt;
      if (!ip || !IsLoopback(*ip)) {
        Status e = Error(*n, "metrics.listen",
                         "'" + c->metrics.listen +
                             "' is not a loopback address; metrics show what the filter does, "
                             "set [metrics] allow_remote = true to serve them there");
        if (!Note(e)) return e;
        c->metrics.listen = MetricsConfig{}.listen;
      }
    }
    if (!(s = Table("feeds", {
            {"dir", [&](const toml::node& n, const std::string& k) {
               return Path(n, k, &c->feeds.dir);
             }},
            {"taxii", [&](const toml::node& n, const std::string& k) {
               return TaxiiSources(n, k, &c->feeds.taxii);
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
    uint64_t scan_ms = l.max_scan_ms;
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
            {"max_regex_bytes", u64(&l.max_regex_bytes, 1024, 16ull << 30)},
            {"max_scan_ms", u64(&scan_ms, 1, 3600000)},
        })).ok())
      return s;
    l.max_scan_ms = static_cast<uint32_t>(scan_ms);
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
    return Keys(*t, name, keys);
  }

  Status Keys(const toml::table& t, const std::string& name,
              const std::vector<std::pair<std::string, Handler>>& keys) {
    for (const auto& [k, v] : t) {
      const std::string short_key(k.str());
      const std::string key = name + "." + short_key;
      auto it = std::find_if(keys.begin(), keys.end(),
                             [&](const auto& e) { return e.first == short_key; });
      if (it == keys.end()) {
        if (Note(Error(v, key, "unknown key"))) continue;
        return Error(v, key, "unknown key");
      }
      if (Status s = it->second(v, key); !s.ok()) {
        if (Note(s)) continue;
        return s;
      }
      if (keys_set_ != nullptr &&
          std::find(keys_set_->begin(), keys_set_->end(), key) == keys_set_->end())
        keys_set_->push_back(key);
    }
    return Status::Ok();
  }

  // Lenient mode: records `s` and returns true (go on); strict mode: false.
  bool Note(const Status& s) const {
    if (errors_ == nullptr) return false;
    errors_->push_back(s.message());
    return true;
  }

  Status Bool(const toml::node& n, const std::string& key, bool* out) const {
    if (!n.is_boolean()) return Error(n, key, "expected true or false");
    *out = *n.value<bool>();
    return Status::Ok();
  }

  // An absolute path.
  Status Path(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    if (v[0] != '/') return Error(n, key, "'" + v + "' is not an absolute path");
    *out = v;
    return Status::Ok();
  }

  // SMTP reply text: one printable ASCII line ("{ref}" is replaced by the reference id).
  Status Reply(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    if (v.size() > 400 || !std::all_of(v.begin(), v.end(), [](char ch) {
          return ch >= 0x20 && ch < 0x7f;
        }))
      return Error(n, key, "must be one line of printable ASCII, at most 400 characters");
    *out = v;
    return Status::Ok();
  }

  // A header token such as a host name.
  Status Token(const toml::node& n, const std::string& key, std::string* out) const {
    if (!n.is_string()) return Error(n, key, "expected a string");
    std::string v = *n.value<std::string>();
    if (v.size() > 255 || !std::all_of(v.begin(), v.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
                 ch == '_';
        }))
      return Error(n, key, "'" + v + "' is not a host name");
    *out = v;
    return Status::Ok();
  }

  // A table of NAME = "action"; names are checked against `names` unless it is empty.
  Status ActionMap(const toml::node& n, const std::string& key,
                   const std::vector<std::string>& names,
                   std::map<std::string, Action>* out) const {
    const toml::table* t = n.as_table();
    if (t == nullptr) return Error(n, key, "expected a table of name = \"action\"");
    std::map<std::string, Action> m;
    for (const auto& [name, action] : *t) {
      std::string sub = key + "." + std::string(name.str());
      if (!names.empty() && std::find(names.begin(), names.end(), name.str()) == names.end())
        return Error(action, sub, "unknown indicator type");
      Action v = Action::kAccept;
      if (Status st = Enum(action, sub, kActionNames, &v); !st.ok()) return st;
      m[std::string(name.str())] = v;
    }
    *out = std::move(m);
    return Status::Ok();
  }

  // A table of name = "string" (every value a non-empty string).
  Status StringMap(const toml::node& n, const std::string& key,
                   std::map<std::string, std::string>* out) const {
    const toml::table* t = n.as_table();
    if (t == nullptr) return Error(n, key, "expected a table of name = \"value\"");
    std::map<std::string, std::string> m;
    for (const auto& [name, value] : *t) {
      std::string v;
      if (Status st = String(value, key + "." + std::string(name.str()), &v); !st.ok()) return st;
      m[std::string(name.str())] = v;
    }
    *out = std::move(m);
    return Status::Ok();
  }

  Status Networks(const toml::node& n, const std::string& key, std::vector<std::string>* out) const {
    std::vector<std::string> v;
    if (Status s = StringList(n, key, &v); !s.ok()) return s;
    for (const std::string& net : v) {
      if (auto p = ParseNetwork(net); !p.ok()) return Error(n, key, p.error());
    }
    *out = std::move(v);
    return Status::Ok();
  }

  Status Resolvers(const toml::node& n, const std::string& key,
                   std::vector<std::string>* out) const {
    std::vector<std::string> v;
    if (Status s = StringList(n, key, &v); !s.ok()) return s;
    for (const std::string& r : v) {
      if (auto p = ParseResolver(r); !p.ok()) return Error(n, key, p.error());
    }
    if (v.size() > 3) return Error(n, key, "at most 3 name servers");
    *out = std::move(v);
    return Status::Ok();
  }

  Status Rules(const toml::node& n, const std::string& key, std::vector<PolicyRuleConfig>* out) {
    const toml::array* a = n.as_array();
    if (a == nullptr || !a->is_array_of_tables())
      return Error(n, key, "expected [[policy.rule]] tables");
    for (const toml::node& e : *a) {
      PolicyRuleConfig r;
      bool has_action = false;
      Status s = Keys(*e.as_table(), key, {
          {"type", [&](const toml::node& x, const std::string& k) {
             return Names(x, k, kTypes, &r.types);
           }},
          {"where", [&](const toml::node& x, const std::string& k) {
             return Names(x, k, kWheres, &r.where);
           }},
          {"feed", [&](const toml::node& x, const std::string& k) {
             return StringList(x, k, &r.feeds);
           }},
          {"marking", [&](const toml::node& x, const std::string& k) {
             return StringList(x, k, &r.markings);
           }},
          {"spf", [&](const toml::node& x, const std::string& k) {
             return Names(x, k, kSpfResults, &r.spf);
           }},
          {"tenant", [&](const toml::node& x, const std::string& k) {
             return StringList(x, k, &r.tenants);
           }},
          {"defects", [&](const toml::node& x, const std::string& k) {
             Status st = StringList(x, k, &r.defects);
             for (const std::string& d : r.defects)
               if (st.ok() && !ValidDefectPattern(d))
                 st = Error(x, k, "'" + d + "' is not a defect name or prefix (e.g. \"limit.*\", "
                                  "\"archive.encrypted\")");
             return st;
           }},
          {"action", [&](const toml::node& x, const std::string& k) {
             has_action = true;
             return Enum(x, k, kActionNames, &r.action);
           }},
      });
      if (!s.ok()) return s;
      if (!has_action) return Error(e, key, "a rule needs an action");
      if (!r.defects.empty() && (!r.types.empty() || !r.where.empty() || !r.feeds.empty() ||
                                 !r.markings.empty() || !r.spf.empty()))
        return Error(e, key, "a rule with defects may add only a tenant condition");
      out->push_back(std::move(r));
    }
    return Status::Ok();
  }

  // [[feeds.taxii]]: each source's keys, then what holds across them (names unique, one way to
  // authenticate, a client key with its certificate).
  Status TaxiiSources(const toml::node& n, const std::string& key,
                      std::vector<TaxiiSourceConfig>* out) {
    const toml::array* a = n.as_array();
    if (a == nullptr || !a->is_array_of_tables())
      return Error(n, key, "expected [[feeds.taxii]] tables");
    std::vector<TaxiiSourceConfig> v;
    for (const toml::node& e : *a) {
      TaxiiSourceConfig t;
      auto path = [&](std::string* dst) {
        return [this, dst](const toml::node& x, const std::string& k) { return Path(x, k, dst); };
      };
      auto num = [&](uint64_t* dst, uint64_t lo, uint64_t hi) {
        return [this, dst, lo, hi](const toml::node& x, const std::string& k) {
          return Int(x, k, lo, hi, dst);
        };
      };
      Status s = Keys(*e.as_table(), key, {
          {"name", [&](const toml::node& x, const std::string& k) {
             Status st = String(x, k, &t.name);
             if (st.ok() && (t.name.size() > 64 ||
                             !std::all_of(t.name.begin(), t.name.end(), [](char ch) {
                               return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                      ch == '_' || ch == '-';
                             })))
               st = Error(x, k, "'" + t.name + "' is not a feed name ([a-z0-9_-]+, at most 64)");
             return st;
           }},
          {"url", [&](const toml::node& x, const std::string& k) {
             Status st = String(x, k, &t.url);
             if (!st.ok()) return st;
             if (t.url.rfind("https://", 0) != 0 || t.url.size() <= 8)
               return Error(x, k, "'" + t.url + "' is not an https:// collection URL");
             const std::string authority = t.url.substr(8, t.url.find('/', 8) - 8);
             if (authority.find('@') != std::string::npos)
               return Error(x, k, "the URL must not carry credentials (use username and "
                                  "password_file, or token_file)");
             if (t.url.find_first_of("?# \t\r\n") != std::string::npos)
               return Error(x, k, "'" + t.url + "' must not have a query, a fragment or blanks");
             if (t.url.back() != '/') t.url.push_back('/');
             return Status::Ok();
           }},
          {"username", [&](const toml::node& x, const std::string& k) {
             Status st = String(x, k, &t.username);
             if (st.ok() && t.username.find(':') != std::string::npos)
               st = Error(x, k, "a Basic user name cannot contain ':'");
             return st;
           }},
          {"password_file", path(&t.password_file)},
          {"token_file", path(&t.token_file)},
          {"client_cert", path(&t.client_cert)},
          {"client_key", path(&t.client_key)},
          {"ca_file", path(&t.ca_file)},
          {"interval", num(&t.interval, 0, 7 * 86400)},
          {"connect_timeout", num(&t.connect_timeout, 1, 600)},
          {"timeout", num(&t.timeout, 1, 86400)},
          {"max_response_bytes", num(&t.max_response_bytes, 1024, 16ull << 30)},
          {"page_size", num(&t.page_size, 1, 100000)},
      });
      if (!s.ok()) return s;
      if (t.name.empty()) return Error(e, key, "a TAXII source needs a name");
      if (t.url.empty()) return Error(e, key + ".url", "a TAXII source needs a collection url");
      for (const TaxiiSourceConfig& o : v)
        if (o.name == t.name) return Error(e, key + ".name", "duplicate source '" + t.name + "'");
      if (!t.username.empty() != !t.password_file.empty())
        return Error(e, key, "username and password_file go together (HTTP Basic)");
      if (!t.token_file.empty() && !t.username.empty())
        return Error(e, key, "either username and password_file (Basic) or token_file (Bearer)");
      if (!t.client_cert.empty() != !t.client_key.empty())
        return Error(e, key, "client_cert and client_key go together");
      v.push_back(std::move(t));
    }
    *out = std::move(v);
    return Status::Ok();
  }

  Status Tenant(const toml::node& n, std::vector<TenantConfig>* out) {
    TenantConfig t;
    const std::string key = "tenant";
    Status s = Keys(*n.as_table(), key, {
        {"name", [&](const toml::node& x, const std::string& k) { return String(x, k, &t.name); }},
        {"domains", [&](const toml::node& x, const std::string& k) {
           return StringList(x, k, &t.domains);
         }},
        {"monitor", [&](const toml::node& x, const std::string& k) {
           return Bool(x, k, &t.monitor);
         }},
        {"default_action", [&](const toml::node& x, const std::string& k) {
           Action a = Action::kAccept;
           Status st = Enum(x, k, kActionNames, &a);
           if (st.ok()) t.default_action = a;
           return st;
         }},
        {"feed_actions", [&](const toml::node& x, const std::string& k) {
           return ActionMap(x, k, {}, &t.feed_actions);
         }},
        {"type_actions", [&](const toml::node& x, const std::string& k) {
           return ActionMap(x, k, kTypes, &t.type_actions);
         }},
        {"marking_actions", [&](const toml::node& x, const std::string& k) {
           return ActionMap(x, k, {}, &t.marking_actions);
         }},
        {"allow_senders", [&](const toml::node& x, const std::string& k) {
           return StringList(x, k, &t.allow_senders);
         }},
    });
    if (!s.ok()) return s;
    if (t.name.empty()) return Error(n, key, "a tenant needs a name");
    if (t.name == "default") return Error(n, key + ".name", "'default' is reserved");
    if (t.domains.empty()) return Error(n, key + ".domains", "a tenant needs at least one domain");
    for (const TenantConfig& o : *out) {
      if (o.name == t.name) return Error(n, key + ".name", "duplicate tenant '" + t.name + "'");
      for (const std::string& d : t.domains) {
        for (const std::string& od : o.domains) {
          if (EqualsIgnoreCase(d, od))
            return Error(n, key + ".domains",
                         "'" + d + "' already belongs to tenant '" + o.name + "'");
        }
      }
    }
    out->push_back(std::move(t));
    return Status::Ok();
  }

  // A list of names, each one of `allowed`.
  Status Names(const toml::node& n, const std::string& key, const std::vector<std::string>& allowed,
               std::vector<std::string>* out) const {
    std::vector<std::string> v;
    if (Status s = StringList(n, key, &v); !s.ok()) return s;
    for (const std::string& x : v) {
      if (std::find(allowed.begin(), allowed.end(), x) == allowed.end())
        return Error(n, key, "'" + x + "' is not a known name here");
    }
    *out = std::move(v);
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

  template <typename E, size_t N>
  Status Enum(const toml::node& n, const std::string& key, const NameTable<E, N>& names,
              E* out) const {
    std::string v;
    if (Status s = Enum(n, key, names.Names(), &v); !s.ok()) return s;
    *out = *names.Parse(v);
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

  // A number (integer or float) from lo to hi.
  Status Fraction(const toml::node& n, const std::string& key, double lo, double hi,
                  double* out) const {
    double v;
    if (n.is_integer()) v = static_cast<double>(*n.value<int64_t>());
    else if (n.is_floating_point()) v = *n.value<double>();
    else return Error(n, key, "expected a number");
    if (!(v >= lo && v <= hi)) {
      char range[64];
      std::snprintf(range, sizeof(range), "[%g, %g]", lo, hi);
      return Error(n, key, "the value is out of range " + std::string(range));
    }
    *out = v;
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

  // minisign public key files, each read and parsed now: a key that cannot be is a config error
  // naming the file (a feed would otherwise fail later with "untrusted key").
  Status KeyFiles(const toml::node& n, const std::string& key, std::vector<std::string>* paths,
                  std::vector<MinisignPublicKey>* keys) const {
    std::vector<std::string> v;
    if (Status s = StringList(n, key, &v); !s.ok()) return s;
    std::vector<MinisignPublicKey> loaded;
    for (const std::string& p : v) {
      if (p.empty()) return Error(n, key, "an empty path");
      Result<MinisignPublicKey> k = LoadMinisignPublicKey(p);
      if (!k.ok()) return Error(n, key, k.error());
      for (const MinisignPublicKey& o : loaded)
        if (o.key_id == k.value().key_id && o.key != k.value().key)
          return Error(n, key, p + " and " + o.source + " are different keys with the same key id " +
                                   o.KeyIdHex());
      loaded.push_back(std::move(k).value());
    }
    *paths = std::move(v);
    *keys = std::move(loaded);
    return Status::Ok();
  }

  Status Socket(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    if (auto m = ParseMilterSocket(v); !m.ok()) return Error(n, key, m.error());
    *out = v;
    return Status::Ok();
  }

  // [metrics] listen: "" (off) or IP:PORT / [IPv6]:PORT with an address literal (no name: the
  // exposer binds what it is given).
  Status MetricsListen(const toml::node& n, const std::string& key, std::string* out) const {
    auto v = n.value<std::string>();
    if (!n.is_string() || !v) return Error(n, key, "expected a string");
    if (v->empty()) {
      out->clear();
      return Status::Ok();
    }
    Result<HostPort> hp = ParseHostPort(*v);
    if (!hp.ok()) return Error(n, key, hp.error());
    if (!ParseIp(hp.value().host))
      return Error(n, key, "'" + hp.value().host + "' is not an IP address (\"\" turns metrics off)");
    if (hp.value().port == 0) return Error(n, key, "port 0");
    *out = *v;
    return Status::Ok();
  }

  // The reporting organisation's name: one printable line (it goes into STIX and HTML output).
  Status IdentityName(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    if (v.size() > 200 || !IsValidUtf8(v) ||
        std::any_of(v.begin(), v.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }))
      return Error(n, key, "expected one printable line of at most 200 bytes");
    *out = v;
    return Status::Ok();
  }

  Status ReleaseVia(const toml::node& n, const std::string& key, std::string* out) const {
    std::string v;
    if (Status s = String(n, key, &v); !s.ok()) return s;
    bool ok = false;
    if (v.rfind("smtp:", 0) == 0) {
      auto hp = ParseHostPort(std::string_view(v).substr(5));
      if (!hp.ok()) return Error(n, key, "smtp: " + hp.error());
      ok = true;
    } else if (v.rfind("sendmail:", 0) == 0) {
      ok = v.size() > 9 && v[9] == '/';
    }
    if (!ok) return Error(n, key, "'" + v + "' is not smtp:HOST:PORT or sendmail:/PATH");
    *out = v;
    return Status::Ok();
  }

  const toml::table& root_;
  const std::string& source_;
  std::vector<std::string>* errors_;
  std::vector<std::string>* keys_set_;
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
  if (!in) return Status::Error(path + ": cannot open configuration file: " + std::strerror(errno));
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

namespace gfi {

std::string LastGoodDir(const Config& c) {
  if (!c.indicators.last_good_dir.empty()) return c.indicators.last_good_dir;
  std::string q = c.quarantine.dir;
  while (q.size() > 1 && q.back() == '/') q.pop_back();
  size_t slash = q.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : q.substr(0, slash));
  return parent + (parent == "/" ? "" : "/") + "last-good";
}

std::vector<std::string> IndicatorPaths(const Config& c) {
  std::vector<std::string> paths = c.indicators.paths;
  auto same = [](std::string a, std::string b) {
    while (a.size() > 1 && a.back() == '/') a.pop_back();
    while (b.size() > 1 && b.back() == '/') b.pop_back();
    return a == b;
  };
  struct stat st;
  if (!c.feeds.dir.empty() && ::stat(c.feeds.dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
      std::none_of(paths.begin(), paths.end(),
                   [&](const std::string& p) { return same(p, c.feeds.dir); }))
    paths.push_back(c.feeds.dir);
  return paths;
}

std::map<std::string, std::string> FeedNames(const Config& c) {
  std::map<std::string, std::string> names;
  std::string dir = c.feeds.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  for (const TaxiiSourceConfig& t : c.feeds.taxii) names[dir + "/" + t.name + ".json"] = t.name;
  return names;
}

LenientConfig LoadConfigLenient(const std::string& given) {
  LenientConfig out;
  std::string path = given;
  if (path.empty()) {
    struct stat st;
    if (::stat(kDefaultConfigPath, &st) != 0) {
      out.file_read = true;  // no file: the built-in defaults are the configuration
      return out;
    }
    path = kDefaultConfigPath;
  }
  out.config.source = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back(path + ": cannot open configuration file: " + std::strerror(errno));
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    out.errors.push_back(path + ": cannot read configuration file: " + std::strerror(errno));
    return out;
  }
  out.file_read = true;
  std::string text = ss.str();
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      toml::table root = toml::parse(text, path);
      Config c;
      c.source = path;
      std::vector<std::string> errors, keys;
      Reader r(root, path, &errors, &keys);
      (void)r.Run(&c);
      out.config = std::move(c);
      out.errors.insert(out.errors.end(), errors.begin(), errors.end());
      out.keys_set = std::move(keys);
      return out;
    } catch (const toml::parse_error& e) {
      size_t line = e.source().begin.line;
      out.errors.push_back(path + ":" + std::to_string(line) + ": " + std::string(e.description()) +
                           " (line ignored)");
      // Blank the offending line (1-based) and read the file again.
      size_t pos = 0;
      for (size_t l = 1; l < line && pos != std::string::npos; ++l) {
        pos = text.find('\n', pos);
        if (pos != std::string::npos) ++pos;
      }
      if (pos == std::string::npos || pos >= text.size()) break;
      size_t end = text.find('\n', pos);
      text.erase(pos, end == std::string::npos ? std::string::npos : end - pos);
    } catch (const std::exception& e) {
      out.errors.push_back(path + ": " + e.what());
      break;
    }
  }
  return out;
}

}  // namespace gfi
