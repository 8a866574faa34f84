// libcurl behind TaxiiClient; see taxii_client.h. One easy handle per client; curl_global_init
// once per process (std::call_once) before the first handle.
#include "feeds/taxii_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "util/strings.h"

namespace gfi {
namespace {

std::once_flag g_curl_init;

std::string ModeText(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

struct Transfer {
  HttpResponse* response;
  uint64_t max_bytes;
  bool oversized = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->response->body.size() + len > t->max_bytes) {
    t->oversized = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = AsciiLowered(Trim(line.substr(0, colon)));
    std::string value(Trim(line.substr(colon + 1)));
    if (name == "x-taxii-date-added-first") t->response->date_added_first = value;
    if (name == "x-taxii-date-added-last") t->response->date_added_last = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100 Continue, say): forget the headers of the previous one.
    t->response->date_added_first.clear();
    t->response->date_added_last.clear();
  }
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

struct TaxiiClient::Curl {
  CURL* handle = nullptr;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

Status CheckSecretFileMode(const std::string& path, const std::string& key) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::Error(key + " " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::Error(key + " " + path + ": not a regular file");
  if ((st.st_mode & S_IROTH) != 0)
    return Status::Error(key + " " + path + " is readable by others (mode " + ModeText(st.st_mode) +
                         "); refused: chmod o-rwx " + path);
  return Status::Ok();
}

Status ReadSecretFile(const std::string& path, const std::string& key, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::Error(key + " " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(key + " " + path + ": not a regular file");
  }
  if ((st.st_mode & S_IROTH) != 0) {
    ::close(fd);
    return Status::Error(key + " " + path + " is readable by others (mode " + ModeText(st.st_mode) +
                         "); refused: chmod o-rwx " + path);
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 65536) text.append(buf, n);
  ::close(fd);
  size_t eol = text.find_first_of("\r\n");
  if (eol != std::string::npos) text.resize(eol);
  if (text.empty())
    return Status::Error(key + " " + path + ": empty (the secret is its first line)");
  *out = std::move(text);
  return Status::Ok();
}

Result<std::unique_ptr<TaxiiClient>> TaxiiClient::Create(const TaxiiSourceConfig& source) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<TaxiiClient> c(new TaxiiClient(source));
  if (!source.password_file.empty()) {
    if (Status s = ReadSecretFile(source.password_file, "password_file", &c->password_); !s.ok())
      return s;
  }
  if (!source.token_file.empty()) {
    if (Status s = ReadSecretFile(source.token_file, "token_file", &c->token_); !s.ok()) return s;
  }
  if (!source.client_key.empty()) {
    if (Status s = CheckSecretFileMode(source.client_key, "client_key"); !s.ok()) return s;
  }
  c->curl_ = new Curl;
  CURL* h = c->curl_->handle = curl_easy_init();
  if (h == nullptr) return Status::Error("cannot create a curl handle");
  c->curl_->headers =
      curl_slist_append(nullptr, (std::string("Accept: ") + kTaxiiMediaType).c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->curl_->headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "gfi-milter (TAXII 2.1 client)");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_->error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);  // verbose output would show the Authorization header
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate if the server offers them
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(source.connect_timeout));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(source.timeout));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(source.max_response_bytes));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!source.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, source.ca_file.c_str());
  if (!source.client_cert.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, source.client_cert.c_str());
    curl_easy_setopt(h, CURLOPT_SSLKEY, source.client_key.c_str());
  }
  if (!c->password_.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, source.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c->password_.c_str());
  } else if (!c->token_.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c->token_.c_str());
  }
  return c;
}

TaxiiClient::~TaxiiClient() {
  if (curl_ != nullptr) {
    if (curl_->handle != nullptr) curl_easy_cleanup(curl_->handle);
    curl_slist_free_all(curl_->headers);
    delete curl_;
  }
  // The secrets do not outlive the client in freed memory.
  std::fill(password_.begin(), password_.end(), '\0');
  std::fill(token_.begin(), token_.end(), '\0');
}

std::string TaxiiClient::Escape(const std::string& value) const {
  char* e = curl_easy_escape(curl_->handle, value.data(), static_cast<int>(value.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

Result<HttpResponse> TaxiiClient::Get(const std::string& url) {
  HttpResponse r;
  Transfer t{&r, source_.max_response_bytes};
  CURL* h = curl_->handle;
  curl_->error[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel_);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, cancel_ == nullptr ? 1L : 0L);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Error("cancelled");
  const std::string detail = curl_->error[0] != '\0' ? curl_->error : curl_easy_strerror(rc);
  if (t.oversized || rc == CURLE_FILESIZE_EXCEEDED)
    return Status::Error("response larger than max_response_bytes (" +
                         std::to_string(source_.max_response_bytes) + "), refused");
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      return Status::Error("timed out (connect_timeout " + std::to_string(source_.connect_timeout) +
                           " s, timeout " + std::to_string(source_.timeout) + " s): " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
      return Status::Error("TLS: the server's certificate is not trusted: " + detail);
    case CURLE_SSL_CONNECT_ERROR:
      return Status::Error("TLS handshake failed: " + detail);
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
      return Status::Error("TLS: " + detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return Status::Error("cannot connect: " + detail);
    default:
      return Status::Error(detail);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr)
    r.content_type = ct;
  return r;
}

}  // namespace gfi
