/*
 * cli-pack.c: the operator verbs for evidence packs: keygen, pack create,
 * pack verify, pack monthly.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "bill-calc.h"
#include "cli.h"
#include "job.h"
#include "pack.h"
#include "query.h"
#include "sign.h"
#include "util.h"

int
cli_keygen(struct cli_ctx *x, int argc, char **argv)
{
	struct signer	*sg;
	char		 err[600];
	bool		 force = argc == 2 && strcmp(argv[1], "--force") == 0;
	bool		 pub = argc == 2 && strcmp(argv[1], "--public") == 0;

	if (argc > 2 || (argc == 2 && !force && !pub)) {
		fprintf(stderr, "usage: orgaudit keygen [--force | --public]\n"
		    "Makes the Ed25519 key that signs evidence packs, at "
		    "signing_key_file (mode 0600),\nand writes its public key "
		    "to signing_public_key_file (0644), which the web\nshows; "
		    "--public only writes the public key again.\n");
		return EXIT_USAGE;
	}
	if ((!pub && sign_keygen(x->conf.signing_key_file, force, err,
	    sizeof(err)) != 0) ||
	    (sg = sign_load(x->conf.signing_key_file, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "orgaudit: keygen: %s\n", err);
		return EXIT_FAIL;
	}
	if (sign_write_public(sg, x->conf.signing_public_key_file, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit: keygen: %s\n", err);
		sign_free(sg);
		return EXIT_FAIL;
	}
	if (!pub)
		printf("signing key written to %s (keep it private; packs are "
		    "verified with the public key below)\n",
		    x->conf.signing_key_file);
	printf("public key written to %s\nfingerprint %s\n%s",
	    x->conf.signing_public_key_file, sign_fingerprint(sg),
	    sign_public_pem(sg));
	sign_free(sg);
	return EXIT_OK;
}

/* The signing key and the database, or -1 having said why. */
static int
open_signer(struct cli_ctx *x, struct signer **sg, struct db **db)
{
	char	 err[600];

	if ((*sg = sign_load(x->conf.signing_key_file, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "orgaudit: %s\n", err);
		return -1;
	}
	if ((*db = app_db(&x->conf)) == NULL) {
		sign_free(*sg);
		return -1;
	}
	return 0;
}

/* Copies a stored pack to out. */
static int
copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 b[65536];
	size_t	 n;
	int	 rc = 0;

	if ((in = fopen(from, "rb")) == NULL)
		return -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(b, 1, sizeof(b), in)) > 0)
		if (fwrite(b, 1, n, out) != n)
			rc = -1;
	if (ferror(in) || fclose(out) != 0)
		rc = -1;
	fclose(in);
	return rc;
}

static void
print_result(int64_t org, const struct pack_result *res)
{
	printf("org %" PRId64 ": pack %" PRId64 "%s: %s\n  sha256 %s, %" PRId64
	    " bytes, %" PRId64 " events, manifest %s\n", org, res->id,
	    res->existed ? " (the same bytes were stored before)" : "",
	    res->path, res->sha256, res->bytes, res->events,
	    res->manifest_sha256);
}

static int
pack_create_cmd(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	struct pack_req		 rq = { .start = -1, .end = -1, .made_by = "cli",
	    .progress = stdout };
	struct pack_result	 res;
	struct signer		*sg;
	struct db		*db;
	const char		*out = NULL;
	int			 ch, rc = EXIT_FAIL;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'o':
			if (parse_i64(optarg, 1, INT64_MAX, &rq.org) != 0)
				goto usage;
			break;
		case 's':
		case 'e':
			if (query_time(optarg, ch == 's' ? &rq.start :
			    &rq.end) != 0) {
				fprintf(stderr, "orgaudit: --%s takes a date "
				    "(2026-10-01) or a time "
				    "(2026-10-01T00:00:00Z), UTC\n", ch == 's' ?
				    "start" : "end");
				return EXIT_USAGE;
			}
			break;
		case 'O':
			out = optarg;
			break;
		default:
			goto usage;
		}
	if (rq.org == 0 || rq.start < 0 || rq.end < 0 || optind != argc)
		goto usage;
	if (open_signer(x, &sg, &db) != 0)
		return EXIT_FAIL;
	if (DB_QUERY(db, SQL_PACK_ORG_TENANT, db_row_first_int, &rq.tenant,
	    DV_I(rq.org)) < 0) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		goto out;
	}
	if (rq.tenant == 0) {
		fprintf(stderr, "orgaudit: no org %" PRId64 "\n", rq.org);
		goto out;
	}
	if (pack_create(db, &x->conf, sg, &rq, &res) != 0) {
		fprintf(stderr, "orgaudit: pack create: %s\n", res.error);
		rc = res.status >= 400 && res.status < 500 &&
		    !res.chain_broken ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	cli_note(db, rq.tenant, "pack.made", "pack", res.id);
	print_result(rq.org, &res);
	if (out != NULL && copy_file(res.path, out) != 0) {
		fprintf(stderr, "orgaudit: cannot write %s\n", out);
		goto out;
	}
	rc = EXIT_OK;
out:
	db_close(db);
	sign_free(sg);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit pack create --org ID --start DATE "
	    "--end DATE [--out FILE]\n");
	return EXIT_USAGE;
}

/* The orgs of a month: tenant and org, in order. */
struct org_list {
	struct org_ref {
		int64_t	 tenant, org;
	}	*v;
	size_t	 n, cap;
};

static int
org_in_row(const struct db_row *r, void *arg)
{
	struct org_list	*l = arg;

	l->v = xgrow(l->v, l->n, &l->cap, sizeof(*l->v), 64);
	l->v[l->n].tenant = db_row_int(r, 0);
	l->v[l->n++].org = db_row_int(r, 1);
	return 0;
}

/* Last month's pack (or --month's) for every org connected in it. */
static int
pack_monthly_cmd(struct cli_ctx *x, int argc, char **argv)
{
	struct bill_month	 m, cur;
	struct org_list		 l = { 0 };
	struct job_answer	 ans;
	struct signer		*sg;
	struct db		*db;
	size_t			 i;
	int			 rc = EXIT_OK, failed = 0;

	bill_month_of(now_s(), &cur);
	if (argc == 2)
		bill_month_prev(&cur, &m);
	else if (argc != 4 || strcmp(argv[2], "--month") != 0 ||
	    bill_month_parse(argv[3], &m) != 0 || m.end > now_s()) {
		fprintf(stderr, "usage: orgaudit pack monthly [--month "
		    "YYYY-MM]\nAsks orgaudit-worker for the month's pack "
		    "(default: last month, which must\nbe over) of every org "
		    "connected during it.\n");
		return EXIT_USAGE;
	}
	if (open_signer(x, &sg, &db) != 0)
		return EXIT_FAIL;
	if (DB_QUERY(db, SQL_PACK_ORGS_IN, org_in_row, &l, DV_I(m.end),
	    DV_I(m.start)) < 0) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		rc = EXIT_FAIL;
		goto out;
	}
	printf("%s: %zu orgs\n", m.name, l.n);
	for (i = 0; i < l.n; i++) {
		struct job_req	 rq = { l.v[i].tenant, l.v[i].org, m.start,
		    m.end, "monthly", "cron" };

		if (job_ask_pack(db, &x->conf, sign_fingerprint(sg), &rq,
		    &ans) != 0 || ans.kind == JOB_REFUSED) {
			printf("org %" PRId64 ": no pack: %s\n", l.v[i].org,
			    ans.error);
			failed++;
		} else if (ans.kind == JOB_PACK)
			printf("org %" PRId64 ": pack %" PRId64 " holds it "
			    "already\n", l.v[i].org, ans.pack_id);
		else
			printf("org %" PRId64 ": job %" PRId64 "%s\n",
			    l.v[i].org, ans.job_id, ans.existed ?
			    " (asked for before)" : "");
	}
	printf("%s: %zu packs asked for, %d orgs without one; "
	    "orgaudit-worker makes them\n", m.name, l.n - (size_t)failed,
	    failed);
	if (failed > 0)
		rc = EXIT_FAIL;
out:
	free(l.v);
	db_close(db);
	sign_free(sg);
	return rc;
}

static int
pack_verify_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, 'k' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "previous", required_argument, NULL, 'p' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct pack_verify_opts	 o = { NULL, NULL, NULL, 0 };
	int			 ch, r;

	/* "verify FILE --opt…": the file goes last, after the options. */
	if (argc > 3 && argv[2][0] != '-') {
		char	*file = argv[2];

		memmove(&argv[2], &argv[3], (size_t)(argc - 3) * sizeof(*argv));
		argv[argc - 1] = file;
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'k':
			o.public_key = optarg;
			break;
		case 'f':
			if (strlen(optarg) != 64 || strspn(optarg,
			    "0123456789abcdefABCDEF") != 64) {
				fprintf(stderr, "orgaudit: --fingerprint is the "
				    "key's SHA-256: 64 hex digits\n");
				return EXIT_USAGE;
			}
			o.fingerprint = optarg;
			break;
		case 'p':
			o.previous = optarg;
			break;
		case 'm':
			if (parse_i64(optarg, 1, INT64_MAX, &o.max_bytes) != 0) {
				fprintf(stderr, "orgaudit: --max-bytes is a "
				    "positive number of bytes\n");
				return EXIT_USAGE;
			}
			break;
		default:
			goto usage;
		}
	if (optind != argc - 1)
		goto usage;
	r = pack_verify(argv[optind], &o, stdout);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
usage:
	fprintf(stderr, "usage: orgaudit pack verify FILE (--public-key PEM | "
	    "--fingerprint HEX)\n"
	    "       [--previous FILE] [--max-bytes N]\n"
	    "Checks the signature against the trusted key (the published PEM, "
	    "or the pack's\nown key if its SHA-256 fingerprint is HEX), every "
	    "file's SHA-256 and records,\nevery event's hash and link, and "
	    "with --previous that this pack follows that\none.  Exit 0 when it "
	    "verifies; 1 naming what does not, or when no trusted\nkey was "
	    "given.\n");
	return EXIT_USAGE;
}

int
cli_pack(struct cli_ctx *x, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return pack_create_cmd(x, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return pack_verify_cmd(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "monthly") == 0)
		return pack_monthly_cmd(x, argc, argv);
	fprintf(stderr, "usage: orgaudit pack create --org ID --start DATE "
	    "--end DATE [--out FILE]\n"
	    "       orgaudit pack verify FILE (--public-key PEM | --fingerprint "
	    "HEX) [--previous FILE]\n"
	    "       orgaudit pack monthly [--month YYYY-MM]\n");
	return EXIT_USAGE;
}
