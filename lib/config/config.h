// gfi-milter's configuration (TOML, default /etc/gfi-milter/gfi-milter.toml), shared by the daemon
// and gfictl. Key names are a contract (product.md; gfi-milter.toml(5) documents each).
//
// Loading is strict: an unknown table or key, a value of the wrong type or out of range is an
// error naming file, line and key, so a typo never silently falls back to a default. Config is a
// plain value; copy it freely.
#ifndef GFI_CONFIG_CONFIG_H_
#define GFI_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/limits.h"
#include "global/vocabulary.h"
#include "util/minisign.h"
#include "util/status.h"

namespace gfi {

inline constexpr const char* kDefaultConfigPath = "/etc/gfi-milter/gfi-milter.toml";

struct MilterConfig {
  std::string socket = "unix:/run/gfi-milter/milter.sock";
  OnError on_error = OnError::kTempfail;
  std::string user = "gfi-milter";
  // The group a unix socket (and a socket directory the daemon creates) is given: its members may
  // connect, and nothing else. "" = the user's own group (which also reads feeds, status and the
  // quarantine). The package makes gfi-milter-mta for the MTA's user (gfi-milter(8), PRIVILEGES).
  std::string socket_group;
  std::string pid_file = "/run/gfi-milter/gfi-milter.pid";
  std::string status_file = "/run/gfi-milter/status.json";
  std::string spool_dir = "/var/lib/gfi-milter/spool";  // private temp files of large messages
  uint64_t memory_per_message = 1 << 20;                 // bytes kept in memory, then spooled
  uint64_t max_message_bytes = 100ull << 20;             // larger: on_error (cannot scan whole)
  std::string reject_reply = "Message rejected by policy (reference {ref})";   // 550 5.7.1
  std::string tempfail_reply = "Message deferred by policy (reference {ref})";  // 451 4.7.1
  std::string authserv_id;  // Authentication-Results authserv-id; "" = the host name
  uint64_t timeout = 600;   // seconds the MTA connection may stay silent (libmilter timeout)
};

struct IndicatorsConfig {
  std::vector<std::string> paths = {"/etc/gfi-milter/indicators"};
  uint64_t reload_interval = 30;  // seconds between checks of the feed files; 0 = SIGUSR1 only
  // The daemon keeps the last version of each feed that loaded here; "" = "last-good" beside
  // [quarantine] dir (/var/lib/gfi-milter/last-good by default); unset in the file.
  std::string last_good_dir;
  // A feed whose indicator count falls below (1 - max_shrink) x its last good version's is held
  // back (its last good version stays in service) until `gfictl indicators accept`; 1 = never.
  double max_shrink = 0.5;
  // [indicators.markings]: feed file name (or full path) -> marking, given to every indicator of
  // that feed that carries none (CSV, Zeek and ClamAV feeds cannot carry one), e.g.
  // "partner-red.csv" = "TLP:RED".
  std::map<std::string, std::string> markings;
  // minisign public key files whose signatures a feed's FILE.minisig may carry, and those keys,
  // read and parsed when the configuration loads (indicators/signature.h has the rules).
  std::vector<std::string> trusted_keys;
  std::vector<MinisignPublicKey> trusted_public_keys;
  bool require_signature = false;  // a feed without FILE.minisig (by a trusted key) is invalid
  // Secret keys of blinded feeds (.blind; indicators/blind_key.h), read when the indicators load
  // (not here: gfictl commands that read no feed need not be able to read a secret key). Two in
  // service at once is a key rotation.
  std::vector<std::string> blind_keys;
};

// One conditional rule: applies to a match when every condition given holds (an empty list is no
// condition). The first rule that applies sets the match's action.
struct PolicyRuleConfig {
  std::vector<std::string> types;     // indicator types ("domain", "sha256", "subject-regex", ...)
  std::vector<std::string> where;     // where seen ("mail_from", "body.html", ...)
  std::vector<std::string> feeds;     // feed file names
  std::vector<std::string> markings;  // e.g. "TLP:AMBER"
  std::vector<std::string> spf;       // SPF results ("pass", "fail", ...)
  std::vector<std::string> tenants;   // tenant names ("default" for recipients of no tenant)
  // Defect names or prefixes ("limit.*", "archive.encrypted"): the rule applies to the message's
  // defects instead of to indicator matches (each defect it names becomes a match of type
  // "defect"). A rule with defects may add only a tenant condition.
  std::vector<std::string> defects;
  Action action = Action::kQuarantine;  // required in the file
};

struct PolicyConfig {
  Action default_action = Action::kQuarantine;
  std::map<std::string, Action> feed_actions;                 // feed file name -> action
  std::map<std::string, Action> type_actions;                 // indicator type -> action
  std::map<std::string, Action> marking_actions;              // marking -> action
  std::vector<std::string> sensitive_markings = {"TLP:RED"};  // values never shown in output
  MixedTenants mixed_tenants = MixedTenants::kSplit;
  // A message that was read only in part (a limit.* defect: parts, nesting, archive members or
  // ratio, HTML size, ...): what is past the limit was never scanned. "accept" = no action.
  Action limit_action = Action::kQuarantine;
  std::vector<PolicyRuleConfig> rules;                        // [[policy.rule]]
};

// A customer of the provider, known by its recipient domains ([[tenant]]).
struct TenantConfig {
  std::string name;
  std::vector<std::string> domains;  // recipient domains (and their subdomains)
  bool monitor = false;              // log and tag, never block
  std::optional<Action> default_action;  // unset = [policy] default_action
  std::map<std::string, Action> feed_actions;
  std::map<std::string, Action> type_actions;
  std::map<std::string, Action> marking_actions;
  std::vector<std::string> allow_senders;
};

struct AllowConfig {
  std::vector<std::string> client_networks;  // CIDRs or addresses
  std::vector<std::string> senders;          // "user@domain", "@domain" or "domain"
  std::vector<std::string> recipients;       // same forms
};

struct SpfConfig {
  bool enabled = true;
  std::vector<std::string> resolvers;  // "IP[:PORT]"; empty = /etc/resolv.conf
  uint64_t timeout = 5;                // seconds per DNS query
  std::vector<std::string> protected_domains;  // sender domains whose SPF failures are acted on
  Action fail_action = Action::kReject;     // SPF fail for a protected domain
  Action softfail_action = Action::kTag;    // SPF softfail for a protected domain
};

struct QuarantineConfig {
  QuarantineMode mode = QuarantineMode::kStore;
  std::string dir = "/var/lib/gfi-milter/quarantine";
  std::string release_via = "smtp:127.0.0.1:10026";  // smtp:HOST:PORT | sendmail:PATH
  std::string postsuper = "/usr/sbin/postsuper";     // releases from the hold queue (mode hold)
  std::string postqueue = "/usr/sbin/postqueue";     // mode hold: flushes a released message
  std::string postfix_config;  // passed as postsuper/postqueue -c DIR when set; its master.cf is
                               // read to refuse release targets that run this milter
  uint64_t retention_days = 0;                       // the daemon purges older entries; 0 = never
};

// [store]: where the quarantine's entries live (sqlite: files and index under [quarantine] dir;
// postgresql: the database dsn_file names, shared by a fleet).
struct StoreConfig {
  StoreBackend backend = StoreBackend::kSqlite;
  std::string dsn_file;        // a file whose first line is a libpq connection string (secret)
  uint64_t pool_size = 4;      // connections per process, at most
  uint64_t timeout_ms = 10000;  // statement_timeout (and lock_timeout) of every query
  // This host's name in the shared store: quarantine entries and hit records say which host
  // wrote them. "" = the machine's host name (gethostname).
  std::string host_name;
};

// One [[feeds.taxii]] source: a TAXII 2.1 collection pulled into [feeds] dir as NAME.json
// (lib/feeds/sync.h). Secrets are named by file, never written in the configuration.
struct TaxiiSourceConfig {
  std::string name;           // [a-z0-9_-]+, unique: the feed file is NAME.json
  std::string url;            // the collection's URL (https://.../collections/ID/), ends in '/'
  std::string username;       // HTTP Basic, with password_file
  std::string password_file;  // the password (first line); file not readable by others
  std::string token_file;     // HTTP Bearer token (first line) instead of Basic
  std::string client_cert;    // TLS client certificate (PEM), with client_key
  std::string client_key;     // its private key (PEM); file not readable by others
  std::string ca_file;        // trust anchors (PEM); "" = the system's
  uint64_t interval = 300;    // seconds between pulls by the daemon; 0 = only when asked
  uint64_t connect_timeout = 30;         // seconds to connect (TCP and TLS)
  uint64_t timeout = 300;                // seconds for one request (one page), start to end
  uint64_t max_response_bytes = 256ull << 20;  // of one response body (decoded); larger: refused
  uint64_t page_size = 1000;             // objects asked for per request (TAXII limit)
};

struct FeedsConfig {
  // Pulled feeds live here, always read as an indicator path (a missing directory is an empty
  // one); per-source state and locks live in its .state/ subdirectory, which the loader skips.
  std::string dir = "/var/lib/gfi-milter/feeds";
  std::vector<TaxiiSourceConfig> taxii;  // [[feeds.taxii]]
};

// [hits]: the daemon's hit records (hits/hit_store.h): which indicators fired, never message
// content. Written off the message's path by one thread (hits/hit_writer.h).
struct HitsConfig {
  bool enabled = true;
  uint64_t retention_days = 400;  // older records are purged by the daemon; 0 = kept for ever
  uint64_t queue_size = 100000;   // records waiting for the writer; beyond, dropped and counted
  uint64_t batch_size = 1000;     // a write starts when this many wait
  uint64_t flush_ms = 1000;       // and at least this often
  bool operator==(const HitsConfig&) const = default;
};

// [report]: gfictl report.
struct ReportConfig {
  std::string identity_name = "gfi-milter";  // the reporting organisation (STIX identity name)
};

// [metrics]: Prometheus text format at GET /metrics.
struct MetricsConfig {
  std::string listen = "127.0.0.1:9469";  // IP:PORT ([IPv6]:PORT); "" = off
  bool allow_remote = false;  // a listen address other than loopback is refused unless true
  bool operator==(const MetricsConfig&) const = default;
};

struct Config {
  MilterConfig milter;
  IndicatorsConfig indicators;
  PolicyConfig policy;
  QuarantineConfig quarantine;
  StoreConfig store;
  std::vector<TenantConfig> tenants;  // [[tenant]]
  AllowConfig allow;
  SpfConfig spf;
  AnalysisLimits limits;  // [limits]
  FeedsConfig feeds;      // [feeds], [[feeds.taxii]]
  HitsConfig hits;        // [hits]
  ReportConfig report;    // [report]
  MetricsConfig metrics;  // [metrics]
  std::string source;     // file the values came from; "" for built-in defaults
};

// [indicators] last_good_dir as configured, or its default beside the quarantine directory.
std::string LastGoodDir(const Config& c);

// The paths indicators are loaded from: [indicators] paths, then [feeds] dir when it exists (and
// is not listed already). A feeds directory that does not exist yet holds no feed; it is not an
// error, unlike a missing [indicators] path.
std::vector<std::string> IndicatorPaths(const Config& c);

// The feed names that are not file names: each [[feeds.taxii]] source's file ({dir}/NAME.json)
// is feed NAME. Keyed by path, as the loader sees it (loader.h, ApplyFeedName).
std::map<std::string, std::string> FeedNames(const Config& c);

// Reads and validates `path`.
Result<Config> LoadConfig(const std::string& path);

// Validates TOML text; `source` names it in error messages.
Result<Config> ParseConfig(std::string_view text, const std::string& source);

// The config gfictl uses: `path` when given (it must load), else the default file when it exists,
// else built-in defaults.
Result<Config> LoadConfigOrDefault(const std::string& path);

// A configuration read as far as it goes, for commands that only read (gfictl status, quarantine
// list/show, ...) while the daemon runs on an earlier, valid version: every key that parses is
// used, every one that does not keeps its default and is named in `errors`. A TOML syntax error
// drops the offending line and the file is read again (at most 50 times).
struct LenientConfig {
  Config config;
  std::vector<std::string> errors;    // "FILE:LINE: KEY: what", as LoadConfig reports them
  std::vector<std::string> keys_set;  // "section.key" given in the file (and used), file order
  bool file_read = false;  // false: the file could not be read (errors says why); defaults used
};

// Like LoadConfigOrDefault, but never fails (see LenientConfig). path "" = the default file when
// it exists, else built-in defaults.
LenientConfig LoadConfigLenient(const std::string& path);

}  // namespace gfi

#endif  // GFI_CONFIG_CONFIG_H_
