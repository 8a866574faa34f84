// Tenants, conditional rules, monitor mode, allow lists and SPF in the policy (policy.h).
#include "policy/policy.h"

#include <catch2/catch.hpp>

#include "config/config.h"
#include "indicators/feed.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;

std::shared_ptr<const IndicatorSnapshot> Compile(const std::string& csv) {
  Feed f = ParseFeed(csv, "csv", "t.csv");
  REQUIRE(f.ok());
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow);
  REQUIRE(s.ok());
  return s.value();
}

PolicySettings Settings(const std::string& toml) {
  Result<Config> c = ParseConfig(toml, "p.toml");
  INFO((c.ok() ? std::string() : c.error()));
  REQUIRE(c.ok());
  return PolicyFromConfig(c.value());
}

std::vector<Match> MatchAll(const IndicatorSnapshot& s, std::vector<Observable> obs) {
  std::vector<Match> ms;
  s.MatchObservables(obs, kNow, false, false, &ms);
  return ms;
}

const char* kTenants = R"(
[policy]
default_action = "quarantine"
[[tenant]]
name = "acme"
domains = ["acme.example"]
type_actions = { "domain" = "reject" }
[[tenant]]
name = "beta"
domains = ["beta.example", "mail.acme.example"]
monitor = true
default_action = "reject"
[[tenant]]
name = "gamma"
domains = ["gamma.example"]
marking_actions = { "tlp:amber" = "discard" }
feed_actions = { "t.csv" = "tempfail" }
)";

}  // namespace

TEST_CASE("tenants are found by recipient domain, the longest domain winning") {
  PolicySettings p = Settings(kTenants);
  CHECK(TenantName(p, TenantFor(p, "a@acme.example")) == "acme");
  CHECK(TenantName(p, TenantFor(p, "<a@sub.acme.example>")) == "acme");
  CHECK(TenantName(p, TenantFor(p, "a@mail.acme.example")) == "beta");
  CHECK(TenantName(p, TenantFor(p, "a@ACME.EXAMPLE")) == "acme");
  CHECK(TenantName(p, TenantFor(p, "a@notacme.example")) == "default");
  CHECK(TenantFor(p, "a@other.example") == -1);
}

TEST_CASE("per-tenant actions: type, default, marking, feed, monitor never blocks") {
  PolicySettings p = Settings(kTenants);
  auto s = Compile("domain,evil.example,,d1\n");
  auto ms = MatchAll(*s, {Observable{ObservableType::kDomain, "evil.example", Where::kBodyHtml}});
  REQUIRE(ms.size() == 1);
  DecisionContext ctx;
  CHECK(Decide(ms, *s, p, false, ctx).action == Action::kQuarantine);  // no tenant: default
  ctx.tenant = TenantFor(p, "x@acme.example");
  CHECK(Decide(ms, *s, p, false, ctx).action == Action::kReject);  // acme: domain -> reject
  ctx.tenant = TenantFor(p, "x@beta.example");
  Verdict b = Decide(ms, *s, p, false, ctx);
  CHECK(b.would_action == Action::kReject);  // beta's default
  CHECK(b.action == Action::kTag);           // ... but monitor mode only tags
  CHECK(b.monitor);
  CHECK(b.tenant == "beta");
  ctx.tenant = TenantFor(p, "x@gamma.example");
  CHECK(Decide(ms, *s, p, false, ctx).action == Action::kTempfail);  // feed action
}

TEST_CASE("the indicator's own action yields to a tenant's but beats the global maps") {
  PolicySettings p = Settings(std::string(kTenants) + "\n");
  p.type_actions["domain"] = Action::kDiscard;
  auto s = Compile("domain,evil.example,tag,d1\n");
  auto ms = MatchAll(*s, {Observable{ObservableType::kDomain, "evil.example", Where::kBodyText}});
  DecisionContext ctx;
  CHECK(Decide(ms, *s, p, false, ctx).action == Action::kTag);  // own action beats global map
  ctx.tenant = TenantFor(p, "x@acme.example");
  CHECK(Decide(ms, *s, p, false, ctx).action == Action::kReject);  // tenant's type action
}

TEST_CASE("conditional rules: first match wins, with SPF, where and tenant conditions") {
  PolicySettings p = Settings(R"(
[[policy.rule]]
type = ["domain"]
where = ["mail_from"]
spf = ["pass"]
action = "reject"
[[policy.rule]]
tenant = ["acme"]
action = "tag"
[[tenant]]
name = "acme"
domains = ["acme.example"]
)");
  auto s = Compile("domain,evil.example,,d1\n");
  auto from = MatchAll(*s, {Observable{ObservableType::kDomain, "evil.example", Where::kMailFrom}});
  auto body = MatchAll(*s, {Observable{ObservableType::kDomain, "evil.example", Where::kBodyText}});
  DecisionContext ctx;
  ctx.spf = "pass";
  CHECK(Decide(from, *s, p, false, ctx).action == Action::kReject);
  CHECK(Decide(body, *s, p, false, ctx).action == Action::kQuarantine);  // wrong place
  ctx.spf = "fail";
  CHECK(Decide(from, *s, p, false, ctx).action == Action::kQuarantine);  // SPF condition fails
  ctx.spf = "";
  CHECK(Decide(from, *s, p, false, ctx).action == Action::kQuarantine);  // SPF not checked
  ctx.tenant = TenantFor(p, "x@acme.example");
  CHECK(Decide(body, *s, p, false, ctx).action == Action::kTag);
}

TEST_CASE("SPF fail or softfail of a protected sender domain is a match of its own") {
  PolicySettings p = Settings(R"(
[spf]
protected_domains = ["bank.example"]
fail_action = "reject"
softfail_action = "tag"
)");
  auto s = Compile("domain,unrelated.example,,d1\n");
  DecisionContext ctx;
  ctx.spf = "fail";
  ctx.spf_domain = "mail.bank.example";
  Verdict v = Decide({}, *s, p, false, ctx);
  CHECK(v.action == Action::kReject);
  REQUIRE(v.matches.size() == 1);
  CHECK(v.matches[0].type == "spf");
  CHECK(v.matches[0].indicator == "spf:fail");
  ctx.spf = "softfail";
  CHECK(Decide({}, *s, p, false, ctx).action == Action::kTag);
  ctx.spf = "pass";
  CHECK(Decide({}, *s, p, false, ctx).action == Action::kAccept);
  ctx.spf = "fail";
  ctx.spf_domain = "bank.example.attacker.example";
  CHECK(Decide({}, *s, p, false, ctx).action == Action::kAccept);  // not the protected domain
}

TEST_CASE("allow lists: networks, senders, recipients, tenant senders") {
  PolicySettings p = Settings(R"(
[allow]
client_networks = ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]
senders = ["@partner.example", "boss@corp.example"]
recipients = ["abuse@provider.example"]
[[tenant]]
name = "acme"
domains = ["acme.example"]
allow_senders = ["newsletter.example"]
)");
  CHECK(ClientAllowed(p, "192.0.2.200"));
  CHECK_FALSE(ClientAllowed(p, "192.0.3.1"));
  CHECK(ClientAllowed(p, "2001:db8:1::5"));
  CHECK_FALSE(ClientAllowed(p, "2001:db9::5"));
  CHECK(ClientAllowed(p, "198.51.100.7"));
  CHECK_FALSE(ClientAllowed(p, "198.51.100.8"));
  CHECK_FALSE(ClientAllowed(p, "not-an-ip"));
  CHECK(SenderAllowed(p, -1, "x@partner.example"));
  CHECK(SenderAllowed(p, -1, "x@eu.partner.example"));
  CHECK_FALSE(SenderAllowed(p, -1, "x@notpartner.example"));
  CHECK(SenderAllowed(p, -1, "<Boss@Corp.Example>"));
  CHECK_FALSE(SenderAllowed(p, -1, "other@corp.example"));
  CHECK_FALSE(SenderAllowed(p, -1, "x@newsletter.example"));  // only acme allows it
  CHECK(SenderAllowed(p, TenantFor(p, "u@acme.example"), "x@newsletter.example"));
  CHECK(RecipientAllowed(p, "abuse@provider.example"));
  CHECK_FALSE(RecipientAllowed(p, "ceo@provider.example"));
}

TEST_CASE("the config rejects bad tenants, rules and allow entries, naming the key") {
  auto err = [](const std::string& t) {
    Result<Config> c = ParseConfig(t, "p.toml");
    return c.ok() ? std::string() : c.error();
  };
  CHECK(err("[[tenant]]\nname = \"a\"\n").find("tenant.domains") != std::string::npos);
  CHECK(err("[[tenant]]\ndomains = [\"a.example\"]\n").find("needs a name") != std::string::npos);
  CHECK(err("[[tenant]]\nname=\"a\"\ndomains=[\"x.example\"]\n[[tenant]]\nname=\"b\"\n"
            "domains=[\"X.example\"]\n").find("already belongs to tenant 'a'") != std::string::npos);
  CHECK(err("[[tenant]]\nname=\"default\"\ndomains=[\"x.example\"]\n").find("reserved") !=
        std::string::npos);
  CHECK(err("[[tenant]]\nname=\"a\"\ndomains=[\"x.example\"]\ntype_actions={ \"domian\" = "
            "\"tag\" }\n").find("tenant.type_actions.domian: unknown indicator type") !=
        std::string::npos);
  CHECK(err("[[policy.rule]]\ntype=[\"domain\"]\n").find("needs an action") != std::string::npos);
  CHECK(err("[[policy.rule]]\nspf=[\"passed\"]\naction=\"tag\"\n").find("policy.rule.spf") !=
        std::string::npos);
  CHECK(err("[[policy.rule]]\nwhere=[\"body\"]\naction=\"tag\"\n").find("policy.rule.where") !=
        std::string::npos);
  CHECK(err("[allow]\nclient_networks = [\"10.0.0.0/40\"]\n").find("allow.client_networks") !=
        std::string::npos);
  CHECK(err("[spf]\nresolvers = [\"127.0.0.1:99999\"]\n").find("spf.resolvers") !=
        std::string::npos);
  CHECK(err("[policy]\nmixed_tenants = \"merge\"\n").find("policy.mixed_tenants") !=
        std::string::npos);
  CHECK(err("[milter]\nreject_reply = \"bad\\nline\"\n").find("milter.reject_reply") !=
        std::string::npos);
  CHECK(err("[milter]\nspool_dir = \"relative/dir\"\n").find("not an absolute path") !=
        std::string::npos);
  CHECK(err("[spf]\nenabled = \"yes\"\n").find("spf.enabled: expected true or false") !=
        std::string::npos);
  CHECK(err("[tenant]\nname = \"a\"\n").find("expected [[tenant]] tables") != std::string::npos);
}

}  // namespace gfi
