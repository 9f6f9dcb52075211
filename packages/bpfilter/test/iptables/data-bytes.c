/*
 * Every data byte of every match and target of a table, one at a time: the table as iptables
 * restored it, with that one byte xor 0xA5, sent back as a SET_REPLACE. Prints one line per
 * byte: the entry's offset, the extension, the byte's offset in its data, the answer, and for
 * an accepted table that byte as GET_ENTRIES reads it back (then the table is put back).
 * Usage: data-bytes TABLE. Run it only inside `unshare -n` (or through bpfilter exec).
 * Or data-bytes TABLE EXTENSION OFFSET WIDTH VALUE...: the data of the first match or target
 * of that name with WIDTH bytes at OFFSET set to each VALUE in turn (little-endian), likewise.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4/ip_tables.h>

static int fd;
static struct xt_counters counters[4096];

/* GET_INFO and GET_ENTRIES of `name`: its layout in *info, its entries in *entries (malloc'd). */
static int read_table(const char *name, struct ipt_getinfo *info, unsigned char **entries)
{
	socklen_t len = sizeof(*info);
	memset(info, 0, sizeof(*info));
	strcpy(info->name, name);
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, info, &len) < 0)
		return -errno;
	len = sizeof(struct ipt_get_entries) + info->size;
	struct ipt_get_entries *get = calloc(1, len);
	strcpy(get->name, name);
	get->size = info->size;
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, get, &len) < 0)
		return -errno;
	*entries = malloc(info->size);
	memcpy(*entries, get->entrytable, info->size);
	free(get);
	return 0;
}

/* SET_REPLACE of `name` with `entries` laid out as `info`: 0 or -errno. */
static int replace(const char *name, const struct ipt_getinfo *info, const unsigned char *entries)
{
	struct ipt_getinfo now;
	unsigned char *old;
	if (read_table(name, &now, &old) < 0)
		return -1000;
	free(old);
	size_t len = sizeof(struct ipt_replace) + info->size;
	struct ipt_replace *r = calloc(1, len);
	strcpy(r->name, name);
	r->valid_hooks = info->valid_hooks;
	r->num_entries = info->num_entries;
	r->size = info->size;
	memcpy(r->hook_entry, info->hook_entry, sizeof(r->hook_entry));
	memcpy(r->underflow, info->underflow, sizeof(r->underflow));
	r->num_counters = now.num_entries;
	r->counters = counters;
	memcpy(r->entries, entries, info->size);
	int rc = setsockopt(fd, IPPROTO_IP, IPT_SO_SET_REPLACE, r, len) < 0 ? -errno : 0;
	free(r);
	return rc;
}

/* Sends `changed` (`base` with one change at `at`, `width` bytes), prints the answer and,
 * for an accepted table, those bytes read back; then puts `base` back. */
static void try_change(const char *table, const struct ipt_getinfo *info, const unsigned char *base,
		       const unsigned char *changed, uint32_t at, int width)
{
	int rc = replace(table, info, changed);
	printf(" rc=%d", rc);
	unsigned char *back;
	struct ipt_getinfo now;
	if (rc == 0 && read_table(table, &now, &back) == 0) {
		printf(" back=");
		for (int i = 0; i < width; i++)
			printf("%02x", back[at + i]);
		free(back);
		replace(table, info, base);
	}
	printf("\n");
}

/* Offset of the data of the first match or target named `name`, or 0. */
static uint32_t data_of(const unsigned char *base, uint32_t size, const char *name)
{
	for (uint32_t e = 0; e < size; e += *(uint16_t *)(base + e + 90)) {
		uint16_t target_offset = *(uint16_t *)(base + e + 88);
		for (uint32_t at = sizeof(struct ipt_entry); at <= target_offset;) {
			const struct xt_entry_match *object = (const void *)(base + e + at);
			if (!strcmp(object->u.user.name, name))
				return e + at + sizeof(*object);
			if (at == target_offset)
				break;
			at += object->u.match_size;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc < 6)
		return 2;
	const char *table = argv[1];
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	struct ipt_getinfo info;
	unsigned char *base;
	if (fd < 0 || read_table(table, &info, &base) < 0) {
		perror(table);
		return 1;
	}
	unsigned char *changed = malloc(info.size);
	if (argc > 2) {
		uint32_t at = data_of(base, info.size, argv[2]);
		int width = atoi(argv[4]);
		if (!at)
			return 3;
		at += atoi(argv[3]);
		for (int v = 5; v < argc; v++) {
			unsigned long long value = strtoull(argv[v], NULL, 0);
			memcpy(changed, base, info.size);
			for (int i = 0; i < width; i++)
				changed[at + i] = value >> (8 * i);
			printf("%s +%s =%s", argv[2], argv[3], argv[v]);
			try_change(table, &info, base, changed, at, width);
		}
		return 0;
	}
	for (uint32_t e = 0; e < info.size; e += *(uint16_t *)(base + e + 90)) {
		uint16_t target_offset = *(uint16_t *)(base + e + 88);
		for (uint32_t at = sizeof(struct ipt_entry); at <= target_offset;) {
			const struct xt_entry_match *object = (const void *)(base + e + at);
			uint16_t size = object->u.match_size;
			const char *name = object->u.user.name;
			/* The standard and ERROR targets are the table's layout, not an extension's data. */
			if (*name && strcmp(name, "ERROR"))
				for (uint32_t d = sizeof(*object); d < size; d++) {
					memcpy(changed, base, info.size);
					changed[e + at + d] ^= 0xA5;
					printf("%u %s/%u +%zu", e, name, object->u.user.revision, d - sizeof(*object));
					try_change(table, &info, base, changed, e + at + d, 1);
				}
			if (at == target_offset)
				break;
			at += size;
		}
	}
	return 0;
}
