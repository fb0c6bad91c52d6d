/*
 * gen_export: a deterministic SMS_DistributionPoint export of any size,
 * for bench_import.sh.
 *
 *	gen_export [--format json|csv] [--servers S] ROWS > FILE
 *
 * json: what PowerShell 7 writes for Get-CimInstance | ConvertTo-Json
 * (ISO 8601 dates with offsets, the Cim* noise properties, lazy ISVData
 * and ISVDataSize null).  csv: what Windows PowerShell 5.1 writes for
 * Get-WmiObject | Export-Csv -NoTypeInformation -Encoding UTF8 (BOM,
 * every field quoted, DMTF dates, the __ and System.Management columns).
 *
 * Rows are servers x packages, server-major; without --servers the split
 * is about 0.4 * sqrt(ROWS) servers (400 x 2500 for 10^6), like a large
 * hierarchy.  The same arguments always give the same bytes.
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
	fprintf(stderr, "usage: gen_export [--format json|csv] "
	    "[--servers S] ROWS\n");
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

static void
json_row(const struct row *r, bool first)
{
	char	 frac[8] = "";

	if (r->msec != 0) {
		snprintf(frac, sizeof(frac), ".%03d", r->msec);
		/* .NET's "FFFFFFF": no trailing zeros. */
		for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "servers", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	static char	 obuf[1 << 20];
	struct row	 r;
	uint64_t	 rows, servers = 0, packages, nsites, i;
	bool		 json = true;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "f:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "csv") == 0)
				json = false;
			else
				usage();
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
	if (json)
		fputs(rows == 1 ? "" : "[\n", stdout);
	else
		fputs("\xef\xbb\xbf", stdout), fputs(CSV_HEADER, stdout);
	for (i = 0; i < rows; i++) {
		make_row(&r, i / packages, i % packages, nsites);
		if (json)
			json_row(&r, i == 0);
		else
			csv_row(&r);
	}
	/* ConvertTo-Json writes one object, not an array, for one. */
	if (json)
		fputs(rows == 1 ? "\n" : "\n]\n", stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen_export: stdout");
		return 1;
	}
	return 0;
}
