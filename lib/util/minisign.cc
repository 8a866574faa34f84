// minisign formats and checks with libsodium; see minisign.h. Parsing is stricter than minisign's
// own (each line's prefix is checked, nothing may follow the global signature but blank lines), so
// that a file damaged in transit is reported as malformed, with its line, not as a bad signature.
#include "util/minisign.h"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace gfi {
namespace {

constexpr std::string_view kUntrusted = "untrusted comment:";
constexpr std::string_view kTrusted = "trusted comment: ";

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;  // thread-safe; idempotent
  return ready;
}

// The file's lines without their "\n" or "\r\n".
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  while (!out.empty() && out.back().empty()) out.pop_back();  // trailing blank lines
  return out;
}

// Decodes standard base64 (with padding) of exactly `want` bytes.
bool Base64(std::string_view in, size_t want, uint8_t* out) {
  if (in.size() > kMinisignMaxLineBytes) return false;
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out, want, in.data(), in.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return len == want && end == in.data() + in.size();
}

// minisign prints a key id as "%" PRIX64 of the 8 bytes read little-endian: no leading zeros
// (its public key comment says "minisign public key 82C7F606810BF98" for 0x082C...).
std::string Hex(const std::array<uint8_t, 8>& id) {
  char buf[17];
  for (int i = 0; i < 8; ++i) std::snprintf(buf + 2 * i, 3, "%02X", id[7 - i]);
  std::string out(buf, 16);
  size_t nz = out.find_first_not_of('0');
  return nz == std::string::npos ? "0" : out.substr(nz);
}

bool Fail(MinisignFailure* f, MinisignError e, int line, std::string message) {
  if (f != nullptr) *f = MinisignFailure{e, line, std::move(message)};
  return false;
}

// Ed25519 over the signature and the trusted comment: the global signature.
bool VerifyGlobal(const MinisignSignature& sig, const MinisignPublicKey& key) {
  std::string m(reinterpret_cast<const char*>(sig.signature.data()), sig.signature.size());
  m += sig.trusted_comment;
  return crypto_sign_verify_detached(sig.global_signature.data(),
                                     reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                     key.key.data()) == 0;
}

bool CheckKey(const MinisignSignature& sig, const MinisignPublicKey& key, MinisignFailure* f) {
  if (!SodiumReady()) return Fail(f, MinisignError::kBadSignature, 0, "libsodium did not start");
  if (sig.key_id != key.key_id)
    return Fail(f, MinisignError::kUnknownKey, 0,
                "signed by key " + sig.KeyIdHex() + ", not by key " + key.KeyIdHex());
  return true;
}

bool Finish(bool file_ok, const MinisignSignature& sig, const MinisignPublicKey& key,
            MinisignFailure* f) {
  if (!file_ok)
    return Fail(f, MinisignError::kBadSignature, 0,
                "bad signature: the file does not match its signature by key " + key.KeyIdHex());
  if (!VerifyGlobal(sig, key))
    return Fail(f, MinisignError::kBadTrustedComment, 0,
                "trusted comment signature invalid (key " + key.KeyIdHex() +
                    "): the trusted comment was altered");
  if (f != nullptr) *f = MinisignFailure{};
  return true;
}

}  // namespace

const char* ToString(MinisignError e) {
  switch (e) {
    case MinisignError::kNone: return "none";
    case MinisignError::kUnreadable: return "unreadable";
    case MinisignError::kMalformed: return "malformed";
    case MinisignError::kUnknownKey: return "unknown key";
    case MinisignError::kBadSignature: return "bad signature";
    case MinisignError::kBadTrustedComment: return "bad trusted comment";
  }
  return "?";
}

std::string MinisignPublicKey::KeyIdHex() const { return Hex(key_id); }
std::string MinisignSignature::KeyIdHex() const { return Hex(key_id); }

std::optional<MinisignPublicKey> ParseMinisignPublicKey(std::string_view text,
                                                        MinisignFailure* failure) {
  std::vector<std::string_view> lines = Lines(text);
  size_t at = 0;  // the key line
  if (lines.size() == 2) {
    if (lines[0].substr(0, kUntrusted.size()) != kUntrusted) {
      Fail(failure, MinisignError::kMalformed, 1, "expected an \"untrusted comment:\" line");
      return std::nullopt;
    }
    at = 1;
  } else if (lines.size() != 1) {
    Fail(failure, MinisignError::kMalformed, lines.empty() ? 1 : 3,
         "expected an untrusted comment line and a key line");
    return std::nullopt;
  }
  uint8_t raw[42];
  if (!SodiumReady() || !Base64(lines[at], sizeof(raw), raw)) {
    Fail(failure, MinisignError::kMalformed, static_cast<int>(at + 1),
         "not a minisign public key (base64 of 42 bytes)");
    return std::nullopt;
  }
  if (raw[0] != 'E' || raw[1] != 'd') {
    Fail(failure, MinisignError::kMalformed, static_cast<int>(at + 1),
         "unsupported key algorithm (expected Ed25519, \"Ed\")");
    return std::nullopt;
  }
  MinisignPublicKey k;
  std::memcpy(k.key_id.data(), raw + 2, 8);
  std::memcpy(k.key.data(), raw + 10, 32);
  return k;
}

Result<MinisignPublicKey> LoadMinisignPublicKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read minisign public key: " + std::strerror(errno));
  std::string text(kMinisignMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::Error(path + ": cannot read minisign public key: " + std::strerror(errno));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMinisignMaxFileBytes)
    return Status::Error(path + ": not a minisign public key (larger than 64 KiB)");
  MinisignFailure f;
  auto k = ParseMinisignPublicKey(text, &f);
  if (!k) return Status::Error(path + ":" + std::to_string(f.line) + ": " + f.message);
  k->source = path;
  return *std::move(k);
}

std::optional<MinisignSignature> ParseMinisignSignature(std::string_view text,
                                                        MinisignFailure* failure) {
  std::vector<std::string_view> lines = Lines(text);
  auto bad = [&](int line, std::string m) {
    Fail(failure, MinisignError::kMalformed, line, std::move(m));
    return std::nullopt;
  };
  if (!SodiumReady()) return bad(0, "libsodium did not start");
  if (lines.empty() || lines[0].substr(0, kUntrusted.size()) != kUntrusted)
    return bad(1, "expected an \"untrusted comment:\" line");
  if (lines.size() < 2) return bad(2, "the signature line is missing");
  uint8_t raw[74];
  if (!Base64(lines[1], sizeof(raw), raw))
    return bad(2, "the signature line is not base64 of 74 bytes");
  MinisignSignature s;
  if (raw[0] == 'E' && raw[1] == 'd') s.algorithm = MinisignAlgorithm::kLegacy;
  else if (raw[0] == 'E' && raw[1] == 'D') s.algorithm = MinisignAlgorithm::kPrehashed;
  else return bad(2, "unsupported signature algorithm (expected \"Ed\" or \"ED\")");
  std::memcpy(s.key_id.data(), raw + 2, 8);
  std::memcpy(s.signature.data(), raw + 10, 64);
  if (lines.size() < 3 || lines[2].substr(0, kTrusted.size()) != kTrusted)
    return bad(3, "expected a \"trusted comment: \" line");
  if (lines[2].size() > kMinisignMaxLineBytes) return bad(3, "the trusted comment is too long");
  s.trusted_comment = std::string(lines[2].substr(kTrusted.size()));
  if (lines.size() < 4) return bad(4, "the trusted comment's signature is missing");
  if (!Base64(lines[3], 64, s.global_signature.data()))
    return bad(4, "the trusted comment's signature is not base64 of 64 bytes");
  if (lines.size() > 4) return bad(5, "unexpected text after the trusted comment's signature");
  return s;
}

bool VerifyMinisign(const MinisignSignature& sig, const MinisignPublicKey& key,
                    std::string_view message, MinisignFailure* failure) {
  if (!CheckKey(sig, key, failure)) return false;
  const auto* m = reinterpret_cast<const unsigned char*>(message.data());
  bool ok;
  if (sig.algorithm == MinisignAlgorithm::kLegacy) {
    ok = crypto_sign_verify_detached(sig.signature.data(), m, message.size(), key.key.data()) == 0;
  } else {
    unsigned char h[crypto_generichash_BYTES_MAX];
    crypto_generichash(h, sizeof(h), m, message.size(), nullptr, 0);
    ok = crypto_sign_verify_detached(sig.signature.data(), h, sizeof(h), key.key.data()) == 0;
  }
  return Finish(ok, sig, key, failure);
}

bool VerifyMinisignFile(const MinisignSignature& sig, const MinisignPublicKey& key,
                        const std::string& path, MinisignFailure* failure) {
  if (!CheckKey(sig, key, failure)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Fail(failure, MinisignError::kUnreadable, 0,
                "cannot read " + path + ": " + std::strerror(errno));
  if (sig.algorithm == MinisignAlgorithm::kLegacy) {
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
      return Fail(failure, MinisignError::kUnreadable, 0, "cannot read " + path);
    return VerifyMinisign(sig, key, all, failure);
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, crypto_generichash_BYTES_MAX);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                              static_cast<unsigned long long>(in.gcount()));
  }
  if (in.bad()) return Fail(failure, MinisignError::kUnreadable, 0, "cannot read " + path);
  unsigned char h[crypto_generichash_BYTES_MAX];
  crypto_generichash_final(&st, h, sizeof(h));
  bool ok = crypto_sign_verify_detached(sig.signature.data(), h, sizeof(h), key.key.data()) == 0;
  return Finish(ok, sig, key, failure);
}

std::optional<int64_t> MinisignTimestamp(std::string_view c) {
  constexpr std::string_view kKey = "timestamp:";
  for (size_t at = 0; (at = c.find(kKey, at)) != std::string_view::npos; at += kKey.size()) {
    if (at != 0 && c[at - 1] != '\t' && c[at - 1] != ' ') continue;  // "mytimestamp:" is not it
    size_t i = at + kKey.size();
    int64_t v = 0;
    size_t digits = 0;
    for (; i < c.size() && c[i] >= '0' && c[i] <= '9' && digits < 18; ++i, ++digits)
      v = v * 10 + (c[i] - '0');
    if (digits == 0 || (i < c.size() && c[i] != '\t' && c[i] != ' ')) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace gfi
