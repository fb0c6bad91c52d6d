#!/usr/bin/env python3
"""Writes the sample exports in this directory from one table of rows.

The files are committed; run this only to change them:

    cd tests/data && python3 make-samples.py

Each sample imitates byte for byte what one PowerShell writes (see
README); the malformed ones start from the same rows.  The UTF-16 file is
made with iconv(1), as its README says, from the UTF-8 text.
"""
import datetime as dt
import json
import subprocess

UTC = dt.timezone.utc
CEST = dt.timezone(dt.timedelta(hours=2))
CET = dt.timezone(dt.timedelta(hours=1))

SERVERS = [
    # host, site, BitsEnabled, IsPeerDP, IsProtected
    ("DP01.corp.contoso.com", "PS1", True, False, False),
    ("DP02.corp.contoso.com", "PS1", True, False, True),
    ("DP03.branch.contoso.com", "PS2", False, False, False),
    ("DP04.corp.contoso.com", "PS2", True, False, False),
]
PACKAGES = [
    # PackageID, PackageType, ObjectTypeID, SecureObjectID, SourceSite,
    # SiteName
    ("PS100012", 0, 2, "PS100012", "PS1", "Contoso Headquarters"),
    ("PS100034", 258, 19, "PS100034", "PS1", "Contoso Headquarters"),
    ("PS100041", 257, 18, "PS100041", "PS1", "Contoso Headquarters"),
    ("PS100057", 5, 24, "PS100057", "PS1", "Contoso Headquarters"),
    ("PS10005A", 8, 31,
     "ScopeId_5E7A9B2C-1D3F-4A8B-9C6D-2E4F6A8B0C1D/"
     "Application_8f2c4d6e-1a3b-4c5d-9e7f-0a1b2c3d4e5f", "PS1",
     "Contoso Headquarters"),
    ("PS200003", 3, 23, "PS200003", "PS2", "Contoso Branch Sites"),
]
STATUS = [
    [0, 0, 1, 0, 2, 0],
    [0, 1, 0, 0, 0, 3],
    [2, 0, 0, 1, 0, 0],
    [0, 0, 2, 0, 1, 0],
]
ISV_STRING = {
    (0, 4): "Contoso-CMDB:asset=4711",
    (2, 5): "Zweigstelle Zürich – Außenlager",
    (3, 0): "ticket=CHG0031337",
}
ISV_DATA = {
    (0, 4): [67, 77, 68, 66, 1, 0, 18, 103],
    (1, 1): [0, 255, 16, 32],
}


def nal(host, site):
    return ('["Display=\\\\%s\\"]MSWNET:["SMS_SITE=%s"]\\\\%s\\'
            % (host, site, host))


def refresh_time(s, p):
    # Mostly May 2024 (CEST); the driver package was last refreshed in
    # January (CET), so offsets differ; some have milliseconds.
    if p == 5:
        return dt.datetime(2024, 1, 17, 7 + s, 45, 12, 0, CET)
    ms = (s * 131 + p * 97) % 1000 if (s + p) % 3 == 0 else 0
    return dt.datetime(2024, 5, 1 + p, 9 + s, 5 * p, s * 7, ms * 1000, CEST)


def rows():
    for s, (host, site, bits, peer, prot) in enumerate(SERVERS):
        for p, (pid, ptype, otype, secid, src, sname) in enumerate(PACKAGES):
            yield {
                "s": s, "p": p,
                "BitsEnabled": bits,
                "IsPeerDP": peer,
                "IsProtected": prot,
                "ISVData": ISV_DATA.get((s, p)),
                "ISVDataSize": (len(ISV_DATA[(s, p)])
                                if (s, p) in ISV_DATA else None),
                "ISVString": ISV_STRING.get((s, p), ""),
                "LastRefreshTime": refresh_time(s, p),
                "ObjectTypeID": otype,
                "PackageID": pid,
                "PackageType": ptype,
                "RefreshNow": False,
                "ResourceType": "Windows NT Server",
                "SecureObjectID": secid,
                "ServerNALPath": nal(host, site),
                "SiteCode": site,
                "SiteName": sname,
                "SourceSite": src,
                "Status": STATUS[s][p],
            }


PROPS = ["BitsEnabled", "IsPeerDP", "IsProtected", "ISVData", "ISVDataSize",
         "ISVString", "LastRefreshTime", "ObjectTypeID", "PackageID",
         "PackageType", "RefreshNow", "ResourceType", "SecureObjectID",
         "ServerNALPath", "SiteCode", "SiteName", "SourceSite", "Status"]


def iso_o(t):
    # What PowerShell 7's ConvertTo-Json writes for a local DateTime
    # (Newtonsoft: fraction without trailing zeros).
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += ("." + "%06d" % t.microsecond).rstrip("0")
    off = t.utcoffset()
    m = int(off.total_seconds() // 60)
    return s + "%s%02d:%02d" % ("+" if m >= 0 else "-", abs(m) // 60,
                                abs(m) % 60)


def msdate(t):
    return "/Date(%d)/" % int(t.timestamp() * 1000)


def dmtf(t):
    m = int(t.utcoffset().total_seconds() // 60)
    return t.strftime("%Y%m%d%H%M%S") + ".%06d" % t.microsecond + \
        "%+04d" % m


def ps7_value(v):
    return json.dumps(v, ensure_ascii=False)


def ps7_object(r, indent):
    """One instance as PowerShell 7.4 writes it (2-space indentation)."""
    pad = " " * indent
    site = r["SiteCode"]
    lines = []
    for k in PROPS:
        v = r[k]
        if k == "LastRefreshTime":
            v = iso_o(v)
        if k == "ISVData" and v is not None:
            inner = (",\n").join(pad + "    " + str(b) for b in v)
            lines.append('%s  "%s": [\n%s\n%s  ]' % (pad, k, inner, pad))
            continue
        lines.append('%s  "%s": %s' % (pad, k, ps7_value(v)))
    lines.append('%s  "PSComputerName": null' % pad)
    lines.append('%s  "CimClass": "root/SMS/site_%s:SMS_DistributionPoint"'
                 % (pad, site))
    lines.append('%s  "CimInstanceProperties": [\n%s\n%s  ]' % (
        pad, ",\n".join('%s    "%s"' % (pad, n) for n in
                        ("BitsEnabled", "IsPeerDP", "IsProtected",
                         "ISVData")),
        pad))
    lines.append('%s  "CimSystemProperties": {\n'
                 '%s    "Namespace": "root/SMS/site_%s",\n'
                 '%s    "ServerName": "CM01.corp.contoso.com",\n'
                 '%s    "ClassName": "SMS_DistributionPoint",\n'
                 '%s    "Path": null\n'
                 '%s  }' % (pad, pad, site, pad, pad, pad, pad))
    return pad + "{\n" + ",\n".join(lines) + "\n" + pad + "}"


def ps7_json(rs):
    return "[\n" + ",\n".join(ps7_object(r, 2) for r in rs) + "\n]\n"


def wps51_escape(s):
    # JavaScriptSerializer: "/" is not escaped except in \/Date()\/,
    # <>&' become \u003c etc., non-ASCII is written as is.
    out = json.dumps(s, ensure_ascii=False)
    for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("'", "\\u0027")):
        out = out.replace(c, e)
    return out


def wps51_object(r, as_object_date):
    """One instance as Windows PowerShell 5.1 writes it (4-space
    indentation, two spaces after the colon, \\/Date(ms)\\/)."""
    site = r["SiteCode"]
    lines = []
    for k in PROPS:
        v = r[k]
        if k == "LastRefreshTime":
            d = msdate(v).replace("/", "\\/")
            if as_object_date:
                disp = v.strftime("%A, %B %-d, %Y %-I:%M:%S %p")
                lines.append(
                    '        "%s":  {\n'
                    '                                "value":  "%s",\n'
                    '                                "DisplayHint":  2,\n'
                    '                                "DateTime":  "%s"\n'
                    '                            }' % (k, d, disp))
            else:
                lines.append('        "%s":  "%s"' % (k, d))
            continue
        if k == "ISVData" and v is not None:
            inner = ",\n".join("                        %d" % b for b in v)
            lines.append('        "%s":  [\n%s\n                    ]'
                         % (k, inner))
            continue
        if isinstance(v, str):
            v = wps51_escape(v)
        else:
            v = json.dumps(v)
        lines.append('        "%s":  %s' % (k, v))
    lines.append('        "PSComputerName":  null')
    lines.append('        "CimClass":  {\n'
                 '                         "CimSuperClassName":  '
                 '"SMS_BaseClass",\n'
                 '                         "CimSuperClass":  '
                 '"ROOT/SMS/site_%s:SMS_BaseClass",\n'
                 '                         "CimClassProperties":  '
                 '"BitsEnabled IsPeerDP IsProtected ISVData ISVDataSize '
                 '..."\n'
                 '                     }' % site)
    lines.append('        "CimInstanceProperties":  [\n'
                 '                                      "BitsEnabled = '
                 '%s",\n'
                 '                                      "IsPeerDP = False"'
                 '\n                                  ]'
                 % ("True" if r["BitsEnabled"] else "False"))
    lines.append('        "CimSystemProperties":  {\n'
                 '                                    "Namespace":  '
                 '"root/SMS/site_%s",\n'
                 '                                    "ServerName":  '
                 '"CM01",\n'
                 '                                    "ClassName":  '
                 '"SMS_DistributionPoint",\n'
                 '                                    "Path":  null\n'
                 '                                }' % site)
    return "    {\n" + ",\n".join(lines) + "\n    }"


def wps51_json(rs):
    objs = [wps51_object(r, i == 2) for i, r in enumerate(rs)]
    return ("[\n" + ",\n".join(objs) + "\n]\n").replace("\n", "\r\n")


def csv_quote(v):
    return '"' + v.replace('"', '""') + '"'


def wmi_relpath(r):
    def esc(s):
        return s.replace("\\", "\\\\").replace('"', '\\"')
    return ('SMS_DistributionPoint.PackageID="%s",ServerNALPath="%s",'
            'SiteCode="%s"' % (r["PackageID"], esc(r["ServerNALPath"]),
                               r["SiteCode"]))


WMI_PRE = ["__GENUS", "__CLASS", "__SUPERCLASS", "__DYNASTY", "__RELPATH",
           "__PROPERTY_COUNT", "__DERIVATION", "__SERVER", "__NAMESPACE",
           "__PATH"]
WMI_POST = ["PSComputerName", "Scope", "Path", "Options", "ClassPath",
            "Properties", "SystemProperties", "Qualifiers", "Site",
            "Container"]


def wmi_csv_row(r):
    site = r["SiteCode"]
    ns = "root\\SMS\\site_" + site
    path = "\\\\CM01\\%s:%s" % (ns, wmi_relpath(r))
    pre = ["2", "SMS_DistributionPoint", "SMS_BaseClass", "SMS_BaseClass",
           wmi_relpath(r), "18", "System.String[]", "CM01", ns, path]
    vals = []
    for k in PROPS:
        v = r[k]
        if k == "LastRefreshTime":
            v = dmtf(v)
        elif k == "ISVData":
            v = "" if v is None else "System.Byte[]"
        elif isinstance(v, bool):
            v = "True" if v else "False"
        elif v is None:
            v = ""
        vals.append(str(v))
    post = ["CM01", "System.Management.ManagementScope", path,
            "System.Management.ObjectGetOptions",
            "\\\\CM01\\%s:SMS_DistributionPoint" % ns,
            "System.Management.PropertyDataCollection",
            "System.Management.PropertyDataCollection",
            "System.Management.QualifierDataCollection", "", ""]
    return ",".join(csv_quote(x) for x in pre + vals + post)


def wmi_csv(rs):
    head = ",".join(csv_quote(h) for h in WMI_PRE + PROPS + WMI_POST)
    return "\r\n".join([head] + [wmi_csv_row(r) for r in rs]) + "\r\n"


def write(name, text, bom=False):
    with open(name, "wb") as f:
        if bom:
            f.write(b"\xef\xbb\xbf")
        f.write(text.encode("utf-8") if isinstance(text, str) else text)


def main():
    rs = list(rows())
    write("sample-ps7.json", ps7_json(rs))
    # Windows PowerShell 5.1: ConvertTo-Json > file writes UTF-16LE with
    # a BOM and CRLF line ends.
    write("sample-wps51.utf8", wps51_json(rs))
    subprocess.run("iconv -f UTF-8 -t UTF-16LE sample-wps51.utf8 | "
                   "{ printf '\\377\\376'; cat; } > sample-wps51-utf16.json",
                   shell=True, check=True)
    subprocess.run(["rm", "sample-wps51.utf8"], check=True)
    write("sample-wmi.csv", wmi_csv(rs), bom=True)

    # One instance, re-read with its lazy properties: DP01's PS100012
    # refreshed again.
    one = dict(rs[0])
    one["Status"] = 1
    one["LastRefreshTime"] = dt.datetime(2024, 6, 3, 14, 20, 5, 0, CEST)
    one["ISVData"] = [1, 2, 3]
    one["ISVDataSize"] = 3
    write("sample-single.json", ps7_object(one, 0) + "\n")

    # The recipe of doc/import.md in CSV: PowerShell 7, UTF-8 without
    # BOM, dates with .ToString('o') (7 fractional digits).
    head = ",".join(csv_quote(p) for p in PROPS)
    lines = [head]
    for r in rs[:2]:
        vals = []
        for k in PROPS:
            v = r[k]
            if k == "LastRefreshTime":
                v = v.strftime("%Y-%m-%dT%H:%M:%S") + \
                    ".%06d0" % v.microsecond + "+02:00"
            elif k == "ISVData":
                v = "" if v is None else "System.Byte[]"
            elif isinstance(v, bool):
                v = "True" if v else "False"
            elif v is None:
                v = ""
            vals.append(str(v))
        lines.append(",".join(csv_quote(x) for x in vals))
    write("ok-recipe.csv", "\n".join(lines) + "\n")
    # The same without -NoTypeInformation.
    write("ok-typeline.csv",
          "#TYPE Microsoft.Management.Infrastructure.CimInstance#root/SMS/"
          "site_PS1/SMS_DistributionPoint\r\n" + "\r\n".join(lines) + "\r\n")

    # A distribution point added since: DP05 with two packages.
    new = [dict(r, ServerNALPath=nal("DP05.corp.contoso.com", "PS1"),
                Status=2, ISVData=None, ISVDataSize=None, ISVString="",
                BitsEnabled=True, IsProtected=False,
                LastRefreshTime=dt.datetime(2024, 6, 10, 16, 30, 0, 0, CEST))
           for r in rs[:2]]
    write("ok-new-server.json", ps7_json(new))

    # ---- malformed -------------------------------------------------------
    full = ps7_json(rs)
    cut = full.index('"PackageID": "PS100041"')
    write("bad-truncated.json", full[:cut + 14])

    def ps7_with(edit, rows_=rs[:3]):
        objs = [ps7_object(r, 2) for r in rows_]
        return "[\n" + ",\n".join(edit(i, o) for i, o in
                                  enumerate(objs)) + "\n]\n"

    write("bad-types.json", ps7_with(
        lambda i, o: o.replace('"Status": 1', '"Status": "1"')
        if i == 2 else o))
    write("bad-dup-property.json", ps7_with(
        lambda i, o: o.replace('"Status": 0', '"Status": 0,\n    '
                               '"Status": 2') if i == 1 else o))
    write("bad-status-range.json", ps7_with(
        lambda i, o: o.replace('"Status": 0', '"Status": 4294967296')
        if i == 1 else o))
    write("bad-long-string.json", ps7_with(
        lambda i, o: o.replace('"ISVString": ""',
                               '"ISVString": "%s"' % ("ä" * 257))
        if i == 1 else o))
    dup = [rs[0], rs[1], rs[2], dict(rs[1], Status=3)]
    write("bad-dup-key.json", ps7_json(dup))

    # Get-CimInstance | Export-Csv: dates in the culture's format.
    culture = wmi_csv(rs[:3]).replace(dmtf(rs[1]["LastRefreshTime"]),
                                      "5/2/2024 9:05:00 AM")
    write("bad-date-culture.csv", culture, bom=True)
    # A Windows-1252 file read as UTF-8.
    lat = wmi_csv(rs[12:14]).encode("utf-8").replace(
        b'"Contoso Headquarters"', b'"Contoso Z\xfcrich"', 1)
    write("bad-utf8.csv", lat)
    t = wmi_csv(rs[:3])
    cut = t.index("Windows NT Server", t.index("PS100034"))
    write("bad-unterminated.csv", t[:cut] + "Windows NT Server\r\n")
    lines = t.split("\r\n")
    lines[2] = lines[2].rsplit(",", 2)[0]
    write("bad-fieldcount.csv", "\r\n".join(lines))


# ---- SMS_PackageStatusDistPointsSummarizer -------------------------------
# The same 24 keys; State by (server, package): two failed (DP02's boot
# image, DP04's software updates), one retrying (DP03's driver package),
# one pending, one updating, one monitoring, the rest installed.
STATE = [
    [0, 0, 0, 0, 7, 0],
    [0, 3, 0, 0, 0, 0],
    [0, 0, 0, 8, 0, 2],
    [0, 0, 1, 6, 0, 0],
]
DIST_PROPS = ["PackageID", "ServerNALPath", "SiteCode", "PackageType",
              "SecuredTypeID", "SecureObjectID", "SourceNALPath",
              "SourceVersion", "LastCopied", "SummaryDate", "State"]


def source_nal(site):
    host = "CM01.corp.contoso.com" if site == "PS1" else \
        "CM02.branch.contoso.com"
    return nal(host, site)


def dist_rows():
    for r in rows():
        s, p = r["s"], r["p"]
        state = STATE[s][p]
        copied = None if state in (1, 2, 3) else \
            dt.datetime(2024, 5, 1 + p, 10 + s, 3 * p, s, 0, UTC)
        yield {
            "s": s, "p": p,
            "PackageID": r["PackageID"],
            "ServerNALPath": r["ServerNALPath"],
            "SiteCode": r["SiteCode"],
            "PackageType": r["PackageType"],
            "SecuredTypeID": r["ObjectTypeID"],
            "SecureObjectID": r["SecureObjectID"],
            "SourceNALPath": source_nal(r["SourceSite"]),
            "SourceVersion": 1 + (s + 2 * p) % 4,
            "LastCopied": copied,
            "SummaryDate": dt.datetime(2024, 6, 1 + s, 8 + p, 15, 30,
                                       (s * 7 + p) * 1000, UTC),
            "State": state,
        }


def dist_ps7(rs):
    """Select-Object with .ToString('o') | ConvertTo-Json in PowerShell 7
    (the README's recipe): dates as 7-digit ISO 8601 strings, a null for
    a date never set."""
    def o(t):
        return None if t is None else \
            t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d0Z" % t.microsecond
    objs = []
    for r in rs:
        lines = []
        for k in DIST_PROPS:
            v = r[k]
            if k in ("LastCopied", "SummaryDate"):
                v = o(v)
            lines.append('    "%s": %s' % (k, ps7_value(v)))
        objs.append("  {\n" + ",\n".join(lines) + "\n  }")
    return "[\n" + ",\n".join(objs) + "\n]\n"


def dist_wps51(rs):
    """Get-CimInstance | ConvertTo-Json > file in Windows PowerShell 5.1:
    \\/Date(ms)\\/ dates, the Cim* noise."""
    objs = []
    for r in rs:
        lines = []
        for k in DIST_PROPS:
            v = r[k]
            if k in ("LastCopied", "SummaryDate"):
                v = "null" if v is None else \
                    '"%s"' % msdate(v).replace("/", "\\/")
            elif isinstance(v, str):
                v = wps51_escape(v)
            else:
                v = json.dumps(v)
            lines.append('        "%s":  %s' % (k, v))
        lines.append('        "PSComputerName":  null')
        lines.append('        "CimSystemProperties":  {\n'
                     '                                    "Namespace":  '
                     '"root/SMS/site_%s",\n'
                     '                                    "ClassName":  '
                     '"SMS_PackageStatusDistPointsSummarizer"\n'
                     '                                }' % r["SiteCode"])
        objs.append("    {\n" + ",\n".join(lines) + "\n    }")
    return ("[\n" + ",\n".join(objs) + "\n]\n").replace("\n", "\r\n")


def dist_csv(rs):
    """Get-WmiObject | Export-Csv -NoTypeInformation -Encoding UTF8:
    DMTF dates, empty for a date never set."""
    head = ",".join(csv_quote(h) for h in ["__CLASS"] + DIST_PROPS +
                    ["PSComputerName"])
    out = [head]
    for r in rs:
        vals = ["SMS_PackageStatusDistPointsSummarizer"]
        for k in DIST_PROPS:
            v = r[k]
            if k in ("LastCopied", "SummaryDate"):
                v = "" if v is None else dmtf(v)
            vals.append(str(v))
        vals.append("CM01")
        out.append(",".join(csv_quote(x) for x in vals))
    return "\r\n".join(out) + "\r\n"


def write_dist():
    rs = list(dist_rows())
    write("sample-dist-ps7.json", dist_ps7(rs))
    write("sample-dist.utf8", dist_wps51(rs))
    subprocess.run("iconv -f UTF-8 -t UTF-16LE sample-dist.utf8 | "
                   "{ printf '\\377\\376'; cat; } > "
                   "sample-dist-wps51-utf16.json", shell=True, check=True)
    subprocess.run(["rm", "sample-dist.utf8"], check=True)
    write("sample-dist-wmi.csv", dist_csv(rs), bom=True)
    # A record of each class in one file.
    mixed = json.loads(dist_ps7(rs[:2]))
    mixed[1]["Status"] = 0
    write("bad-dist-mixed.json", json.dumps(mixed, indent=2) + "\n")
    # Records of neither class: the key and properties of another class.
    other = [{"PackageID": r["PackageID"],
              "ServerNALPath": r["ServerNALPath"],
              "SiteCode": r["SiteCode"], "PkgServer": "x",
              "SourceVersion_": 1} for r in rs[:2]]
    write("bad-dist-neither.json", json.dumps(other, indent=2) + "\n")


main()
write_dist()
