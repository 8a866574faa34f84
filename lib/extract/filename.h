// File names as the recipient's system saves them, for filename observables.
//
// A pure function over a string_view; thread-safe.
#ifndef GFI_EXTRACT_FILENAME_H_
#define GFI_EXTRACT_FILENAME_H_

#include <string>
#include <string_view>
#include <vector>

namespace gfi {

// Appends to *out the forms `name` (decoded UTF-8) is matched under, as Windows would save the file:
//  - cut at the first NUL: the Win32 API ends the string there (a "%00" in an RFC 2231 name
//    decodes to one), then without trailing dots and spaces ("evil.exe." and "evil.exe " are
//    saved as evil.exe);
//  - when a NUL is followed by more of the name, also the name with its NULs dropped, for
//    readers that skip control characters, trimmed the same way.
// One or two distinct non-empty forms; none for a name made only of NULs, dots and spaces.
// The name as decoded stays what reports show; these forms are what indicators see.
void FilenameMatchForms(std::string_view name, std::vector<std::string>* out);

}  // namespace gfi

#endif  // GFI_EXTRACT_FILENAME_H_
