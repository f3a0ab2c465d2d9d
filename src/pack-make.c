/*
 * pack-make.c: making evidence packs; see pack.h (pack-verify.c checks them).
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "activity.h"
#include "audit-entry.h"
#include "audit-chain.h"
#include "decimal.h"
#include "pack-gzip.h"
#include "log.h"
#include "pack.h"
#include "pack-int.h"
#include "util.h"
#include "views.h"

#define COPY_CHUNK	(64 * 1024)

/* -- files written to the temporary directory -------------------------- */

struct pfile {
	const char	*name;
	char		 path[1100];
	FILE		*f;
	EVP_MD_CTX	*md;
	int64_t		 bytes, records;
	char		 sha[65];
	bool		 failed;
};

static int
pf_open(struct pfile *pf, const char *dir, const char *name)
{
	memset(pf, 0, sizeof(*pf));
	pf->name = name;
	snprintf(pf->path, sizeof(pf->path), "%s/%s", dir, name);
	if ((pf->f = fopen(pf->path, "wb")) == NULL)
		return -1;
	if ((pf->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(pf->md, EVP_sha256(), NULL) != 1) {
		fclose(pf->f);
		pf->f = NULL;
		return -1;
	}
	return 0;
}

static void
pf_write(struct pfile *pf, const void *p, size_t n)
{
	if (pf->failed)
		return;
	if (fwrite(p, 1, n, pf->f) != n || EVP_DigestUpdate(pf->md, p, n) != 1)
		pf->failed = true;
	pf->bytes += (int64_t)n;
}

/* One record: a line. */
static void
pf_line(struct pfile *pf, const struct buf *b)
{
	pf_write(pf, b->p, b->len);
	pf_write(pf, "\n", 1);
	pf->records++;
}

static int
pf_close(struct pfile *pf)
{
	unsigned char	 md[32];
	unsigned int	 n = 0;

	if (pf->f == NULL)
		return -1;
	if (fclose(pf->f) != 0)
		pf->failed = true;
	pf->f = NULL;
	if (EVP_DigestFinal_ex(pf->md, md, &n) != 1 || n != 32)
		pf->failed = true;
	EVP_MD_CTX_free(pf->md);
	pf->md = NULL;
	hex_encode(md, 32, pf->sha);
	return pf->failed ? -1 : 0;
}

static void
pf_abandon(struct pfile *pf)
{
	if (pf->f != NULL)
		fclose(pf->f);
	EVP_MD_CTX_free(pf->md);
	pf->f = NULL;
	pf->md = NULL;
}

/* -- the snapshot files ------------------------------------------------ */

/* C_JSON: JSON text from the database, written again sorted and compact. */
/* C_DEC: a DECIMAL, written as its exact canonical text, a string. */
enum ctype { C_STR, C_INT, C_BOOL, C_JSON, C_DEC };

struct col {
	const char	*name;
	enum ctype	 t;
};

/* Each file's columns, in the order of their names (as selected). */
static const struct col user_cols[] = {
	{ "added_at", C_INT }, { "email_prefix", C_STR },
	{ "email_sha256", C_STR }, { "id", C_STR },
	{ "is_service_account", C_BOOL }, { "role", C_STR },
};
static const struct col project_cols[] = {
	{ "archived_at", C_INT }, { "created_at", C_INT }, { "id", C_STR },
	{ "name", C_STR }, { "status", C_STR },
};
static const struct col key_cols[] = {
	{ "created_at", C_INT }, { "expires_at", C_INT }, { "id", C_STR },
	{ "last_used_at", C_INT }, { "name", C_STR }, { "orphan", C_BOOL },
	{ "orphan_reason", C_STR }, { "owner_access", C_STR },
	{ "owner_id", C_STR }, { "owner_type", C_STR },
	{ "project_id", C_STR }, { "redacted", C_STR }, { "stale", C_BOOL },
	{ "stale_reason", C_STR }, { "type", C_STR },
};
static const struct col svcacct_cols[] = {
	{ "created_at", C_INT }, { "id", C_STR }, { "name", C_STR },
	{ "project_id", C_STR }, { "role", C_STR },
};
static const struct col finding_cols[] = {
	{ "evidence", C_JSON }, { "id", C_STR }, { "message", C_STR },
	{ "open_at_end", C_BOOL }, { "opened_at", C_INT },
	{ "resolved_at", C_INT }, { "rule", C_STR }, { "severity", C_STR },
	{ "subject_id", C_STR }, { "subject_name", C_STR },
	{ "subject_type", C_STR },
};

/* The period's daily usage and costs rows (day: the bucket's start). */
static const struct col usage_cols[] = {
	{ "api_key_id", C_STR }, { "counters", C_JSON }, { "day", C_INT },
	{ "endpoint", C_STR }, { "model", C_STR }, { "project_id", C_STR },
	{ "user_id", C_STR },
};
static const struct col cost_cols[] = {
	{ "amount", C_DEC }, { "api_key_id", C_STR }, { "currency", C_STR },
	{ "day", C_INT }, { "line_item", C_STR }, { "project_id", C_STR },
};

#define COLS(a)	a, sizeof(a) / sizeof(a[0])

/* The key streams' places in pack_snaps[], for the findings. */
enum { SNAP_API_KEYS = 2, SNAP_ADMIN_KEYS = 3 };

const struct pack_snap pack_snaps[PACK_SNAPS] = {
	{ "users.jsonl", "users", SQL_PACK_USERS, COLS(user_cols) },
	{ "projects.jsonl", "projects", SQL_PACK_PROJECTS,
	    COLS(project_cols) },
	[SNAP_API_KEYS] = { "api_keys.jsonl", "api_keys", SQL_PACK_API_KEYS,
	    COLS(key_cols) },
	[SNAP_ADMIN_KEYS] = { "admin_api_keys.jsonl", "admin_api_keys",
	    SQL_PACK_ADMIN_KEYS, COLS(key_cols) },
	{ "service_accounts.jsonl", "service_accounts", SQL_PACK_SVCACCTS,
	    COLS(svcacct_cols) },
};

/* Files in archive order after the four that describe the pack. */
const char *const pack_data_files[PACK_DATA_FILES] = {
	"users.jsonl", "projects.jsonl", "api_keys.jsonl",
	"admin_api_keys.jsonl", "service_accounts.jsonl", "findings.jsonl",
	"events.jsonl", "orgaudit_activity.jsonl", "usage.jsonl",
	"costs.jsonl",
};

struct rowctx {
	struct pfile		*pf;
	const struct col	*cols;
	size_t			 ncols;
	struct buf		 line;
	bool			 bad;
};

/* One row as a JSON object with its keys in order. */
/* JSON text appended to b in one canonical form; -1 if it is not JSON. */
static int
json_again(const char *p, size_t n, struct buf *b)
{
	json_t	*j = json_loadb(p != NULL ? p : "", n, 0, NULL);
	char	*s;

	if (j == NULL)
		return -1;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY);
	json_decref(j);
	if (s == NULL)
		return -1;
	buf_adds(b, s);
	free(s);
	return 0;
}

static int
snap_row(const struct db_row *r, void *arg)
{
	struct rowctx	*x = arg;
	char		 dec[DEC_TEXT_MAX], err[64];
	size_t		 i;

	buf_reset(&x->line);
	buf_addc(&x->line, '{');
	for (i = 0; i < x->ncols; i++) {
		if (i > 0)
			buf_addc(&x->line, ',');
		buf_printf(&x->line, "\"%s\":", x->cols[i].name);
		if (db_row_null(r, i))
			buf_adds(&x->line, "null");
		else if (x->cols[i].t == C_INT)
			buf_printf(&x->line, "%" PRId64, db_row_int(r, i));
		else if (x->cols[i].t == C_BOOL)
			buf_adds(&x->line, db_row_int(r, i) ? "true" : "false");
		else if (x->cols[i].t == C_JSON) {
			if (json_again(r->v[i], r->len[i], &x->line) != 0) {
				x->bad = true;
				return 1;
			}
		} else if (x->cols[i].t == C_DEC) {
			if (dec_canon(r->v[i], r->len[i], dec, sizeof(dec), err,
			    sizeof(err)) != 0) {
				x->bad = true;
				return 1;
			}
			buf_printf(&x->line, "\"%s\"", dec);
		}
		else if (audit_json_string(r->v[i], r->len[i], &x->line) != 0) {
			x->bad = true;
			return 1;
		}
	}
	buf_addc(&x->line, '}');
	pf_line(x->pf, &x->line);
	return 0;
}

/* The pull of each stream a pack holds: its newest at or before end. */
struct pull {
	bool	 found;
	int64_t	 gen, pulled_at, run_id;
};

static int
pull_row(const struct db_row *r, void *arg)
{
	struct pull	*p = arg;

	p->found = true;
	p->gen = db_row_int(r, 0);
	p->pulled_at = db_row_int(r, 1);
	p->run_id = db_row_int(r, 2);
	return 1;
}

/* -- events ------------------------------------------------------------ */

struct evctx {
	struct pfile	*pf;
	FILE		*progress;
	const struct pack_req *rq;	/* its tick */
	int64_t		 total;		/* rows in the chain */
	int64_t		 org, rows;
	int64_t		 start, end;
	struct buf	 line;
	int64_t		 first_seq, last_seq;
	char		 first_prev[65], first_hash[65], last_hash[65];
};

static int
event_row(const struct chain_row *row, void *arg)
{
	struct evctx	*x = arg;
	char		 prev[65], hash[65];

	++x->rows;
	if (x->rq->tick != NULL && x->rows % PACK_TICK == 0)
		x->rq->tick(x->rq->tick_arg, x->rows, x->total);
	if (x->progress != NULL && x->rows % PACK_PROGRESS == 0) {
		fprintf(x->progress, "org %" PRId64 ": %" PRId64 " rows of the "
		    "audit chain checked, %" PRId64 " events of the period "
		    "written\n", x->org, x->rows, x->pf->records);
		fflush(x->progress);
	}
	if (row->effective_at < x->start || row->effective_at >= x->end)
		return 0;
	hex_encode(row->prev_hash, 32, prev);
	hex_encode(row->hash, 32, hash);
	buf_reset(&x->line);
	buf_printf(&x->line, PACK_EVENT_HEAD, row->seq, prev, hash);
	buf_add(&x->line, row->body, row->len);
	buf_addc(&x->line, '}');
	pf_line(x->pf, &x->line);
	if (x->first_seq == 0) {
		x->first_seq = row->seq;
		memcpy(x->first_prev, prev, sizeof(prev));
		memcpy(x->first_hash, hash, sizeof(hash));
	}
	x->last_seq = row->seq;
	memcpy(x->last_hash, hash, sizeof(hash));
	return x->pf->failed ? 1 : 0;
}

/* One row of the tenant's activity trail in the period. */
static int
activity_line(int64_t seq, const unsigned char *prev_raw,
    const unsigned char *hash_raw, const char *body, size_t len, void *arg)
{
	struct evctx	*x = arg;
	char		 prev[65], hash[65];

	hex_encode(prev_raw, 32, prev);
	hex_encode(hash_raw, 32, hash);
	buf_reset(&x->line);
	buf_printf(&x->line, PACK_EVENT_HEAD, seq, prev, hash);
	buf_add(&x->line, body, len);
	buf_addc(&x->line, '}');
	pf_line(x->pf, &x->line);
	if (x->first_seq == 0) {
		x->first_seq = seq;
		memcpy(x->first_prev, prev, sizeof(prev));
		memcpy(x->first_hash, hash, sizeof(hash));
	}
	x->last_seq = seq;
	memcpy(x->last_hash, hash, sizeof(hash));
	return x->pf->failed ? 1 : 0;
}

/* -- the archive ------------------------------------------------------- */

/* The archive's bytes go to gzip on two cores, then to the file. */
static la_ssize_t
sink_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	return gzpar_write(arg, p, n) == 0 ? (la_ssize_t)n : -1;
}

static int
add_entry(struct archive *a, const char *dir, const char *name,
    const char *from, const void *mem, size_t memlen, int64_t mtime)
{
	struct archive_entry	*e;
	struct stat		 sb;
	char			 path[256], *chunk = NULL;
	FILE			*f = NULL;
	size_t			 n;
	int			 rc = -1;

	if (from != NULL && stat(from, &sb) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((e = archive_entry_new()) == NULL)
		return -1;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, from != NULL ? (la_int64_t)sb.st_size :
	    (la_int64_t)memlen);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto out;
	if (from == NULL) {
		if (memlen > 0 && archive_write_data(a, mem, memlen) !=
		    (la_ssize_t)memlen)
			goto out;
	} else {
		if ((f = fopen(from, "rb")) == NULL)
			goto out;
		chunk = xmalloc(COPY_CHUNK);
		while ((n = fread(chunk, 1, COPY_CHUNK, f)) > 0)
			if (archive_write_data(a, chunk, n) != (la_ssize_t)n)
				goto out;
		if (ferror(f))
			goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(chunk);
	archive_entry_free(e);
	return rc;
}

void
pack_filename(int64_t org, int64_t start, int64_t end, char *out,
    size_t outlen)
{
	char	 a[21], b[21];

	fmt_rfc3339(start, a);
	fmt_rfc3339(end, b);
	/* 2026-10-01T00:00:00Z -> 20261001T000000Z */
	snprintf(out, outlen, "orgaudit-pack-org%" PRId64 "-%.4s%.2s%.2sT%.2s"
	    "%.2s%.2sZ-%.4s%.2s%.2sT%.2s%.2s%.2sZ.tar.gz", org, a, a + 5,
	    a + 8, a + 11, a + 14, a + 17, b, b + 5, b + 8, b + 11, b + 14,
	    b + 17);
}

static int
pack_file_row(const struct db_row *r, void *arg)
{
	struct pack_file	*pf = arg;

	pf->id = db_row_int(r, PK_ID);
	pf->org = db_row_int(r, PK_ORG);
	pf->start = db_row_int(r, PK_START);
	pf->end = db_row_int(r, PK_END);
	snprintf(pf->sha256, sizeof(pf->sha256), "%s",
	    db_row_str(r, PK_SHA256));
	snprintf(pf->path, sizeof(pf->path), "%s", db_row_str(r, PK_PATH));
	return 1;
}

int
pack_lookup(struct db *db, int64_t tenant, int64_t id, struct pack_file *pf)
{
	long	 n;

	memset(pf, 0, sizeof(*pf));
	if ((n = DB_QUERY(db, SQL_PACK_GET, pack_file_row, pf, DV_I(tenant),
	    DV_I(id))) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

void
pack_headers(const struct pack_file *pf, char *out, size_t outlen)
{
	char	 name[128];

	pack_filename(pf->org, pf->start, pf->end, name, sizeof(name));
	snprintf(out, outlen, "Content-Disposition: attachment; "
	    "filename=\"%s\"\r\nX-Pack-Id: %" PRId64 "\r\n"
	    "X-Pack-SHA256: %s\r\n", name, pf->id, pf->sha256);
}

static char *
readme(const char *org_name, const char *openai_org, int64_t start,
    int64_t end, int64_t as_of, const char *fp)
{
	char	 a[21], b[21], c[21];

	fmt_rfc3339(start, a);
	fmt_rfc3339(end, b);
	fmt_rfc3339(as_of, c);
	return xasprintf(
	    "orgaudit evidence pack\n"
	    "======================\n\n"
	    "Organization: %s (%s)\n"
	    "Period:       %s to %s (the end excluded)\n"
	    "State as of:  %s (the last pull at or before the period's end)\n"
	    "\n"
	    "Files\n"
	    "  users.jsonl, projects.jsonl, api_keys.jsonl, admin_api_keys."
	    "jsonl,\n"
	    "  service_accounts.jsonl  the state as of the time above, one "
	    "JSON object\n"
	    "                          a line (addresses only as SHA-256 and "
	    "a prefix,\n"
	    "                          keys only as type and last four "
	    "characters)\n"
	    "  findings.jsonl          every finding (a stale or orphan key, "
	    "a risky setting)\n"
	    "                          open at any time in the period, with "
	    "when it opened\n"
	    "                          and, within the period, when it was "
	    "resolved\n"
	    "  events.jsonl            the audit log entries of the period, "
	    "in chain order:\n"
	    "                          hash = SHA-256(prev_hash bytes || "
	    "entry bytes)\n"
	    "  orgaudit_activity.jsonl what the tenant's people, tokens, "
	    "operator and worker\n"
	    "                          did in orgaudit during the period, "
	    "in chain order,\n"
	    "                          chained the same way\n"
	    "  usage.jsonl             the daily usage buckets that start "
	    "in the period:\n"
	    "                          day, endpoint, project_id, user_id, "
	    "api_key_id, model,\n"
	    "                          counters as OpenAI served them\n"
	    "  costs.jsonl             the daily costs buckets that start in "
	    "the period:\n"
	    "                          day, project_id, line_item, "
	    "api_key_id, currency and\n"
	    "                          amount, exact decimal text\n"
	    "  manifest.json           what is in the pack: every file's "
	    "SHA-256, size and\n"
	    "                          records, the period, the chain's "
	    "positions, the\n"
	    "                          previous pack's manifest SHA-256\n"
	    "  manifest.sig            Ed25519 signature over manifest.json\n"
	    "  public-key.pem          the signing key's public half\n"
	    "  SHA256SUMS              every file's SHA-256\n"
	    "\n"
	    "Checking it with stock tools, in this directory\n"
	    "  1. sha256sum -c SHA256SUMS\n"
	    "  2. openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin "
	    "\\\n"
	    "       -in manifest.json -sigfile manifest.sig\n"
	    "  3. the key must be the one orgaudit publishes "
	    "(GET /api/v1/signing-key):\n"
	    "       openssl pkey -pubin -in public-key.pem -outform DER | "
	    "sha256sum\n"
	    "     prints %s\n"
	    "  4. the SHA-256 of each file in SHA256SUMS is the one "
	    "manifest.json lists.\n"
	    "'orgaudit pack verify FILE --public-key KEY [--previous FILE]' "
	    "does all of\n"
	    "this, checks every event's hash and link, and that this pack "
	    "follows the\n"
	    "previous one.\n", org_name, openai_org[0] ? openai_org :
	    "OpenAI org unknown", a, b, c, fp);
}

struct org_info {
	bool	 found;
	char	 name[201];
	char	 openai_org[129];
};

static int
org_row(const struct db_row *r, void *arg)
{
	struct org_info	*o = arg;

	o->found = true;
	snprintf(o->name, sizeof(o->name), "%s", db_row_str(r, 0));
	snprintf(o->openai_org, sizeof(o->openai_org), "%s",
	    db_row_str(r, 1));
	return 1;
}

static int
same_row(const struct db_row *r, void *arg)
{
	struct pack_result	*res = arg;

	res->id = db_row_int(r, 0);
	snprintf(res->path, sizeof(res->path), "%s", db_row_str(r, 1));
	return 1;
}

static int
str_row(const struct db_row *r, void *arg)
{
	snprintf(arg, 65, "%s", db_row_str(r, 0));
	return 1;
}

static int
fail(struct pack_result *res, int status, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static int
fail(struct pack_result *res, int status, const char *fmt, ...)
{
	va_list	 ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * One directory of mkdirs(), mode 0750 whatever the umask, keeping the
 * setgid bit it inherits: the packs stay in the web's group.
 */
static int
mkdir_0750(const char *p)
{
	struct stat	 st;

	if (mkdir(p, 0750) == 0)
		return stat(p, &st) == 0 ? chmod(p, 0750 | (st.st_mode &
		    S_ISGID)) : -1;
	return errno == EEXIST ? 0 : -1;
}

/*
 * mkdir -p for the packs' directories, mode 0750: the web's group reads
 * the packs it serves (the programs run with umask 077).
 */
static int
mkdirs(const char *path)
{
	char	 p[1024], *s;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -1;
	for (s = p + 1; *s != '\0'; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir_0750(p) != 0)
				return -1;
			*s = '/';
		}
	return mkdir_0750(p);
}

static void
rm_tmp(const char *dir, struct pfile *files, size_t n)
{
	char	 p[1200];
	size_t	 i;

	for (i = 0; i < n; i++)
		if (files[i].path[0] != '\0')
			unlink(files[i].path);
	snprintf(p, sizeof(p), "%s/archive", dir);
	unlink(p);
	rmdir(dir);
}

/* The audit chain's head, in hex. */
struct head {
	int64_t	 seq;
	char	 hash[65];
};

static int
head_row(const struct db_row *r, void *arg)
{
	struct head	*h = arg;

	h->seq = db_row_int(r, 0);
	hex_encode((const unsigned char *)r->v[1], r->len[1] == 32 ? 32 : 0,
	    h->hash);
	return 1;
}

/* A pack being made: what pack_make()'s steps hand each other. */
struct build {
	struct db		*db;
	const struct conf	*c;
	const struct signer	*sg;
	const struct pack_req	*rq;
	struct pack_result	*res;
	struct org_info		 org;
	struct pull		 pulls[PACK_SNAPS];
	struct head		 head;
	const char		*key_fp;	/* the signing key's */
	int64_t			 as_of;
	char			 prev[65];	/* the previous manifest's */
	char			 dir[1024], tmpl[1100];
	struct pfile		 files[PACK_DATA_FILES];
	size_t			 nfiles;
	struct rowctx		 rx;
	struct evctx		 ex, ax;	/* events, activity */
	size_t			 ex_file, ax_file;
	char			 act_head[96];	/* the trail before end */
	char			 findings[48];	/* "count last-id" */
	char			 usage[128];	/* SQL_DASH_PACK_SUM's */
	char			*rtext, *mtext;
	size_t			 rlen, mlen, plen;
	const char		*pem;
	char			 readme_sha[65], pem_sha[65];
	unsigned char		 sig[SIGN_LEN];
	struct buf		 sums;
	char			 topdir[160], final[1200];
	struct archive		*a;
};

/* How a step ended; B_DONE: res says it (a refusal, a broken chain). */
enum step { B_OK, B_DONE, B_DB, B_IO, B_ARCHIVE, B_BADDATA };

/* The period's findings, as "count last-id". */
static int
findings_sum_row(const struct db_row *r, void *arg)
{
	snprintf(arg, 48, "%" PRId64 " %" PRId64, db_row_int(r, 0),
	    db_row_int(r, 1));
	return 1;
}

/* The last row of the trail before the period's end: "seq hash". */
static int
act_head_row(const struct db_row *r, void *arg)
{
	char	 hex[65] = "";

	if (r->len[1] == 32)
		hex_encode((const unsigned char *)r->v[1], 32, hex);
	snprintf(arg, 96, "%" PRId64 " %s", db_row_int(r, 0), hex);
	return 1;
}

/*
 * What the pack holds, as one SHA-256: the same inputs give the same
 * bytes, so a request with these inputs needs no work.
 */
static void
build_inputs(struct build *b)
{
	struct buf	 in = { 0 };
	unsigned char	 md[32];
	size_t		 i;

	buf_printf(&in, "%s\norg %" PRId64 "\nperiod %" PRId64 " %" PRId64
	    "\nchain %" PRId64 " %s\nprevious %s\nkey %s\nactivity %s\n"
	    "findings %s\nusage %s\n", PACK_FORMAT, b->rq->org, b->rq->start,
	    b->rq->end, b->head.seq, b->head.hash, b->prev, b->key_fp,
	    b->act_head, b->findings, b->usage);
	for (i = 0; i < PACK_SNAPS; i++)
		buf_printf(&in, "%s %" PRId64 " %" PRId64 "\n",
		    pack_snaps[i].stream, b->pulls[i].found ? b->pulls[i].gen :
		    0, b->pulls[i].pulled_at);
	sha256_2(in.p, in.len, NULL, 0, md);
	hex_encode(md, 32, b->res->inputs);
	buf_free(&in);
}

/*
 * The period, the org, the pull of each stream as of the period's end,
 * the previous pack's manifest and the chain's head: what the pack will
 * hold, and its inputs' SHA-256.
 */
static enum step
build_choose(struct build *b)
{
	const struct pack_req	*rq = b->rq;
	size_t			 i;

	if (rq->start >= rq->end)
		return fail(b->res, 400, "the period must end after it "
		    "starts"), B_DONE;
	if (rq->end > now_s())
		return fail(b->res, 400, "the period ends in the future; a "
		    "pack covers only what has happened"), B_DONE;
	if (DB_QUERY(b->db, SQL_PACK_ORG, org_row, &b->org, DV_I(rq->tenant),
	    DV_I(rq->org)) < 0)
		return B_DB;
	if (!b->org.found)
		return fail(b->res, 404, "no org %" PRId64 " in this tenant",
		    rq->org), B_DONE;
	for (i = 0; i < PACK_SNAPS; i++) {
		if (DB_QUERY(b->db, SQL_STREAM_AS_OF, pull_row, &b->pulls[i],
		    DV_I(rq->org), DV_S(pack_snaps[i].stream), DV_I(rq->org),
		    DV_S(pack_snaps[i].stream), DV_I(rq->end)) < 0)
			return B_DB;
		if (b->pulls[i].found && b->pulls[i].pulled_at > b->as_of)
			b->as_of = b->pulls[i].pulled_at;
	}
	if (b->as_of == 0)
		return fail(b->res, 409, "nothing of org %" PRId64 " was "
		    "pulled at or before the period's end", rq->org), B_DONE;
	if (DB_QUERY(b->db, SQL_PACK_PREVIOUS, str_row, b->prev,
	    DV_I(rq->org), DV_I(rq->start)) < 0 ||
	    DB_QUERY(b->db, SQL_PACK_HEAD, head_row, &b->head,
	    DV_I(rq->org)) < 0 ||
	    DB_QUERY(b->db, SQL_ACTIVITY_LAST_BEFORE, act_head_row, b->act_head,
	    DV_I(rq->tenant), DV_I(rq->end)) < 0 ||
	    DB_QUERY(b->db, SQL_PACK_FINDINGS_SUM, findings_sum_row,
	    b->findings, DV_I(rq->org), DV_I(rq->end), DV_I(rq->start)) < 0 ||
	    DB_QUERY(b->db, SQL_DASH_PACK_SUM, str_row, b->usage,
	    DV_I(rq->org), DV_I(rq->start), DV_I(rq->end), DV_I(rq->org),
	    DV_I(rq->start), DV_I(rq->end)) < 0)
		return B_DB;
	build_inputs(b);
	return B_OK;
}

/* One file of rows of stmt, columns cols, into the temporary directory. */
static enum step
build_rows(struct build *b, const char *name, const struct col *cols,
    size_t ncols, enum sql_stmt stmt, const struct db_val *v, size_t nv)
{
	struct pfile	*pf = &b->files[b->nfiles];

	if (pf_open(pf, b->tmpl, name) != 0)
		return B_IO;
	b->rx.pf = pf;
	b->rx.cols = cols;
	b->rx.ncols = ncols;
	if (v != NULL && db_query(b->db, stmt, v, nv, snap_row, &b->rx) < 0)
		return B_DB;
	if (b->rx.bad)
		return B_BADDATA;
	if (pf_close(pf) != 0)
		return B_IO;
	b->nfiles++;
	return B_OK;
}

/* The snapshot files, then findings, then the events. */
static enum step
build_files(struct build *b)
{
	const struct pack_req	*rq = b->rq;
	struct chain_report	 rep;
	struct pfile		*pf;
	size_t			 i;
	enum step		 st;
	int			 wrc;

	snprintf(b->dir, sizeof(b->dir), "%s/%" PRId64 "/%" PRId64,
	    b->c->pack_dir, rq->tenant, rq->org);
	snprintf(b->tmpl, sizeof(b->tmpl), "%s/.tmp-XXXXXX", b->dir);
	if (mkdirs(b->dir) != 0 || mkdtemp(b->tmpl) == NULL) {
		log_err("pack: cannot make %s: %s", b->tmpl, strerror(errno));
		b->tmpl[0] = '\0';
		return fail(b->res, 500, "cannot write the pack (see the "
		    "log)"), B_DONE;
	}
	for (i = 0; i < PACK_SNAPS; i++) {
		const struct db_val	 v[] = { DV_I(rq->org),
		    DV_I(b->pulls[i].gen) };

		if ((st = build_rows(b, pack_snaps[i].file, pack_snaps[i].cols,
		    pack_snaps[i].ncols, pack_snaps[i].stmt, b->pulls[i].found ?
		    v : NULL, 2)) != B_OK)
			return st;
	}
	/* Every finding open at any time in the period, with its life. */
	{
		const struct db_val	 v[] = { DV_I(rq->end), DV_I(rq->end),
		    DV_I(rq->org), DV_I(rq->end), DV_I(rq->start) };

		if ((st = build_rows(b, "findings.jsonl", COLS(finding_cols),
		    SQL_PACK_FINDINGS, v, 5)) != B_OK)
			return st;
	}
	pf = &b->files[b->nfiles];
	if (pf_open(pf, b->tmpl, "events.jsonl") != 0)
		return B_IO;
	b->ex.pf = pf;
	b->ex.progress = rq->progress;
	b->ex.rq = rq;
	b->ex.total = b->head.seq;
	b->ex.org = rq->org;
	b->ex.start = rq->start;
	b->ex.end = rq->end;
	if (rq->tick != NULL)
		rq->tick(rq->tick_arg, 0, b->ex.total);
	if ((wrc = chain_walk(b->db, rq->org, &rep, event_row, &b->ex)) == -1)
		return B_DB;
	if (rq->tick != NULL)
		rq->tick(rq->tick_arg, b->ex.rows, b->ex.total);
	if (wrc == -2 || pf->failed)
		return B_IO;
	if (!rep.ok) {
		log_err("pack: org %" PRId64 ": the audit chain does not verify "
		    "at row %" PRId64 ": %s", rq->org, rep.bad_seq, rep.reason);
		b->res->chain_broken = true;
		return fail(b->res, 409, "the org's audit chain does not "
		    "verify (row %" PRId64 ": %s); no pack is made from it",
		    rep.bad_seq, rep.reason), B_DONE;
	}
	if (pf_close(pf) != 0)
		return B_IO;
	b->ex_file = b->nfiles++;
	/* The tenant's own trail in the period. */
	pf = &b->files[b->nfiles];
	if (pf_open(pf, b->tmpl, "orgaudit_activity.jsonl") != 0)
		return B_IO;
	b->ax.pf = pf;
	if (activity_walk(b->db, rq->tenant, rq->start, rq->end, activity_line,
	    &b->ax) != 0)
		return B_DB;
	if (pf->failed || pf_close(pf) != 0)
		return B_IO;
	b->ax_file = b->nfiles++;
	/* The period's daily usage and costs buckets. */
	{
		const struct db_val	 v[] = { DV_I(rq->org), DV_I(rq->start),
		    DV_I(rq->end) };

		if ((st = build_rows(b, "usage.jsonl", COLS(usage_cols),
		    SQL_DASH_PACK_USAGE, v, 3)) != B_OK ||
		    (st = build_rows(b, "costs.jsonl", COLS(cost_cols),
		    SQL_DASH_PACK_COSTS, v, 3)) != B_OK)
			return st;
	}
	return B_OK;
}

/* The manifest's "files": the two describing files, then the data. */
static json_t *
manifest_files(struct build *b)
{
	json_t	*a = json_array();
	size_t	 i;

	json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "name",
	    "README.txt", "sha256", b->readme_sha, "bytes",
	    (json_int_t)b->rlen, "records", (json_int_t)0));
	json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "name",
	    "public-key.pem", "sha256", b->pem_sha, "bytes",
	    (json_int_t)b->plen, "records", (json_int_t)0));
	for (i = 0; i < b->nfiles; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}",
		    "name", b->files[i].name, "sha256", b->files[i].sha,
		    "bytes", (json_int_t)b->files[i].bytes, "records",
		    (json_int_t)b->files[i].records));
	return a;
}

/* The manifest's "streams": each pull, or null for none. */
static json_t *
manifest_streams(struct build *b)
{
	json_t	*o = json_object();
	char	 when[21];
	size_t	 i;

	for (i = 0; i < PACK_SNAPS; i++) {
		if (!b->pulls[i].found) {
			json_object_set_new(o, pack_snaps[i].stream,
			    json_null());
			continue;
		}
		fmt_rfc3339(b->pulls[i].pulled_at, when);
		json_object_set_new(o, pack_snaps[i].stream, json_pack("{s:s,"
		    " s:I}", "pulled_at", when, "run_id",
		    (json_int_t)b->pulls[i].run_id));
	}
	return o;
}

/*
 * The manifest's "events" and "activity": their count and where they sit
 * in their chain.
 */
static json_t *
manifest_chain(const struct evctx *x, const struct pfile *pf)
{
	json_t			*ev;

	ev = json_pack("{s:I}", "records", (json_int_t)pf->records);
	if (x->first_seq > 0) {
		json_object_set_new(ev, "first_seq", json_integer(x->first_seq));
		json_object_set_new(ev, "first_prev_hash",
		    json_string(x->first_prev));
		json_object_set_new(ev, "first_hash", json_string(x->first_hash));
		json_object_set_new(ev, "last_seq", json_integer(x->last_seq));
		json_object_set_new(ev, "last_hash", json_string(x->last_hash));
	}
	return ev;
}

/* The README, the manifest and its signature, SHA256SUMS. */
static enum step
build_manifest(struct build *b)
{
	const struct pack_req	*rq = b->rq;
	json_t			*man;
	char			 when[21], when2[21], sighex[65];
	unsigned char		 md[32];
	size_t			 i;

	b->rtext = readme(b->org.name, b->org.openai_org, rq->start, rq->end,
	    b->as_of, sign_fingerprint(b->sg));
	b->pem = sign_public_pem(b->sg);
	b->rlen = strlen(b->rtext);
	b->plen = strlen(b->pem);
	sha256_2(b->rtext, b->rlen, NULL, 0, md);
	hex_encode(md, 32, b->readme_sha);
	sha256_2(b->pem, b->plen, NULL, 0, md);
	hex_encode(md, 32, b->pem_sha);
	fmt_rfc3339(rq->start, when);
	fmt_rfc3339(rq->end, when2);
	man = json_pack("{s:s, s:{s:I, s:s, s:s?}, s:{s:s, s:s}}",
	    "format", PACK_FORMAT,
	    "org", "id", (json_int_t)rq->org, "name", b->org.name,
	    "openai_org", b->org.openai_org[0] ? b->org.openai_org : NULL,
	    "period", "start", when, "end", when2);
	fmt_rfc3339(b->as_of, when);
	json_object_set_new(man, "as_of", json_string(when));
	json_object_set_new(man, "streams", manifest_streams(b));
	json_object_set_new(man, "files", manifest_files(b));
	json_object_set_new(man, "events", manifest_chain(&b->ex,
	    &b->files[b->ex_file]));
	json_object_set_new(man, "activity", manifest_chain(&b->ax,
	    &b->files[b->ax_file]));
	json_object_set_new(man, "previous_manifest_sha256", b->prev[0] ?
	    json_string(b->prev) : json_null());
	json_object_set_new(man, "signing_key", json_pack("{s:s, s:s}",
	    "algorithm", "Ed25519", "fingerprint", sign_fingerprint(b->sg)));
	b->mtext = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	json_decref(man);
	if (b->mtext == NULL)
		return B_IO;
	/* A text file ends with a newline. */
	b->mlen = strlen(b->mtext);
	b->mtext = xrealloc(b->mtext, b->mlen + 2);
	b->mtext[b->mlen++] = '\n';
	b->mtext[b->mlen] = '\0';
	sha256_2(b->mtext, b->mlen, NULL, 0, md);
	hex_encode(md, 32, b->res->manifest_sha256);
	if (sign_message(b->sg, b->mtext, b->mlen, b->sig) != 0)
		return B_IO;
	/* SHA256SUMS: every file but itself. */
	buf_printf(&b->sums, "%s  README.txt\n", b->readme_sha);
	buf_printf(&b->sums, "%s  manifest.json\n", b->res->manifest_sha256);
	sha256_2(b->sig, SIGN_LEN, NULL, 0, md);
	hex_encode(md, 32, sighex);
	buf_printf(&b->sums, "%s  manifest.sig\n", sighex);
	buf_printf(&b->sums, "%s  public-key.pem\n", b->pem_sha);
	for (i = 0; i < b->nfiles; i++)
		buf_printf(&b->sums, "%s  %s\n", b->files[i].sha,
		    b->files[i].name);
	return B_OK;
}

/* The archive, hashed as it is written, in the temporary directory. */
static enum step
build_archive(struct build *b)
{
	const struct pack_req	*rq = b->rq;
	struct gzpar		*gz = NULL;
	FILE			*af;
	unsigned char		 md[32];
	enum step		 st = B_ARCHIVE;
	size_t			 i;

	pack_filename(rq->org, rq->start, rq->end, b->res->filename,
	    sizeof(b->res->filename));
	snprintf(b->topdir, sizeof(b->topdir), "%.*s",
	    (int)(strlen(b->res->filename) - strlen(".tar.gz")),
	    b->res->filename);
	snprintf(b->final, sizeof(b->final), "%s/archive", b->tmpl);
	if ((af = fopen(b->final, "wb")) == NULL ||
	    fchmod(fileno(af), 0640) != 0 ||
	    (gz = gzpar_new(af, 6)) == NULL ||
	    (b->a = archive_write_new()) == NULL ||
	    archive_write_set_format_ustar(b->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(b->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(b->a, gz, NULL, sink_write, NULL, NULL) !=
	    ARCHIVE_OK)
		goto out;
	if (add_entry(b->a, b->topdir, "README.txt", NULL, b->rtext, b->rlen,
	    rq->end) != 0 ||
	    add_entry(b->a, b->topdir, "manifest.json", NULL, b->mtext,
	    b->mlen, rq->end) != 0 ||
	    add_entry(b->a, b->topdir, "manifest.sig", NULL, b->sig, SIGN_LEN,
	    rq->end) != 0 ||
	    add_entry(b->a, b->topdir, "public-key.pem", NULL, b->pem, b->plen,
	    rq->end) != 0 ||
	    add_entry(b->a, b->topdir, "SHA256SUMS", NULL, b->sums.p,
	    b->sums.len, rq->end) != 0)
		goto out;
	for (i = 0; i < b->nfiles; i++)
		if (add_entry(b->a, b->topdir, b->files[i].name,
		    b->files[i].path, NULL, 0, rq->end) != 0)
			goto out;
	if (archive_write_close(b->a) != ARCHIVE_OK ||
	    gzpar_close(gz, md, &b->res->bytes) != 0 || fflush(af) != 0 ||
	    fsync(fileno(af)) != 0)
		goto out;
	hex_encode(md, 32, b->res->sha256);
	b->res->events = b->files[b->nfiles - 1].records;
	st = B_OK;
out:
	gzpar_free(gz);
	if (af != NULL)
		fclose(af);
	return st;
}

/* Stored once: the same bytes for the same period are one pack. */
static enum step
build_store(struct build *b)
{
	const struct pack_req	*rq = b->rq;
	struct pack_result	*res = b->res;

	if (DB_QUERY(b->db, SQL_PACK_SAME, same_row, res, DV_I(rq->org),
	    DV_I(rq->start), DV_I(rq->end), DV_S(res->sha256)) < 0)
		return B_DB;
	if (res->id != 0) {
		res->existed = true;
		return B_OK;
	}
	snprintf(res->path, sizeof(res->path), "%s/%s-%.16s.tar.gz", b->dir,
	    b->topdir, res->sha256);
	if (rename(b->final, res->path) != 0) {
		log_err("pack: rename to %s: %s", res->path, strerror(errno));
		return B_IO;
	}
	if (DB_EXEC(b->db, SQL_PACK_ADD, DV_I(rq->tenant), DV_I(rq->org),
	    DV_I(rq->start), DV_I(rq->end), DV_I(b->as_of), DV_S(res->sha256),
	    DV_S(res->manifest_sha256), DV_S(b->prev[0] ? b->prev : NULL),
	    DV_S(sign_fingerprint(b->sg)), DV_I(res->bytes), DV_I(res->events),
	    DV_S(res->path), DV_S(rq->made_by), DV_I(now_s()),
	    DV_S(res->inputs)) != 0) {
		unlink(res->path);
		return B_DB;
	}
	/* 0: the same pack was stored meanwhile (INSERT IGNORE). */
	if ((res->id = db_insert_id(b->db)) == 0) {
		res->existed = true;
		if (DB_QUERY(b->db, SQL_PACK_SAME, same_row, res,
		    DV_I(rq->org), DV_I(rq->start), DV_I(rq->end),
		    DV_S(res->sha256)) < 0)
			return B_DB;
	}
	return B_OK;
}

/* Says what a failed step means, once: the log, then res. */
static void
build_failed(struct build *b, enum step st)
{
	const char	*why;

	switch (st) {
	case B_DB:
		log_err("pack: org %" PRId64 ": %s", b->rq->org,
		    db_error(b->db));
		fail(b->res, db_unavailable(b->db) ? 503 : 500, "database "
		    "error (see the log)");
		return;
	case B_BADDATA:
		fail(b->res, 500, "a stored value is not valid UTF-8; no pack "
		    "is made");
		return;
	case B_ARCHIVE:
		why = b->a != NULL && archive_error_string(b->a) != NULL ?
		    archive_error_string(b->a) : strerror(errno);
		log_err("pack: org %" PRId64 ": archive: %s", b->rq->org, why);
		break;
	case B_IO:
		log_err("pack: org %" PRId64 ": writing in %s: %s", b->rq->org,
		    b->tmpl, strerror(errno));
		break;
	default:
		return;
	}
	fail(b->res, 500, "cannot write the pack (see the log)");
}

/*
 * Makes a pack in steps: choose what it holds, write its files, the
 * manifest and the archive in a temporary directory, store it.  0, or
 * -1 with res->status and res->error.
 */
static int
pack_make(struct db *db, const struct conf *c, const struct signer *sg,
    const struct pack_req *rq, struct pack_result *res)
{
	struct build	*b = xcalloc(1, sizeof(*b));
	enum step	 st;
	size_t		 i;

	memset(res, 0, sizeof(*res));
	b->db = db;
	b->c = c;
	b->sg = sg;
	b->rq = rq;
	b->res = res;
	b->key_fp = sign_fingerprint(sg);
	if ((st = build_choose(b)) == B_OK &&
	    (st = build_files(b)) == B_OK &&
	    (st = build_manifest(b)) == B_OK &&
	    (st = build_archive(b)) == B_OK)
		st = build_store(b);
	build_failed(b, st);
	if (b->a != NULL)
		archive_write_free(b->a);
	for (i = 0; i < PACK_DATA_FILES; i++)
		pf_abandon(&b->files[i]);
	if (b->tmpl[0] != '\0')
		rm_tmp(b->tmpl, b->files, PACK_DATA_FILES);
	free(b->mtext);
	free(b->rtext);
	buf_free(&b->sums);
	buf_free(&b->rx.line);
	buf_free(&b->ex.line);
	buf_free(&b->ax.line);
	free(b);
	return st == B_OK ? 0 : -1;
}

int
pack_inputs(struct db *db, const struct pack_req *rq, const char *key_fp,
    struct pack_result *res)
{
	struct build	*b = xcalloc(1, sizeof(*b));
	enum step	 st;

	memset(res, 0, sizeof(*res));
	b->db = db;
	b->rq = rq;
	b->res = res;
	b->key_fp = key_fp;
	if (db_begin(db) != 0)
		st = B_DB;
	else
		st = build_choose(b);
	build_failed(b, st);
	db_rollback(db);
	free(b);
	return st == B_OK ? 0 : -1;
}

/*
 * Every read of a pack in one transaction: InnoDB's consistent snapshot
 * keeps a pull from being purged between choosing it and reading it, and
 * the chain's head from moving while the chain is read.
 */
struct create {
	const struct conf	*c;
	const struct signer	*sg;
	const struct pack_req	*rq;
	struct pack_result	*res;
	char			 made[PACK_PATH_LEN];	/* a file this try added */
};

static int
create_tx(struct db *db, void *arg)
{
	struct create	*x = arg;

	/* A try whose commit failed leaves a file the next try makes
	 * again, with the same bytes, or not at all. */
	if (x->made[0] != '\0')
		unlink(x->made);
	x->made[0] = '\0';
	if (pack_make(db, x->c, x->sg, x->rq, x->res) != 0)
		return db_errno(db) != 0 ? -1 : 1;
	if (!x->res->existed)
		snprintf(x->made, sizeof(x->made), "%s", x->res->path);
	return 0;
}

int
pack_create(struct db *db, const struct conf *c, const struct signer *sg,
    const struct pack_req *rq, struct pack_result *res)
{
	struct create	 x = { c, sg, rq, res, "" };

	if (db_tx(db, create_tx, &x) == 0)
		return 0;
	if (x.made[0] != '\0')
		unlink(x.made);
	if (res->error[0] == '\0') {
		log_err("pack: org %" PRId64 ": %s", rq->org, db_error(db));
		return fail(res, db_unavailable(db) ? 503 : 500, "database "
		    "error (see the log)");
	}
	return -1;
}
