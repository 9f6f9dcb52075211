/*
 * Test fixture: iptables socket options with odd lengths, headers and buffers, as a hostile or
 * sloppy client sends them (libiptc never does). Prints one "CASE rc=RC errno=ERRNO" line per
 * call; the test compares the lines with a kernel's. Each SET_REPLACE replaces filter with
 * itself. A call the kernel refuses leaves the socket usable: the GET_INFO after it must work.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
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

/* A GET_INFO of filter from `buf` with option length `len`, then a plain one. */
static void get_info_then_again(const char *name, unsigned char *buf, socklen_t len)
{
	report(name, getsockopt(fd, SOL_IP, IPT_SO_GET_INFO, buf, &len));
	struct ipt_getinfo again = { .name = "filter" };
	len = sizeof(again);
	report("  get info after it", getsockopt(fd, SOL_IP, IPT_SO_GET_INFO, &again, &len));
}

/* Gets with lengths the kernel refuses (EINVAL, also above INT_MAX) and unreadable buffers (EFAULT). */
static void odd_gets(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *mapped = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED || mprotect(mapped + page, page, PROT_NONE) != 0) {
		perror("mmap");
		exit(2);
	}
	unsigned char *unreadable = mapped + page;
	/* A GET_INFO request for filter in the last bytes before the unreadable page. */
	unsigned char *tail = unreadable - sizeof(struct ipt_getinfo);
	strcpy((char *)tail, "filter");
	get_info_then_again("get info of 83 bytes", tail, sizeof(struct ipt_getinfo) - 1);
	get_info_then_again("get info of 32 MiB from an 84-byte buffer", tail, 32 << 20);
	get_info_then_again("get info of 2^31 bytes", tail, 0x80000000u);
	get_info_then_again("get info from an unreadable buffer", unreadable, sizeof(struct ipt_getinfo));
	socklen_t len = 0xffffffffu;
	report("get entries of 2^32-1 bytes",
	       getsockopt(fd, SOL_IP, IPT_SO_GET_ENTRIES, tail, &len));
	len = 0x80000000u;
	report("get revision of 2^31 bytes",
	       getsockopt(fd, SOL_IP, IPT_SO_GET_REVISION_MATCH, tail, &len));
	report("replace of 2^31 bytes", setsockopt(fd, SOL_IP, IPT_SO_SET_REPLACE, tail, 0x80000000u));
	report("add counters from an unreadable buffer",
	       setsockopt(fd, SOL_IP, IPT_SO_SET_ADD_COUNTERS, unreadable,
			  sizeof(struct xt_counters_info) + sizeof(struct xt_counters)));
	get_info_then_again("get info", tail, sizeof(struct ipt_getinfo));
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
	odd_gets();
	return 0;
}
