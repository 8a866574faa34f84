// An HTTPS client for one TAXII 2.1 source (libcurl): the source's credentials, TLS settings,
// timeouts and response size bound, and GET of one URL. What the responses mean is sync.h's.
//
// Secrets (password, token, the TLS client key) are read from files named in the configuration;
// a file readable by others (mode & 004) is refused, naming the file. A secret never appears in
// an error, a log line or curl's verbose output (verbose is never on). Redirects are not followed
// (credentials must not travel to another host); only https is spoken.
//
// A client is not thread-safe (one curl handle, reused across the pages of a pull so the TLS
// connection is kept); use one per pull. Not copyable.
#ifndef GFI_FEEDS_TAXII_CLIENT_H_
#define GFI_FEEDS_TAXII_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>

#include "config/config.h"
#include "util/status.h"

namespace gfi {

// The TAXII 2.1 media type, sent as Accept and expected as Content-Type.
inline constexpr const char* kTaxiiMediaType = "application/taxii+json;version=2.1";

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string body;
  std::string date_added_first;  // X-TAXII-Date-Added-First ("" when absent)
  std::string date_added_last;   // X-TAXII-Date-Added-Last
};

// Reads the first line of a secret file. Refused (the error names the file, never its content)
// when it is not a regular file, is readable by others, or is empty.
Status ReadSecretFile(const std::string& path, const std::string& key, std::string* out);
// Only the mode check (for the TLS client key, which curl reads itself).
Status CheckSecretFileMode(const std::string& path, const std::string& key);

class TaxiiClient {
 public:
  // Reads the source's secrets; an error names the key and file.
  static Result<std::unique_ptr<TaxiiClient>> Create(const TaxiiSourceConfig& source);
  ~TaxiiClient();
  TaxiiClient(const TaxiiClient&) = delete;
  TaxiiClient& operator=(const TaxiiClient&) = delete;

  // One GET. An error is a transport failure, said plainly: "timed out after 2 s", "TLS: ...",
  // "response larger than max_response_bytes (1024)", "cannot connect: ...". An HTTP error status
  // is a response (the caller reads the TAXII error object).
  Result<HttpResponse> Get(const std::string& url);

  // When *cancel becomes true, a Get in progress ends with the error "cancelled".
  void SetCancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

  // curl_easy_escape of one query parameter value.
  std::string Escape(const std::string& value) const;

 private:
  explicit TaxiiClient(const TaxiiSourceConfig& source) : source_(source) {}
  struct Curl;
  TaxiiSourceConfig source_;
  std::string password_, token_;
  Curl* curl_ = nullptr;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace gfi

#endif  // GFI_FEEDS_TAXII_CLIENT_H_
