// Release-target check; see release_guard.h. master.cf is read the way postconf -M shows it:
// continuation lines start with white space, "-o name=value" (or "-oname=value") overrides.
#include "quarantine/release_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace gfi {
namespace {

std::vector<std::string> Words(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t b = s.find_first_not_of(seps, i);
    if (b == std::string_view::npos) break;
    size_t e = s.find_first_of(seps, b);
    out.emplace_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    i = e == std::string_view::npos ? s.size() : e;
  }
  return out;
}

// Logical lines: comments dropped, continuation lines (leading white space) joined.
std::vector<std::string> LogicalLines(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (first > 0 && !out.empty()) {
      out.back() += " " + line.substr(first);
    } else {
      out.push_back(line);
    }
  }
  return out;
}

std::string MainCfValue(std::string_view main_cf, const std::string& name) {
  std::string value;
  for (const std::string& l : LogicalLines(main_cf)) {
    size_t eq = l.find('=');
    if (eq == std::string::npos) continue;
    auto w = Words(std::string_view(l).substr(0, eq), " \t");
    if (w.size() == 1 && w[0] == name) value = l.substr(eq + 1);  // the last one counts
  }
  return value;
}

std::string PortOf(const std::string& service) {
  std::string p =
      service.substr(service.rfind(':') == std::string::npos ? 0 : service.rfind(':') + 1);
  if (!p.empty() && p.find_first_not_of("0123456789") == std::string::npos) return p;
  if (struct servent* se = ::getservbyname(p.c_str(), "tcp"))
    return std::to_string(ntohs(se->s_port));
  return p;
}

// Does a Postfix milter list name our socket?
bool NamesOurSocket(const std::string& milters, const std::string& ours) {
  std::string our_port, our_tail;
  if (ours.rfind("inet", 0) == 0) {
    std::string rest = ours.substr(ours.find(':') + 1);
    our_port = rest.substr(0, rest.find('@'));
  } else {
    std::string path = ours.substr(ours.find(':') + 1);
    size_t last = path.rfind('/');
    size_t prev = last == 0 || last == std::string::npos ? 0 : path.rfind('/', last - 1);
    our_tail = path.substr(prev == std::string::npos ? 0 : prev);
  }
  for (const std::string& m : Words(milters, " \t,{}")) {
    if (!our_port.empty() && m.rfind("inet", 0) == 0 && PortOf(m) == our_port) return true;
    if (!our_tail.empty() && (m.rfind("unix:", 0) == 0 || m.rfind("local:", 0) == 0) &&
        m.size() >= our_tail.size() &&
        m.compare(m.size() - our_tail.size(), our_tail.size(), our_tail) == 0)
      return true;
  }
  return false;
}

bool IsLocalHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) return true;
  char name[256] = {0};
  return ::gethostname(name, sizeof(name) - 1) == 0 && host == name;
}

std::string ReadAll(const std::string& path, bool* ok) {
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  if (*ok) ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Status CheckPostfixServices(std::string_view master_cf, std::string_view main_cf,
                            const std::string& milter_socket, const std::string& port) {
  std::string global = MainCfValue(main_cf, "smtpd_milters");
  for (const std::string& l : LogicalLines(master_cf)) {
    auto f = Words(l, " \t");
    if (f.size() < 8 || f[1] != "inet") continue;
    std::string cmd = f[7].substr(f[7].rfind('/') == std::string::npos ? 0 : f[7].rfind('/') + 1);
    if (cmd != "smtpd" || PortOf(f[0]) != port) continue;
    std::string milters = global, overrides;
    for (size_t i = 8; i < f.size(); ++i) {
      std::string o;
      if (f[i] == "-o" && i + 1 < f.size()) {
        o = f[++i];
      } else if (f[i].rfind("-o", 0) == 0 && f[i].size() > 2) {
        o = f[i].substr(2);
      } else {
        continue;
      }
      size_t eq = o.find('=');
      if (eq == std::string::npos) continue;
      std::string name = o.substr(0, eq), value = o.substr(eq + 1);
      if (name == "smtpd_milters") milters = value;
      if (name == "receive_override_options") overrides = value;
    }
    if (overrides.find("no_milters") != std::string::npos) continue;
    if (NamesOurSocket(milters, milter_socket))
      return Status::Error("port " + port + " is master.cf service '" + f[0] +
                           "', whose smtpd_milters include this milter (" + milter_socket +
                           "): the message would be quarantined again");
  }
  return Status::Ok();
}

Status CheckReleaseTarget(const Config& config, const std::string& host, const std::string& port) {
  if (!IsLocalHost(host)) return Status::Ok();
  const std::string& sock = config.milter.socket;
  if (sock.rfind("inet", 0) == 0) {
    std::string rest = sock.substr(sock.find(':') + 1);
    if (rest.substr(0, rest.find('@')) == port)
      return Status::Error(host + ":" + port + " is this milter's own socket (" + sock + ")");
  }
  std::string dir =
      config.quarantine.postfix_config.empty() ? "/etc/postfix" : config.quarantine.postfix_config;
  bool ok = false;
  std::string master = ReadAll(dir + "/master.cf", &ok);
  if (!ok) return Status::Ok();
  std::string main_cf = ReadAll(dir + "/main.cf", &ok);
  return CheckPostfixServices(master, main_cf, sock, port);
}

}  // namespace gfi
