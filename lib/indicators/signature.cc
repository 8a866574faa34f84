// The signed-feed policy; see signature.h. A signature file is small (bounded by
// kMinisignMaxFileBytes) and read whole; the feed's bytes are the ones the loader parses, so what
// was verified is what goes into service.
#include "indicators/signature.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "util/time.h"

namespace gfi {
namespace {

namespace fs = std::filesystem;

fs::path Resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  if (ec) return fs::path(p).lexically_normal();
  return r;
}

FeedSignature Failed(FeedSignature s, FeedSignatureError e, std::string message) {
  s.verified = false;
  s.error = e;
  s.message = std::move(message);
  return s;
}

}  // namespace

const char* ToString(FeedSignatureError e) {
  switch (e) {
    case FeedSignatureError::kNone: return "none";
    case FeedSignatureError::kMissing: return "missing signature";
    case FeedSignatureError::kUnreadable: return "unreadable signature";
    case FeedSignatureError::kMalformed: return "malformed signature";
    case FeedSignatureError::kUntrustedKey: return "untrusted key";
    case FeedSignatureError::kBadSignature: return "bad signature";
    case FeedSignatureError::kBadTrustedComment: return "trusted comment signature invalid";
    case FeedSignatureError::kReplayed: return "replayed";
    case FeedSignatureError::kStripped: return "signature removed";
  }
  return "?";
}

bool FeedSignaturePolicy::Exempt(const std::string& feed_path) const {
  if (exempt_dirs.empty()) return false;
  const fs::path dir = Resolved(feed_path).parent_path();
  for (const std::string& e : exempt_dirs) {
    const fs::path ex = Resolved(e);
    auto [end, it] = std::mismatch(ex.begin(), ex.end(), dir.begin(), dir.end());
    (void)it;
    if (end == ex.end() || (std::next(end) == ex.end() && end->empty())) return true;
  }
  return false;
}

std::string SignaturePathFor(const std::string& feed_path) { return feed_path + ".minisig"; }

std::string SigningTime(int64_t t) { return FormatUtc(t); }

FeedSignature CheckFeedSignature(const std::string& feed_path, std::string_view bytes,
                                 const std::string& signature_path,
                                 const FeedSignaturePolicy& policy) {
  FeedSignature s;
  std::ifstream in(signature_path, std::ios::binary);
  if (!in) {
    const int err = errno;
    struct stat st;
    if (::stat(signature_path.c_str(), &st) != 0 && errno == ENOENT) {
      if (policy.require_signature && !policy.Exempt(feed_path))
        return Failed(s, FeedSignatureError::kMissing,
                      feed_path + ": missing signature: no " + signature_path +
                          " and [indicators] require_signature = true");
      return s;  // unsigned, and allowed to be
    }
    s.present = true;
    return Failed(s, FeedSignatureError::kUnreadable,
                  feed_path + ": cannot read its signature " + signature_path + ": " +
                      std::strerror(err));
  }
  s.present = true;
  s.text.assign(kMinisignMaxFileBytes + 1, '\0');
  in.read(s.text.data(), static_cast<std::streamsize>(s.text.size()));
  if (in.bad())
    return Failed(s, FeedSignatureError::kUnreadable,
                  feed_path + ": cannot read its signature " + signature_path);
  s.text.resize(static_cast<size_t>(in.gcount()));
  if (s.text.size() > kMinisignMaxFileBytes)
    return Failed(s, FeedSignatureError::kMalformed,
                  feed_path + ": malformed signature " + signature_path +
                      ": larger than 64 KiB, not a minisign signature");
  MinisignFailure f;
  std::optional<MinisignSignature> sig = ParseMinisignSignature(s.text, &f);
  if (!sig)
    return Failed(s, FeedSignatureError::kMalformed,
                  feed_path + ": malformed signature " + signature_path + " at line " +
                      std::to_string(f.line) + ": " + f.message);
  const MinisignPublicKey* key = nullptr;
  for (const MinisignPublicKey& k : policy.trusted_keys)
    if (k.key_id == sig->key_id) key = &k;
  if (key == nullptr)
    return Failed(s, FeedSignatureError::kUntrustedKey,
                  feed_path + ": untrusted key: " + signature_path + " is signed by key " +
                      sig->KeyIdHex() +
                      (policy.trusted_keys.empty()
                           ? ", and [indicators] trusted_keys is empty"
                           : ", which is not one of [indicators] trusted_keys"));
  if (!VerifyMinisign(*sig, *key, bytes, &f)) {
    if (f.error == MinisignError::kBadTrustedComment)
      return Failed(s, FeedSignatureError::kBadTrustedComment,
                    feed_path + ": trusted comment signature invalid in " + signature_path +
                        " (key " + key->KeyIdHex() + "): the trusted comment was altered");
    return Failed(s, FeedSignatureError::kBadSignature,
                  feed_path + ": bad signature: the file does not match " + signature_path +
                      " (key " + key->KeyIdHex() + ")");
  }
  s.verified = true;
  s.key_id = key->KeyIdHex();
  s.key_file = key->source;
  s.timestamp = MinisignTimestamp(sig->trusted_comment);
  return s;
}

std::optional<int64_t> SignatureTimestamp(std::string_view text) {
  auto sig = ParseMinisignSignature(text, nullptr);
  if (!sig) return std::nullopt;
  return MinisignTimestamp(sig->trusted_comment);
}

std::string SignatureKeyId(std::string_view text) {
  auto sig = ParseMinisignSignature(text, nullptr);
  return sig ? sig->KeyIdHex() : "";
}

}  // namespace gfi
