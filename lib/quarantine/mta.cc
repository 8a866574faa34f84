// Handing messages back to the MTA; see mta.h.
#include "quarantine/mta.h"

#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gfi {
namespace {

// A minimal SMTP client for re-injection; returns the final reply or an error.
class SmtpClient {
 public:
  ~SmtpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Connect(const std::string& host, const std::string& port) {
    struct addrinfo hints = {};
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* res = nullptr;
    if (int gai = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); gai != 0 || res == nullptr)
      return Status::Error("cannot resolve " + host + ": " + gai_strerror(gai));
    fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      int err = errno;
      freeaddrinfo(res);
      return Status::Error(std::string("cannot create a socket: ") + std::strerror(err));
    }
    struct timeval tv = {60, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = ::connect(fd_, res->ai_addr, res->ai_addrlen);
    int err = errno;
    freeaddrinfo(res);
    if (rc != 0)
      return Status::Error("cannot connect to " + host + ":" + port + ": " + std::strerror(err));
    return Expect(220);
  }
  Status Command(const std::string& line, int want) {
    if (Status s = Send(line + "\r\n"); !s.ok()) return s;
    return Expect(want);
  }
  Status Data(std::string_view msg) {
    if (Status s = Command("DATA", 354); !s.ok()) return s;
    std::string out;
    out.reserve(msg.size() + msg.size() / 50 + 8);
    bool bol = true;
    for (size_t i = 0; i < msg.size(); ++i) {
      char c = msg[i];
      if (bol && c == '.') out.push_back('.');
      if (c == '\n' && (i == 0 || msg[i - 1] != '\r')) out.push_back('\r');
      out.push_back(c);
      bol = c == '\n';
    }
    if (!bol) out += "\r\n";
    out += ".\r\n";
    if (Status s = Send(out); !s.ok()) return s;
    return Expect(250);
  }
  const std::string& last() const { return last_; }

 private:
  Status Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t w = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (w <= 0)
        return Status::Error(std::string("connection lost while sending: ") +
                             (w < 0 ? std::strerror(errno) : "closed by the MTA"));
      off += static_cast<size_t>(w);
    }
    return Status::Ok();
  }
  Status Expect(int want) {
    // Reads one (possibly multi-line) reply.
    for (;;) {
      size_t nl;
      while ((nl = buf_.find('\n')) == std::string::npos) {
        char tmp[4096];
        ssize_t r = ::recv(fd_, tmp, sizeof(tmp), 0);
        if (r <= 0)
          return Status::Error(std::string("connection lost waiting for a reply: ") +
                               (r < 0 ? std::strerror(errno) : "closed by the MTA"));
        buf_.append(tmp, static_cast<size_t>(r));
      }
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() >= 4 && line[3] == '-') continue;
      last_ = line;
      int code = line.size() >= 3 ? std::atoi(line.substr(0, 3).c_str()) : 0;
      if (code / 100 != want / 100) return Status::Error("MTA replied: " + line);
      return Status::Ok();
    }
  }
  int fd_ = -1;
  std::string buf_, last_;
};

}  // namespace

// Postfix's myhostname (postconf -h, -c [quarantine] postfix_config when set; postconf beside
// [quarantine] postsuper), "" when it cannot be asked. The daemon's authserv-id falls back to the
// MTA's {j}, which is this name.
std::string PostfixMyhostname(const Config& config) {
  std::string postconf = config.quarantine.postsuper;
  size_t slash = postconf.rfind('/');
  postconf = (slash == std::string::npos ? std::string("/usr/sbin") : postconf.substr(0, slash)) +
             "/postconf";
  if (::access(postconf.c_str(), X_OK) != 0) return "";
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return "";
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return "";
  }
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    std::vector<std::string> argv = {postconf};
    if (!config.quarantine.postfix_config.empty()) {
      argv.push_back("-c");
      argv.push_back(config.quarantine.postfix_config);
    }
    argv.push_back("-h");
    argv.push_back("myhostname");
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0 && out.size() < 4096)
    out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return out.find_first_of(" \t\n") == std::string::npos ? out : "";
}

// The queue id in an MTA's reply to DATA ("250 2.0.0 Ok: queued as 4Xk2Lq1zQz"), or "".
std::string QueuedAs(const std::string& reply) {
  static const std::string kMark = "queued as ";
  size_t p = reply.find(kMark);
  if (p == std::string::npos) return "";
  p += kMark.size();
  size_t e = p;
  while (e < reply.size() && (std::isalnum(static_cast<unsigned char>(reply[e])) ||
                              reply[e] == '-' || reply[e] == '.' || reply[e] == '_'))
    ++e;
  return reply.substr(p, e - p);
}

// Delivers over SMTP; returns the MTA's reply to the message data.
Result<std::string> SendSmtp(const HostPort& target, const std::string& mail_from,
                             const std::vector<std::string>& rcpts, std::string_view raw) {
  SmtpClient smtp;
  if (Status s = smtp.Connect(target.host, std::to_string(target.port)); !s.ok()) return s;
  char name[256] = "localhost";
  ::gethostname(name, sizeof(name) - 1);
  if (Status s = smtp.Command(std::string("EHLO ") + name, 250); !s.ok()) return s;
  if (Status s = smtp.Command("MAIL FROM:<" + mail_from + ">", 250); !s.ok()) return s;
  for (const std::string& r : rcpts)
    if (Status s = smtp.Command("RCPT TO:<" + r + ">", 250); !s.ok()) return s;
  if (Status s = smtp.Data(raw); !s.ok()) return s;
  std::string reply = smtp.last();
  smtp.Command("QUIT", 221);
  return reply;
}

// Runs argv with `input` on stdin; ok when it exits 0.
Status RunProgram(const std::vector<std::string>& argv, std::string_view input) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0)
    return Status::Error(std::string("pipe failed: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) return Status::Error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(pipefd[0], 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ::close(pipefd[0]);
  ::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t w = ::write(pipefd[1], input.data() + off, input.size() - off);
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  ::close(pipefd[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Status::Error(argv[0] + " failed (exit status " +
                         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return Status::Ok();
}

// Postfix's postsuper (or postqueue) for the hold queue ([quarantine] postsuper, -c postfix_config
// when set).
Status RunPostsuper(const Config& config, std::vector<std::string> args,
                    const std::string& program) {
  std::vector<std::string> argv = {program.empty() ? config.quarantine.postsuper : program};
  if (!config.quarantine.postfix_config.empty()) {
    argv.push_back("-c");
    argv.push_back(config.quarantine.postfix_config);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, "");
}

}  // namespace gfi
