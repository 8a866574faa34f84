# Every dependency comes from a Debian package (scripts/deps.sh installs them); nothing is downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LIBIDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(LIBPSL REQUIRED IMPORTED_TARGET libpsl)
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
find_package(fmt REQUIRED)
pkg_check_modules(SIMDJSON REQUIRED IMPORTED_TARGET simdjson)
# libcurl (OpenSSL flavour): TAXII 2.1 pulls, lib/feeds only.
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)
# minisign signatures of feed files (Ed25519, BLAKE2b).
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

# Prometheus metrics of the daemon (lib/metrics): prometheus-cpp core + pull (civetweb exposer).
find_package(prometheus-cpp REQUIRED COMPONENTS core pull)

find_path(MIMETIC_INCLUDE_DIR mimetic/mimetic.h REQUIRED)
find_library(MIMETIC_LIBRARY mimetic REQUIRED)
add_library(mimetic::mimetic UNKNOWN IMPORTED)
set_target_properties(mimetic::mimetic PROPERTIES
  IMPORTED_LOCATION ${MIMETIC_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${MIMETIC_INCLUDE_DIR})

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(CLI11::CLI11 INTERFACE IMPORTED)
set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${CLI11_INCLUDE_DIR})

# SQLite (quarantine index), libspf2 (+ libresolv for its DNS layer), libmilter (daemon only).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_path(SPF2_INCLUDE_DIR spf2/spf.h REQUIRED)
find_library(SPF2_LIBRARY spf2 REQUIRED)
add_library(spf2::spf2 UNKNOWN IMPORTED)
set_target_properties(spf2::spf2 PROPERTIES
  IMPORTED_LOCATION ${SPF2_LIBRARY} INTERFACE_INCLUDE_DIRECTORIES ${SPF2_INCLUDE_DIR})
find_library(RESOLV_LIBRARY resolv REQUIRED)
find_path(MILTER_INCLUDE_DIR libmilter/mfapi.h REQUIRED)
find_library(MILTER_LIBRARY milter REQUIRED)
add_library(milter::milter UNKNOWN IMPORTED)
set_target_properties(milter::milter PROPERTIES
  IMPORTED_LOCATION ${MILTER_LIBRARY} INTERFACE_INCLUDE_DIRECTORIES ${MILTER_INCLUDE_DIR})
find_package(Threads REQUIRED)
