/*
 * pack-verify.c: checking an evidence pack; see pack.h.  The archive is
 * read once, entry by entry, in chunks: data files are hashed and their
 * lines checked as they stream by, so memory stays flat.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "audit-entry.h"
#include "jscan.h"
#include "pack.h"
#include "pack-int.h"
#include "sign.h"
#include "util.h"

#define CHUNK		(64 * 1024)
#define SMALL_MAX	(1024 * 1024)	/* each describing file */
/* A line of events.jsonl: an entry (AUDIT_BODY_MAX) and its links. */
#define EVENT_LINE_MAX	(AUDIT_BODY_MAX + 1024)
#define LINE_MAX_LEN	(256 * 1024)	/* a line of any other file */
#define SHOWN_MAX	512		/* bytes of a message printed */

enum { F_README, F_MANIFEST, F_SIG, F_PUBKEY, F_SUMS, F_DATA };
#define NFILES	(F_DATA + PACK_DATA_FILES)

static const char *const describing[F_DATA] = {
	"README.txt", "manifest.json", "manifest.sig", "public-key.pem",
	"SHA256SUMS",
};

struct vfile {
	const char	*name;
	bool		 seen, small, jsonl, events, activity;
	EVP_MD_CTX	*md;
	char		 sha[65];
	int64_t		 bytes, records;
	struct buf	 mem;		/* small files: the whole content */
	struct buf	 line;		/* .jsonl: the line being read */
	int64_t		 bad_lines;
	int64_t		 first_bad;
	char		 first_why[160];
	bool		 too_big;	/* over its size limit */
};

/* The chain as events.jsonl shows it. */
struct evsum {
	int64_t		 count, first_seq, last_seq;
	char		 first_prev[65], first_hash[65], last_hash[65];
	unsigned char	 last_raw[32];
	bool		 any;
};

struct verify {
	FILE		*out;
	int		 problems;
	int64_t		 total, max_total;	/* bytes uncompressed */
	struct vfile	 f[NFILES];
	size_t		 nfiles;	/* those of the pack's format */
	struct evsum	 ev, act;	/* events, the activity trail */
	char		 top[256];
	bool		 top_set;
	char		 fp[SIGN_FP_LEN + 1];	/* the key that verified */
};

/*
 * Writes s for a terminal: control bytes, DEL and bytes that are not
 * UTF-8 as \xNN, so that a name in the archive cannot start a line of
 * its own or move the cursor.
 */
static void
put_shown(FILE *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, k;

	while (*p != '\0') {
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		for (k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
		    *p == '\\') {
			fprintf(out, "\\x%02x", *p);
			p++;
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
}

/* A line: the tag, then the message, shown safely. */
static void
say(FILE *out, const char *tag, const char *fmt, va_list ap)
{
	char	 msg[SHOWN_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs(tag, out);
	put_shown(out, msg);
	fputc('\n', out);
}

static void
problem(struct verify *v, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void
problem(struct verify *v, const char *fmt, ...)
{
	va_list	 ap;

	v->problems++;
	va_start(ap, fmt);
	say(v->out, "FAIL  ", fmt, ap);
	va_end(ap);
}

static void
okay(struct verify *v, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void
okay(struct verify *v, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	say(v->out, "ok    ", fmt, ap);
	va_end(ap);
}

/* A line that is not about the pack's content (no problem counted). */
static void
note(FILE *out, const char *tag, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void
note(FILE *out, const char *tag, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	say(out, tag, fmt, ap);
	va_end(ap);
}

static void
bad_line(struct vfile *f, const char *why)
{
	if (f->bad_lines++ == 0) {
		f->first_bad = f->records;
		snprintf(f->first_why, sizeof(f->first_why), "%s", why);
	}
}

static bool
is_hex64(const char *s)
{
	int	 i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* 64 hex digits (checked already) into 32 bytes. */
static void
hex32(const char *s, unsigned char out[32])
{
	int	 i;

	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(hex_digit(s[2 * i]) << 4 |
		    hex_digit(s[2 * i + 1]));
}

/*
 * One line of events.jsonl or orgaudit_activity.jsonl (without its
 * newline), into e: layout, hash, link.
 */
static void
event_line(struct evsum *e, struct vfile *f, const char *p, size_t n)
{
	unsigned char	 prev[32], hash[32], want[32];
	const char	*s = p, *end = p + n;
	char		*q;
	int64_t		 seq;
	long long	 ll;

	if (n < 8 || strncmp(s, "{\"seq\":", 7) != 0) {
		bad_line(f, "not an events line");
		return;
	}
	s += 7;
	errno = 0;
	ll = strtoll(s, &q, 10);
	if (q == s || errno != 0 || ll < 1 || !isdigit((unsigned char)*s)) {
		bad_line(f, "a bad seq");
		return;
	}
	seq = (int64_t)ll;
	s = q;
	if (end - s < 14 + 64 + 10 + 64 + 11 ||
	    strncmp(s, ",\"prev_hash\":\"", 14) != 0 || !is_hex64(s + 14) ||
	    strncmp(s + 78, "\",\"hash\":\"", 10) != 0 ||
	    !is_hex64(s + 88) || strncmp(s + 152, "\",\"entry\":", 10) != 0 ||
	    end[-1] != '}') {
		bad_line(f, "not an events line");
		return;
	}
	hex32(s + 14, prev);
	hex32(s + 88, hash);
	audit_hash(prev, s + 162, (size_t)(end - 1 - (s + 162)), want);
	if (memcmp(want, hash, 32) != 0) {
		bad_line(f, "the entry does not match its hash");
		return;
	}
	if (e->any && seq <= e->last_seq) {
		bad_line(f, "out of chain order");
		return;
	}
	if (e->any && seq == e->last_seq + 1 &&
	    memcmp(prev, e->last_raw, 32) != 0) {
		bad_line(f, "its prev_hash is not the previous event's hash");
		return;
	}
	if (!e->any) {
		e->first_seq = seq;
		memcpy(e->first_prev, s + 14, 64);
		memcpy(e->first_hash, s + 88, 64);
	}
	e->any = true;
	e->count++;
	e->last_seq = seq;
	memcpy(e->last_hash, s + 88, 64);
	memcpy(e->last_raw, hash, 32);
}

static void
json_line(struct vfile *f, const char *p, size_t n)
{
	struct jdoc	 d;
	char		 err[128];

	memset(&d, 0, sizeof(d));
	if (jscan_parse(&d, p, n, err, sizeof(err)) != 0 ||
	    d.v[0].type != J_OBJ)
		bad_line(f, "not a JSON object");
	jscan_free(&d);
}

static void
end_line(struct verify *v, struct vfile *f)
{
	f->records++;
	if (f->events || f->activity)
		event_line(f->events ? &v->ev : &v->act, f, f->line.p ?
		    f->line.p : "", f->line.len);
	else
		json_line(f, f->line.p ? f->line.p : "", f->line.len);
	buf_reset(&f->line);
}

static void
take(struct verify *v, struct vfile *f, const char *p, size_t n)
{
	const char	*nl;

	size_t		 line_max = f->events || f->activity ? EVENT_LINE_MAX :
	    LINE_MAX_LEN;

	EVP_DigestUpdate(f->md, p, n);
	f->bytes += (int64_t)n;
	if (f->small && f->mem.len + n > SMALL_MAX && !f->too_big) {
		f->too_big = true;
		problem(v, "%s is larger than %d KiB: no pack's is", f->name,
		    SMALL_MAX / 1024);
		buf_free(&f->mem);
	}
	if (f->small && !f->too_big)
		buf_add(&f->mem, p, n);
	if (!f->jsonl)
		return;
	while (n > 0) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			if (f->line.len + n > line_max) {
				bad_line(f, "a line too long");
				buf_reset(&f->line);
			} else
				buf_add(&f->line, p, n);
			return;
		}
		if (f->line.len + (size_t)(nl - p) > line_max) {
			bad_line(f, "a line too long");
			buf_reset(&f->line);
		} else {
			buf_add(&f->line, p, (size_t)(nl - p));
			end_line(v, f);
		}
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
}

static struct vfile *
file_named(struct verify *v, const char *name)
{
	size_t	 i;

	for (i = 0; i < NFILES; i++)
		if (strcmp(v->f[i].name, name) == 0)
			return &v->f[i];
	return NULL;
}

static void
v_init(struct verify *v, FILE *out)
{
	size_t	 i;

	memset(v, 0, sizeof(*v));
	v->out = out;
	v->max_total = PACK_VERIFY_MAX_BYTES;
	for (i = 0; i < NFILES; i++) {
		v->f[i].name = i < F_DATA ? describing[i] :
		    pack_data_files[i - F_DATA];
		v->f[i].small = i < F_DATA;
		v->f[i].jsonl = i >= F_DATA;
		v->f[i].events = strcmp(v->f[i].name, "events.jsonl") == 0;
		v->f[i].activity = strcmp(v->f[i].name,
		    "orgaudit_activity.jsonl") == 0;
	}
	v->nfiles = NFILES;
}

static void
v_free(struct verify *v)
{
	size_t	 i;

	for (i = 0; i < NFILES; i++) {
		EVP_MD_CTX_free(v->f[i].md);
		buf_free(&v->f[i].mem);
		buf_free(&v->f[i].line);
	}
}

/* Have the files that describe the pack been read? */
static bool
small_done(const struct verify *v)
{
	int	 i;

	for (i = 0; i < F_DATA; i++)
		if (!v->f[i].seen)
			return false;
	return true;
}

/*
 * Reads the archive; -1 when it is not one.  only_small stops once the
 * describing files are read (they come first): enough for --previous.
 */
static int
read_pack(struct verify *v, const char *path, bool only_small)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct vfile		*f;
	const char		*name, *slash;
	unsigned char		 md[32];
	unsigned int		 mdn;
	char			*chunk = xmalloc(CHUNK);
	la_ssize_t		 n;
	int			 r = ARCHIVE_OK, rc = -1;

	if ((a = archive_read_new()) == NULL)
		goto out;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, CHUNK) != ARCHIVE_OK) {
		note(v->out, "FAIL  ", "%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((!only_small || !small_done(v)) &&
	    (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if ((slash = strchr(name, '/')) == NULL ||
		    strchr(slash + 1, '/') != NULL ||
		    archive_entry_filetype(e) != AE_IFREG) {
			problem(v, "%s: not a file of the pack's directory",
			    name);
			continue;
		}
		if (!v->top_set) {
			snprintf(v->top, sizeof(v->top), "%.*s",
			    (int)(slash - name), name);
			v->top_set = true;
		} else if (strncmp(name, v->top, strlen(v->top)) != 0 ||
		    name + strlen(v->top) != slash) {
			problem(v, "%s: outside the pack's directory %s", name,
			    v->top);
			continue;
		}
		if ((f = file_named(v, slash + 1)) == NULL) {
			problem(v, "%s: a file that has no place in a pack",
			    slash + 1);
			continue;
		}
		if (f->seen) {
			problem(v, "%s: appears twice", f->name);
			continue;
		}
		f->seen = true;
		if (only_small && !f->small)
			continue;
		f->md = EVP_MD_CTX_new();
		EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
		while ((n = archive_read_data(a, chunk, CHUNK)) > 0) {
			if ((v->total += n) > v->max_total) {
				problem(v, "the pack holds more than %" PRId64
				    " bytes (--max-bytes); reading stops",
				    v->max_total);
				goto out;
			}
			take(v, f, chunk, (size_t)n);
		}
		if (n < 0) {
			problem(v, "%s: cannot be read: %s", f->name,
			    archive_error_string(a));
			goto out;
		}
		if (f->jsonl && f->line.len > 0) {
			bad_line(f, "the last line has no newline");
			end_line(v, f);
		}
		mdn = 0;
		EVP_DigestFinal_ex(f->md, md, &mdn);
		hex_encode(md, 32, f->sha);
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK) {
		problem(v, "the archive is damaged or cut short: %s",
		    archive_error_string(a));
		rc = v->top_set ? 0 : -1;
		goto out;
	}
	rc = v->top_set ? 0 : -1;
	if (rc != 0)
		note(v->out, "FAIL  ", "%s holds no pack", path);
out:
	if (a != NULL)
		archive_read_free(a);
	free(chunk);
	return rc;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t
jint(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The files manifest.json lists: README, the key, the data files. */
static void
check_files(struct verify *v, json_t *man)
{
	json_t		*files = json_object_get(man, "files"), *e;
	const char	*want[2 + PACK_DATA_FILES];
	struct vfile	*f;
	size_t		 i, n = 0, bad = 0;

	want[n++] = "README.txt";
	want[n++] = "public-key.pem";
	for (i = 0; i < v->nfiles - F_DATA; i++)
		want[n++] = pack_data_files[i];
	if (!json_is_array(files) || json_array_size(files) != n) {
		problem(v, "manifest.json: its file list is not the pack's");
		return;
	}
	json_array_foreach(files, i, e) {
		f = file_named(v, want[i]);
		if (jstr(e, "name") == NULL || strcmp(jstr(e, "name"),
		    want[i]) != 0) {
			problem(v, "manifest.json: file %zu should be %s", i + 1,
			    want[i]);
			bad++;
			continue;
		}
		if (!f->seen) {
			bad++;
			continue;
		}
		if (jstr(e, "sha256") == NULL || strcmp(jstr(e, "sha256"),
		    f->sha) != 0) {
			problem(v, "%s: its SHA-256 is not the one the "
			    "manifest lists", f->name);
			bad++;
		} else if (jint(e, "bytes") != f->bytes) {
			problem(v, "%s: %" PRId64 " bytes, the manifest says "
			    "%" PRId64, f->name, f->bytes, jint(e, "bytes"));
			bad++;
		} else if (f->jsonl && jint(e, "records") != f->records) {
			problem(v, "%s: %" PRId64 " records, the manifest says "
			    "%" PRId64, f->name, f->records,
			    jint(e, "records"));
			bad++;
		}
	}
	if (bad == 0)
		okay(v, "every file matches manifest.json (SHA-256, bytes, "
		    "records)");
}

static void	check_sums_lines(struct verify *);

/*
 * SHA256SUMS: every other file, once, with its SHA-256, in the pack's
 * order: the text must be exactly the one the pack's files give.
 */
static void
check_sums(struct verify *v)
{
	struct buf	 want = { 0 };
	size_t		 i;
	bool		 same;

	if (!v->f[F_SUMS].seen)
		return;
	for (i = 0; i < v->nfiles; i++)
		if (i != F_SUMS)
			buf_printf(&want, "%s  %s\n", v->f[i].seen ?
			    v->f[i].sha : "", v->f[i].name);
	same = want.len == v->f[F_SUMS].mem.len && memcmp(want.p,
	    v->f[F_SUMS].mem.p, want.len) == 0;
	buf_free(&want);
	if (!same)
		check_sums_lines(v);
	else
		okay(v, "SHA256SUMS lists every file with its SHA-256");
}

/* Says what is wrong with SHA256SUMS, line by line. */
static void
check_sums_lines(struct verify *v)
{
	struct vfile	*sums = &v->f[F_SUMS], *f;
	const char	*p = sums->mem.p, *end, *nl;
	char		 name[128];
	bool		 listed[NFILES] = { false };
	size_t		 i, bad = 0;

	if (!sums->seen)
		return;
	/* An empty file has no buffer: p is NULL, and NULL + 0 is undefined. */
	if (sums->mem.len == 0 || p[sums->mem.len - 1] != '\n') {
		problem(v, "SHA256SUMS: empty or not ended by a newline");
		return;
	}
	end = p + sums->mem.len;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl - p < 67 || nl - p > 66 + 127 || !is_hex64(p) ||
		    p[64] != ' ' || p[65] != ' ') {
			problem(v, "SHA256SUMS: a malformed line");
			bad++;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(nl - p - 66),
		    p + 66);
		if ((f = file_named(v, name)) == NULL || f == sums) {
			problem(v, "SHA256SUMS: lists %s, which has no place "
			    "there", name);
			bad++;
			continue;
		}
		if (listed[f - v->f]) {
			problem(v, "SHA256SUMS: lists %s twice", name);
			bad++;
			continue;
		}
		listed[f - v->f] = true;
		if (f->seen && strncmp(p, f->sha, 64) != 0) {
			problem(v, "%s: its SHA-256 is not the one SHA256SUMS "
			    "lists", name);
			bad++;
		}
	}
	for (i = 0; i < v->nfiles; i++)
		if (i != F_SUMS && !listed[i]) {
			problem(v, "SHA256SUMS: %s is missing", v->f[i].name);
			bad++;
		}
	if (bad == 0)
		problem(v, "SHA256SUMS: its lines are not the pack's (moved or "
		    "changed)");
}

/*
 * The manifest's summary of a chained file (its "events" or "activity")
 * against what the file holds.
 */
static void
check_chain(struct verify *v, json_t *man, const char *key,
    const struct evsum *s, const char *file, const char *what)
{
	json_t		*e = json_object_get(man, key);
	bool		 same;

	if (!json_is_object(e)) {
		problem(v, "manifest.json: no %s summary", key);
		return;
	}
	same = jint(e, "records") == s->count;
	if (s->any)
		same = same && jint(e, "first_seq") == s->first_seq &&
		    jint(e, "last_seq") == s->last_seq &&
		    jstr(e, "first_prev_hash") != NULL &&
		    strcmp(jstr(e, "first_prev_hash"), s->first_prev) == 0 &&
		    jstr(e, "first_hash") != NULL &&
		    strcmp(jstr(e, "first_hash"), s->first_hash) == 0 &&
		    jstr(e, "last_hash") != NULL &&
		    strcmp(jstr(e, "last_hash"), s->last_hash) == 0;
	else
		same = same && json_object_get(e, "first_seq") == NULL;
	if (!same)
		problem(v, "%s: its chain positions are not the ones the "
		    "manifest lists", file);
	else if (s->any)
		okay(v, "%" PRId64 " %s, seq %" PRId64 " to %" PRId64
		    ", each hash and link checked", s->count, what,
		    s->first_seq, s->last_seq);
	else
		okay(v, "no %s in the period", what);
}

/*
 * The signature over manifest.json.  pem is the key to trust; own says
 * it came from the pack itself.
 */
static bool
check_signature(struct verify *v, const struct buf *pem, bool own,
    char fp[SIGN_FP_LEN + 1])
{
	struct vfile	*man = &v->f[F_MANIFEST], *sig = &v->f[F_SIG];
	int		 r;

	r = sign_verify(pem->p ? pem->p : "", pem->len, man->mem.p ?
	    man->mem.p : "", man->mem.len, (const unsigned char *)sig->mem.p,
	    sig->mem.len, fp);
	if (r < 0) {
		problem(v, "%s is not an Ed25519 public key", own ?
		    "public-key.pem" : "the key given");
		return false;
	}
	if (r == 0) {
		problem(v, "manifest.sig: the signature over manifest.json "
		    "does not verify with %s (key %.16s…)", own ?
		    "the pack's public-key.pem" : "the key given", fp);
		return false;
	}
	okay(v, "manifest.sig verifies with %s (Ed25519, key %s)", own ?
	    "the pack's own public-key.pem" : "the key given", fp);
	return true;
}

/*
 * The signature against a trusted key: the one given, or the pack's own
 * when its fingerprint is the one given.  Without either, a problem:
 * a pack's own key vouches for nothing.
 */
static void
check_trust(struct verify *v, const struct buf *key, const char *want_fp)
{
	char	 fp[SIGN_FP_LEN + 1];

	if (!v->f[F_MANIFEST].seen || !v->f[F_SIG].seen ||
	    (key == NULL && !v->f[F_PUBKEY].seen)) {
		v->fp[0] = '\0';
		return;
	}
	if (!check_signature(v, key != NULL ? key : &v->f[F_PUBKEY].mem,
	    key == NULL, fp))
		return;
	snprintf(v->fp, sizeof(v->fp), "%s", fp);
	if (key != NULL)
		return;
	if (want_fp == NULL)
		problem(v, "signature not checked against a trusted key: the "
		    "pack's own key (%s) vouches for nothing; pass --public-key "
		    "with the key the operator published, or --fingerprint", fp);
	else if (strcasecmp(want_fp, fp) != 0)
		problem(v, "public-key.pem is not the trusted key: its "
		    "fingerprint is %s, not %.64s", fp, want_fp);
	else
		okay(v, "public-key.pem is the trusted key (fingerprint %s)", fp);
}

/* The previous pack: signed, the one this manifest names, adjoining. */
static void
check_previous(struct verify *v, json_t *man, const char *prev_path,
    const struct buf *key, const char *want_fp)
{
	struct verify	 p;
	json_t		*pm;
	unsigned char	 md[32];
	char		 hex[65], fp[SIGN_FP_LEN + 1];
	const char	*named = jstr(man, "previous_manifest_sha256");
	const char	*end, *start;

	v_init(&p, v->out);
	note(v->out, "      ", "(the previous pack, %s)", prev_path);
	if (read_pack(&p, prev_path, true) != 0 || !p.f[F_MANIFEST].seen ||
	    !p.f[F_SIG].seen) {
		problem(v, "--previous: %s cannot be read as a pack",
		    prev_path);
		v_free(&p);
		return;
	}
	if (!check_signature(&p, key != NULL ? key : &p.f[F_PUBKEY].mem,
	    key == NULL, fp))
		problem(v, "--previous: its manifest is not signed by the key");
	else if (key == NULL && (want_fp == NULL || strcasecmp(want_fp,
	    fp) != 0))
		problem(v, "--previous: its key (%s) is not a trusted one", fp);
	else if (p.problems > 0)
		problem(v, "--previous: %s is damaged (see above)", prev_path);
	sha256_2(p.f[F_MANIFEST].mem.p, p.f[F_MANIFEST].mem.len, NULL, 0, md);
	hex_encode(md, 32, hex);
	pm = json_loadb(p.f[F_MANIFEST].mem.p, p.f[F_MANIFEST].mem.len, 0,
	    NULL);
	end = jstr(json_object_get(pm, "period"), "end");
	start = jstr(json_object_get(man, "period"), "start");
	if (named == NULL)
		problem(v, "--previous: this pack names no previous pack");
	else if (strcmp(named, hex) != 0)
		problem(v, "--previous: this pack follows a pack whose manifest "
		    "SHA-256 is %.16s…, not %s (%.16s…): a pack was replaced or "
		    "skipped", named, prev_path, hex);
	else if (jint(json_object_get(pm, "org"), "id") !=
	    jint(json_object_get(man, "org"), "id"))
		problem(v, "--previous: it is another org's pack");
	else if (end == NULL || start == NULL || strcmp(end, start) > 0)
		problem(v, "--previous: its period overlaps this one");
	else if (strcmp(end, start) != 0)
		problem(v, "--previous: a gap from %s to %s: a pack is missing "
		    "between them", end, start);
	else
		okay(v, "follows %s (manifest %.16s…), periods adjoining",
		    prev_path, hex);
	json_decref(pm);
	v_free(&p);
}

int
pack_verify(const char *path, const struct pack_verify_opts *opts,
    FILE *out)
{
	struct verify	 v;
	struct buf	 key = { 0 };
	json_t		*man = NULL;
	json_error_t	 jerr;
	const char	*kfp, *fmt;
	size_t		 i;
	int		 rc;

	v_init(&v, out);
	if (opts->max_bytes > 0)
		v.max_total = opts->max_bytes;
	if (read_pack(&v, path, false) != 0) {
		v_free(&v);
		return -1;
	}
	/* The format says which files the pack has: /1 had no trail. */
	if (v.f[F_MANIFEST].seen)
		man = json_loadb(v.f[F_MANIFEST].mem.p ? v.f[F_MANIFEST].mem.p :
		    "", v.f[F_MANIFEST].mem.len, 0, &jerr);
	fmt = man != NULL ? jstr(man, "format") : NULL;
	if (fmt != NULL && strcmp(fmt, PACK_FORMAT_1) == 0)
		v.nfiles = F_DATA + PACK_FILES_1;
	else if (fmt != NULL && strcmp(fmt, PACK_FORMAT_2) == 0)
		v.nfiles = F_DATA + PACK_FILES_2;
	for (i = 0; i < v.nfiles; i++)
		if (!v.f[i].seen)
			problem(&v, "%s is missing", v.f[i].name);
		else if (v.f[i].bad_lines > 0)
			problem(&v, "%s: line %" PRId64 ": %s (%" PRId64 " bad "
			    "lines)", v.f[i].name, v.f[i].first_bad,
			    v.f[i].first_why, v.f[i].bad_lines);
	if (opts->public_key != NULL && file_read(opts->public_key, SMALL_MAX,
	    &key) != 0) {
		note(out, "FAIL  ", "cannot read the public key %s",
		    opts->public_key);
		v_free(&v);
		return -1;
	}
	check_trust(&v, opts->public_key != NULL ? &key : NULL,
	    opts->fingerprint);
	if (v.f[F_MANIFEST].seen && man == NULL)
		problem(&v, "manifest.json: not JSON: %s", jerr.text);
	if (man != NULL) {
		if (fmt == NULL || (strcmp(fmt, PACK_FORMAT) != 0 &&
		    strcmp(fmt, PACK_FORMAT_2) != 0 &&
		    strcmp(fmt, PACK_FORMAT_1) != 0))
			problem(&v, "manifest.json: not a %s (or %s, %s) "
			    "manifest", PACK_FORMAT, PACK_FORMAT_2,
			    PACK_FORMAT_1);
		kfp = jstr(json_object_get(man, "signing_key"), "fingerprint");
		if (v.fp[0] != '\0' && (kfp == NULL || strcmp(kfp, v.fp) != 0))
			problem(&v, "manifest.json: names signing key %.16s…, "
			    "not the key used", kfp ? kfp : "(none)");
		check_files(&v, man);
		check_sums(&v);
		check_chain(&v, man, "events", &v.ev, "events.jsonl",
		    "events");
		if (v.nfiles > F_DATA + PACK_FILES_1)
			check_chain(&v, man, "activity", &v.act,
			    "orgaudit_activity.jsonl", "rows of the activity "
			    "trail");
		if (opts->previous != NULL)
			check_previous(&v, man, opts->previous,
			    opts->public_key ? &key : NULL, opts->fingerprint);
	}
	if (v.problems == 0)
		note(out, "", "pack verifies: %s", path);
	else
		note(out, "", "pack does NOT verify: %d problem%s: %s",
		    v.problems, v.problems == 1 ? "" : "s", path);
	rc = v.problems == 0 ? 0 : 1;
	json_decref(man);
	buf_free(&key);
	v_free(&v);
	return rc;
}
