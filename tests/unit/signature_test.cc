// Signed feeds: minisign's formats (a signature made by the real minisign 0.11 tool, and legacy
// and prehashed signatures made here with libsodium), each failure by its kind, and the loader's
// policy (a bad signature is a bad feed that falls back to its last good version; replay and a
// removed signature are refused against the version in service; .minisig is not a feed).
#include "util/minisign.h"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.h"
#include "engine/engine.h"
#include "indicators/last_good.h"
#include "engine/loader.h"
#include "indicators/signature.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;

// Made with: minisign -G -p k.pub -s k.key -W; printf 'a,b\n' > f.csv; minisign -S -s k.key -m
// f.csv (prehashed); minisign -S -l -s k.key -m f.csv -x f2.minisig -t "timestamp:5 file:f.csv".
constexpr const char* kToolPub =
    "untrusted comment: minisign public key 2C85A7178FBB4AD7\n"
    "RWTXSruPF6eFLMZFfTctUoVmcKqYVWdigtpdkHUiOzE30EW4BTFZY2To\n";
constexpr const char* kToolFeed = "a,b\n";
constexpr const char* kToolPrehashed =
    "untrusted comment: signature from minisign secret key\n"
    "RUTXSruPF6eFLAFVgENanx+idohBLaX4Er1v6XdqGSGLrn1Yo0BdnM0Cjh9FXgFZdazc8PA5eIJNt2FQHb0ugk2oeaKjB9avaw4=\n"
    "trusted comment: timestamp:1796190415\tfile:f.csv\thashed\n"
    "oBx378g5DCau+QqbJMO7TPiBJHFOn5ERUTj3dk7xAWoMsT22PbVRbSU1SktppaJylX2nyAwZSW38Hod0a4uABA==\n";
constexpr const char* kToolLegacy =
    "untrusted comment: signature from minisign secret key\n"
    "RWTXSruPF6eFLAR7AC3O0ge1iIDSwINLcUzVj8O5ZoBsX+u4GuQo35ycA1kuMWS509jYr8PmTsEEzKt+I33wDxkJQR4B2jtFbgg=\n"
    "trusted comment: timestamp:5 file:f.csv\n"
    "exf1dRECktlRK3sntO70ZiFSoWWvq1onTrS0Mexh+8Q72bF+gzNsPZ3mcylcPX9IIZMWHsBiNlcS64DITAaGBA==\n";

std::string B64(const std::string& bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the NUL
  return out;
}

// A key pair made here, and minisign's files for it.
struct Signer {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  std::string id;  // 8 bytes

  Signer() {
    REQUIRE(sodium_init() >= 0);
    crypto_sign_keypair(pk, sk);
    id.resize(8);
    randombytes_buf(id.data(), id.size());
  }
  std::string Pub() const {
    return "untrusted comment: test key\n" +
           B64("Ed" + id + std::string(reinterpret_cast<const char*>(pk), sizeof(pk))) + "\n";
  }
  std::string Sign(const std::string& msg, bool prehashed, const std::string& trusted) const {
    std::string m = msg;
    if (prehashed) {
      unsigned char h[64];
      crypto_generichash(h, sizeof(h), reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size(), nullptr, 0);
      m.assign(reinterpret_cast<const char*>(h), sizeof(h));
    }
    unsigned char sig[64], global[64];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                         sk);
    std::string sigs(reinterpret_cast<const char*>(sig), sizeof(sig));
    std::string g = sigs + trusted;
    crypto_sign_detached(global, nullptr, reinterpret_cast<const unsigned char*>(g.data()),
                         g.size(), sk);
    return "untrusted comment: signature\n" + B64(std::string(prehashed ? "ED" : "Ed") + id + sigs) +
           "\ntrusted comment: " + trusted + "\n" +
           B64(std::string(reinterpret_cast<const char*>(global), sizeof(global))) + "\n";
  }
  MinisignPublicKey Key() const {
    auto k = ParseMinisignPublicKey(Pub(), nullptr);
    REQUIRE(k);
    return *k;
  }
};

MinisignSignature Sig(const std::string& text) {
  MinisignFailure f;
  auto s = ParseMinisignSignature(text, &f);
  INFO(f.message);
  REQUIRE(s);
  return *s;
}

struct Dir {
  std::filesystem::path path;
  explicit Dir(const char* name) : path(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path / "feeds");
    std::filesystem::create_directories(path / "good");
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = (path / "feeds" / name).string();
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  std::string Feeds() const { return (path / "feeds").string(); }
};

bool AnyContains(const std::vector<std::string>& v, const std::string& what) {
  for (const std::string& s : v)
    if (s.find(what) != std::string::npos) return true;
  return false;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE("signatures made by the minisign tool verify, prehashed and legacy") {
  MinisignFailure f;
  auto key = ParseMinisignPublicKey(kToolPub, &f);
  REQUIRE(key);
  CHECK(key->KeyIdHex() == "2C85A7178FBB4AD7");
  MinisignPublicKey low = *key;  // minisign prints no leading zeros ("%" PRIX64)
  low.key_id = {0x98, 0xBF, 0x10, 0x68, 0x60, 0x7F, 0x2C, 0x08};
  CHECK(low.KeyIdHex() == "82C7F606810BF98");
  MinisignSignature pre = Sig(kToolPrehashed);
  CHECK(pre.algorithm == MinisignAlgorithm::kPrehashed);
  CHECK(pre.KeyIdHex() == "2C85A7178FBB4AD7");
  CHECK(pre.trusted_comment == "timestamp:1796190415\tfile:f.csv\thashed");
  CHECK(VerifyMinisign(pre, *key, kToolFeed, &f));
  CHECK(MinisignTimestamp(pre.trusted_comment) == 1796190415);
  MinisignSignature legacy = Sig(kToolLegacy);
  CHECK(legacy.algorithm == MinisignAlgorithm::kLegacy);
  CHECK(VerifyMinisign(legacy, *key, kToolFeed, &f));
  CHECK(MinisignTimestamp(legacy.trusted_comment) == 5);
  // One byte more and neither verifies.
  CHECK_FALSE(VerifyMinisign(pre, *key, "a,b\n\n", &f));
  CHECK(f.error == MinisignError::kBadSignature);
  CHECK_FALSE(VerifyMinisign(legacy, *key, "a,c\n", &f));
  CHECK(f.error == MinisignError::kBadSignature);
}

TEST_CASE("libsodium-made legacy and prehashed signatures verify, each alteration is named") {
  Signer s;
  const std::string feed = "domain,evil.example,reject,e1\n";
  for (bool prehashed : {false, true}) {
    INFO("prehashed " << prehashed);
    MinisignSignature sig = Sig(s.Sign(feed, prehashed, "timestamp:100\tfile:f.csv"));
    MinisignFailure f;
    CHECK(VerifyMinisign(sig, s.Key(), feed, &f));
    CHECK(f.error == MinisignError::kNone);
    CHECK_FALSE(VerifyMinisign(sig, s.Key(), feed + "x", &f));
    CHECK(f.error == MinisignError::kBadSignature);
    MinisignSignature altered = sig;
    altered.trusted_comment = "timestamp:999\tfile:f.csv";
    CHECK_FALSE(VerifyMinisign(altered, s.Key(), feed, &f));
    CHECK(f.error == MinisignError::kBadTrustedComment);
    Signer other;
    CHECK_FALSE(VerifyMinisign(sig, other.Key(), feed, &f));
    CHECK(f.error == MinisignError::kUnknownKey);
    // The same key id with another key (a forged key file): the signature does not verify.
    MinisignPublicKey forged = other.Key();
    forged.key_id = s.Key().key_id;
    CHECK_FALSE(VerifyMinisign(sig, forged, feed, &f));
    CHECK(f.error == MinisignError::kBadSignature);
  }
}

TEST_CASE("a prehashed file is verified streamed, a legacy one whole") {
  Dir d("gfi-sig-test-stream");
  Signer s;
  std::string big(300000, 'x');  // several 64 KiB blocks
  const std::string p = d.Write("big.csv", big);
  MinisignFailure f;
  CHECK(VerifyMinisignFile(Sig(s.Sign(big, true, "t")), s.Key(), p, &f));
  CHECK(VerifyMinisignFile(Sig(s.Sign(big, false, "t")), s.Key(), p, &f));
  CHECK_FALSE(VerifyMinisignFile(Sig(s.Sign(big + "y", true, "t")), s.Key(), p, &f));
  CHECK(f.error == MinisignError::kBadSignature);
  CHECK_FALSE(VerifyMinisignFile(Sig(s.Sign(big, true, "t")), s.Key(), p + ".none", &f));
  CHECK(f.error == MinisignError::kUnreadable);
}

TEST_CASE("malformed signature and key files name the line") {
  auto line_of = [](const std::string& text) {
    MinisignFailure f;
    CHECK_FALSE(ParseMinisignSignature(text, &f));
    CHECK(f.error == MinisignError::kMalformed);
    return f.line;
  };
  std::string good = kToolPrehashed;
  CHECK(line_of("") == 1);
  CHECK(line_of("hello\n") == 1);
  CHECK(line_of("untrusted comment: x\n") == 2);
  CHECK(line_of("untrusted comment: x\nnot base64!\n") == 2);
  CHECK(line_of("untrusted comment: x\nRWQ=\n") == 2);  // base64, too short
  std::string no_trusted = good;
  no_trusted.replace(no_trusted.find("trusted comment: timestamp"), 16, "trusted kommentx");
  CHECK(line_of(no_trusted) == 3);
  CHECK(line_of(good.substr(0, good.rfind("oBx"))) == 4);
  CHECK(line_of(good + "extra\n") == 5);
  std::string wrong_alg = good;  // "RUT" decodes to "ED": make it "Ex"
  wrong_alg.replace(wrong_alg.find("RUTX"), 4, "RXhX");
  CHECK(line_of(wrong_alg) == 2);
  // CRLF line ends and trailing blank lines are fine.
  std::string crlf;
  for (char c : good) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  MinisignFailure f;
  CHECK(ParseMinisignSignature(crlf + "\r\n\n", &f));

  CHECK_FALSE(ParseMinisignPublicKey("untrusted comment: k\nRWQ=\n", &f));
  CHECK(f.line == 2);
  CHECK_FALSE(ParseMinisignPublicKey("comment\nRWTXSruPF6eFLMZFfTctUoVmcKqYVWdigtpdkHUiOzE30EW4BTFZY2To\n", &f));
  CHECK(f.line == 1);
  CHECK(ParseMinisignPublicKey("RWTXSruPF6eFLMZFfTctUoVmcKqYVWdigtpdkHUiOzE30EW4BTFZY2To", &f));
}

TEST_CASE("the trusted comment's timestamp") {
  CHECK(MinisignTimestamp("timestamp:1796190415\tfile:f.csv\thashed") == 1796190415);
  CHECK(MinisignTimestamp("timestamp:12 file:x") == 12);
  CHECK(MinisignTimestamp("file:x timestamp:7") == 7);
  CHECK_FALSE(MinisignTimestamp("file:x"));
  CHECK_FALSE(MinisignTimestamp("timestamp:abc"));
  CHECK_FALSE(MinisignTimestamp("timestamp:12x"));
  CHECK_FALSE(MinisignTimestamp("mytimestamp:12"));
}

TEST_CASE("config: trusted_keys are read at load, a bad key file is an error naming it") {
  Dir d("gfi-sig-test-config");
  Signer s;
  const std::string key = d.Write("k.pub", s.Pub());
  Result<Config> c = ParseConfig(
      "[indicators]\ntrusted_keys = [\"" + key + "\"]\nrequire_signature = true\n", "t.toml");
  REQUIRE(c.ok());
  CHECK(c.value().indicators.require_signature);
  CHECK(c.value().indicators.trusted_keys == std::vector<std::string>{key});
  REQUIRE(c.value().indicators.trusted_public_keys.size() == 1);
  CHECK(c.value().indicators.trusted_public_keys[0].key_id == s.Key().key_id);
  CHECK(c.value().indicators.trusted_public_keys[0].source == key);

  Result<Config> missing =
      ParseConfig("[indicators]\ntrusted_keys = [\"" + key + ".none\"]\n", "t.toml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("t.toml:2: indicators.trusted_keys") != std::string::npos);
  CHECK(missing.error().find(key + ".none: cannot read") != std::string::npos);
  const std::string bad = d.Write("bad.pub", "untrusted comment: x\nnot a key\n");
  Result<Config> malformed = ParseConfig("[indicators]\ntrusted_keys = [\"" + bad + "\"]\n", "t.toml");
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().find(bad + ":2: not a minisign public key") != std::string::npos);
  CHECK_FALSE(ParseConfig("[indicators]\nrequire_signature = \"yes\"\n", "t.toml").ok());
  CHECK_FALSE(ParseConfig("[indicators]\ntrusted_keys = \"" + key + "\"\n", "t.toml").ok());
  Result<Config> defaults = ParseConfig("", "t.toml");
  REQUIRE(defaults.ok());
  CHECK_FALSE(defaults.value().indicators.require_signature);
  CHECK(defaults.value().indicators.trusted_keys.empty());
}

TEST_CASE("loader: a signed feed loads, a tampered one is invalid and named like a bad line") {
  Dir d("gfi-sig-test-loader-1");
  Signer s;
  FeedSignaturePolicy policy;
  policy.trusted_keys = {s.Key()};
  const std::string feed = "domain,evil.example,reject,e1\n";
  const std::string p = d.Write("a.csv", feed);
  d.Write("a.csv.minisig", s.Sign(feed, true, "timestamp:100\tfile:a.csv\thashed"));
  d.Write("b.csv", "domain,b.example,reject,b1\n");
  auto r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, nullptr, nullptr, &policy);
  REQUIRE(r.ok());
  INFO(Joined(r.value().feed_errors));
  CHECK(r.value().invalid_feeds.empty());
  CHECK(r.value().skipped_files.empty());  // a.csv.minisig is not an unknown feed
  CHECK(r.value().snapshot->stats().rules == 2);
  CHECK(r.value().snapshot->stats().feeds.size() == 2);  // the .minisig is no feed

  d.Write("a.csv", "domain,other.example,reject,e1\n");
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, nullptr, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(r.value().invalid_feeds == std::vector<std::string>{p});
  CHECK(AnyContains(r.value().feed_errors, p + ": bad signature: the file does not match " + p +
                                               ".minisig (key " + s.Key().KeyIdHex() + ")"));
  CHECK(r.value().snapshot->stats().rules == 1);  // b stays in service

  Feed f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kBadSignature);
  CHECK(f.rules.empty());
}

TEST_CASE("loader: untrusted key, malformed .minisig, missing with require_signature") {
  Dir d("gfi-sig-test-loader-2");
  Signer trusted, stranger;
  FeedSignaturePolicy policy;
  policy.trusted_keys = {trusted.Key()};
  const std::string feed = "domain,evil.example,reject,e1\n";
  const std::string p = d.Write("a.csv", feed);
  d.Write("a.csv.minisig", stranger.Sign(feed, true, "timestamp:100"));
  Feed f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kUntrustedKey);
  CHECK(AnyContains(f.errors, p + ": untrusted key: " + p + ".minisig is signed by key " +
                                  stranger.Key().KeyIdHex()));
  // No policy given to the loader: no key is trusted, and a signed feed is still checked.
  auto r = LoadIndicators({p}, SnapshotOptions{}, kNow);
  REQUIRE(r.ok());
  CHECK(r.value().invalid_feeds == std::vector<std::string>{p});
  CHECK(AnyContains(r.value().feed_errors, "trusted_keys is empty"));

  d.Write("a.csv.minisig", "untrusted comment: x\ngarbage\n");
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kMalformed);
  CHECK(AnyContains(f.errors, p + ": malformed signature " + p + ".minisig at line 2"));

  std::filesystem::remove(p + ".minisig");
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.ok());  // unsigned, not required
  CHECK_FALSE(f.signature.present);
  policy.require_signature = true;
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kMissing);
  CHECK(AnyContains(f.errors, p + ": missing signature: no " + p + ".minisig"));
  // An exempt directory (the TAXII pull directory) needs none; a signature there is verified.
  policy.exempt_dirs = {d.Feeds()};
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.ok());
  d.Write("a.csv.minisig", stranger.Sign(feed, true, "timestamp:100"));
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kUntrustedKey);
  policy.exempt_dirs = {(d.path / "good").string()};
  std::filesystem::remove(p + ".minisig");
  f = LoadFeed(p, FeedReadOptions{&policy, ""});
  CHECK(f.signature.error == FeedSignatureError::kMissing);
}

TEST_CASE("loader: a bad signature falls back to the last good version, kept with its signature") {
  Dir d("gfi-sig-test-loader-3");
  Signer s;
  FeedSignaturePolicy policy;
  policy.trusted_keys = {s.Key()};
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  const std::string v1 = "domain,one.example,reject,e1\n";
  const std::string p = d.Write("a.csv", v1);
  d.Write("a.csv.minisig", s.Sign(v1, true, "timestamp:200\tfile:a.csv\thashed"));
  auto r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  REQUIRE(r.value().invalid_feeds.empty());
  REQUIRE(lg.SavedSignature(p));
  CHECK(SignatureTimestamp(*lg.SavedSignature(p)) == 200);

  // Tampered: invalid, its last good version (verified again) stays in service.
  d.Write("a.csv", "domain,two.example,reject,e1\n");
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  INFO(Joined(r.value().feed_errors));
  REQUIRE(r.value().stale_feeds.size() == 1);
  CHECK(r.value().stale_feeds[0].error.find("bad signature") != std::string::npos);
  CHECK(r.value().snapshot->stats().rules == 1);

  // Replay: an older signed version, valid in itself, is refused.
  const std::string v0 = "domain,zero.example,reject,e1\n";
  d.Write("a.csv", v0);
  d.Write("a.csv.minisig", s.Sign(v0, true, "timestamp:150\tfile:a.csv\thashed"));
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(AnyContains(r.value().feed_errors,
                    p + ": replayed: signed at 1970-01-01T00:02:30Z, older than the version in "
                        "service signed at 1970-01-01T00:03:20Z"));
  REQUIRE(r.value().stale_feeds.size() == 1);
  Feed f = LoadFeed(p, FeedReadOptions{&policy, ""});
  REQUIRE(f.ok());
  CHECK_FALSE(CheckVersionInService(lg, policy, &f));
  CHECK(f.signature.error == FeedSignatureError::kReplayed);
  CHECK(SignatureTimestamp(*lg.SavedSignature(p)) == 200);  // the kept one is untouched

  // Unsigned while the version in service was signed: refused, even without require_signature.
  std::filesystem::remove(p + ".minisig");
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(AnyContains(r.value().feed_errors, p + ": signature removed"));
  REQUIRE(r.value().stale_feeds.size() == 1);

  // A newer signature is accepted and becomes the version in service.
  const std::string v2 = "domain,two.example,reject,e1\ndomain,three.example,reject,e3\n";
  d.Write("a.csv", v2);
  d.Write("a.csv.minisig", s.Sign(v2, false, "timestamp:300\tfile:a.csv"));
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(r.value().stale_feeds.empty());
  CHECK(r.value().snapshot->stats().rules == 2);
  CHECK(SignatureTimestamp(*lg.SavedSignature(p)) == 300);

  // The key is no longer trusted: neither the file nor its last good copy is served.
  d.Write("a.csv", "broken line\n");
  FeedSignaturePolicy none;
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &none);
  REQUIRE(r.ok());
  CHECK(r.value().stale_feeds.empty());
  CHECK(r.value().invalid_feeds == std::vector<std::string>{p});
  CHECK(AnyContains(r.value().feed_errors, "its last good version: " + p + ": untrusted key"));

  // A kept copy altered on disk does not verify against its kept signature either.
  std::ofstream(lg.CopyPath(p), std::ios::trunc) << "domain,planted.example,reject,x\n";
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(r.value().stale_feeds.empty());
  CHECK(AnyContains(r.value().feed_errors, "its last good version: " + p + ": bad signature"));
}

TEST_CASE("loader: an unsigned feed kept unsigned stays unsigned without complaint") {
  Dir d("gfi-sig-test-loader-4");
  FeedSignaturePolicy policy;
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  const std::string p = d.Write("a.csv", "domain,one.example,reject,e1\n");
  auto r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK_FALSE(lg.SavedSignature(p));
  d.Write("a.csv", "domain,one.example,reject,e1\ndomain,two.example,reject,e2\n");
  r = LoadIndicators({d.Feeds()}, SnapshotOptions{}, kNow, &lg, nullptr, &policy);
  REQUIRE(r.ok());
  CHECK(r.value().feed_errors.empty());
  CHECK(r.value().snapshot->stats().rules == 2);
}

}  // namespace gfi

namespace gfi {
TEST_CASE("signatures: feeds pulled over TAXII ([feeds] dir) are exempt from require_signature") {
  Config c;
  c.indicators.require_signature = true;
  c.feeds.dir = "/var/lib/gfi-milter/feeds";
  FeedSignaturePolicy p = SignaturePolicyFromConfig(c);
  CHECK(p.require_signature);
  CHECK(p.Exempt("/var/lib/gfi-milter/feeds/ecs.json"));
  CHECK_FALSE(p.Exempt("/etc/gfi-milter/indicators/partner.csv"));
  CHECK_FALSE(p.Exempt("/var/lib/gfi-milter/feeds-other/x.json"));
}
}  // namespace gfi
