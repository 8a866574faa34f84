/* null_milter: a libmilter filter that does nothing but negotiates what gfi-milter negotiates
 * (milter/filter.cc OnNegotiate) on the same transport, so that bench/milter_bench.py can put
 * gfi-milter next to the milter protocol's own floor. A benchmark program, never installed.
 *
 *   null_milter [-p unix|tcp] [-H] SOCKET      (SOCKET: unix:/PATH or inet:PORT@HOST)
 *
 * -p  negotiation profile; by default the socket's kind decides, as in gfi-milter:
 *     unix: no reply to connect, HELO, headers, end of headers and body chunks, no DATA step;
 *     tcp:  no reply to headers; connect, HELO, DATA, the end of headers and body chunks are
 *           answered (see filter.cc for why).
 *     Both: actions ADDHDRS|CHGHDRS|QUARANTINE|SETSYMLIST; macros j at connect, i at MAIL, RCPT
 *     and end of message; SMFIP_NOUNKNOWN.
 * -H  insert two headers at end of message (two smfi_insheader calls, as gfi-milter's SPF
 *     Authentication-Results and Received-SPF), so the floor carries the same header traffic.
 * A TCP listener gets TCP_NODELAY, as gfi-milter's does (milter/startup.cc). Runs until SIGTERM. */

#define _GNU_SOURCE
#include <dirent.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What one connection negotiated: which steps must not be answered. */
struct Conn {
  unsigned long pflags;
};

static int g_unix_profile;
static int g_add_headers;

static struct Conn* GetConn(SMFICTX* ctx) { return (struct Conn*)smfi_getpriv(ctx); }

/* SMFIS_NOREPLY where that step was negotiated without a reply, else SMFIS_CONTINUE. */
static sfsistat Answer(SMFICTX* ctx, unsigned long no_reply_flag) {
  struct Conn* c = GetConn(ctx);
  return c != NULL && (c->pflags & no_reply_flag) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat OnNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                            unsigned long f3, unsigned long* pf0, unsigned long* pf1,
                            unsigned long* pf2, unsigned long* pf3) {
  (void)f2;
  (void)f3;
  const unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
  const unsigned long quiet = SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;
  struct Conn* c = GetConn(ctx);
  if (c == NULL) {
    c = calloc(1, sizeof(*c));
    if (c == NULL) return SMFIS_TEMPFAIL;
    smfi_setpriv(ctx, c);
  }
  *pf0 = f0 & want;
  *pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_MDS_1M);
  /* As gfi-milter: no replies to headers on both transports; to the end of headers and body
   * chunks over a unix socket only (with the header flag, all three or none). */
  *pf1 |= f1 & SMFIP_NR_HDR;
  if (g_unix_profile && (f1 & quiet) == quiet) *pf1 |= quiet;
  if (g_unix_profile) *pf1 |= f1 & (SMFIP_NR_HELO | SMFIP_NR_CONN | SMFIP_NODATA);
  *pf2 = 0;
  *pf3 = 0;
  c->pflags = *pf1;
  if (f0 & SMFIF_SETSYMLIST) {
    smfi_setsymlist(ctx, SMFIM_CONNECT, "j");
    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i");
    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
    smfi_setsymlist(ctx, SMFIM_EOM, "i");
  }
  return SMFIS_CONTINUE;
}

static sfsistat OnConnect(SMFICTX* ctx, char* host, _SOCK_ADDR* addr) {
  (void)host;
  (void)addr;
  return Answer(ctx, SMFIP_NR_CONN);
}

static sfsistat OnHelo(SMFICTX* ctx, char* helo) {
  (void)helo;
  return Answer(ctx, SMFIP_NR_HELO);
}

static sfsistat OnEnvFrom(SMFICTX* ctx, char** argv) {
  (void)argv;
  return Answer(ctx, SMFIP_NR_MAIL);
}

static sfsistat OnEnvRcpt(SMFICTX* ctx, char** argv) {
  (void)argv;
  return Answer(ctx, SMFIP_NR_RCPT);
}

static sfsistat OnData(SMFICTX* ctx) { return Answer(ctx, SMFIP_NR_DATA); }

static sfsistat OnHeader(SMFICTX* ctx, char* name, char* value) {
  (void)name;
  (void)value;
  return Answer(ctx, SMFIP_NR_HDR);
}

static sfsistat OnEoh(SMFICTX* ctx) { return Answer(ctx, SMFIP_NR_EOH); }

static sfsistat OnBody(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  (void)chunk;
  (void)len;
  return Answer(ctx, SMFIP_NR_BODY);
}

static sfsistat OnEom(SMFICTX* ctx) {
  if (g_add_headers) {
    /* About the size of gfi-milter's SPF pair; inserted at the top, in the same order. */
    /* A failure is printed: milter_bench.py fails the row when its log says "failed". */
    if (smfi_insheader(ctx, 0, "Received-SPF",
                       "pass (mx.test.example: domain of bench@example.org designates 127.0.0.1 "
                       "as permitted sender) client-ip=127.0.0.1; envelope-from=bench@example.org;"
                       " helo=client.example;") != MI_SUCCESS ||
        smfi_insheader(ctx, 0, "Authentication-Results",
                       "mx.test.example; spf=pass smtp.mailfrom=bench@example.org") != MI_SUCCESS)
      fprintf(stderr, "null_milter: smfi_insheader failed\n");
  }
  return SMFIS_CONTINUE;
}

static sfsistat OnAbort(SMFICTX* ctx) {
  (void)ctx;
  return SMFIS_CONTINUE;
}

static sfsistat OnClose(SMFICTX* ctx) {
  free(GetConn(ctx));
  smfi_setpriv(ctx, NULL);
  return SMFIS_CONTINUE;
}

/* libmilter does not hand out its listening socket: find it (the only listening TCP socket). */
static int SetNoDelayOnTcpListeners(void) {
  int set = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == NULL) return 0;
  int fds[256];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < (int)(sizeof(fds) / sizeof(fds[0]))) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') fds[n++] = atoi(e->d_name);
  }
  closedir(d);
  for (int i = 0; i < n; ++i) {
    int listening = 0, domain = 0, one = 1;
    socklen_t len = sizeof(listening);
    if (getsockopt(fds[i], SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
      continue;
    len = sizeof(domain);
    if (getsockopt(fds[i], SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) continue;
    if (domain != AF_INET && domain != AF_INET6) continue;
    if (setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) ++set;
  }
  return set;
}

static void Usage(void) {
  fprintf(stderr, "usage: null_milter [-p unix|tcp] [-H] unix:/PATH | inet:PORT@HOST\n");
  exit(2);
}

int main(int argc, char** argv) {
  const char* profile = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "p:H")) != -1) {
    switch (opt) {
      case 'p':
        profile = optarg;
        break;
      case 'H':
        g_add_headers = 1;
        break;
      default:
        Usage();
    }
  }
  if (optind != argc - 1) Usage();
  char* spec = argv[optind];
  const int unix_socket = strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0;
  if (profile == NULL) {
    g_unix_profile = unix_socket;
  } else if (strcmp(profile, "unix") == 0 || strcmp(profile, "tcp") == 0) {
    g_unix_profile = strcmp(profile, "unix") == 0;
  } else {
    Usage();
  }

  struct smfiDesc desc;
  memset(&desc, 0, sizeof(desc));
  desc.xxfi_name = "null_milter";
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  desc.xxfi_connect = OnConnect;
  desc.xxfi_helo = OnHelo;
  desc.xxfi_envfrom = OnEnvFrom;
  desc.xxfi_envrcpt = OnEnvRcpt;
  desc.xxfi_header = OnHeader;
  desc.xxfi_eoh = OnEoh;
  desc.xxfi_body = OnBody;
  desc.xxfi_eom = OnEom;
  desc.xxfi_abort = OnAbort;
  desc.xxfi_close = OnClose;
  desc.xxfi_data = OnData;
  desc.xxfi_negotiate = OnNegotiate;

  if (smfi_setconn(spec) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS) {
    fprintf(stderr, "null_milter: cannot use socket %s\n", spec);
    return 1;
  }
  if (smfi_opensocket(1) != MI_SUCCESS) {
    fprintf(stderr, "null_milter: cannot open socket %s\n", spec);
    return 1;
  }
  if (!unix_socket && SetNoDelayOnTcpListeners() == 0) {
    fprintf(stderr, "null_milter: could not set TCP_NODELAY on %s\n", spec);
    return 1;
  }
  fprintf(stderr, "null_milter: %s, %s profile%s\n", spec, g_unix_profile ? "unix" : "tcp",
          g_add_headers ? ", two headers added" : "");
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
