// URL discovery in text and URL/host normalisation.
//
// Pure functions over string_views; thread-safe; no allocation beyond their results. Hostile input
// (megabytes without a space, millions of dots) costs linear time.
#ifndef GFI_EXTRACT_URL_H_
#define GFI_EXTRACT_URL_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

// A normalised URL: scheme://host[:port]/path[?query][#fragment] with scheme and host lower-case,
// IDN host in punycode, trailing dot dropped, default port removed, userinfo removed, numeric IPv4
// forms (decimal, octal, hex, dotless) rewritten as dotted quad, IPv6 in brackets and compressed
// form, percent-encoding of unreserved characters decoded and other escapes upper-cased, empty path
// as "/".
struct NormalizedUrl {
  std::string url;     // the whole normalised URL
  std::string scheme;  // "http", "https", "ftp", ...
  std::string host;    // normalised host (domain, dotted IPv4, or IPv6 without brackets)
  bool host_is_ip = false;
  // For an IPv4-mapped IPv6 host ("[::ffff:192.0.2.1]", which browsers connect to over IPv4):
  // the dotted IPv4 form, so that IPv4 indicators match it; empty otherwise.
  std::string mapped_ipv4;
};

// Normalises `raw`, which may lack a scheme ("www.example.com/x", "example.com/x": http is assumed).
// Returns nullopt when `raw` is not a plausible URL (no host, bad characters in host, bad port).
std::optional<NormalizedUrl> NormalizeUrl(std::string_view raw);

// Normalises a bare host name or address literal: lower-case, IDN to punycode (UTS#46 via libidn2),
// trailing dot dropped, numeric IPv4 forms to dotted quad. nullopt when it is not a valid host.
std::optional<std::string> NormalizeHost(std::string_view host);

// The form in which URL indicators and URLs seen compare (plain and blinded alike): the normalised
// URL without an http:// or https:// scheme and without its #fragment. An indicator for a
// phishing URL is the same threat whichever of the two schemes the link uses (Zeek's intel URLs
// carry no scheme at all), and the fragment never reaches the server and is varied per
// recipient. A view into `normalized_url`.
std::string_view UrlMatchKey(std::string_view normalized_url);

// Finds URL candidates in plain text: with scheme (http, https, ftp), "www."-prefixed, and in angle
// brackets; trailing punctuation and unbalanced closing brackets are trimmed. A scheme or "www."
// glued to non-ASCII text ("请点击http://evil.example/") starts a URL too, as mail clients'
// linkifiers find it; a URL followed by CJK text with no space ("www.evil.example查看") is given
// twice, whole and cut before the CJK, since readers differ on where it ends. Returns raw spans
// into `text`, in order, at most `max_urls` of them.
std::vector<std::string_view> FindUrlsInText(std::string_view text, size_t max_urls);

// URLs wrapped inside a redirector's query parameters (e.g. ?url=, ?u=, ?q=, ?target=,
// safelinks' ?url=, Google's /url?q=), percent-decoded; one level. Each result is raw, to be given
// to NormalizeUrl.
std::vector<std::string> UnwrapRedirects(const NormalizedUrl& url);

}  // namespace gfi

#endif  // GFI_EXTRACT_URL_H_
