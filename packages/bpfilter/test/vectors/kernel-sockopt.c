/*
 * Replays sockopt ops against the kernel, one per stdin line: "set|get OPT HEX".
 * Prints one JSON line per op: rc, errno, and for a get the buffer as the kernel left it,
 * for a successful SET_REPLACE the old counters it wrote (the counters pointer at bytes
 * 88..95 is patched to point at our buffer). Run it only inside `unshare -n`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
static char line[4 * 1024 * 1024];
int main(void) {
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (s < 0) { perror("socket"); return 1; }
  static unsigned char counters[1 << 20];
  while (fgets(line, sizeof line, stdin)) {
    char kind[8]; int opt; char *hex = malloc(strlen(line));
    if (sscanf(line, "%7s %d %s", kind, &opt, hex) < 2) continue;
    size_t n = strlen(hex) / 2;
    unsigned char *buf = calloc(1, n + 16);
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &buf[i]);
    int rc;
    if (kind[0] == 's') {
      if (opt == 64 && n >= 96) { uint64_t p = (uint64_t)(uintptr_t)counters; memcpy(buf + 88, &p, 8); }
      memset(counters, 0, sizeof counters);
      rc = setsockopt(s, IPPROTO_IP, opt, buf, n);
      printf("{\"rc\":%d,\"errno\":%d", rc, rc < 0 ? errno : 0);
      if (opt == 64 && rc == 0) {
        uint32_t nc; memcpy(&nc, buf + 84, 4);
        printf(",\"counters\":\"");
        for (size_t i = 0; i < (size_t)nc * 16 && i < sizeof counters; i++) printf("%02x", counters[i]);
        printf("\"");
      }
      printf("}\n");
    } else {
      socklen_t l = n;
      rc = getsockopt(s, IPPROTO_IP, opt, buf, &l);
      printf("{\"rc\":%d,\"errno\":%d,\"hex\":\"", rc, rc < 0 ? errno : 0);
      if (rc >= 0) for (size_t i = 0; i < n; i++) printf("%02x", buf[i]);
      printf("\"}\n");
    }
    fflush(stdout);
    free(buf); free(hex);
  }
  return 0;
}
