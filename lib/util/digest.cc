// One-pass MD5/SHA-1/SHA-256 over OpenSSL's EVP interface. Blocks of 64 KiB keep the data in cache
// while the three digests consume it.
#include "util/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

namespace gfi {
namespace {

std::string Hex(const unsigned char* p, unsigned int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned int i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

}  // namespace

struct DigestBuilder::Impl {
  EVP_MD_CTX* ctx[3];
};

DigestBuilder::DigestBuilder() : impl_(new Impl) {
  const EVP_MD* mds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
  for (int i = 0; i < 3; ++i) {
    impl_->ctx[i] = EVP_MD_CTX_new();
    if (impl_->ctx[i] == nullptr || EVP_DigestInit_ex(impl_->ctx[i], mds[i], nullptr) != 1) {
      // Only possible when OpenSSL is out of memory or misconfigured; there is no sane fallback.
      std::abort();
    }
  }
}

DigestBuilder::~DigestBuilder() {
  for (EVP_MD_CTX* c : impl_->ctx) EVP_MD_CTX_free(c);
  delete impl_;
}

void DigestBuilder::Update(std::string_view data) {
  constexpr size_t kBlock = 64 * 1024;
  for (size_t off = 0; off < data.size(); off += kBlock) {
    size_t n = std::min(kBlock, data.size() - off);
    for (EVP_MD_CTX* c : impl_->ctx) EVP_DigestUpdate(c, data.data() + off, n);
  }
}

Digests DigestBuilder::Finish() {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  Digests d;
  EVP_DigestFinal_ex(impl_->ctx[0], buf, &n);
  d.md5 = Hex(buf, n);
  EVP_DigestFinal_ex(impl_->ctx[1], buf, &n);
  d.sha1 = Hex(buf, n);
  EVP_DigestFinal_ex(impl_->ctx[2], buf, &n);
  d.sha256 = Hex(buf, n);
  return d;
}

Digests ComputeDigests(std::string_view data) {
  DigestBuilder b;
  b.Update(data);
  return b.Finish();
}

}  // namespace gfi
