// IndicatorSnapshot: every loaded indicator compiled into lookup structures, immutable once built.
//
// Built off the hot path (Build), shared by all threads through shared_ptr<const ...>, pinned once
// per message. Layout is compact on purpose (millions of indicators): strings live in one arena,
// exact values in open-addressing tables (domains walk their parent domains), IPs in per-prefix-
// length sorted arrays (every containing CIDR matches, not only the longest), digests as binary in
// sorted arrays, regexes per target behind a literal prefilter (FilteredRE2 atoms in our
// Aho-Corasick automaton) or in one RE2::Set, content literals in our Aho-Corasick automaton.
// Match() is const and thread-safe.
#ifndef GFI_SNAPSHOT_SNAPSHOT_H_
#define GFI_SNAPSHOT_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "extract/analyzer.h"
#include "indicators/feed.h"
#include "util/deadline.h"
#include "util/status.h"

namespace gfi {

struct SnapshotOptions {
  // Per target (subject, a header name, body), shared by its regexes: a target whose regexes do
  // not fit fails to build.
  int64_t regex_max_mem = 256ll << 20;
};

// What matching one message may cost ([limits] max_regex_bytes, the scan's deadline). Running out
// stops the regex and content matching that is left and is reported as a limit.* defect.
struct MatchBudget {
  uint64_t max_regex_bytes = 16ull << 20;  // text handed to regex groups (each text once a group)
  Deadline deadline;                        // none by default
};

// Read-only view of one compiled rule (strings point into the snapshot).
// What a blinded rule shows where others show their value: it has none on this host.
inline constexpr std::string_view kBlindedDisplay = "(blinded)";

struct RuleView {
  std::string id;  // materialised: generated ids ("feed.csv:12") are not stored as text
  std::string_view feed;
  std::string_view display;
  std::string_view description;
  std::string_view marking;
  std::optional<Action> action;
  int confidence = -1;
  int64_t valid_from = 0;
  int64_t valid_until = 0;
  bool revoked = false;
  bool blinded = false;  // from a blinded feed: always sensitive; `display` is not its value
  // Where-restriction of the rule's first term (kAnywhere when unrestricted).
  WhereMask where = kAnywhere;

  bool ActiveAt(int64_t now) const {
    return !revoked && (valid_from == 0 || now >= valid_from) &&
           (valid_until == 0 || now < valid_until);
  }
};

struct Match {
  uint32_t rule;       // index for IndicatorSnapshot::rule()
  TermKind kind;       // the kind of the term that matched (first term of an AND rule)
  std::string observed;
  Where where;
};

struct FeedSummary {
  std::string path;
  std::string name;
  size_t rules = 0;
  double load_seconds = 0;
};

struct SnapshotStats {
  std::map<std::string, size_t> terms_by_kind;  // "domain" -> count
  size_t rules = 0;
  size_t expired = 0;  // at build time
  size_t revoked = 0;
  size_t not_yet_valid = 0;
  size_t superseded = 0;  // older versions of a STIX id that a newer one replaced
  double build_seconds = 0;
  size_t memory_bytes = 0;
  size_t blinded_terms = 0;        // terms of blinded feeds (their hashes)
  size_t blinded_table_bytes = 0;  // the hash tables of blinded terms
  std::vector<FeedSummary> feeds;
};

class IndicatorSnapshot {
 public:
  // Compiles the rules of `feeds` (all of them: callers drop invalid feeds first). `now` is used
  // only for the statistics; expiry is checked at match time.
  static Result<std::shared_ptr<const IndicatorSnapshot>> Build(const std::vector<Feed>& feeds,
                                                                const SnapshotOptions& options,
                                                                int64_t now);
  // As Build, but each feed's rules are freed as they are compiled (RuleList::Drain): the feeds
  // and the snapshot are never whole side by side. The feeds are left without rules either way;
  // on an error, read them again to find which one failed.
  static Result<std::shared_ptr<const IndicatorSnapshot>> BuildDraining(
      std::vector<Feed>* feeds, const SnapshotOptions& options, int64_t now);
  ~IndicatorSnapshot();
  IndicatorSnapshot(const IndicatorSnapshot&) = delete;
  IndicatorSnapshot& operator=(const IndicatorSnapshot&) = delete;

  // Every active rule matched by the message, at most one Match per rule, within `budget`.
  // Running out of it, and a regex set running out of memory on the message, append a defect to
  // *defects ("limit.regex_bytes", "limit.scan_time", "limit.regex_memory", naming where) and
  // matching goes on only where it can; matches found are in *out either way.
  //
  // Regexes with required literals (RE2's FilteredRE2 atoms, found with our Aho-Corasick) run one
  // by one and only when their literals occur: one Set of many regexes builds a DFA whose states
  // multiply on crafted text (seconds per MB), one regex at a time stays linear. Regexes without
  // such literals run together in one RE2::Set.
  void MatchMessage(const MessageAnalysis& message, int64_t now, const MatchBudget& budget,
                    std::vector<Match>* out, std::vector<std::string>* defects) const;

  // As above with the default budget and no deadline; a defect is returned as an error Status
  // (for tools and benchmarks that have no policy to hand it to).
  Status MatchMessage(const MessageAnalysis& message, int64_t now, std::vector<Match>* out) const;

  // Matches observables alone (for `indicators lookup`): `any_where` ignores where-restrictions,
  // `include_inactive` reports expired, revoked and not-yet-valid rules too.
  void MatchObservables(const std::vector<Observable>& observables, int64_t now, bool any_where,
                        bool include_inactive, std::vector<Match>* out) const;

  size_t rule_count() const;
  RuleView rule(uint32_t index) const;
  const SnapshotStats& stats() const { return stats_; }

 private:
  struct Impl;
  static Result<std::shared_ptr<const IndicatorSnapshot>> BuildFrom(
      const std::vector<Feed>& feeds, std::vector<Feed>* drain, const SnapshotOptions& options,
      int64_t now);
  explicit IndicatorSnapshot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  SnapshotStats stats_;
};

}  // namespace gfi

#endif  // GFI_SNAPSHOT_SNAPSHOT_H_
