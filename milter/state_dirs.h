// The daemon's state directories (the pid file's and the status file's, the spool, the quarantine,
// the last good feeds, and [feeds] dir with its .state when TAXII sources are configured), made at
// start the way `postfix post-install` makes Postfix's: started as root, a missing directory is
// created with its missing parents (parents root-owned, 0755), the directory itself owned by the
// daemon's user and group, mode 0750. Started as another user, a missing directory that user
// cannot make (its parent is missing or not the user's) is an error that names it and what to
// run. An existing directory is left as it is (an admin's choice of owner and mode stands;
// CheckWritableAs then tells whether the daemon can use it).
#ifndef GFI_MILTER_STATE_DIRS_H_
#define GFI_MILTER_STATE_DIRS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "util/status.h"

namespace gfi {

// The directories `config` needs, in creation order.
std::vector<std::string> StateDirs(const Config& config);

// Makes `dir` as described above (user: the daemon user's name, for the message).
// `mode` is 0750 but for the socket's directory (0751, gfi-milter(8), PRIVILEGES).
Status EnsureStateDir(const std::string& dir, uid_t uid, gid_t gid, const std::string& user,
                      mode_t mode = 0750);

}  // namespace gfi

#endif  // GFI_MILTER_STATE_DIRS_H_
