/*
 * gen_export: a deterministic export of any size, of SMS_DistributionPoint
 * (--class dp, the default) or SMS_PackageStatusDistPointsSummarizer
 * (--class dist), for bench_import.sh and bench_agent.sh.
 *
 *	gen_export [--class dp|dist] [--format json|csv] [--servers S]
 *	    [--counts] ROWS > FILE
 *
 * dp json: what PowerShell 7 writes for Get-CimInstance | ConvertTo-Json
 * (ISO 8601 dates with offsets, the Cim* noise properties, lazy ISVData
 * and ISVDataSize null).  dp csv: what Windows PowerShell 5.1 writes for
 * Get-WmiObject | Export-Csv -NoTypeInformation -Encoding UTF8 (BOM,
 * every field quoted, DMTF dates, the __ and System.Management columns).
 *
 * dist json: PowerShell 7's Get-CimInstance | Select-Object PackageID,
 * ServerNALPath, SiteCode, PackageType, SecuredTypeID, SecureObjectID,
 * SourceNALPath, SourceVersion, @{N='LastCopied';E={...ToString('o')}},
 * @{N='SummaryDate';...}, State | ConvertTo-Json (UTC dates with seven
 * fraction digits, LastCopied null where the content never arrived), as
 * tests/data/sample-dist-ps7.json.  dist csv: 5.1's Get-WmiObject |
 * Select-Object __CLASS, those properties, PSComputerName | Export-Csv
 * (BOM, every field quoted, DMTF dates, LastCopied empty), as
 * tests/data/sample-dist-wmi.csv.
 *
 * Rows are servers x packages, server-major; without --servers the split
 * is about 0.4 * sqrt(ROWS) servers (400 x 2500 for 10^6), like a large
 * hierarchy.  Both classes have the same keys for the same arguments, so
 * the two files of one run describe the same package on the same server.
 * About 3 % of the distributions are failed (State 3 or 6), 2 % retrying
 * (2, 5), 2 % in progress (1, 4, 7), 1 % monitoring (8), the rest
 * installed.  --counts writes, instead of the export, the counts an
 * import of it must give, as "column=value" words named by the model's
 * meta columns (rows n_none n_updated n_added n_deleted n_other, or
 * d_rows d_installed d_inprogress d_retrying d_failed d_other).  The same
 * arguments always give the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkg_kind {
	int		 type;		/* PackageType */
	int		 object;	/* ObjectTypeID */
};

/* Roughly the mix of a real site: mostly applications and updates. */
static const struct pkg_kind kinds[] = {
	{ 8, 31 }, { 8, 31 }, { 8, 31 }, { 8, 31 }, { 5, 24 }, { 5, 24 },
	{ 5, 24 }, { 0, 2 }, { 0, 2 }, { 3, 23 }, { 4, 20 }, { 257, 18 },
	{ 258, 19 }, { 259, 14 },
};
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static void
usage(void)
{
	fprintf(stderr, "usage: gen_export [--class dp|dist] "
	    "[--format json|csv] [--servers S] [--counts] ROWS\n");
	exit(2);
}

static uint64_t
parse_count(const char *s)
{
	char		*end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		usage();
	return v;
}

/* SplitMix64: a fixed, portable sequence per row. */
static uint64_t
mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

struct row {
	char		 host[64];
	char		 site[4];
	char		 nal[256];
	char		 nal_json[320];	/* escaped for JSON */
	char		 nal_csv[320];	/* quotes doubled */
	char		 relpath_csv[512];
	char		 package_id[16];
	char		 source_site[4];
	char		 site_name[64];
	bool		 bits, prot;
	int		 type, object, status;
	int		 year, mon, day, hour, min, sec, msec;
	int		 offset;	/* minutes east of UTC */
	const char	*isv_string;
};

/* What the summarizer adds to a row's key (--class dist). */
struct dist {
	char		 source_nal_json[320];
	char		 source_nal_csv[320];
	int		 state;
	unsigned	 source_version;
	bool		 copied;	/* LastCopied has a value */
	int		 copied_mon, copied_day, copied_hour, copied_min;
	int		 copied_sec, copied_usec;
	int		 summary_day, summary_hour, summary_min, summary_sec;
	int		 summary_usec;
};

/* The model's buckets of either class: dpRowsNone ... dpRowsOther, or
 * dpDistInstalled ... dpDistOther. */
#define NBUCKETS	5

static void
escape(const char *s, char *out, size_t len, bool json)
{
	size_t	 o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if (json && (*s == '"' || *s == '\\'))
			out[o++] = '\\';
		else if (!json && *s == '"')
			out[o++] = '"';
		out[o++] = *s;
	}
	out[o] = '\0';
}

static void
make_row(struct row *r, uint64_t server, uint64_t package, uint64_t nsites)
{
	uint64_t	 h = mix(server * UINT64_C(1000003) + package);
	uint64_t	 site = server % nsites, src = package % nsites;
	const struct pkg_kind *k = &kinds[package % NKINDS];
	char		 relpath[512], wmiesc[320];
	size_t		 o = 0;

	snprintf(r->host, sizeof(r->host), "DP%04" PRIu64 ".%s.contoso.com",
	    server + 1, server % 3 == 2 ? "branch" : "corp");
	/* nsites <= 99: site codes P01..P99 (the % tells the compiler) */
	snprintf(r->site, sizeof(r->site), "P%02u", (unsigned)(site % 99) + 1);
	snprintf(r->nal, sizeof(r->nal),
	    "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=%s\"]\\\\%s\\",
	    r->host, r->site, r->host);
	escape(r->nal, r->nal_json, sizeof(r->nal_json), true);
	escape(r->nal, r->nal_csv, sizeof(r->nal_csv), false);
	snprintf(r->source_site, sizeof(r->source_site), "P%02u",
	    (unsigned)(src % 99) + 1);
	snprintf(r->package_id, sizeof(r->package_id), "%s%05" PRIX64,
	    r->source_site, package + 1);
	snprintf(r->site_name, sizeof(r->site_name), "Contoso Site %s",
	    r->source_site);
	/* __RELPATH escapes '\' and '"' with '\'. */
	for (const char *p = r->nal; *p != '\0' && o + 3 < sizeof(wmiesc);
	    p++) {
		if (*p == '\\' || *p == '"')
			wmiesc[o++] = '\\';
		wmiesc[o++] = *p;
	}
	wmiesc[o] = '\0';
	snprintf(relpath, sizeof(relpath), "SMS_DistributionPoint.PackageID="
	    "\"%s\",ServerNALPath=\"%s\",SiteCode=\"%s\"", r->package_id,
	    wmiesc, r->site);
	escape(relpath, r->relpath_csv, sizeof(r->relpath_csv), false);
	r->bits = server % 5 != 4;
	r->prot = server % 7 == 3;
	r->type = k->type;
	r->object = k->object;
	/* Mostly none; some updated, added, deleted, a rare new value. */
	switch (h % 100) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
		r->status = 1;
		break;
	case 8: case 9: case 10:
		r->status = 2;
		break;
	case 11:
		r->status = 3;
		break;
	default:
		r->status = 0;
		break;
	}
	/* Some day in the first half of 2024, CET before April, CEST
	 * after, as an export taken in Central Europe shows it. */
	r->year = 2024;
	r->mon = 1 + (int)((h >> 8) % 6);
	r->day = 1 + (int)((h >> 16) % 28);
	r->hour = (int)((h >> 24) % 24);
	r->min = (int)((h >> 32) % 60);
	r->sec = (int)((h >> 40) % 60);
	r->msec = (h >> 48) % 4 == 0 ? (int)((h >> 50) % 1000) : 0;
	r->offset = r->mon >= 4 ? 120 : 60;
	r->isv_string = h % 53 == 0 ? "Contoso-CMDB:asset=4711" : "";
}

/* Per mille: 30 failed, 20 retrying, 20 in progress, 10 monitoring; a
 * row takes the first State whose bound is above its draw. */
static const struct {
	unsigned	 below;
	int		 state;
} dist_mix[] = {
	{ 20, 3 },	/* installFailed */
	{ 30, 6 },	/* removalFailed */
	{ 40, 2 },	/* installRetrying */
	{ 50, 5 },	/* removalRetrying */
	{ 60, 1 },	/* installPending */
	{ 65, 4 },	/* removalPending */
	{ 70, 7 },	/* contentUpdating */
	{ 80, 8 },	/* contentMonitoring */
	{ 1000, 0 },	/* installed */
};

static void
make_dist(struct dist *d, const struct row *r, uint64_t server,
    uint64_t package)
{
	/* Drawn apart from the row's Status, which says nothing of it. */
	uint64_t	 h = mix((server * UINT64_C(1000003) + package) ^
			     UINT64_C(0x5d157a7e));
	uint64_t	 g = mix(h);
	unsigned	 draw = (unsigned)(h % 1000);
	unsigned	 src = (unsigned)atoi(r->source_site + 1);
	char		 host[32], nal[256];
	size_t		 i = 0;

	while (draw >= dist_mix[i].below)
		i++;
	d->state = dist_mix[i].state;
	/* The content comes from the package's source site's server. */
	snprintf(host, sizeof(host), "CM%02u.corp.contoso.com", src);
	snprintf(nal, sizeof(nal),
	    "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=%s\"]\\\\%s\\",
	    host, r->source_site, host);
	escape(nal, d->source_nal_json, sizeof(d->source_nal_json), true);
	escape(nal, d->source_nal_csv, sizeof(d->source_nal_csv), false);
	d->source_version = 1 + (unsigned)((h >> 10) % 5);
	/* An install not done yet: the content never arrived there. */
	d->copied = d->state < 1 || d->state > 3;
	d->copied_mon = 1 + (int)((h >> 14) % 5);
	d->copied_day = 1 + (int)((h >> 18) % 28);
	d->copied_hour = (int)((h >> 24) % 24);
	d->copied_min = (int)((h >> 30) % 60);
	d->copied_sec = (int)((h >> 36) % 60);
	d->copied_usec = (h >> 42) % 4 == 0 ?
	    (int)((h >> 44) % 1000) * 1000 : 0;
	/* June, after every copy. */
	d->summary_day = 1 + (int)(g % 28);
	d->summary_hour = (int)((g >> 8) % 24);
	d->summary_min = (int)((g >> 16) % 60);
	d->summary_sec = (int)((g >> 24) % 60);
	d->summary_usec = (int)((g >> 32) % 1000) * 1000;
}

/* none, updated, added, deleted, other */
static size_t
status_bucket(int status)
{
	return status >= 0 && status <= 3 ? (size_t)status : 4;
}

/* installed, in progress, retrying, failed, other */
static size_t
dist_bucket(int state)
{
	switch (state) {
	case 0:
		return 0;
	case 1: case 4: case 7:
		return 1;
	case 2: case 5:
		return 2;
	case 3: case 6:
		return 3;
	default:
		return 4;
	}
}

static void
json_row(const struct row *r, bool first)
{
	char	 frac[8] = "";

	if (r->msec != 0) {
		snprintf(frac, sizeof(frac), ".%03d", r->msec);
		/* .NET's "FFFFFFF": no trailing zeros. */
		for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	printf("%s  {\n"
	    "    \"BitsEnabled\": %s,\n"
	    "    \"IsPeerDP\": false,\n"
	    "    \"IsProtected\": %s,\n"
	    "    \"ISVData\": null,\n"
	    "    \"ISVDataSize\": null,\n"
	    "    \"ISVString\": \"%s\",\n"
	    "    \"LastRefreshTime\": \"%04d-%02d-%02dT%02d:%02d:%02d%s"
	    "+%02d:00\",\n"
	    "    \"ObjectTypeID\": %d,\n"
	    "    \"PackageID\": \"%s\",\n"
	    "    \"PackageType\": %d,\n"
	    "    \"RefreshNow\": false,\n"
	    "    \"ResourceType\": \"Windows NT Server\",\n"
	    "    \"SecureObjectID\": \"%s\",\n"
	    "    \"ServerNALPath\": \"%s\",\n"
	    "    \"SiteCode\": \"%s\",\n"
	    "    \"SiteName\": \"%s\",\n"
	    "    \"SourceSite\": \"%s\",\n"
	    "    \"Status\": %d,\n"
	    "    \"PSComputerName\": null,\n"
	    "    \"CimClass\": \"root/SMS/site_%s:SMS_DistributionPoint\",\n"
	    "    \"CimInstanceProperties\": [\n"
	    "      \"BitsEnabled\",\n"
	    "      \"IsPeerDP\",\n"
	    "      \"IsProtected\",\n"
	    "      \"ISVData\"\n"
	    "    ],\n"
	    "    \"CimSystemProperties\": {\n"
	    "      \"Namespace\": \"root/SMS/site_%s\",\n"
	    "      \"ServerName\": \"CM01.corp.contoso.com\",\n"
	    "      \"ClassName\": \"SMS_DistributionPoint\",\n"
	    "      \"Path\": null\n"
	    "    }\n"
	    "  }",
	    first ? "" : ",\n",
	    r->bits ? "true" : "false", r->prot ? "true" : "false",
	    r->isv_string, r->year, r->mon, r->day, r->hour, r->min, r->sec,
	    frac, r->offset / 60, r->object, r->package_id, r->type,
	    r->package_id, r->nal_json, r->site, r->site_name,
	    r->source_site, r->status, r->site, r->site);
}

static const char CSV_HEADER[] =
    "\"__GENUS\",\"__CLASS\",\"__SUPERCLASS\",\"__DYNASTY\",\"__RELPATH\","
    "\"__PROPERTY_COUNT\",\"__DERIVATION\",\"__SERVER\",\"__NAMESPACE\","
    "\"__PATH\",\"BitsEnabled\",\"IsPeerDP\",\"IsProtected\",\"ISVData\","
    "\"ISVDataSize\",\"ISVString\",\"LastRefreshTime\",\"ObjectTypeID\","
    "\"PackageID\",\"PackageType\",\"RefreshNow\",\"ResourceType\","
    "\"SecureObjectID\",\"ServerNALPath\",\"SiteCode\",\"SiteName\","
    "\"SourceSite\",\"Status\",\"PSComputerName\",\"Scope\",\"Path\","
    "\"Options\",\"ClassPath\",\"Properties\",\"SystemProperties\","
    "\"Qualifiers\",\"Site\",\"Container\"\r\n";

static void
csv_row(const struct row *r)
{
	printf("\"2\",\"SMS_DistributionPoint\",\"SMS_BaseClass\","
	    "\"SMS_BaseClass\",\"%s\",\"18\",\"System.String[]\",\"CM01\","
	    "\"root\\SMS\\site_%s\",\"\\\\CM01\\root\\SMS\\site_%s:%s\","
	    "\"%s\",\"False\",\"%s\",\"\",\"\",\"%s\","
	    "\"%04d%02d%02d%02d%02d%02d.%03d000+%03d\",\"%d\",\"%s\",\"%d\","
	    "\"False\",\"Windows NT Server\",\"%s\",\"%s\",\"%s\",\"%s\","
	    "\"%s\",\"%d\",\"CM01\",\"System.Management.ManagementScope\","
	    "\"\\\\CM01\\root\\SMS\\site_%s:%s\","
	    "\"System.Management.ObjectGetOptions\","
	    "\"\\\\CM01\\root\\SMS\\site_%s:SMS_DistributionPoint\","
	    "\"System.Management.PropertyDataCollection\","
	    "\"System.Management.PropertyDataCollection\","
	    "\"System.Management.QualifierDataCollection\",\"\",\"\"\r\n",
	    r->relpath_csv, r->site, r->site, r->relpath_csv,
	    r->bits ? "True" : "False", r->prot ? "True" : "False",
	    r->isv_string, r->year, r->mon, r->day, r->hour, r->min, r->sec,
	    r->msec, r->offset, r->object, r->package_id, r->type,
	    r->package_id, r->nal_csv, r->site, r->site_name, r->source_site,
	    r->status, r->site, r->relpath_csv, r->site);
}

/* A DateTime as .NET's ToString('o') writes a UTC one. */
static void
json_time(const char *name, int mon, int day, int hour, int min, int sec,
    int usec, bool last)
{
	printf("    \"%s\": \"2024-%02d-%02dT%02d:%02d:%02d.%06d0Z\"%s\n", name,
	    mon, day, hour, min, sec, usec, last ? "" : ",");
}

static void
dist_json_row(const struct row *r, const struct dist *d, bool first)
{
	printf("%s  {\n"
	    "    \"PackageID\": \"%s\",\n"
	    "    \"ServerNALPath\": \"%s\",\n"
	    "    \"SiteCode\": \"%s\",\n"
	    "    \"PackageType\": %d,\n"
	    "    \"SecuredTypeID\": %d,\n"
	    "    \"SecureObjectID\": \"%s\",\n"
	    "    \"SourceNALPath\": \"%s\",\n"
	    "    \"SourceVersion\": %u,\n",
	    first ? "" : ",\n", r->package_id, r->nal_json, r->site, r->type,
	    r->object, r->package_id, d->source_nal_json, d->source_version);
	if (d->copied)
		json_time("LastCopied", d->copied_mon, d->copied_day,
		    d->copied_hour, d->copied_min, d->copied_sec,
		    d->copied_usec, false);
	else
		fputs("    \"LastCopied\": null,\n", stdout);
	json_time("SummaryDate", 6, d->summary_day, d->summary_hour,
	    d->summary_min, d->summary_sec, d->summary_usec, false);
	printf("    \"State\": %d\n  }", d->state);
}

static const char DIST_CSV_HEADER[] =
    "\"__CLASS\",\"PackageID\",\"ServerNALPath\",\"SiteCode\","
    "\"PackageType\",\"SecuredTypeID\",\"SecureObjectID\","
    "\"SourceNALPath\",\"SourceVersion\",\"LastCopied\",\"SummaryDate\","
    "\"State\",\"PSComputerName\"\r\n";

static void
dist_csv_row(const struct row *r, const struct dist *d)
{
	char	 copied[32] = "";

	if (d->copied)
		snprintf(copied, sizeof(copied),
		    "2024%02d%02d%02d%02d%02d.%06d+000", d->copied_mon,
		    d->copied_day, d->copied_hour, d->copied_min,
		    d->copied_sec, d->copied_usec);
	printf("\"SMS_PackageStatusDistPointsSummarizer\",\"%s\",\"%s\","
	    "\"%s\",\"%d\",\"%d\",\"%s\",\"%s\",\"%u\",\"%s\","
	    "\"202406%02d%02d%02d%02d.%06d+000\",\"%d\",\"CM01\"\r\n",
	    r->package_id, r->nal_csv, r->site, r->type, r->object,
	    r->package_id, d->source_nal_csv, d->source_version, copied,
	    d->summary_day, d->summary_hour, d->summary_min,
	    d->summary_sec, d->summary_usec, d->state);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "counts", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "servers", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const dp_counts[] = { "n_none", "n_updated",
		"n_added", "n_deleted", "n_other" };
	static const char *const dist_counts[] = { "d_installed",
		"d_inprogress", "d_retrying", "d_failed", "d_other" };
	static char	 obuf[1 << 20];
	struct row	 r;
	struct dist	 d;
	uint64_t	 rows, servers = 0, packages, nsites, i;
	uint64_t	 count[NBUCKETS] = { 0 };
	bool		 json = true, dist = false, counts = false;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "c:f:ns:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (strcmp(optarg, "dp") == 0)
				dist = false;
			else if (strcmp(optarg, "dist") == 0)
				dist = true;
			else
				usage();
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "csv") == 0)
				json = false;
			else
				usage();
			break;
		case 'n':
			counts = true;
			break;
		case 's':
			servers = parse_count(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	rows = parse_count(argv[optind]);
	if (servers == 0)
		servers = (uint64_t)ceil(0.4 * sqrt((double)rows));
	if (servers == 0)
		servers = 1;
	packages = (rows + servers - 1) / servers;
	if (packages > 0xfffff) {
		fprintf(stderr, "gen_export: %" PRIu64 " packages per server "
		    "do not fit a PackageID; use more --servers\n", packages);
		return 2;
	}
	/* One primary site per 40 servers, at most 99 (site codes P01..). */
	nsites = servers / 40 + 1;
	if (nsites > 99)
		nsites = 99;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (!counts && json) {
		fputs(rows == 1 ? "" : "[\n", stdout);
	} else if (!counts) {
		fputs("\xef\xbb\xbf", stdout);
		fputs(dist ? DIST_CSV_HEADER : CSV_HEADER, stdout);
	}
	for (i = 0; i < rows; i++) {
		make_row(&r, i / packages, i % packages, nsites);
		if (dist)
			make_dist(&d, &r, i / packages, i % packages);
		if (counts)
			count[dist ? dist_bucket(d.state) :
			    status_bucket(r.status)]++;
		else if (dist && json)
			dist_json_row(&r, &d, i == 0);
		else if (dist)
			dist_csv_row(&r, &d);
		else if (json)
			json_row(&r, i == 0);
		else
			csv_row(&r);
	}
	if (counts) {
		printf("%s=%" PRIu64, dist ? "d_rows" : "rows", rows);
		for (i = 0; i < NBUCKETS; i++)
			printf(" %s=%" PRIu64, dist ? dist_counts[i] :
			    dp_counts[i], count[i]);
		putchar('\n');
	} else if (json) {
		/* ConvertTo-Json writes one object, not an array, for one. */
		fputs(rows == 1 ? "\n" : "\n]\n", stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen_export: stdout");
		return 1;
	}
	return 0;
}
