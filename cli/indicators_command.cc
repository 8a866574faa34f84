// `gfictl indicators check` (validate feeds, counts per type, signatures as [indicators]
// trusted_keys and require_signature say; exit 1 if any is invalid) and
// `gfictl indicators lookup` (which indicators would match a value, and why; exit 0 when one
// would, 1 when none, 2 on an error). A blinded indicator is found only with its key (the value
// is hashed as the matcher hashes it): whoever holds the key can test a guess, nobody else can.
// `gfictl indicators accept FEED` confirms a feed the shrink guard holds back (engine/loader.h):
// it records the SHA-256 of the file as it is now, so the next reload takes that very file.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "engine_setup.h"
#include "engine/engine.h"
#include "extract/address.h"
#include "extract/url.h"
#include "indicators/feed.h"
#include "indicators/last_good.h"
#include "engine/loader.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace gfi {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

struct CheckOptions {
  bool json = false;
  std::string config_path;
  std::vector<std::string> keys;  // blinding keys besides [indicators] blind_keys
  std::vector<std::string> paths;
};

// "signed by key ID (KEYFILE), signed at T", "unsigned" or the failure.
std::string SignatureSummary(const FeedSignature& s) {
  if (!s.verified) return s.present ? "signature not verified" : "unsigned";
  std::string out = "signed by key " + s.key_id;
  if (!s.key_file.empty()) out += " (" + s.key_file + ")";
  if (s.timestamp) out += ", signed at " + SigningTime(*s.timestamp);
  return out;
}

int RunCheck(const CheckOptions& o) {
  int status = 0;
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, "gfictl indicators check", &config)) return 2;
  const FeedSignaturePolicy signatures = SignaturePolicyFromConfig(config);
  Result<BlindKeyring> blind_keys = BlindKeysFromConfig(config);
  if (!blind_keys.ok()) {
    std::fprintf(stderr, "gfictl indicators check: %s\n", blind_keys.error().c_str());
    return 2;
  }
  for (const std::string& k : o.keys) {
    auto key = ReadBlindKeyFile(k);
    if (!key.ok()) {
      std::fprintf(stderr, "gfictl indicators check: %s\n", key.error().c_str());
      return 2;
    }
    if (!blind_keys.value().Find(key.value()->id())) (void)blind_keys.value().Add(key.value());
  }
  // The daemon's last good copies, read only: a feed signed earlier than the version in service
  // (replayed) is reported as the daemon would refuse it.
  std::optional<LastGoodStore> last_good;
  struct stat lg_st;
  if (const std::string lg = LastGoodDir(config); ::stat(lg.c_str(), &lg_st) == 0)
    last_good.emplace(lg, /*writable=*/false);
  std::vector<std::string> files;
  for (const std::string& p : o.paths) {
    std::vector<std::string> skipped;
    auto expanded = ExpandFeedPaths({p}, &skipped);
    if (!expanded.ok()) {
      std::fprintf(stderr, "gfictl indicators check: %s\n", expanded.error().c_str());
      status = 1;
      continue;
    }
    for (const std::string& f : skipped)
      std::fprintf(stderr, "gfictl indicators check: warning: not a feed (unknown extension, "
                   "expected %s), skipped: %s\n", std::string(kFeedExtensions).c_str(), f.c_str());
    files.insert(files.end(), expanded.value().begin(), expanded.value().end());
  }
  const int64_t now = Now();
  std::vector<Feed> good;
  for (const std::string& f : files) {
    Feed feed = LoadFeed(f, FeedReadOptions{&signatures, "", &blind_keys.value()});
    if (feed.ok() && last_good) CheckVersionInService(*last_good, signatures, &feed);
    std::map<std::string, size_t> by_type;
    size_t expired = 0, revoked = 0, pending = 0;
    for (const Rule& r : feed.rules) {
      for (const auto& conj : r.any_of)
        for (const Term& t : conj) ++by_type[std::string(ToString(t.kind))];
      if (r.revoked) ++revoked;
      else if (r.valid_until != 0 && now >= r.valid_until) ++expired;
      else if (r.valid_from != 0 && now < r.valid_from) ++pending;
    }
    if (!feed.ok()) status = 1;
    if (o.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("feed").String(feed.path);
      w.Key("valid").Bool(feed.ok());
      w.Key("signature").BeginObject();
      w.Key("present").Bool(feed.signature.present);
      w.Key("verified").Bool(feed.signature.verified);
      if (feed.signature.verified) {
        w.Key("key_id").String(feed.signature.key_id);
        w.Key("key_file").String(feed.signature.key_file);
        if (feed.signature.timestamp) w.Key("timestamp").Int(*feed.signature.timestamp);
      }
      if (!feed.signature.ok()) w.Key("error").String(ToString(feed.signature.error));
      w.EndObject();
      if (feed.blind_key) w.Key("blind_key").String(feed.blind_key->id());
      w.Key("rules").Uint(feed.rules.size());
      w.Key("types").BeginObject();
      for (const auto& [k, n] : by_type) w.Key(k).Uint(n);
      w.EndObject();
      w.Key("expired").Uint(expired);
      w.Key("revoked").Uint(revoked);
      w.Key("not_yet_valid").Uint(pending);
      w.Key("unsupported").Uint(feed.unsupported.size());
      w.Key("load_seconds").Double(feed.load_seconds);
      w.Key("errors").BeginArray();
      for (const std::string& e : feed.errors) w.String(e);
      w.EndArray();
      w.Key("unsupported_patterns").BeginArray();
      for (const std::string& u : feed.unsupported) w.String(u);
      w.EndArray();
      w.EndObject();
      std::cout << w.str() << "\n";
    } else {
      std::cout << feed.path << ": " << (feed.ok() ? "valid" : "INVALID") << ", "
                << feed.rules.size() << " indicators";
      for (const auto& [k, n] : by_type) std::cout << ", " << k << " " << n;
      std::cout << "; expired " << expired << ", revoked " << revoked << ", not yet valid "
                << pending << ", unsupported " << feed.unsupported.size();
      std::printf("; read in %.3f s", feed.load_seconds);
      std::cout << "; " << SignatureSummary(feed.signature);
      if (feed.blind_key) std::cout << "; blinded with key " << feed.blind_key->id();
      std::cout << "\n";
      std::cout.flush();
      for (const std::string& e : feed.errors) std::cout << "  error: " << e << "\n";
      for (const std::string& u : feed.unsupported) std::cout << "  unsupported: " << u << "\n";
    }
    if (feed.ok()) good.push_back(std::move(feed));
  }
  if (!good.empty() && !o.json) {
    auto snap = IndicatorSnapshot::Build(good, SnapshotOptions{}, now);
    if (!snap.ok()) {
      std::cout << "compile: FAILED: " << snap.error() << "\n";
      status = 1;
    } else {
      const SnapshotStats& s = snap.value()->stats();
      std::printf("compiled %zu indicators from %zu valid feed(s) in %.3f s, %.1f MiB\n", s.rules,
                  good.size(), s.build_seconds, s.memory_bytes / 1048576.0);
    }
  }
  std::cout.flush();
  return status;
}

struct LookupOptions {
  bool json = false;
  bool reveal = false;
  std::string config_path;
  std::vector<std::string> indicators;
  std::vector<std::string> keys;  // blinding keys besides [indicators] blind_keys
  std::string type;               // "" = guessed from each value
  std::vector<std::string> values;
};

// `raw` as an observable of the type given (--type), normalised as the extractor would; nullopt
// when it is not a valid value of that type.
std::optional<Observable> ObservableOfType(ObservableType t, std::string_view raw) {
  std::string_view v = Trim(raw);
  std::optional<std::string> value;
  switch (t) {
    case ObservableType::kIp: value = CanonicalIp(v); break;
    case ObservableType::kDomain: value = NormalizeHost(v); break;
    case ObservableType::kEmail: value = NormalizeAddress(v); break;
    case ObservableType::kUrl:
      if (auto u = NormalizeUrl(v)) value = u->url;
      break;
    case ObservableType::kMd5:
    case ObservableType::kSha1:
    case ObservableType::kSha256: {
      const size_t want = t == ObservableType::kMd5 ? 32 : t == ObservableType::kSha1 ? 40 : 64;
      if (v.size() == want && v.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos)
        value = AsciiLowered(v);
      break;
    }
    case ObservableType::kFilename:
      if (!v.empty()) value = std::string(v);
      break;
  }
  if (!value) return std::nullopt;
  return Observable{t, std::move(*value), Where::kBodyText};
}

// Everything a value typed by an admin could be, as observables seen "anywhere".
std::vector<Observable> ObservablesFor(std::string_view raw) {
  std::vector<Observable> out;
  std::string_view v = Trim(raw);
  auto add = [&](ObservableType t, std::string value) {
    out.push_back(Observable{t, std::move(value), Where::kBodyText});
  };
  if (auto ip = CanonicalIp(v)) {
    add(ObservableType::kIp, *ip);
    return out;
  }
  bool hex = !v.empty() && v.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
  if (hex && v.size() == 32) add(ObservableType::kMd5, AsciiLowered(v));
  if (hex && v.size() == 40) add(ObservableType::kSha1, AsciiLowered(v));
  if (hex && v.size() == 64) add(ObservableType::kSha256, AsciiLowered(v));
  if (!out.empty()) return out;
  if (v.find("://") != std::string_view::npos || StartsWithIgnoreCase(v, "www.")) {
    if (auto u = NormalizeUrl(v)) {
      add(ObservableType::kUrl, u->url);
      add(u->host_is_ip ? ObservableType::kIp : ObservableType::kDomain, u->host);
    }
    return out;
  }
  if (v.find('@') != std::string_view::npos) {
    if (auto a = NormalizeAddress(v)) {
      add(ObservableType::kDomain, std::string(AddressDomain(*a)));
      add(ObservableType::kEmail, std::move(*a));
    }
    return out;
  }
  if (auto h = NormalizeHost(v)) add(ObservableType::kDomain, *h);
  add(ObservableType::kFilename, std::string(v));
  return out;
}

std::string WhereList(WhereMask mask) {
  if (mask == kAnywhere) return "anywhere";
  std::string out;
  for (int w = 0; w <= static_cast<int>(Where::kHeaderOther); ++w) {
    if (mask & WhereBit(static_cast<Where>(w))) {
      if (!out.empty()) out += ",";
      out += ToString(static_cast<Where>(w));
    }
  }
  return out;
}

int RunLookup(const LookupOptions& o) {
  Config cfg;
  if (!LoadReadOnlyConfig(o.config_path, "gfictl indicators lookup", &cfg)) return 2;
  Result<Config> config = cfg;
  std::optional<ObservableType> type;
  if (!o.type.empty() && !(type = ParseObservableType(o.type))) {
    std::fprintf(stderr, "gfictl indicators lookup: unknown --type '%s' (ip, domain, email, url, "
                 "md5, sha1, sha256, filename)\n", o.type.c_str());
    return 2;
  }
  Result<LoadedIndicators> ind = LoadConfiguredIndicators(config.value(), o.indicators, o.keys);
  if (!ind.ok()) {
    std::fprintf(stderr, "gfictl indicators lookup: indicators not loaded:\n%s\n",
                 ind.error().c_str());
    return 2;
  }
  const IndicatorSnapshot& snap = *ind.value().snapshot;
  PolicySettings policy = PolicyFromConfig(config.value());
  const int64_t now = Now();
  int status = 1;
  for (const std::string& e : ind.value().feed_errors)
    std::fprintf(stderr, "gfictl indicators lookup: invalid feed left out: %s\n", e.c_str());
  for (const std::string& value : o.values) {
    std::vector<Match> matches;
    std::vector<Observable> observables;
    if (type) {
      auto ob = ObservableOfType(*type, value);
      if (!ob) {
        std::fprintf(stderr, "gfictl indicators lookup: not a valid %s: %s\n", o.type.c_str(),
                     PrintableUtf8(value).c_str());
        status = 2;
        continue;
      }
      observables.push_back(std::move(*ob));
    } else {
      observables = ObservablesFor(value);
    }
    snap.MatchObservables(observables, now, /*any_where=*/true, /*include_inactive=*/true,
                          &matches);
    if (!matches.empty() && status != 2) status = 0;
    JsonWriter w;
    if (o.json) {
      w.BeginObject();
      w.Key("value").String(value);
      w.Key("matches").BeginArray();
    } else {
      std::cout << PrintableUtf8(value) << ": "
                << (matches.empty() ? "no indicator" : std::to_string(matches.size()) + " indicator(s)")
                << "\n";
    }
    for (const Match& m : matches) {
      RuleView r = snap.rule(m.rule);
      bool redacted = !o.reveal && IsSensitiveRule(policy, r);
      std::string state = r.revoked ? "revoked"
                          : r.ActiveAt(now) ? "active"
                          : (r.valid_until != 0 && now >= r.valid_until) ? "expired"
                                                                         : "not yet valid";
      std::string why = std::string(ToString(m.kind)) +
                        (m.kind == TermKind::kDomain ? " (the domain or a parent of it)" : "");
      if (o.json) {
        w.BeginObject();
        w.Key("indicator").String(r.id);
        w.Key("feed").String(r.feed);
        w.Key("type").String(ToString(m.kind));
        if (r.blinded) w.Key("blinded").Bool(true);
        if (redacted) w.Key("redacted").Bool(true);
        else w.Key("indicator_value").String(r.display);
        w.Key("where").String(WhereList(r.where));
        w.Key("state").String(state);
        if (!r.marking.empty()) w.Key("marking").String(r.marking);
        if (r.action) w.Key("action").String(ToString(*r.action));
        w.EndObject();
      } else {
        std::cout << "  " << r.id << " [" << r.feed << "] " << why << ": "
                  << (r.blinded ? std::string("(blinded") +
                                      (r.marking.empty() ? "" : ", " + std::string(r.marking)) + ")"
                      : redacted ? "(value withheld: " + std::string(r.marking) + ")"
                                 : PrintableUtf8(r.display))
                  << "; matches " << WhereList(r.where) << "; " << state;
        if (r.action) std::cout << "; action " << ToString(*r.action);
        // Names and descriptions often repeat the value: withheld with it.
        if (!redacted && !r.description.empty()) std::cout << "; " << PrintableUtf8(r.description);
        std::cout << "\n";
      }
    }
    if (o.json) {
      w.EndArray();
      w.EndObject();
      std::cout << w.str() << "\n";
    }
  }
  std::cout.flush();
  return status;
}

struct AcceptOptions {
  std::string config_path;
  std::string feed;
};

// The configured feed file `feed` names: its path, or its file name, or its feed name.
Result<std::string> ConfiguredFeed(const Config& config, const std::string& feed) {
  auto files = ExpandFeedPaths(IndicatorPaths(config));
  if (!files.ok()) return files.status();
  const std::map<std::string, std::string> names = FeedNames(config);
  std::vector<std::string> found;
  for (const std::string& f : files.value()) {
    auto name = names.find(f);
    if (f == feed || std::filesystem::path(f).filename() == feed ||
        (name != names.end() && name->second == feed))
      found.push_back(f);
  }
  if (found.empty())
    return Status::Error("'" + PrintableUtf8(feed) +
                         "' is not a configured feed file ([indicators] paths; see gfictl status)");
  if (found.size() > 1)
    return Status::Error("'" + PrintableUtf8(feed) + "' names several feed files (" + found[0] +
                         ", " + found[1] + "): give its full path");
  return found[0];
}

int RunAccept(const AcceptOptions& o) {
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, "gfictl indicators accept", &config)) return 2;
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "gfictl indicators accept: %s\n", why.c_str());
    return 2;
  };
  Result<std::string> feed = ConfiguredFeed(config, o.feed);
  if (!feed.ok()) return fail(feed.error());
  const std::string lg_dir = LastGoodDir(config);
  struct stat lg_st;
  if (::stat(lg_dir.c_str(), &lg_st) != 0)
    return fail(lg_dir + ": no last good feed directory ([indicators] last_good_dir): nothing is "
                         "held back");
  LastGoodStore store(lg_dir, /*writable=*/true);
  if (!store.SavedVersion(feed.value()))
    return fail(feed.value() + ": no last good version is kept: nothing is held back");
  Result<std::string> sha = FileSha256Hex(feed.value());
  if (!sha.ok()) return fail(sha.error());
  if (Status s = store.Accept(feed.value(), sha.value()); !s.ok()) return fail(s.message());
  std::printf("accepted %s as it is now (sha256 %s); the next reload takes it (gfictl reload). "
              "A file changed again is held back again if it shrank.\n",
              feed.value().c_str(), sha.value().c_str());
  return 0;
}

}  // namespace

void RegisterIndicators(CLI::App& app, int* exit_code) {
  CLI::App* ind = app.add_subcommand("indicators", "Validate feeds and look values up");
  ind->require_subcommand(1);

  auto c = std::make_shared<CheckOptions>();
  CLI::App* check = ind->add_subcommand(
      "check", "Validate feed files or directories; print counts per type (exit 1 if invalid)");
  check->add_flag("--json", c->json, "One JSON object per feed, one per line");
  check->add_option("--config", c->config_path,
                    "Configuration file ([indicators] trusted_keys, require_signature, blind_keys)");
  check->add_option("--key", c->keys, "Blinding key file for .blind feeds; repeatable")
      ->allow_extra_args(false);
  check->add_option("PATH", c->paths, "Feed files or directories")->required();
  check->callback([c, exit_code] { *exit_code = RunCheck(*c); });

  auto l = std::make_shared<LookupOptions>();
  CLI::App* lookup = ind->add_subcommand(
      "lookup", "Which indicators would match a domain, URL, address, IP or hash, and why");
  lookup->add_flag("--json", l->json, "One JSON object per value, one per line");
  lookup->add_flag("--reveal", l->reveal, "Show values of sensitive indicators");
  lookup->add_option("--config", l->config_path, "Configuration file");
  lookup->add_option("--indicators", l->indicators,
                     "Feed file or directory instead of the configured ones; repeatable")
      ->allow_extra_args(false);
  lookup->add_option("--key", l->keys,
                     "Blinding key file: look the value up in feeds blinded with it; repeatable")
      ->allow_extra_args(false);
  lookup->add_option("--type", l->type,
                     "The value's type (ip, domain, email, url, md5, sha1, sha256, filename) "
                     "instead of a guess");
  lookup->add_option("VALUE", l->values, "Values to look up")->required();
  lookup->callback([l, exit_code] { *exit_code = RunLookup(*l); });

  auto a = std::make_shared<AcceptOptions>();
  CLI::App* accept = ind->add_subcommand(
      "accept", "Let the next reload take a feed held back because it shrank ([indicators] "
                "max_shrink)");
  accept->add_option("--config", a->config_path, "Configuration file");
  accept->add_option("FEED", a->feed, "The feed file (its path, file name or feed name)")
      ->required();
  accept->callback([a, exit_code] { *exit_code = RunAccept(*a); });

  RegisterBlind(ind, exit_code);
}

}  // namespace gfi
