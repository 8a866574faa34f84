// Blinded indicators: a feed of any format, blinded and read back, matches exactly what the plain
// feed matches (same ids), holds none of its values, and loads only with its key.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "indicators/blind_feed.h"
#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "engine/loader.h"
#include "indicators/term.h"
#include "snapshot/snapshot.h"
#include "policy/policy.h"
#include "util/strings.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15

std::array<uint8_t, kBlindKeyBytes> KeyBytes(uint8_t seed) {
  std::array<uint8_t, kBlindKeyBytes> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return k;
}

struct Blinded {
  std::string text;
  Feed feed;
  std::vector<std::string> refused;
};

Blinded Blind(const std::vector<Feed>& feeds, const BlindKey& key, const BlindKeyring& ring,
              const std::string& path = "t.blind") {
  BlindedFeed b = BlindFeeds(feeds, key);
  Blinded out{b.text, ParseFeed(b.text, "blind", path, &ring), b.refused};
  return out;
}

std::shared_ptr<const IndicatorSnapshot> Build(const std::vector<Feed>& feeds) {
  for (const Feed& f : feeds) {
    INFO(f.path << ": " << (f.errors.empty() ? "" : f.errors.front()));
    REQUIRE(f.ok());
  }
  auto s = IndicatorSnapshot::Build(feeds, SnapshotOptions{}, kNow);
  REQUIRE(s.ok());
  return s.value();
}

std::vector<std::string> Ids(const IndicatorSnapshot& s, const std::vector<Match>& ms) {
  std::vector<std::string> out;
  for (const Match& m : ms) out.push_back(s.rule(m.rule).id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MatchObs(const IndicatorSnapshot& s, ObservableType t,
                                  const std::string& v, Where w = Where::kBodyText) {
  std::vector<Match> ms;
  s.MatchObservables({Observable{t, v, w}}, kNow, false, false, &ms);
  return Ids(s, ms);
}

std::vector<std::string> MatchMsg(const IndicatorSnapshot& s, const std::string& raw,
                                  const Envelope& env) {
  MessageAnalysis a = AnalyzeMessage(raw, env, AnalysisLimits{});
  std::vector<Match> ms;
  REQUIRE(s.MatchMessage(a, kNow, &ms).ok());
  return Ids(s, ms);
}

using V = std::vector<std::string>;

// Every blindable type, with the variants the matcher normalises.
const char kCsv[] =
    "domain,evil.example,reject,dom\n"
    "domain,Deep.Sub.Other.Example.,,deep\n"
    "domain,bücher.example,,idn\n"
    "domain,evil.co.uk,,couk\n"
    "ip,198.51.100.7,,v4host\n"
    "ip,198.51.100.0/24,,v4net24\n"
    "ip,203.0.0.0/16,,v4net16\n"
    "ip,10.9.8.0/29,,v4net29\n"
    "ip,2001:db8::1,,v6host\n"
    "ip,2001:db8:aa::/48,,v6net48\n"
    "ip,2001:db8:bb:cc::/64,,v6net64\n"
    "email,CEO@Evil.Example,,mail\n"
    "url,https://Evil.Example:443/login?a=1#frag,,url1\n"
    "url,http://phish.example/x%7e,,url2\n"
    "md5,D41D8CD98F00B204E9800998ECF8427E,,md5\n"
    "sha1,da39a3ee5e6b4b0d3255bfef95601890afd80709,,sha1\n"
    "sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,,sha256\n"
    "filename,Invoice.EXE,,fname\n";

struct Probe {
  ObservableType type;
  std::string value;
};

const std::vector<Probe>& Probes() {
  static const std::vector<Probe> p = {
      {ObservableType::kDomain, "evil.example"},
      {ObservableType::kDomain, "a.b.evil.example"},
      {ObservableType::kDomain, "notevil.example"},
      {ObservableType::kDomain, "x.deep.sub.other.example"},
      {ObservableType::kDomain, "sub.other.example"},
      {ObservableType::kDomain, "xn--bcher-kva.example"},
      {ObservableType::kDomain, "www.xn--bcher-kva.example"},
      {ObservableType::kDomain, "login.evil.co.uk"},
      {ObservableType::kDomain, "co.uk"},
      {ObservableType::kDomain, "a.b.c.d.e.f.evil.example"},    // long: walked with libpsl
      {ObservableType::kDomain, "a.b.c.d.e.f.g.evil.co.uk"},
      {ObservableType::kDomain, "1.2.3.4.5.6.x.deep.sub.other.example"},
      {ObservableType::kDomain, "other.co.uk"},
      {ObservableType::kIp, "198.51.100.7"},
      {ObservableType::kIp, "198.51.100.200"},
      {ObservableType::kIp, "198.51.101.7"},
      {ObservableType::kIp, "203.0.255.1"},
      {ObservableType::kIp, "10.9.8.7"},
      {ObservableType::kIp, "10.9.8.8"},
      {ObservableType::kIp, "2001:db8::1"},
      {ObservableType::kIp, "2001:db8::2"},
      {ObservableType::kIp, "2001:db8:aa:ffff::9"},
      {ObservableType::kIp, "2001:db8:bb:cc:1:2:3:4"},
      {ObservableType::kIp, "2001:db8:bb:cd::1"},
      {ObservableType::kEmail, "ceo@evil.example"},
      {ObservableType::kEmail, "cfo@evil.example"},
      {ObservableType::kUrl, "https://evil.example/login?a=1"},
      {ObservableType::kUrl, "http://evil.example/login?a=1#other"},
      {ObservableType::kUrl, "https://evil.example/login?a=2"},
      {ObservableType::kUrl, "http://phish.example/x~"},
      {ObservableType::kMd5, "d41d8cd98f00b204e9800998ecf8427e"},
      {ObservableType::kSha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {ObservableType::kSha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {ObservableType::kSha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856"},
      {ObservableType::kFilename, "invoice.exe"},
      {ObservableType::kFilename, "INVOICE.exe"},
      {ObservableType::kFilename, "invoice.exe.txt"},
  };
  return p;
}

struct Fixture {
  std::shared_ptr<const BlindKey> key = BlindKey::FromBytes(KeyBytes(1), "k1.key");
  BlindKeyring ring;
  Fixture() { REQUIRE(ring.Add(key).ok()); }
};

}  // namespace

TEST_CASE("blind: every blindable type matches with the same ids as plain") {
  Fixture fx;
  Feed plain = ParseFeed(kCsv, "csv", "t.csv");
  REQUIRE(plain.ok());
  Blinded b = Blind({plain}, *fx.key, fx.ring);
  INFO(b.text);
  REQUIRE(b.refused.empty());
  auto ps = Build({plain});
  auto bs = Build({b.feed});
  CHECK(bs->rule_count() == plain.rules.size());
  size_t hits = 0;
  for (const Probe& p : Probes()) {
    INFO(ToString(p.type) << " " << p.value);
    V want = MatchObs(*ps, p.type, p.value);
    CHECK(MatchObs(*bs, p.type, p.value) == want);
    hits += want.size();
  }
  CHECK(hits >= 20);  // the probes really exercise matches, not only misses
  CHECK(MatchObs(*bs, ObservableType::kIp, "198.51.100.7") == V{"v4host", "v4net24"});
  CHECK(MatchObs(*bs, ObservableType::kDomain, "x.deep.sub.other.example") == V{"deep"});
  CHECK(MatchObs(*bs, ObservableType::kDomain, "a.b.c.d.e.f.g.evil.co.uk") == V{"couk"});
  CHECK(MatchObs(*bs, ObservableType::kDomain, "www.xn--bcher-kva.example") == V{"idn"});
  CHECK(MatchObs(*bs, ObservableType::kIp, "2001:db8:bb:cc:1:2:3:4") == V{"v6net64"});
  CHECK(MatchObs(*bs, ObservableType::kUrl, "http://evil.example/login?a=1#other") == V{"url1"});
  // The header names the prefix lengths used, nothing else about the networks.
  CHECK(b.text.find("ipv4-prefixes\t16,24,29,32\n") != std::string::npos);
  CHECK(b.text.find("ipv6-prefixes\t48,64,128\n") != std::string::npos);
  CHECK(bs->stats().blinded_terms == plain.rules.size());
}

TEST_CASE("blind: the blinded file holds no value, in any case") {
  Fixture fx;
  Feed plain = ParseFeed(kCsv, "csv", "t.csv");
  REQUIRE(plain.ok());
  Blinded b = Blind({plain}, *fx.key, fx.ring);
  std::set<std::string> needles;
  for (const Rule& r : plain.rules) {
    needles.insert(r.display);
    needles.insert(r.any_of[0][0].value);
  }
  for (const char* v : {"evil", "bücher", "xn--bcher", "198.51", "2001:db8", "invoice", "phish",
                        "d41d8cd98f00b204e9800998ecf8427e"})
    needles.insert(v);
  const std::string lower = AsciiLowered(b.text);
  for (const std::string& n : needles) {
    INFO(n);
    CHECK(lower.find(AsciiLowered(n)) == std::string::npos);
  }
  // Nor in memory: a blinded rule's display is not its value.
  auto bs = Build({b.feed});
  for (uint32_t i = 0; i < bs->rule_count(); ++i) {
    CHECK(bs->rule(i).blinded);
    CHECK(bs->rule(i).display == "(blinded)");
  }
}

TEST_CASE("blind: a round trip over every feed format gives the same matches on a message") {
  Fixture fx;
  const std::string stix =
      R"({"type":"bundle","id":"bundle--1","objects":[)"
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'stix-evil.example']"},)"
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000002","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '192.0.2.0/24'] OR [url:value = 'http://stix.example/payload']"},)"
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000003","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","pattern":"[email-addr:value = 'boss@stix-and.example' AND domain-name:value = 'and-part.example']"},)"
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000004","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","valid_until":"2026-06-01T00:00:00Z","pattern":"[domain-name:value = 'expired.example']"},)"
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000005","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","revoked":true,"pattern":"[domain-name:value = 'revoked.example']"}]})";
  Feed fs = ParseFeed(stix, "json", "s.json");
  Feed fz = ParseFeed(
      "#fields\tindicator\tindicator_type\tmeta.source\n"
      "zeek-evil.example\tIntel::DOMAIN\tp\n"
      "203.0.113.9\tIntel::ADDR\tp\n"
      "zeek.example/login\tIntel::URL\tp\n",
      "intel", "z.intel");
  Feed fc = ParseFeed(kCsv, "csv", "t.csv");
  Feed fh = ParseFeed("5d41402abc4b2a76b9719d911017c592:5:Hello.Sig\n", "hdb", "h.hdb");
  Feed fsh = ParseFeed(
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824:5:Hello.Sha256\n", "hsb",
      "h.hsb");
  std::vector<Feed> feeds = {fs, fz, fc, fh, fsh};
  auto ps = Build(feeds);
  Blinded b = Blind(feeds, *fx.key, fx.ring);
  REQUIRE(b.refused.empty());
  auto bs = Build({b.feed});
  CHECK(bs->rule_count() == ps->rule_count());
  const std::string msg =
      "From: Boss <boss@stix-and.example>\r\n"
      "To: someone@example.org\r\n"
      "Reply-To: ceo@evil.example\r\n"
      "Received: from mx.and-part.example ([192.0.2.77]) by mx.example.org\r\n"
      "Subject: hello\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\n"
      "see http://stix.example/payload and https://www.zeek-evil.example/ and\r\n"
      "http://zeek.example/login and https://login.evil.co.uk/ and expired.example and\r\n"
      "revoked.example, https://www.xn--bcher-kva.example/ https://mx.stix-evil.example/\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"invoice.exe\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n";
  Envelope env;
  env.client_ip = "203.0.113.9";
  env.mail_from = "boss@stix-and.example";
  env.helo = "mx.and-part.example";
  env.rcpt_to = {"someone@example.org"};
  V want = MatchMsg(*ps, msg, env);
  V got = MatchMsg(*bs, msg, env);
  CHECK(got == want);
  // Reply-To gives evil.example (dom); the client 203.0.113.9 is in 203.0.0.0/16 (v4net16) and
  // is Zeek's ADDR; local parts compare case-insensitively, so "CEO@Evil.Example" (mail) is
  // ceo@evil.example, blinded as in plain.
  const V expected = {"Hello.Sha256", "Hello.Sig", "couk", "dom", "fname", "idn",
                      "indicator--00000000-0000-4000-8000-000000000001",
                      "indicator--00000000-0000-4000-8000-000000000002",
                      "indicator--00000000-0000-4000-8000-000000000003", "mail", "v4net16",
                      "z.intel:2", "z.intel:3", "z.intel:4"};
  CHECK(got == expected);  // expired and revoked indicators did not match, blinded or not
}

TEST_CASE("blind: blinded and plain matching agree on generated messages (seeded)") {
  Fixture fx;
  std::mt19937 rng(20261202);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> labels = {"alpha", "beta", "gamma", "delta", "evil", "mail"};
  const std::vector<std::string> tlds = {"example", "test", "co.uk", "org"};
  auto domain = [&] {
    std::string d = labels[pick(6)] + "." + tlds[pick(4)];
    for (int i = pick(3); i > 0; --i) d = labels[pick(6)] + "." + d;
    return d;
  };
  auto ip4 = [&] { return "10." + std::to_string(pick(3)) + "." + std::to_string(pick(3)) + "." +
                          std::to_string(pick(8)); };
  auto ip6 = [&] { return "2001:db8:" + std::to_string(pick(3)) + "::" + std::to_string(pick(5)); };
  std::string csv;
  for (int i = 0; i < 300; ++i) {
    std::string id = "g" + std::to_string(i);
    switch (pick(7)) {
      case 0: csv += "domain," + domain() + ",," + id + "\n"; break;
      case 1: {
        static const int kLens[] = {8, 16, 24, 29, 32};
        csv += "ip," + ip4() + "/" + std::to_string(kLens[pick(5)]) + ",," + id + "\n";
        break;
      }
      case 2: {
        static const int kLens[] = {32, 48, 64, 120, 128};
        csv += "ip," + ip6() + "/" + std::to_string(kLens[pick(5)]) + ",," + id + "\n";
        break;
      }
      case 3: csv += "email," + labels[pick(6)] + "@" + domain() + ",," + id + "\n"; break;
      case 4: csv += "url,http" + std::string(pick(2) ? "s" : "") + "://" + domain() + "/p" +
                     std::to_string(pick(4)) + ",," + id + "\n"; break;
      case 5: csv += "filename," + labels[pick(6)] + ".exe,," + id + "\n"; break;
      default: csv += "domain," + labels[pick(6)] + "." + tlds[pick(4)] + ",," + id + "\n"; break;
    }
  }
  Feed plain = ParseFeed(csv, "csv", "g.csv");
  REQUIRE(plain.ok());
  auto ps = Build({plain});
  Blinded b = Blind({plain}, *fx.key, fx.ring);
  REQUIRE(b.refused.empty());
  auto bs = Build({b.feed});
  size_t matched = 0;
  for (int m = 0; m < 200; ++m) {
    std::string body;
    for (int i = pick(6); i >= 0; --i)
      body += "http" + std::string(pick(2) ? "s" : "") + "://" + domain() + "/p" +
              std::to_string(pick(4)) + " ";
    Envelope env;
    env.client_ip = pick(2) ? ip4() : ip6();
    env.mail_from = labels[pick(6)] + "@" + domain();
    env.rcpt_to = {"x@example.org"};
    const std::string msg = "From: " + labels[pick(6)] + "@" + domain() +
                            "\r\nTo: x@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                            "Content-Type: text/plain\r\n\r\n" + body +
                            "\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                            "Content-Disposition: attachment; filename=" + labels[pick(6)] +
                            ".exe\r\n\r\nx\r\n--b--\r\n";
    INFO(msg);
    V want = MatchMsg(*ps, msg, env);
    CHECK(MatchMsg(*bs, msg, env) == want);
    matched += want.size();
  }
  CHECK(matched > 100);  // the generator makes messages that hit
}

TEST_CASE("blind: what cannot be blinded is refused, each named with why") {
  Fixture fx;
  Feed f = ParseFeed(
      "domain,ok.example,,ok\n"
      "subject-regex,(?i)invoice,,rx\n"
      "content,wire transfer now,,lit\n"
      "filename,*.scr,,glob\n"
      "url-prefix,http://evil.example/kit/,,prefix\n",
      "csv", "u.csv");
  REQUIRE(f.ok());
  BlindedFeed b = BlindFeeds({f}, *fx.key);
  REQUIRE(b.refused.size() == 4);
  CHECK(b.refused[0].find("u.csv: rx: subject-regex cannot be blinded") == 0);
  CHECK(b.refused[1].find("u.csv: lit: content cannot be blinded") == 0);
  CHECK(b.refused[2].find("u.csv: glob: filename-glob cannot be blinded") == 0);
  CHECK(b.refused[3].find("u.csv: prefix: url-prefix cannot be blinded") == 0);
  CHECK(b.rules == 1);
  for (const std::string& r : b.refused) CHECK(r.find("invoice") == std::string::npos);
  // An already blinded feed is not blinded again.
  Blinded again = Blind({f}, *fx.key, fx.ring);
  BlindedFeed twice = BlindFeeds({again.feed}, *fx.key);
  CHECK(twice.refused.size() == 1);
  CHECK(twice.refused[0].find("already blinded") != std::string::npos);
}

TEST_CASE("blind: the wrong key or no key is refused, naming the key") {
  Fixture fx;
  Feed plain = ParseFeed(kCsv, "csv", "t.csv");
  const std::string text = BlindFeeds({plain}, *fx.key).text;
  BlindKeyring other;
  REQUIRE(other.Add(BlindKey::FromBytes(KeyBytes(2), "k2.key")).ok());
  Feed wrong = ParseFeed(text, "blind", "t.blind", &other);
  CHECK_FALSE(wrong.ok());
  REQUIRE(!wrong.errors.empty());
  CHECK(wrong.errors[0].find("t.blind:3: blinded with key " + fx.key->id() +
                             ", which is not configured") == 0);
  CHECK(wrong.errors[0].find("k2.key") != std::string::npos);
  CHECK(wrong.rules.empty());
  Feed none = ParseFeed(text, "blind", "t.blind");
  CHECK_FALSE(none.ok());
  CHECK(none.errors[0].find("blind_keys: none") != std::string::npos);
  // The same value under another key is another hash.
  CHECK(fx.key->Hash(ObservableType::kDomain, "evil.example") !=
        other.keys()[0]->Hash(ObservableType::kDomain, "evil.example"));
  // Domain separation: the same text as another type is another hash.
  CHECK(fx.key->Hash(ObservableType::kDomain, "x.exe") !=
        fx.key->Hash(ObservableType::kFilename, "x.exe"));
}

TEST_CASE("blind: key rotation, two keys in service at once") {
  Fixture fx;
  auto k2 = BlindKey::FromBytes(KeyBytes(2), "k2.key");
  REQUIRE(fx.ring.Add(k2).ok());
  CHECK_FALSE(fx.ring.Add(BlindKey::FromBytes(KeyBytes(2), "copy.key")).ok());
  Feed a = ParseFeed("domain,old-key.example,,old\nip,192.0.2.0/24,,oldnet\n", "csv", "a.csv");
  Feed b = ParseFeed("domain,new-key.example,,new\nip,192.0.2.128/25,,newnet\n", "csv", "b.csv");
  Feed ba = ParseFeed(BlindFeeds({a}, *fx.key).text, "blind", "a.blind", &fx.ring);
  Feed bb = ParseFeed(BlindFeeds({b}, *k2).text, "blind", "b.blind", &fx.ring);
  auto s = Build({ba, bb});
  CHECK(MatchObs(*s, ObservableType::kDomain, "x.old-key.example") == V{"old"});
  CHECK(MatchObs(*s, ObservableType::kDomain, "x.new-key.example") == V{"new"});
  CHECK(MatchObs(*s, ObservableType::kIp, "192.0.2.200") == V{"newnet", "oldnet"});
  CHECK(MatchObs(*s, ObservableType::kIp, "192.0.2.100") == V{"oldnet"});
}

TEST_CASE("blind: expiry, revocation, where-restrictions and actions survive blinding") {
  Fixture fx;
  Feed f;
  f.path = f.name = "r.csv";
  auto add = [&](const std::string& id, const std::string& domain, int64_t until, bool revoked) {
    Rule r;
    r.id = id;
    r.feed = f.name;
    r.valid_until = until;
    r.revoked = revoked;
    r.marking = "TLP:AMBER";
    r.action = Action::kReject;
    r.any_of.push_back({MakeTerm(TermKind::kDomain, domain).value()});
    f.rules.push_back(std::move(r));
  };
  add("live", "live.example", kNow + 3600, false);
  add("expired", "expired.example", kNow - 1, false);
  add("revoked", "revoked.example", 0, true);
  Rule w;
  w.id = "from-only";
  w.any_of.push_back({MakeTerm(TermKind::kEmail, "a@b.example", WhereBit(Where::kMailFrom)).value()});
  f.rules.push_back(w);
  Blinded b = Blind({f}, *fx.key, fx.ring);
  REQUIRE(b.feed.ok());
  auto s = Build({b.feed});
  CHECK(MatchObs(*s, ObservableType::kDomain, "live.example") == V{"live"});
  CHECK(MatchObs(*s, ObservableType::kDomain, "expired.example").empty());
  CHECK(MatchObs(*s, ObservableType::kDomain, "revoked.example").empty());
  CHECK(MatchObs(*s, ObservableType::kEmail, "a@b.example", Where::kMailFrom) == V{"from-only"});
  CHECK(MatchObs(*s, ObservableType::kEmail, "a@b.example", Where::kHeaderFrom).empty());
  RuleView live = s->rule(0);
  CHECK(live.marking == "TLP:AMBER");
  CHECK(live.action == Action::kReject);
  CHECK(live.valid_until == kNow + 3600);
}

TEST_CASE("blind: a blinded match is sensitive whatever its marking") {
  Fixture fx;
  Feed plain = ParseFeed("domain,clear.example,,c1\n", "csv", "c.csv");
  plain.rules.Transform([](Rule& r) { r.marking = "TLP:CLEAR"; });
  Blinded b = Blind({plain}, *fx.key, fx.ring);
  auto s = Build({b.feed});
  std::vector<Match> ms;
  s->MatchObservables({Observable{ObservableType::kDomain, "www.clear.example", Where::kBodyText}},
                      kNow, false, false, &ms);
  REQUIRE(ms.size() == 1);
  PolicySettings p;
  CHECK(IsSensitiveRule(p, s->rule(ms[0].rule)));
  Verdict v = Decide(ms, *s, p, /*reveal=*/false);
  REQUIRE(v.matches.size() == 1);
  CHECK(v.matches[0].indicator == "c1");
  CHECK(v.matches[0].redacted);
  CHECK(v.matches[0].observed.empty());
  CHECK(v.matches[0].value.empty());
  Verdict shown = Decide(ms, *s, p, /*reveal=*/true);
  CHECK(shown.matches[0].observed == "www.clear.example");
}

TEST_CASE("blind: the reader refuses bad, truncated or altered files, naming file and line") {
  Fixture fx;
  Feed plain = ParseFeed("domain,a.example,,a\ndomain,b.example,,b\n", "csv", "t.csv");
  const std::string text = BlindFeeds({plain}, *fx.key).text;
  auto first_error = [&](const std::string& t) {
    Feed f = ParseFeed(t, "blind", "x.blind", &fx.ring);
    CHECK(f.rules.empty());
    return f.errors.empty() ? std::string() : f.errors[0];
  };
  CHECK(first_error(text.substr(0, text.rfind('\n', text.size() - 2) + 1)) ==
        "x.blind:8: the header says 2 indicators, the file has 1 (truncated or altered)");
  CHECK(first_error("") == "x.blind:1: not a blinded feed (empty)");
  CHECK(first_error("gfi-blind-feed\t2\n").find("x.blind:1: unsupported blinded feed version") == 0);
  std::string alg = text;
  alg.replace(alg.find("hmac-sha256-128"), 15, "hmac-md5-128");
  CHECK(first_error(alg).find("x.blind:2: unsupported algorithm") == 0);
  std::string bad_hash = text;
  bad_hash.replace(bad_hash.rfind(':') + 1, 2, "zz");
  CHECK(first_error(bad_hash) == "x.blind:9: hash must be 32 hex digits");
  std::string bad_type = text;
  bad_type.replace(bad_type.rfind("domain:"), 7, "regex:");
  CHECK(first_error(bad_type) == "x.blind:9: unknown term type 'regex'");
  std::string extra = text;
  extra.insert(extra.find("columns"), "comment\tx\n");
  CHECK(first_error(extra) == "x.blind:7: unknown header line 'comment'");
  CHECK(first_error(text + "a\tdomain\n") == "x.blind:10: expected 10 tab-separated fields, got 2");
  // An altered hash is simply another indicator: it does not match the value.
  std::string altered = text;
  size_t h = altered.rfind(':') + 1;
  altered[h] = altered[h] == '0' ? '1' : '0';
  Feed f = ParseFeed(altered, "blind", "x.blind", &fx.ring);
  REQUIRE(f.ok());
  auto s = Build({f});
  CHECK(MatchObs(*s, ObservableType::kDomain, "b.example").empty());
  CHECK(MatchObs(*s, ObservableType::kDomain, "a.example") == V{"a"});
}

TEST_CASE("blind keys: generated files are private; readable ones are refused with their mode") {
  const auto dir = std::filesystem::temp_directory_path() / "gfi-blind-key-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "k.key").string();
  const auto bytes = GenerateBlindKey();
  CHECK(bytes != GenerateBlindKey());
  REQUIRE(WriteBlindKeyFile(path, bytes).ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(WriteBlindKeyFile(path, bytes).ok());  // never overwritten
  auto k = ReadBlindKeyFile(path);
  REQUIRE(k.ok());
  CHECK(k.value()->id() == BlindKey::FromBytes(bytes)->id());
  CHECK(k.value()->id().size() == 16);
  ::chmod(path.c_str(), 0644);
  auto open = ReadBlindKeyFile(path);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().find(path + ": blinding key has mode 0644") == 0);
  ::chmod(path.c_str(), 0640);
  CHECK_FALSE(ReadBlindKeyFile(path).ok());
  auto missing = ReadBlindKeyFile((dir / "none.key").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("none.key: cannot open blinding key") != std::string::npos);
  // A damaged file: its id no longer matches its key.
  const std::string damaged = (dir / "d.key").string();
  {
    std::ofstream(damaged) << "gfi-blind-key 1\nkey-id 0000000000000000\nkey "
                           << HexOf(bytes.data(), bytes.size()) << "\n";
  }
  ::chmod(damaged.c_str(), 0600);
  auto d = ReadBlindKeyFile(damaged);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().find("does not match its key") != std::string::npos);
  CHECK(d.error().find(HexOf(bytes.data(), bytes.size())) == std::string::npos);  // never shown
  std::filesystem::remove_all(dir);
}

TEST_CASE("blind: the loader reads .blind feeds; a missing key makes the feed invalid and named; "
          "a bad new version keeps the last good one") {
  Fixture fx;
  const auto dir = std::filesystem::temp_directory_path() / "gfi-blind-loader-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "feeds");
  std::filesystem::create_directories(dir / "good");
  const std::string feed = (dir / "feeds" / "ecs.blind").string();
  Feed plain = ParseFeed("domain,loaded.example,reject,L1\n", "csv", "p.csv");
  std::ofstream(feed) << BlindFeeds({plain}, *fx.key).text;
  auto none = LoadIndicators({(dir / "feeds").string()}, SnapshotOptions{}, kNow);
  REQUIRE(none.ok());
  CHECK(none.value().invalid_feeds == V{feed});
  REQUIRE_FALSE(none.value().feed_errors.empty());
  CHECK(none.value().feed_errors[0].find(feed + ":3: blinded with key " + fx.key->id()) == 0);
  LastGoodStore lg((dir / "good").string(), /*writable=*/true);
  auto ok = LoadIndicators({(dir / "feeds").string()}, SnapshotOptions{}, kNow, &lg, nullptr,
                           nullptr, nullptr, &fx.ring);
  REQUIRE(ok.ok());
  CHECK(ok.value().invalid_feeds.empty());
  CHECK(MatchObs(*ok.value().snapshot, ObservableType::kDomain, "a.loaded.example") == V{"L1"});
  std::ofstream(feed, std::ios::trunc) << "gfi-blind-feed\t1\nalgorithm\thmac-sha256-128\n";
  auto stale = LoadIndicators({(dir / "feeds").string()}, SnapshotOptions{}, kNow, &lg, nullptr,
                              nullptr, nullptr, &fx.ring);
  REQUIRE(stale.ok());
  REQUIRE(stale.value().stale_feeds.size() == 1);
  CHECK(MatchObs(*stale.value().snapshot, ObservableType::kDomain, "a.loaded.example") == V{"L1"});
  std::filesystem::remove_all(dir);
}

}  // namespace gfi
