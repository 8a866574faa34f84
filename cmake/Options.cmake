# gfi::options carries warnings and hardening flags; every target of ours links it.
add_library(gfi_options INTERFACE)
add_library(gfi::options ALIAS gfi_options)
target_compile_options(gfi_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
  -fstack-protector-strong -fno-strict-overflow)
if(GFI_WERROR)
  target_compile_options(gfi_options INTERFACE -Werror)
endif()
target_compile_definitions(gfi_options INTERFACE _GLIBCXX_ASSERTIONS
  $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
target_link_options(gfi_options INTERFACE -Wl,-z,relro -Wl,-z,now)
if(GFI_SANITIZE)
  # GCC 12's -Wmaybe-uninitialized is unreliable under the sanitizers (false positives inside
  # libstdc++'s <regex>, which Catch2 uses); the optimised build keeps the warning as an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(gfi_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  target_compile_options(gfi_options INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(gfi_options INTERFACE -fsanitize=address,undefined)
endif()
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
if(GFI_FUZZ)
  # Coverage instrumentation for everything; only the fuzz targets link libFuzzer's main.
  target_compile_options(gfi_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(gfi_options INTERFACE -fsanitize=address,undefined)
endif()
