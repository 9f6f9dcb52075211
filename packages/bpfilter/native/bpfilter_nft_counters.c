/*
 * bpfilter_nft_counters: prints the counters of one nftables table (family ip) of this
 * network namespace, read over netlink (NETLINK_NETFILTER) without nft's listing.
 *
 *   bpfilter_nft_counters TABLE [MAP...]
 *
 * Chain by chain, a line naming the chain, then one line per rule of it, in rule order:
 *   c CHAIN_HEX
 *   r PACKETS BYTES                  (the rule's first counter; "- -" for a rule without one)
 * (the name once a chain, not on each rule's line: a segment chain's name in hex is 76 bytes,
 * and on every rule it made nine tenths of a large table's answer, written, piped and parsed
 * twice a restore);
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
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_serve.h"
#include "nft_get.h"

#define EXIT_MISSING 3
#define EXIT_FAILED 2

/* nftnl's udata TLV type of an element comment (libnftnl udata.h: NFTNL_UDATA_SET_ELEM_COMMENT). */
#define UDATA_ELEM_COMMENT 0

/*
 * The rules are dumped on the main thread and the map elements on a second thread with its
 * own socket, at once: the kernel serializes each dump in the reader's system calls, so on a
 * second core the elements (about a third of a large table's read) cost no wall time. Each
 * prints into its own buffer; the rules' lines come first in the answer.
 */
static struct reader rules_reader, elements_reader;

/* Hex in one fwrite: a name or comment of every line of a read (an fprintf per byte cost
   more than the kernel's dump of a large table). */
static void put_hex(FILE *out, const void *data, size_t n) {
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

static void fail(const char *what, int err) {
  fprintf(serving ? out : stderr, "bpfilter_nft_counters: %s: %s\n", what, strerror(err));
  finish(err == ENOENT ? EXIT_MISSING : EXIT_FAILED);
}

static void ignore(FILE *out, const struct nlattr *attrs, int len) {
  (void)out;
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

/* The chain of the rule printed last in this read (a dump gives a chain's rules together). */
static char last_chain[NFT_CHAIN_MAXNAMELEN];
static size_t last_chain_len = SIZE_MAX;

static void on_rule(FILE *out, const struct nlattr *attrs, int len) {
  const struct nlattr *chain = NULL, *exprs = NULL;
  ATTR_FOR(a, attrs, len) {
    if (attr_type(a) == NFTA_RULE_CHAIN) chain = a;
    if (attr_type(a) == NFTA_RULE_EXPRESSIONS) exprs = a;
  }
  if (chain == NULL) return;
  size_t n = str_len(chain);
  if (n > sizeof(last_chain)) n = sizeof(last_chain);
  if (n != last_chain_len || memcmp(last_chain, attr_data(chain), n) != 0) {
    memcpy(last_chain, attr_data(chain), n);
    last_chain_len = n;
    fputs("c ", out);
    put_hex(out, last_chain, n);
    putc('\n', out);
  }
  uint64_t packets, bytes;
  fputc('r', out);
  if (exprs != NULL && first_counter(exprs, &packets, &bytes))
    fprintf(out, " %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
  else
    fputs(" - -\n", out);
}

static const char *current_map;

static void on_element(FILE *out, const struct nlattr *elem, int len) {
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
      put_hex(out, current_map, strlen(current_map));
      putc(' ', out);
      put_hex(out, p + 2, n);
      fprintf(out, " %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
      return;
    }
    left -= p[1] + 2;
    p += p[1] + 2;
  }
}

static void on_elements(FILE *out, const struct nlattr *attrs, int len) {
  ATTR_FOR(a, attrs, len) {
    if (attr_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    ATTR_FOR(e, attr_data(a), attr_len(a)) {
      if (attr_type(e) == NFTA_LIST_ELEM) on_element(out, attr_data(e), attr_len(e));
    }
  }
}

/* The element dumps of a read: its maps, and the errno and name of what failed. */
struct element_dumps {
  const char *const *names;
  int count;
  int err;
  const char *what;
};

static void dump_elements(struct element_dumps *d) {
  for (int i = 1; i < d->count && d->err == 0; i++) {
    const char *set[] = {d->names[0], d->names[i], NULL};
    const uint16_t types[] = {NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET};
    current_map = d->names[i];
    d->err = request(&elements_reader, NFT_MSG_GETSETELEM, 1, set, types, on_elements);
  }
}

/* The element thread, started at the first read and kept (one thread per read cost more). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct element_dumps *work; /* the dumps asked for, NULL once done */

static void *element_thread(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (work == NULL) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    dump_elements(work);
    pthread_mutex_lock(&lock);
    work = NULL;
    pthread_cond_broadcast(&changed);
  }
  return NULL;
}

/* Starts `d` on the element thread; 0 when there is no such thread (then dump on this one). */
static int start_elements(struct element_dumps *d) {
  static int started;
  static pthread_t thread;
  if (!started) started = pthread_create(&thread, NULL, element_thread, NULL) == 0;
  if (!started) return 0;
  pthread_mutex_lock(&lock);
  work = d;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  return 1;
}

static void wait_elements(void) {
  pthread_mutex_lock(&lock);
  while (work != NULL) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
}

/* Prints the counters of table `names[0]` and its maps `names[1..]`; returns the status. */
static int read_counters(const char *const *names, int count) {
  const char *table[] = {names[0], NULL};
  const uint16_t table_attr[] = {NFTA_TABLE_NAME};
  rules_reader.out = out;
  last_chain_len = SIZE_MAX;
  int err = request(&rules_reader, NFT_MSG_GETTABLE, 0, table, table_attr, ignore);
  if (err != 0) fail("table", err);
  char *text = NULL;
  size_t size = 0;
  struct element_dumps elements = {names, count, 0, "map elements"};
  elements_reader.out = count > 1 ? open_memstream(&text, &size) : NULL;
  if (count > 1 && elements_reader.out == NULL) fail("memory", ENOMEM);
  int threaded = count > 1 && start_elements(&elements);
  const uint16_t rule_attr[] = {NFTA_RULE_TABLE};
  err = request(&rules_reader, NFT_MSG_GETRULE, 1, table, rule_attr, on_rule);
  if (threaded) wait_elements();
  else if (count > 1 && err == 0) dump_elements(&elements);
  if (count > 1) {
    fclose(elements_reader.out);
    if (err == 0 && elements.err == 0) fwrite(text, 1, size, out);
    free(text);
  }
  if (err != 0) fail("rules", err);
  if (elements.err != 0) fail(elements.what, elements.err);
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
  struct reader *readers[] = {&rules_reader, &elements_reader};
  for (int i = 0; i < 2; i++) {
    readers[i]->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (readers[i]->sock < 0) fail("netlink socket", errno);
    int size = sizeof(readers[i]->rbuf);
    setsockopt(readers[i]->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  if (strcmp(argv[1], "--serve") == 0) return serve(handle, 0, 0);

  static char buffer[1 << 16];
  out = stdout;
  setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
  read_counters((const char *const *)argv + 1, argc - 1);
  if (fflush(stdout) != 0) fail("output", errno);
  return 0;
}
