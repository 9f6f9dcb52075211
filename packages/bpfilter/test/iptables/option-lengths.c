/*
 * Test fixture: iptables socket options with odd lengths and headers, as a hostile or sloppy
 * client sends them (libiptc never does). Prints one "CASE rc=RC errno=ERRNO" line per call;
 * the test compares the lines with a kernel's. Each SET_REPLACE replaces filter with itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4/ip_tables.h>

static int fd;
static struct ipt_getinfo info;
static struct ipt_get_entries *entries;
static struct xt_counters old_counters[64];

static void report(const char *name, int rc)
{
	printf("%s rc=%d errno=%d\n", name, rc, rc < 0 ? errno : 0);
}

/* GET_INFO and GET_ENTRIES of filter into info / entries. */
static void load(void)
{
	memset(&info, 0, sizeof(info));
	strcpy(info.name, "filter");
	socklen_t len = sizeof(info);
	report("get info", getsockopt(fd, SOL_IP, IPT_SO_GET_INFO, &info, &len));
	len = sizeof(*entries) + info.size;
	entries = realloc(entries, len);
	memset(entries, 0, len);
	strcpy(entries->name, "filter");
	entries->size = info.size;
	report("get entries", getsockopt(fd, SOL_IP, IPT_SO_GET_ENTRIES, entries, &len));
}

/* A SET_REPLACE of filter with its current entries, with 4096 spare zero bytes after it. */
static struct ipt_replace *same_table(size_t *len)
{
	*len = sizeof(struct ipt_replace) + info.size;
	struct ipt_replace *r = calloc(1, *len + 4096);
	strcpy(r->name, "filter");
	r->valid_hooks = info.valid_hooks;
	r->num_entries = info.num_entries;
	r->size = info.size;
	memcpy(r->hook_entry, info.hook_entry, sizeof(r->hook_entry));
	memcpy(r->underflow, info.underflow, sizeof(r->underflow));
	r->num_counters = info.num_entries;
	r->counters = old_counters;
	memcpy(r->entries, entries->entrytable, info.size);
	return r;
}

static void replace(const char *name, struct ipt_replace *r, size_t len)
{
	report(name, setsockopt(fd, SOL_IP, IPT_SO_SET_REPLACE, r, len));
	free(r);
}

int main(void)
{
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	size_t len;
	struct ipt_replace *r;
	load();
	r = same_table(&len);
	replace("replace with 8 bytes past the entries", r, len + 8);
	load();
	r = same_table(&len);
	replace("replace one byte short", r, len - 1);
	r = same_table(&len);
	replace("replace of only the header", r, sizeof(struct ipt_replace));
	r = same_table(&len);
	replace("replace of 10 bytes", r, 10);
	r = same_table(&len);
	r->size = 0x7ffffff0;
	replace("replace with size 2 GiB, header only", r, sizeof(struct ipt_replace));
	r = same_table(&len);
	r->num_counters = 0x7fffffff;
	replace("replace with num_counters 2^31-1, one byte short", r, len - 1);
	r = same_table(&len);
	r->num_counters = 0;
	replace("replace with num_counters 0, one byte short", r, len - 1);
	r = same_table(&len);
	r->size += 4096;
	replace("replace with size past the entries", r, len + 4096);
	r = same_table(&len);
	memcpy(r->name, "filterXXXXXXXXXXXXXXXXXXXXXXXXXX", sizeof(r->name));
	replace("replace of a name without NUL", r, len);
	load();

	size_t clen = sizeof(struct xt_counters_info) + info.num_entries * sizeof(struct xt_counters);
	struct xt_counters_info *add = calloc(1, clen + 64);
	strcpy(add->name, "filter");
	add->num_counters = info.num_entries;
	report("add counters with 16 bytes extra",
	       setsockopt(fd, SOL_IP, IPT_SO_SET_ADD_COUNTERS, add, clen + 16));
	report("add counters one byte short",
	       setsockopt(fd, SOL_IP, IPT_SO_SET_ADD_COUNTERS, add, clen - 1));
	strcpy(add->name, "nosuch");
	add->num_counters = 0;
	report("add no counters to an unknown table",
	       setsockopt(fd, SOL_IP, IPT_SO_SET_ADD_COUNTERS, add, sizeof(*add)));
	strcpy(add->name, "filter");
	report("add no counters to filter",
	       setsockopt(fd, SOL_IP, IPT_SO_SET_ADD_COUNTERS, add, sizeof(*add)));
	return 0;
}
