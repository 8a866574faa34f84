#include "util/digest.h"

#include <catch2/catch.hpp>
#include <string>

namespace gfi {

TEST_CASE("digests of the empty string are the well-known values") {
  Digests d = ComputeDigests("");
  CHECK(d.md5 == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(d.sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(d.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("digests of 'abc' match FIPS test vectors") {
  Digests d = ComputeDigests("abc");
  CHECK(d.md5 == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(d.sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(d.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("incremental digests equal one-shot digests across block boundaries") {
  std::string data(200000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  DigestBuilder b;
  b.Update(std::string_view(data).substr(0, 70000));
  b.Update(std::string_view(data).substr(70000));
  Digests inc = b.Finish();
  Digests one = ComputeDigests(data);
  CHECK(inc.sha256 == one.sha256);
  CHECK(inc.sha1 == one.sha1);
  CHECK(inc.md5 == one.md5);
}

}  // namespace gfi
