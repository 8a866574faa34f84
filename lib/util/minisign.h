// minisign's file formats and its two signature checks (https://jedisct1.github.io/minisign/),
// with libsodium: what a signed feed file is verified with. Only verification; signing is the
// provider's, with the `minisign` tool.
//
// Public key file: an "untrusted comment: ..." line, then base64 of "Ed" + key id (8 bytes) +
// Ed25519 public key (32 bytes). Signature file (FILE.minisig): an "untrusted comment: ..." line,
// base64 of the algorithm ("Ed": the signature is over the file's bytes, legacy; "ED": over the
// BLAKE2b-512 of the file, prehashed, minisign's default since 0.11) + key id + signature (64
// bytes), a "trusted comment: ..." line, then base64 of the global signature: Ed25519 over
// (signature || trusted comment text), which is what makes the trusted comment trustworthy.
//
// Bounds: a line is at most kMaxLineBytes (minisign's own comments are shorter); a signature or
// key file larger than kMaxFileBytes is refused unread. A prehashed check streams the file in
// 64 KiB blocks; a legacy check needs the whole message in memory (Ed25519 is not incremental).
// Everything here is a plain value or a pure function: thread-safe. No exceptions.
#ifndef GFI_UTIL_MINISIGN_H_
#define GFI_UTIL_MINISIGN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace gfi {

inline constexpr size_t kMinisignMaxLineBytes = 8192;
inline constexpr size_t kMinisignMaxFileBytes = 64 * 1024;

// Why a check failed: callers (the feed loader) word their message from it and tests assert it.
enum class MinisignError {
  kNone,
  kUnreadable,      // the signature (or key) file cannot be read
  kMalformed,       // not minisign's format; `line` says where
  kUnknownKey,      // signed by a key id none of the trusted keys has
  kBadSignature,    // the file's bytes do not match the signature
  kBadTrustedComment,  // the global signature (over the trusted comment) does not verify
};
const char* ToString(MinisignError e);

struct MinisignPublicKey {
  std::array<uint8_t, 8> key_id{};
  std::array<uint8_t, 32> key{};
  std::string source;  // the file it was read from (or what the caller named it)

  // The key id as minisign prints it: upper-case hex of the 8 bytes read little-endian, without
  // leading zeros (as in the comment of the public key file minisign -G writes).
  std::string KeyIdHex() const;
};

enum class MinisignAlgorithm { kLegacy, kPrehashed };  // "Ed", "ED"

struct MinisignSignature {
  MinisignAlgorithm algorithm = MinisignAlgorithm::kPrehashed;
  std::array<uint8_t, 8> key_id{};
  std::array<uint8_t, 64> signature{};
  std::string trusted_comment;  // the text after "trusted comment: "
  std::array<uint8_t, 64> global_signature{};

  std::string KeyIdHex() const;
};

// A failed parse or check: the kind, the 1-based line of a malformed file (0 = not about a line)
// and a message without the file's name (the caller knows which file it read).
struct MinisignFailure {
  MinisignError error = MinisignError::kNone;
  int line = 0;
  std::string message;
};

// Parses a public key file's text, or a bare base64 key line (minisign -P's form).
std::optional<MinisignPublicKey> ParseMinisignPublicKey(std::string_view text,
                                                        MinisignFailure* failure);
// Reads and parses a public key file; the error names `path` (and the line when malformed).
Result<MinisignPublicKey> LoadMinisignPublicKey(const std::string& path);

std::optional<MinisignSignature> ParseMinisignSignature(std::string_view text,
                                                        MinisignFailure* failure);

// Checks both signatures of `sig` with `key` over `message` (the signed file's bytes). The key
// ids must agree (else kUnknownKey). Returns true when both verify; else `failure` says which did
// not.
bool VerifyMinisign(const MinisignSignature& sig, const MinisignPublicKey& key,
                    std::string_view message, MinisignFailure* failure);
// The same over a file, streamed for a prehashed signature. A file that cannot be read is
// kUnreadable.
bool VerifyMinisignFile(const MinisignSignature& sig, const MinisignPublicKey& key,
                        const std::string& path, MinisignFailure* failure);

// "timestamp:<unix>" in a trusted comment (minisign -S writes "timestamp:T\tfile:NAME\thashed"):
// the signing time, or nullopt when the comment carries none (or a malformed one).
std::optional<int64_t> MinisignTimestamp(std::string_view trusted_comment);

}  // namespace gfi

#endif  // GFI_UTIL_MINISIGN_H_
