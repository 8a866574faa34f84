// Signed feed files: which feeds must carry a minisign signature (FILE.minisig beside FILE), by
// which keys, and what a failed check is called. The format and the cryptography are
// util/minisign.h's; this is the policy ([indicators] trusted_keys, require_signature).
//
// Rules (gfi-milter.toml(5) says the same):
//  - A feed with FILE.minisig beside it is always verified, whatever require_signature says: a
//    signature that is there and does not verify (bad, by a key not in trusted_keys, malformed,
//    unreadable) makes the feed invalid, exactly like a feed with a bad line.
//  - require_signature = true: a feed without FILE.minisig is invalid, unless it lies in one of
//    `exempt_dirs` (meant for the TAXII pull directory, [feeds] dir: those feeds are authenticated
//    by TLS). A .minisig found in an exempt directory is still verified.
//  - Replay (loader.cc): the signing time is the trusted comment's "timestamp:" (minisign -S
//    writes it). A feed signed earlier than the version in service (its last good copy's
//    signature) is refused; a feed whose signature carries no timestamp is not compared.
//  - Stripping (loader.cc): a feed whose version in service was signed is refused when it comes
//    back unsigned, even with require_signature = false; deleting its last good copy (or signing
//    it again) is how an admin accepts it unsigned.
// A FeedSignaturePolicy is a plain value, read-only once built: thread-safe to share.
#ifndef GFI_INDICATORS_SIGNATURE_H_
#define GFI_INDICATORS_SIGNATURE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/minisign.h"

namespace gfi {

struct FeedSignaturePolicy {
  std::vector<MinisignPublicKey> trusted_keys;  // [indicators] trusted_keys, loaded
  bool require_signature = false;               // [indicators] require_signature
  // Feeds directly in (or below) these directories need no signature. Not configurable: the
  // program fills it with the directories whose feeds it pulls itself over TLS.
  std::vector<std::string> exempt_dirs;

  bool Exempt(const std::string& feed_path) const;
};

// What went wrong with a feed's signature; kNone when it verified or when none was needed.
enum class FeedSignatureError {
  kNone,
  kMissing,            // require_signature and no FILE.minisig
  kUnreadable,         // FILE.minisig exists but cannot be read
  kMalformed,          // FILE.minisig is not minisign's format (the line is named)
  kUntrustedKey,       // signed by a key id not in trusted_keys
  kBadSignature,       // the feed's bytes do not match
  kBadTrustedComment,  // the trusted comment's signature does not verify
  kReplayed,           // signed earlier than the version in service
  kStripped,           // unsigned, while the version in service was signed
};
const char* ToString(FeedSignatureError e);

struct FeedSignature {
  bool present = false;   // a signature file was there
  bool verified = false;  // and both its signatures verified with a trusted key
  FeedSignatureError error = FeedSignatureError::kNone;
  std::string message;  // "FEED: reason", naming the signature file where it is about it
  std::string key_id;   // the signing key's id (hex, as minisign prints it) when verified
  std::string key_file;  // the trusted key file it verified with
  std::optional<int64_t> timestamp;  // the trusted comment's signing time
  std::string text;  // the signature file's text (kept beside the feed's last good copy)

  bool ok() const { return error == FeedSignatureError::kNone; }
};

// FILE.minisig.
std::string SignaturePathFor(const std::string& feed_path);

// Checks `bytes` (the feed as read) against `signature_path` under `policy`; `feed_path` names the
// feed in messages and decides exemption. No file beside it: kMissing when required, else an
// unsigned ok result.
FeedSignature CheckFeedSignature(const std::string& feed_path, std::string_view bytes,
                                 const std::string& signature_path,
                                 const FeedSignaturePolicy& policy);

// The signing time of a kept signature's text (the version in service), if it has one.
std::optional<int64_t> SignatureTimestamp(std::string_view signature_text);
// The key id of a kept signature's text, "" when it cannot be read.
std::string SignatureKeyId(std::string_view signature_text);

// "2026-12-02T05:46:55Z" for messages.
std::string SigningTime(int64_t unix_seconds);

}  // namespace gfi

#endif  // GFI_INDICATORS_SIGNATURE_H_
