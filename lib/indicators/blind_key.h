// Keys for blinded indicators (product.md, "Blinded indicators"): a blinded feed holds
// HMAC-SHA256(key, TYPE || 0x00 || normalised value), truncated to 128 bits, instead of each
// value, so that only a holder of the key can test whether a value is one of its indicators.
//
// A key is 256 random bits with an id (the first 8 bytes of SHA-256 of the key, in hex) that a
// blinded feed names, so that several keys can be in service at once (rotation). Key files are
// secret: ReadBlindKeyFile refuses a file that its group or others can access. A key's bytes are
// never printed or logged; only its id is.
//
// BlindKey precomputes the HMAC inner and outer SHA-256 states once, so that hashing one value
// is two SHA-256 compressions for a short value and never allocates. A BlindKey is immutable
// once made: thread-safe to share (Hash copies the precomputed states onto the stack).
// BlindKeyring is a plain value holding shared keys; copyable.
#ifndef GFI_INDICATORS_BLIND_KEY_H_
#define GFI_INDICATORS_BLIND_KEY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/vocabulary.h"
#include "util/status.h"

namespace gfi {

inline constexpr size_t kBlindKeyBytes = 32;
inline constexpr size_t kBlindHashBytes = 16;  // HMAC-SHA256 truncated to its first 128 bits
using BlindHash = std::array<uint8_t, kBlindHashBytes>;

class BlindKey {
 public:
  // A key from its 32 bytes; its id is derived from them.
  static std::shared_ptr<const BlindKey> FromBytes(const std::array<uint8_t, kBlindKeyBytes>& key,
                                                   std::string file = "");
  ~BlindKey();
  BlindKey(const BlindKey&) = delete;
  BlindKey& operator=(const BlindKey&) = delete;

  // "3f2a9c0d1e5b7a64": the first 8 bytes of SHA-256(key), lower-case hex.
  const std::string& id() const { return id_; }
  // The file it was read from ("" when made in memory).
  const std::string& file() const { return file_; }

  // HMAC-SHA256(key, tag || 0x00 || value), truncated. `tag` is the observable type's name.
  BlindHash Hash(ObservableType type, std::string_view value) const;

 private:
  struct State;
  BlindKey();
  std::unique_ptr<State> state_;
  std::string id_;
  std::string file_;
};

// The keys configured ([indicators] blind_keys), found by id.
class BlindKeyring {
 public:
  // Adds a key; a second key with the same id is an error naming both files.
  Status Add(std::shared_ptr<const BlindKey> key);
  // nullptr when no key has that id.
  std::shared_ptr<const BlindKey> Find(std::string_view id) const;
  bool empty() const { return keys_.empty(); }
  const std::vector<std::shared_ptr<const BlindKey>>& keys() const { return keys_; }
  // "3f2a9c0d1e5b7a64 (/etc/gfi-milter/keys/ecs.key), ..." or "none".
  std::string Describe() const;

 private:
  std::vector<std::shared_ptr<const BlindKey>> keys_;
};

// Reads a key file (format in gfi-milter.toml(5), BLINDED FEEDS). Refused, naming the file: when
// group or others have any access to it ("mode 0644: ... chmod 600"), when it is not a key file,
// or when its key-id line does not match its key.
Result<std::shared_ptr<const BlindKey>> ReadBlindKeyFile(const std::string& path);
// Reads every file into one keyring.
Result<BlindKeyring> LoadBlindKeyring(const std::vector<std::string>& paths);

// A new random key (libsodium's randombytes), and its file text.
std::array<uint8_t, kBlindKeyBytes> GenerateBlindKey();
std::string BlindKeyFileText(const BlindKey& key, const std::array<uint8_t, kBlindKeyBytes>& bytes);
// Writes the file text to `path`, created with mode 0600 (an existing file is an error: a key
// is never overwritten by accident).
Status WriteBlindKeyFile(const std::string& path, const std::array<uint8_t, kBlindKeyBytes>& bytes);

std::string HexOf(const uint8_t* data, size_t n);

}  // namespace gfi

#endif  // GFI_INDICATORS_BLIND_KEY_H_
