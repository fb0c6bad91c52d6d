/*
 * dp_json: what ConvertTo-Json writes for SMS_DistributionPoint objects.
 *
 * A single object, or an array of them (Windows PowerShell 5.1 and
 * PowerShell 7, from Get-CimInstance or Get-WmiObject).  jansson has no
 * streaming API and a tree of a 10^6-element array costs gigabytes, so
 * the array is cut into its elements here, by a scan that only follows
 * strings and brackets, and jansson parses one element at a time: memory
 * is the file plus one record.  Every byte still goes through jansson,
 * which checks the syntax; the scan only checks what lies between
 * elements.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"
#include "import/dp_import_int.h"

static const char PLACEHOLDER[] = "System.Byte[]";

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

/*
 * The end of the object that starts at s[start] ('{'): sets *end just
 * past its closing brace and returns true, or returns false if the text
 * ends first.  Brackets inside strings do not count.
 */
static bool
object_end(const char *s, size_t n, size_t start, size_t *end)
{
	const char	*p = s + start, *e = s + n, *q;
	size_t		 depth = 0;

	while (p < e) {
		switch (*p) {
		case '"':
			/* To the closing quote, stepping over escapes. */
			for (q = p + 1; q < e; q++) {
				if (*q == '\\')
					q++;
				else if (*q == '"')
					break;
			}
			if (q >= e)
				return false;
			p = q + 1;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0) {
				*end = (size_t)(p - s) + 1;
				return true;
			}
			break;
		default:
			break;
		}
		p++;
	}
	return false;
}

static const char *
describe(const json_t *v, char *buf, size_t len)
{
	char	 show[IMP_SHOW_BUF];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		snprintf(buf, len, "the string \"%s\"",
		    imp_show(json_string_value(v), json_string_length(v),
		    show, sizeof(show)));
		return buf;
	case JSON_INTEGER:
		snprintf(buf, len, "the integer %" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "the number %.17g (a fraction or an "
		    "exponent)", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return "null";
	}
}

/* A member of an object by name, ignoring case as PowerShell does. */
static json_t *
member(json_t *obj, const char *name)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(obj, k, v) {
		if (strcasecmp(k, name) == 0)
			return v;
	}
	return NULL;
}

static int
json_bytes(struct imp_file *f, int prop, json_t *arr)
{
	json_t	*v;
	size_t	 i, n = json_array_size(arr);
	char	 buf[IMP_SHOW_BUF + 64];

	if (n > dp_props[prop].max_len)
		return imp_error(f, prop, "%zu octets long, the MIB allows at "
		    "most %zu: refused, never truncated", n,
		    dp_props[prop].max_len);
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 255)
			return imp_error(f, prop, "element %zu is %s, not an "
			    "octet (an integer 0..255)", i,
			    describe(v, buf, sizeof(buf)));
		f->isv[i] = (uint8_t)json_integer_value(v);
	}
	return imp_set_bytes(f, prop, n);
}

static int
json_value(struct imp_file *f, int prop, const char *key, json_t *v)
{
	json_t	*inner;
	char	 buf[IMP_SHOW_BUF + 64];

	if (imp_claim(f, prop, key) != 0)
		return -1;
	if (json_is_null(v))
		return imp_set_null(f, prop);
	switch (dp_props[prop].kind) {
	case DP_K_BOOL:
		if (!json_is_boolean(v))
			return imp_error(f, prop, "expected true or false, "
			    "got %s", describe(v, buf, sizeof(buf)));
		return imp_set_bool(f, prop, json_is_true(v));
	case DP_K_UINT32:
	case DP_K_ENUM:
		/* PowerShell writes numbers as numbers: a string here means
		 * the export went through something else. */
		if (!json_is_integer(v))
			return imp_error(f, prop, "expected an integer, got %s",
			    describe(v, buf, sizeof(buf)));
		return imp_set_integer(f, prop, json_integer_value(v));
	case DP_K_STRING:
		if (!json_is_string(v))
			return imp_error(f, prop, "expected a string, got %s",
			    describe(v, buf, sizeof(buf)));
		return imp_set_string(f, prop, json_string_value(v),
		    json_string_length(v));
	case DP_K_TIME:
		/* A DateTime with PowerShell's extended properties is an
		 * object {"value", "DisplayHint", "DateTime"}; "DateTime" is
		 * the culture's format, "value" is the real one. */
		if (json_is_object(v)) {
			if ((inner = member(v, "value")) == NULL)
				return imp_error(f, prop, "a DateTime object "
				    "without a \"value\" member");
			if (json_is_null(inner))
				return imp_set_null(f, prop);
			v = inner;
		}
		if (!json_is_string(v))
			return imp_error(f, prop, "expected a date string, "
			    "got %s", describe(v, buf, sizeof(buf)));
		return imp_set_time(f, prop, json_string_value(v),
		    json_string_length(v));
	case DP_K_BYTES:
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), PLACEHOLDER) == 0)
			return imp_bytes_placeholder(f, prop);
		/* Windows PowerShell 5.1 may wrap an array with extended
		 * properties as {"value": [...], "Count": n}. */
		if (json_is_object(v) && (inner = member(v, "value")) != NULL)
			v = inner;
		if (json_is_null(v))
			return imp_set_null(f, prop);
		if (!json_is_array(v))
			return imp_error(f, prop, "expected an array of "
			    "octets, got %s", describe(v, buf, sizeof(buf)));
		return json_bytes(f, prop, v);
	}
	return imp_error(f, prop, "unhandled property kind");
}

static int
json_record(struct imp_file *f, json_t *obj)
{
	const char	*k;
	json_t		*v;
	int		 prop;

	/* PackageID first, so that every message about the others can
	 * name it; then the rest in the order of the file. */
	json_object_foreach(obj, k, v) {
		if (dp_prop_lookup(k, strlen(k)) == DP_P_PACKAGE_ID &&
		    json_value(f, DP_P_PACKAGE_ID, k, v) != 0)
			return -1;
	}
	json_object_foreach(obj, k, v) {
		/* CimClass, __PATH, PSComputerName, ...: not the class's. */
		if ((prop = dp_prop_lookup(k, strlen(k))) < 0 ||
		    prop == DP_P_PACKAGE_ID)
			continue;
		if (json_value(f, prop, k, v) != 0)
			return -1;
	}
	return imp_record_end(f);
}

/*
 * jansson quotes the text near an error as it found it: a cut or invalid
 * UTF-8 sequence, or a control character, must not reach a log that is
 * UTF-8 and line-based (syslog, Net-SNMP's).
 */
static const char *
error_text(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	dp_escape(s, n, dp_utf8_valid(s, n), buf, len);
	return buf;
}

/* Parses the object at s[start], which ends at *end (or the text does). */
static int
json_element(struct imp_file *f, size_t start, size_t *end)
{
	json_error_t	 err;
	json_t		*obj;
	size_t		 stop;
	int		 rc;
	char		 text[JSON_ERROR_TEXT_LENGTH * 4];

	imp_record_begin(f);
	if (!object_end(f->text, f->len, start, &stop))
		stop = f->len;
	/* A truncated object goes to jansson as well: its message says
	 * what was expected, and where. */
	obj = json_loadb(f->text + start, stop - start, JSON_REJECT_DUPLICATES,
	    &err);
	if (obj == NULL) {
		size_t	 pos;

		pos = err.position > 0 ? (size_t)err.position - 1 : 0;

		/* Positions are jansson's, relative to the element.  Its
		 * text for \u0000 names an API flag: say what is wrong. */
		if (json_error_code(&err) == json_error_null_character)
			return imp_syntax(f, start + pos, "a string contains "
			    "\\u0000 (NUL), which no property may hold "
			    "(record %lu)", f->record_no);
		return imp_syntax(f, start + pos, "%s (record %lu)",
		    error_text(err.text, text, sizeof(text)), f->record_no);
	}
	rc = json_record(f, obj);
	json_decref(obj);
	*end = stop;
	return rc;
}

int
imp_json_parse(struct imp_file *f)
{
	const char	*s = f->text;
	size_t		 n = f->len, i, end;

	i = skip_ws(s, n, 0);
	if (s[i] == '{') {
		/* ConvertTo-Json of a single instance. */
		if (json_element(f, i, &end) != 0)
			return -1;
		i = skip_ws(s, n, end);
		if (i < n)
			return imp_syntax(f, i, "text after the JSON object");
		return 0;
	}
	i = skip_ws(s, n, i + 1);
	if (i < n && s[i] == ']')
		return (i = skip_ws(s, n, i + 1)) < n ?
		    imp_syntax(f, i, "text after the JSON array") : 0;
	for (;;) {
		if (i >= n)
			return imp_syntax(f, i, "the file ends inside the "
			    "array (truncated?)");
		if (s[i] != '{')
			return imp_syntax(f, i, "record %lu is not a JSON "
			    "object", f->record_no + 1);
		if (json_element(f, i, &end) != 0)
			return -1;
		imp_progress(f, end);
		i = skip_ws(s, n, end);
		if (i >= n)
			return imp_syntax(f, i, "the file ends after record "
			    "%lu, inside the array (truncated?)",
			    f->record_no);
		if (s[i] == ']')
			break;
		if (s[i] != ',')
			return imp_syntax(f, i, "expected ',' or ']' after "
			    "record %lu", f->record_no);
		i = skip_ws(s, n, i + 1);
	}
	i = skip_ws(s, n, i + 1);
	if (i < n)
		return imp_syntax(f, i, "text after the JSON array");
	return 0;
}
