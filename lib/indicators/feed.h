// Reading indicator feeds. The format is known by file extension: .json (STIX 2.1 bundle),
// .intel (Zeek intel), .csv, .hdb/.hsb (ClamAV hash signatures), .blind (blinded, blind_feed.h).
//
// A feed file is all or nothing: one invalid entry makes the whole file invalid (its errors name
// file and line, or JSON path), so a half-read feed never replaces a good one. Patterns outside the
// supported subset are not errors: they are counted and listed as unsupported. Thread-safe.
#ifndef GFI_INDICATORS_FEED_H_
#define GFI_INDICATORS_FEED_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "indicators/blind_key.h"
#include "indicators/indicator.h"
#include "indicators/rule_list.h"
#include "indicators/signature.h"
#include "util/status.h"

namespace gfi {

struct Feed {
  std::string path;
  std::string name;                  // file name, used as the rules' feed
  RuleList rules;  // every rule read, active or not (expiry is checked at match time); packed
  std::vector<std::string> errors;   // "path:line: reason" or "path: $.objects[3].pattern: reason"
  std::vector<std::string> unsupported;  // "path: $.objects[5]: FOLLOWEDBY is not supported"
  double load_seconds = 0;
  // Its minisign signature, when it was read under a FeedSignaturePolicy (a failed check is also
  // the first of `errors`, and no rule is read).
  FeedSignature signature;
  // A blinded feed: the key its hashes were made with, and the IP prefix lengths it uses (every
  // IP seen is hashed at each of them).
  std::shared_ptr<const BlindKey> blind_key;
  std::vector<int> blind_ipv4_prefixes, blind_ipv6_prefixes;

  bool ok() const { return errors.empty(); }
};

// At most this many errors are kept per file (the count goes on).
inline constexpr size_t kMaxErrorsPerFeed = 100;

// How a feed file is read. With `signatures`, the feed's signature (signature.h) is checked over
// the very bytes that are then parsed; a failed check makes the feed invalid unparsed.
struct FeedReadOptions {
  const FeedSignaturePolicy* signatures = nullptr;  // nullptr: signatures are not looked at
  std::string signature_path;  // "" = FILE.minisig beside the file read
  // The keys a .blind feed may be blinded with; nullptr or none: every .blind feed is invalid.
  const BlindKeyring* blind_keys = nullptr;
};

// Reads one feed file; the reader is chosen by extension.
Feed LoadFeed(const std::string& path, const FeedReadOptions& options = {});
// Reads `file` as if it were the feed at `as_path`: format, feed name, generated ids and error
// messages all come from `as_path` (a kept last good copy stands in for its feed).
Feed LoadFeedAs(const std::string& file, const std::string& as_path,
                const FeedReadOptions& options = {});

// Reads feed text of a given format ("json", "intel", "csv", "hdb", "hsb", "blind"); `path` names
// it in errors. Exposed for tests and fuzzing.
Feed ParseFeed(std::string_view text, std::string_view format, const std::string& path,
               const BlindKeyring* blind_keys = nullptr);

// The feed formats by extension, as in error messages: ".json, .intel, .csv, .hdb, .hsb or .blind".
inline constexpr std::string_view kFeedExtensions = ".json, .intel, .csv, .hdb, .hsb or .blind";

// Expands files and directories (non-recursive, sorted by name; files with other extensions
// skipped) into the list of feed files. Missing paths are errors.
// Files of a directory with another extension are listed in `skipped` (when given) so that the
// caller can say so: a feed saved as "feed.CSV.txt" must not silently vanish. Hidden files and
// minisign signatures (".minisig", read with their feed) are not listed.
Result<std::vector<std::string>> ExpandFeedPaths(const std::vector<std::string>& paths,
                                                 std::vector<std::string>* skipped = nullptr);

// How restrictive a canonical TLP 2.0 label is: TLP:CLEAR 0, GREEN 1, AMBER 2, AMBER+STRICT 3,
// RED 4; -1 for any other marking.
int TlpMarkingRank(std::string_view label);

// Format readers (each appends to feed->rules / errors / unsupported).
void ParseStixBundle(std::string_view text, Feed* feed);
void ParseZeekIntel(std::string_view text, Feed* feed);
void ParseCsvFeed(std::string_view text, Feed* feed);
void ParseClamAvHashes(std::string_view text, bool sha_variant, Feed* feed);
void ParseBlindFeed(std::string_view text, const BlindKeyring* keys, Feed* feed);

}  // namespace gfi

#endif  // GFI_INDICATORS_FEED_H_
