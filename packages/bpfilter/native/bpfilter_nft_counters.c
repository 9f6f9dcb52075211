/*
 * bpfilter_nft_counters: prints the counters of one nftables table (family ip) of this
 * network namespace, read over netlink (NETLINK_NETFILTER) without nft's listing.
 *
 *   bpfilter_nft_counters TABLE [MAP...]
 *
 * One line per rule of the table, chain by chain in rule order:
 *   r CHAIN_HEX PACKETS BYTES        (the rule's first counter; "- -" for a rule without one)
 * then one line per element of each MAP that carries a comment and counted something:
 *   e MAP_HEX COMMENT_HEX PACKETS BYTES
 * (an element left out counted no packet and no byte, or has no counter: most of a large
 * table's elements never match, and their lines were most of a read's output).
 * Names are hex so that any byte in them survives. Exit status 0; 3 when TABLE (or a MAP)
 * does not exist; 2 on any other error (message on stderr). Needs CAP_NET_ADMIN, as nft does.
 *
 *   bpfilter_nft_counters --serve
 *
 * answers such reads one after the other (helper_serve.h); a request is TABLE and the MAPs,
 * each followed by a NUL byte.
 */
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_serve.h"

#define EXIT_MISSING 3
#define EXIT_FAILED 2

/* nftnl's udata TLV type of an element comment (libnftnl udata.h: NFTNL_UDATA_SET_ELEM_COMMENT). */
#define UDATA_ELEM_COMMENT 0

static int sock = -1;
static uint32_t seq;
static char rbuf[1 << 20];

#define ATTR_OK(a, end)                                                              \
  ((const char *)(a) + NLA_HDRLEN <= (end) && (a)->nla_len >= NLA_HDRLEN &&        \
   (const char *)(a) + (a)->nla_len <= (end))
#define ATTR_NEXT(a) ((const struct nlattr *)((const char *)(a) + NLA_ALIGN((a)->nla_len)))
#define ATTR_FOR(a, start, len)                                                      \
  for (const struct nlattr *a = (const struct nlattr *)(start);                    \
       ATTR_OK(a, (const char *)(start) + (len)); a = ATTR_NEXT(a))

static const void *attr_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }
static int attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static int attr_type(const struct nlattr *a) { return a->nla_type & NLA_TYPE_MASK; }

static uint64_t attr_u64(const struct nlattr *a) {
  uint64_t v = 0;
  if (attr_len(a) == 8) memcpy(&v, attr_data(a), 8);
  return be64toh(v);
}

/* Hex in one fwrite: a name or comment of every line of a read (an fprintf per byte cost
   more than the kernel's dump of a large table). */
static void put_hex(const void *data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char hex[512];
  const unsigned char *p = data;
  if (n == 0) putc('-', out);
  while (n > 0) {
    size_t chunk = n < sizeof(hex) / 2 ? n : sizeof(hex) / 2;
    for (size_t i = 0; i < chunk; i++) {
      hex[2 * i] = digits[p[i] >> 4];
      hex[2 * i + 1] = digits[p[i] & 15];
    }
    fwrite(hex, 1, 2 * chunk, out);
    p += chunk;
    n -= chunk;
  }
}

/* A string attribute without its terminating NUL. */
static size_t str_len(const struct nlattr *a) {
  return strnlen(attr_data(a), (size_t)attr_len(a));
}

static void fail(const char *what, int err) {
  fprintf(serving ? out : stderr, "bpfilter_nft_counters: %s: %s\n", what, strerror(err));
  finish(err == ENOENT ? EXIT_MISSING : EXIT_FAILED);
}

static void add_attr(char *msg, uint16_t type, const char *value) {
  struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
  size_t n = strlen(value) + 1;
  struct nlattr *a = (struct nlattr *)(msg + NLMSG_ALIGN(nlh->nlmsg_len));
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + n);
  memcpy((char *)a + NLA_HDRLEN, value, n);
  nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

typedef void (*on_message)(const struct nlattr *attrs, int len);

/* Sends an nf_tables get (a dump, or one object when `dump` is 0) and hands each answer to `each`. */
static void request(uint16_t type, int dump, const char *attr_names[], const uint16_t attr_types[],
                    on_message each, const char *what) {
  char msg[1024] = {0};
  struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
  nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
  nlh->nlmsg_seq = ++seq;
  struct nfgenmsg *gen = NLMSG_DATA(nlh);
  gen->nfgen_family = NFPROTO_IPV4;
  gen->version = NFNETLINK_V0;
  for (int i = 0; attr_names[i] != NULL; i++) {
    if (strlen(attr_names[i]) > 256) fail(what, ENAMETOOLONG);
    add_attr(msg, attr_types[i], attr_names[i]);
  }
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(sock, msg, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
    fail(what, errno);
  for (;;) {
    ssize_t got = recv(sock, rbuf, sizeof(rbuf), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(what, errno);
    }
    int left = (int)got;
    for (const struct nlmsghdr *m = (const struct nlmsghdr *)rbuf; NLMSG_OK(m, left);
         m = NLMSG_NEXT(m, left)) {
      if (m->nlmsg_seq != seq) continue;
      if (m->nlmsg_type == NLMSG_DONE) return;
      if (m->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(m);
        if (e->error != 0) fail(what, -e->error);
        return; /* the ack of a single get */
      }
      int off = NLMSG_ALIGN(sizeof(struct nfgenmsg));
      int len = (int)m->nlmsg_len - NLMSG_HDRLEN - off;
      if (len >= 0) each((const struct nlattr *)((const char *)NLMSG_DATA(m) + off), len);
    }
  }
}

static void ignore(const struct nlattr *attrs, int len) {
  (void)attrs;
  (void)len;
}

/* The counter of one expression (NFTA_EXPR_NAME "counter", NFTA_EXPR_DATA); 0 if not one. */
static int counter_of(const struct nlattr *attrs, int len, uint64_t *packets, uint64_t *bytes) {
  const struct nlattr *name = NULL, *data = NULL;
  ATTR_FOR(a, attrs, len) {
    if (attr_type(a) == NFTA_EXPR_NAME) name = a;
    if (attr_type(a) == NFTA_EXPR_DATA) data = a;
  }
  if (name == NULL || data == NULL || str_len(name) != 7 || memcmp(attr_data(name), "counter", 7))
    return 0;
  *packets = *bytes = 0;
  ATTR_FOR(c, attr_data(data), attr_len(data)) {
    if (attr_type(c) == NFTA_COUNTER_PACKETS) *packets = attr_u64(c);
    if (attr_type(c) == NFTA_COUNTER_BYTES) *bytes = attr_u64(c);
  }
  return 1;
}

/* The first counter in a list of expressions (NFTA_LIST_ELEM, each one expression). */
static int first_counter(const struct nlattr *list, uint64_t *packets, uint64_t *bytes) {
  ATTR_FOR(e, attr_data(list), attr_len(list)) {
    if (attr_type(e) == NFTA_LIST_ELEM && counter_of(attr_data(e), attr_len(e), packets, bytes))
      return 1;
  }
  return 0;
}

static void on_rule(const struct nlattr *attrs, int len) {
  const struct nlattr *chain = NULL, *exprs = NULL;
  ATTR_FOR(a, attrs, len) {
    if (attr_type(a) == NFTA_RULE_CHAIN) chain = a;
    if (attr_type(a) == NFTA_RULE_EXPRESSIONS) exprs = a;
  }
  if (chain == NULL) return;
  uint64_t packets, bytes;
  fputs("r ", out);
  put_hex(attr_data(chain), str_len(chain));
  if (exprs != NULL && first_counter(exprs, &packets, &bytes))
    fprintf(out, " %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
  else
    fputs(" - -\n", out);
}

static const char *current_map;

static void on_element(const struct nlattr *elem, int len) {
  const struct nlattr *udata = NULL;
  uint64_t packets = 0, bytes = 0;
  int counted = 0;
  ATTR_FOR(a, elem, len) {
    if (attr_type(a) == NFTA_SET_ELEM_USERDATA) udata = a;
    if (attr_type(a) == NFTA_SET_ELEM_EXPR)
      counted = counted || counter_of(attr_data(a), attr_len(a), &packets, &bytes);
    if (attr_type(a) == NFTA_SET_ELEM_EXPRESSIONS)
      counted = counted || first_counter(a, &packets, &bytes);
  }
  if (udata == NULL || (packets | bytes) == 0) return;
  /* udata: TLVs of (u8 type, u8 length, value); the comment's value ends in a NUL. */
  const unsigned char *p = attr_data(udata);
  int left = attr_len(udata);
  while (left >= 2 && p[1] + 2 <= left) {
    if (p[0] == UDATA_ELEM_COMMENT) {
      size_t n = strnlen((const char *)p + 2, p[1]);
      fputs("e ", out);
      put_hex(current_map, strlen(current_map));
      putc(' ', out);
      put_hex(p + 2, n);
      fprintf(out, " %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
      return;
    }
    left -= p[1] + 2;
    p += p[1] + 2;
  }
}

static void on_elements(const struct nlattr *attrs, int len) {
  ATTR_FOR(a, attrs, len) {
    if (attr_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    ATTR_FOR(e, attr_data(a), attr_len(a)) {
      if (attr_type(e) == NFTA_LIST_ELEM) on_element(attr_data(e), attr_len(e));
    }
  }
}

/* Prints the counters of table `names[0]` and its maps `names[1..]`; returns the status. */
static int read_counters(const char *const *names, int count) {
  const char *table[] = {names[0], NULL};
  const uint16_t table_attr[] = {NFTA_TABLE_NAME};
  request(NFT_MSG_GETTABLE, 0, table, table_attr, ignore, "table");
  const uint16_t rule_attr[] = {NFTA_RULE_TABLE};
  request(NFT_MSG_GETRULE, 1, table, rule_attr, on_rule, "rules");
  for (int i = 1; i < count; i++) {
    const char *set[] = {names[0], names[i], NULL};
    const uint16_t types[] = {NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET};
    current_map = names[i];
    request(NFT_MSG_GETSETELEM, 1, set, types, on_elements, "map elements");
  }
  return 0;
}

/* A served request: NUL-terminated names, the table first. */
static int handle(char *request_bytes, size_t len) {
  const char *names[1024];
  int count = 0;
  for (size_t at = 0; at < len && count < 1024; count++) {
    names[count] = request_bytes + at;
    at += strlen(request_bytes + at) + 1;
  }
  if (count == 0) fail("request", EINVAL);
  return read_counters(names, count);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bpfilter_nft_counters TABLE [MAP...] | --serve\n");
    return EXIT_FAILED;
  }
  sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) fail("netlink socket", errno);
  int size = sizeof(rbuf);
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  if (strcmp(argv[1], "--serve") == 0) return serve(handle, 0, 0);

  static char buffer[1 << 16];
  out = stdout;
  setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
  read_counters((const char *const *)argv + 1, argc - 1);
  if (fflush(stdout) != 0) fail("output", errno);
  return 0;
}
