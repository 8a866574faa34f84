// MD5, SHA-1 and SHA-256 of a byte range in one pass (OpenSSL EVP), as lower-case hex.
//
// Thread-safe: every call owns its contexts. The three digests are updated block by block so the
// input is read from memory once per 64 KiB block rather than three times over.
#ifndef GFI_UTIL_DIGEST_H_
#define GFI_UTIL_DIGEST_H_

#include <string>
#include <string_view>

namespace gfi {

struct Digests {
  std::string md5;
  std::string sha1;
  std::string sha256;
};

Digests ComputeDigests(std::string_view data);

// Incremental form, for streamed data (archive members). Not copyable.
class DigestBuilder {
 public:
  DigestBuilder();
  ~DigestBuilder();
  DigestBuilder(const DigestBuilder&) = delete;
  DigestBuilder& operator=(const DigestBuilder&) = delete;

  void Update(std::string_view data);
  Digests Finish();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace gfi

#endif  // GFI_UTIL_DIGEST_H_
