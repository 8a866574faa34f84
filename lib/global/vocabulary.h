// gfi-milter's vocabulary, in one place (as Postfix keeps its shared names in src/global/): what
// is observed and where, indicator term kinds, actions, SPF results, the daemon's error action
// and the mixed-tenant rule; the quarantine's names are in quarantine_names.h. Each enum has one
// name table, checked at compile time (global/names.h); every module, the configuration, JSON
// output, logs and feeds read and write names through these tables only.
#ifndef GFI_GLOBAL_VOCABULARY_H_
#define GFI_GLOBAL_VOCABULARY_H_

#include <optional>
#include <string_view>

#include "global/names.h"
#include "global/quarantine_names.h"

namespace gfi {

// What the engine extracts from a message (extract/observable.h).
enum class ObservableType { kIp, kDomain, kEmail, kUrl, kMd5, kSha1, kSha256, kFilename };
inline constexpr NameTable<ObservableType, 8> kObservableTypeNames{{{
    {ObservableType::kIp, "ip"},
    {ObservableType::kDomain, "domain"},
    {ObservableType::kEmail, "email"},
    {ObservableType::kUrl, "url"},
    {ObservableType::kMd5, "md5"},
    {ObservableType::kSha1, "sha1"},
    {ObservableType::kSha256, "sha256"},
    {ObservableType::kFilename, "filename"},
}}};
static_assert(NameTableIsDense(kObservableTypeNames));

// Where an observable was seen (Zeek-intel style names; see product.md).
enum class Where {
  kClientIp,
  kHelo,
  kMailFrom,
  kRcptTo,
  kHeaderFrom,
  kHeaderSender,
  kHeaderReplyTo,
  kHeaderReturnPath,
  kHeaderTo,
  kHeaderCc,
  kHeaderMessageId,
  kHeaderReceived,
  kHeaderXOriginatingIp,
  kBodyText,
  kBodyHtml,
  kAttachment,
  kArchiveMember,
  // Places only content rules see (no observable is extracted there):
  kHeaderSubject,  // "header.subject": subject-regex rules
  kHeaderOther,    // "header": header-regex rules on any other field
};
inline constexpr NameTable<Where, 19> kWhereNames{{{
    {Where::kClientIp, "client_ip"},
    {Where::kHelo, "helo"},
    {Where::kMailFrom, "mail_from"},
    {Where::kRcptTo, "rcpt_to"},
    {Where::kHeaderFrom, "header.from"},
    {Where::kHeaderSender, "header.sender"},
    {Where::kHeaderReplyTo, "header.reply_to"},
    {Where::kHeaderReturnPath, "header.return_path"},
    {Where::kHeaderTo, "header.to"},
    {Where::kHeaderCc, "header.cc"},
    {Where::kHeaderMessageId, "header.message_id"},
    {Where::kHeaderReceived, "header.received"},
    {Where::kHeaderXOriginatingIp, "header.x_originating_ip"},
    {Where::kBodyText, "body.text"},
    {Where::kBodyHtml, "body.html"},
    {Where::kAttachment, "attachment"},
    {Where::kArchiveMember, "archive_member"},
    {Where::kHeaderSubject, "header.subject"},
    {Where::kHeaderOther, "header"},
}}};
static_assert(NameTableIsDense(kWhereNames));

// Actions in increasing strictness; the strictest of all matches wins. discard is strictest
// because it is the one the sender never learns about and nobody can undo.
enum class Action { kAccept, kTag, kQuarantine, kTempfail, kReject, kDiscard };
inline constexpr NameTable<Action, 6> kActionNames{{{
    {Action::kAccept, "accept"},
    {Action::kTag, "tag"},
    {Action::kQuarantine, "quarantine"},
    {Action::kTempfail, "tempfail"},
    {Action::kReject, "reject"},
    {Action::kDiscard, "discard"},
}}};
static_assert(NameTableIsDense(kActionNames));

// What an indicator term matches (indicators/indicator.h).
enum class TermKind {
  kIp,            // address or CIDR (v4/v6)
  kDomain,        // the domain and its subdomains
  kEmail,         // whole address; domain part case-insensitive
  kUrl,           // normalised URL, exact
  kUrlPrefix,     // normalised URL prefix
  kMd5,
  kSha1,
  kSha256,
  kFilename,      // exact, case-insensitive
  kFilenameGlob,  // glob (* ? [...]), case-insensitive
  kSubjectRegex,  // RE2 over the decoded subject
  kHeaderRegex,   // RE2 over the decoded value of one header field (header_name)
  kBodyRegex,     // RE2 over decoded body text
  kContent,       // literal in decoded body text (Aho-Corasick), case-insensitive
};
inline constexpr NameTable<TermKind, 14> kTermKindNames{{{
    {TermKind::kIp, "ip"},
    {TermKind::kDomain, "domain"},
    {TermKind::kEmail, "email"},
    {TermKind::kUrl, "url"},
    {TermKind::kUrlPrefix, "url-prefix"},
    {TermKind::kMd5, "md5"},
    {TermKind::kSha1, "sha1"},
    {TermKind::kSha256, "sha256"},
    {TermKind::kFilename, "filename"},
    {TermKind::kFilenameGlob, "filename-glob"},
    {TermKind::kSubjectRegex, "subject-regex"},
    {TermKind::kHeaderRegex, "header-regex"},
    {TermKind::kBodyRegex, "body-regex"},
    {TermKind::kContent, "content"},
}}};
static_assert(NameTableIsDense(kTermKindNames));
// The match type of an SPF verdict of a protected domain, and of a defect the policy acts on:
// policy keys beside the term kinds.
inline constexpr std::string_view kSpfMatchType = "spf";
inline constexpr std::string_view kDefectMatchType = "defect";

enum class SpfResult { kNone, kNeutral, kPass, kFail, kSoftfail, kTemperror, kPermerror };
inline constexpr NameTable<SpfResult, 7> kSpfResultNames{{{
    {SpfResult::kNone, "none"},
    {SpfResult::kNeutral, "neutral"},
    {SpfResult::kPass, "pass"},
    {SpfResult::kFail, "fail"},
    {SpfResult::kSoftfail, "softfail"},
    {SpfResult::kTemperror, "temperror"},
    {SpfResult::kPermerror, "permerror"},
}}};
static_assert(NameTableIsDense(kSpfResultNames));

// [milter] on_error: what the MTA is told when a message cannot be scanned.
enum class OnError { kTempfail, kAccept, kReject };
inline constexpr NameTable<OnError, 3> kOnErrorNames{{{
    {OnError::kTempfail, "tempfail"},
    {OnError::kAccept, "accept"},
    {OnError::kReject, "reject"},
}}};
static_assert(NameTableIsDense(kOnErrorNames));

// [policy] mixed_tenants: recipients of tenants with different verdicts.
enum class MixedTenants { kSplit, kStrictest };
inline constexpr NameTable<MixedTenants, 2> kMixedTenantsNames{{{
    {MixedTenants::kSplit, "split"},
    {MixedTenants::kStrictest, "strictest"},
}}};
static_assert(NameTableIsDense(kMixedTenantsNames));

// The [limits] a message can reach; a message cut short by one carries the defect "limit.NAME"
// (NAME the option without "max_", so one policy rule "limit.*" covers every way a message was
// read only in part). limit.scan_time is [limits] max_scan_ms's; limit.regex_memory is a regex
// set that ran out of memory on the message (the rules' regexes were not all applied).
enum class Limit {
  kHeaderBytes,
  kParts,
  kNesting,
  kDecodedSize,
  kArchiveDepth,
  kArchiveMembers,
  kArchiveBytes,
  kArchiveRatio,
  kUrls,
  kHtmlSize,
  kRegexBytes,
  kScanTime,
  kRegexMemory,
};
inline constexpr NameTable<Limit, 13> kLimitDefectNames{{{
    {Limit::kHeaderBytes, "limit.header_bytes"},
    {Limit::kParts, "limit.parts"},
    {Limit::kNesting, "limit.nesting"},
    {Limit::kDecodedSize, "limit.decoded_size"},
    {Limit::kArchiveDepth, "limit.archive_depth"},
    {Limit::kArchiveMembers, "limit.archive_members"},
    {Limit::kArchiveBytes, "limit.archive_bytes"},
    {Limit::kArchiveRatio, "limit.archive_ratio"},
    {Limit::kUrls, "limit.urls"},
    {Limit::kHtmlSize, "limit.html_size"},
    {Limit::kRegexBytes, "limit.regex_bytes"},
    {Limit::kScanTime, "limit.scan_time"},
    {Limit::kRegexMemory, "limit.regex_memory"},
}}};
static_assert(NameTableIsDense(kLimitDefectNames));
inline constexpr std::string_view kLimitDefectPrefix = "limit.";

// gfictl report --format.
enum class ReportFormat { kText, kJson, kCsv, kStix, kHtml };
inline constexpr NameTable<ReportFormat, 5> kReportFormatNames{{{
    {ReportFormat::kText, "text"},
    {ReportFormat::kJson, "json"},
    {ReportFormat::kCsv, "csv"},
    {ReportFormat::kStix, "stix"},
    {ReportFormat::kHtml, "html"},
}}};
static_assert(NameTableIsDense(kReportFormatNames));

inline std::string_view ToString(Limit l) { return kLimitDefectNames.Name(l); }
inline std::string_view ToString(ObservableType t) { return kObservableTypeNames.Name(t); }
inline std::string_view ToString(Where w) { return kWhereNames.Name(w); }
inline std::string_view ToString(Action a) { return kActionNames.Name(a); }
inline std::string_view ToString(TermKind k) { return kTermKindNames.Name(k); }
inline std::string_view ToString(SpfResult r) { return kSpfResultNames.Name(r); }
inline std::string_view ToString(OnError e) { return kOnErrorNames.Name(e); }
inline std::string_view ToString(MixedTenants m) { return kMixedTenantsNames.Name(m); }
inline std::string_view ToString(ReportFormat f) { return kReportFormatNames.Name(f); }

inline std::optional<ObservableType> ParseObservableType(std::string_view s) {
  return kObservableTypeNames.Parse(s);
}
inline std::optional<Where> ParseWhere(std::string_view s) { return kWhereNames.Parse(s); }
inline std::optional<Action> ParseAction(std::string_view s) { return kActionNames.Parse(s); }
inline std::optional<TermKind> ParseTermKind(std::string_view s) { return kTermKindNames.Parse(s); }

}  // namespace gfi

#endif  // GFI_GLOBAL_VOCABULARY_H_
