// Config -> `section.key = value` lines; see config_dump.h. A key added to the loader is added
// here too (config_test checks that every key of a full sample file is listed).
#include "config/config_dump.h"

#include <cstdio>

namespace gfi {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string List(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

std::string Map(const std::map<std::string, std::string>& m) {
  if (m.empty()) return "{}";
  std::string out = "{ ";
  bool first = true;
  for (const auto& [k, v] : m) {
    out += (first ? "" : ", ") + Quote(k) + " = " + Quote(v);
    first = false;
  }
  return out + " }";
}

class Lines {
 public:
  void S(const std::string& k, const std::string& v) { Add(k, Quote(v)); }
  void N(const std::string& k, uint64_t v) { Add(k, std::to_string(v)); }
  void F(const std::string& k, double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", v);
    std::string s = buf;  // a TOML float needs a '.' (or an exponent)
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    Add(k, s);
  }
  void B(const std::string& k, bool v) { Add(k, v ? "true" : "false"); }
  void L(const std::string& k, const std::vector<std::string>& v) { Add(k, List(v)); }
  void M(const std::string& k, const std::map<std::string, std::string>& v) { Add(k, Map(v)); }
  // A typed value or map, by its name (global/vocabulary.h).
  template <typename E>
  void E_(const std::string& k, E v) {
    S(k, std::string(ToString(v)));
  }
  void M(const std::string& k, const std::map<std::string, Action>& v) {
    std::map<std::string, std::string> named;
    for (const auto& [name, a] : v) named[name] = std::string(ToString(a));
    Add(k, Map(named));
  }
  // Keys of array tables: printed as PREFIX.N.key, known to keys_set as PREFIX.key.
  void Indexed(const std::string& prefix, size_t n) {
    prefix_ = prefix;
    index_ = std::to_string(n);
  }
  void EndIndexed() { prefix_.clear(); }
  std::vector<ConfigLine> Take() { return std::move(out_); }

 private:
  void Add(const std::string& k, const std::string& v) {
    if (prefix_.empty()) {
      out_.push_back({k, v, k});
    } else {
      out_.push_back({prefix_ + "." + index_ + "." + k, v, prefix_ + "." + k});
    }
  }
  std::vector<ConfigLine> out_;
  std::string prefix_, index_;
};

}  // namespace

std::vector<ConfigLine> DescribeConfig(const Config& c) {
  Lines l;
  const MilterConfig& m = c.milter;
  l.S("milter.socket", m.socket);
  l.E_("milter.on_error", m.on_error);
  l.S("milter.user", m.user);
  l.S("milter.socket_group", m.socket_group);
  l.S("milter.pid_file", m.pid_file);
  l.S("milter.status_file", m.status_file);
  l.S("milter.spool_dir", m.spool_dir);
  l.N("milter.memory_per_message", m.memory_per_message);
  l.N("milter.max_message_bytes", m.max_message_bytes);
  l.S("milter.reject_reply", m.reject_reply);
  l.S("milter.tempfail_reply", m.tempfail_reply);
  l.S("milter.authserv_id", m.authserv_id);
  l.N("milter.timeout", m.timeout);
  l.L("indicators.paths", c.indicators.paths);
  l.N("indicators.reload_interval", c.indicators.reload_interval);
  l.S("indicators.last_good_dir", LastGoodDir(c));  // the effective one when unset
  l.F("indicators.max_shrink", c.indicators.max_shrink);
  l.M("indicators.markings", c.indicators.markings);
  l.L("indicators.trusted_keys", c.indicators.trusted_keys);
  l.B("indicators.require_signature", c.indicators.require_signature);
  l.L("indicators.blind_keys", c.indicators.blind_keys);  // paths only: keys are never shown
  const PolicyConfig& p = c.policy;
  l.E_("policy.default_action", p.default_action);
  l.M("policy.feed_actions", p.feed_actions);
  l.M("policy.type_actions", p.type_actions);
  l.M("policy.marking_actions", p.marking_actions);
  l.L("policy.sensitive_markings", p.sensitive_markings);
  l.E_("policy.mixed_tenants", p.mixed_tenants);
  l.E_("policy.limit_action", p.limit_action);
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const PolicyRuleConfig& r = p.rules[i];
    l.Indexed("policy.rule", i);
    if (!r.types.empty()) l.L("type", r.types);
    if (!r.where.empty()) l.L("where", r.where);
    if (!r.feeds.empty()) l.L("feed", r.feeds);
    if (!r.markings.empty()) l.L("marking", r.markings);
    if (!r.spf.empty()) l.L("spf", r.spf);
    if (!r.tenants.empty()) l.L("tenant", r.tenants);
    l.E_("action", r.action);
    l.EndIndexed();
  }
  for (size_t i = 0; i < c.tenants.size(); ++i) {
    const TenantConfig& t = c.tenants[i];
    l.Indexed("tenant", i);
    l.S("name", t.name);
    l.L("domains", t.domains);
    l.B("monitor", t.monitor);
    if (t.default_action) l.E_("default_action", *t.default_action);
    if (!t.feed_actions.empty()) l.M("feed_actions", t.feed_actions);
    if (!t.type_actions.empty()) l.M("type_actions", t.type_actions);
    if (!t.marking_actions.empty()) l.M("marking_actions", t.marking_actions);
    if (!t.allow_senders.empty()) l.L("allow_senders", t.allow_senders);
    l.EndIndexed();
  }
  l.L("allow.client_networks", c.allow.client_networks);
  l.L("allow.senders", c.allow.senders);
  l.L("allow.recipients", c.allow.recipients);
  const SpfConfig& s = c.spf;
  l.B("spf.enabled", s.enabled);
  l.L("spf.resolvers", s.resolvers);
  l.N("spf.timeout", s.timeout);
  l.L("spf.protected_domains", s.protected_domains);
  l.E_("spf.fail_action", s.fail_action);
  l.E_("spf.softfail_action", s.softfail_action);
  const QuarantineConfig& q = c.quarantine;
  l.E_("quarantine.mode", q.mode);
  l.S("quarantine.dir", q.dir);
  l.S("quarantine.release_via", q.release_via);
  l.S("quarantine.postsuper", q.postsuper);
  l.S("quarantine.postqueue", q.postqueue);
  l.S("quarantine.postfix_config", q.postfix_config);
  l.N("quarantine.retention_days", q.retention_days);
  l.E_("store.backend", c.store.backend);
  l.S("store.dsn_file", c.store.dsn_file);
  l.N("store.pool_size", c.store.pool_size);
  l.N("store.timeout_ms", c.store.timeout_ms);
  l.S("store.host_name", c.store.host_name);
  l.S("feeds.dir", c.feeds.dir);
  for (size_t i = 0; i < c.feeds.taxii.size(); ++i) {
    const TaxiiSourceConfig& t = c.feeds.taxii[i];
    l.Indexed("feeds.taxii", i);
    l.S("name", t.name);
    l.S("url", t.url);
    if (!t.username.empty()) l.S("username", t.username);
    // Secret files by name only; their content is never read here.
    if (!t.password_file.empty()) l.S("password_file", t.password_file);
    if (!t.token_file.empty()) l.S("token_file", t.token_file);
    if (!t.client_cert.empty()) l.S("client_cert", t.client_cert);
    if (!t.client_key.empty()) l.S("client_key", t.client_key);
    if (!t.ca_file.empty()) l.S("ca_file", t.ca_file);
    l.N("interval", t.interval);
    l.N("connect_timeout", t.connect_timeout);
    l.N("timeout", t.timeout);
    l.N("max_response_bytes", t.max_response_bytes);
    l.N("page_size", t.page_size);
    l.EndIndexed();
  }
  l.B("hits.enabled", c.hits.enabled);
  l.N("hits.retention_days", c.hits.retention_days);
  l.N("hits.queue_size", c.hits.queue_size);
  l.N("hits.batch_size", c.hits.batch_size);
  l.N("hits.flush_ms", c.hits.flush_ms);
  l.S("report.identity_name", c.report.identity_name);
  l.S("metrics.listen", c.metrics.listen);
  l.B("metrics.allow_remote", c.metrics.allow_remote);
  const AnalysisLimits& lim = c.limits;
  l.N("limits.max_header_bytes", lim.max_header_bytes);
  l.N("limits.max_parts", lim.max_parts);
  l.N("limits.max_nesting", static_cast<uint64_t>(lim.max_nesting));
  l.N("limits.max_decoded_bytes", lim.max_decoded_bytes);
  l.N("limits.max_archive_depth", static_cast<uint64_t>(lim.max_archive_depth));
  l.N("limits.max_archive_members", lim.max_archive_members);
  l.N("limits.max_archive_bytes", lim.max_archive_bytes);
  l.N("limits.max_archive_ratio", lim.max_archive_ratio);
  l.N("limits.max_urls", lim.max_urls);
  l.N("limits.max_html_bytes", lim.max_html_bytes);
  l.N("limits.max_regex_bytes", lim.max_regex_bytes);
  l.N("limits.max_scan_ms", lim.max_scan_ms);
  return l.Take();
}

}  // namespace gfi
