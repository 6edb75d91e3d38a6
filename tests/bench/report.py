#!/usr/bin/env python3
"""report.py RESULTS.tsv META.json OUT.json -- the table and the JSON of `make bench`.

RESULTS.tsv has one line per measurement, written by bench.sh:
    net  scenario  tool  run  value  status  requests  extra
value: seconds (MiB for the scenario "rss"); status: ok, timeout, fail, na
(tool not usable: extra says why), skip (timed out in an earlier run),
notrun (extra says why) or info (no value: extra is e.g. the lakemount
stats xattr after the tail).  A run that was not repeated because an
earlier one took long (BENCH_ONCE) has no line;
requests: what RGW's access log saw meanwhile, "GET=n/bytes HEAD=n LIST=n/bytes
OTHER=n SENT=n/bytes" (SENT: the requests other than GET, HEAD and LIST and
the body bytes RGW received for them, plus their small XML answers: what the
client sent), then "CPUS=ms CPUC=ms": the CPU the server's processes and the
client (the tool's daemon and the command) used meanwhile; extra: the
lakemount stats xattr, or a note.

Prints the table of the read scenarios and that of the write scenarios
(tests/bench/write.sh), medians over the runs, to stdout and writes OUT.json.
"""

import json
import statistics
import sys

SCENARIOS = [
    ("read_cold", "read 256 MiB, cold"),
    ("read_warm", "re-read 256 MiB, warm"),
    ("tail_cold", "tail -c 100 of it, cold"),
    ("ls_cold", "ls -l 6,000 keys, cold"),
    ("ls_warm", "ls -l 6,000 keys, warm"),
    ("ls_remount", "ls -l 6,000 keys, remount"),
    ("files_cold", "cat 1,000 x 60 KiB, cold"),
    ("rss", "peak RSS of the daemon, MiB (max)"),
]
REQ_ROWS = ["read_cold", "tail_cold", "ls_cold", "ls_remount", "files_cold"]
CPU_ROWS = ["read_cold"]
TOOLS = ["local", "raw", "raw8", "lakemount", "s3fs", "rclone"]
HEAD = {"local": "local", "raw": "raw", "raw8": "raw x8", "lakemount": "lakemount",
        "s3fs": "s3fs", "rclone": "rclone"}
LOCAL_RATIO = ("read_warm", "ls_warm")   # lm/local only where both are warm
RATIOS = [("raw", "lm/raw"), ("s3fs", "lm/s3fs"), ("rclone", "lm/rclone"),
          ("local", "lm/local")]

WRITE_SCENARIOS = [
    ("write_1g", "write 1 GiB + fsync"),
    ("cp_1g", "cp 1 GiB in the mount + sync"),
    ("rsync_500", "rsync -a 500 x 60 KiB + CHECKSUMs"),
]
WRITE_KEYS = {k for k, _ in WRITE_SCENARIOS}
WRITE_TOOLS = ["aws", "lakemount", "s3fs"]
WRITE_RATIOS = [("aws", "lm/aws"), ("s3fs", "lm/s3fs")]
# what issue 4 asks: (scenario, the other tool, the largest lakemount/other time)
TARGETS = [("write_1g", "aws", 1.25), ("cp_1g", "s3fs", 0.1)]


def parse_reqs(s):
    out = {}
    for part in s.split():
        k, _, v = part.partition("=")
        if k == "OPS":    # RGW's op names and counts: put_obj:3,copy_obj:1
            out[k] = {}
            for x in v.split(","):
                op, _, n = x.rpartition(":")
                if op and n.isdigit():
                    out[k][op] = int(n)
            continue
        n, _, b = v.partition("/")
        try:
            out[k] = {"count": int(n), "bytes": int(b) if b else None}
        except ValueError:
            pass
    return out


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 8:
                p += [""] * (8 - len(p))
            net, scen, tool, run, value, status, reqs, extra = p[:8]
            rows.append({"net": net, "scenario": scen, "tool": tool, "run": int(run or 0),
                         "value": float(value) if value else None, "status": status,
                         "requests": parse_reqs(reqs), "extra": extra})
    return rows


def summarize(rows, limit, runs, wlimit=None):
    """(net, scen, tool) -> dict with median, status, runs, requests of the median run.
    limit: BENCH_TIMEOUT; wlimit: BENCH_WRITE_TIMEOUT, for the write scenarios."""
    groups = {}
    for r in rows:
        groups.setdefault((r["net"], r["scenario"], r["tool"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        bound = wlimit if key[1] in WRITE_KEYS and wlimit else limit
        ok = [r for r in rs if r["status"] == "ok" and r["value"] is not None]
        bad = [r for r in rs if r["status"] in ("timeout", "skip")]
        fail = [r for r in rs if r["status"] == "fail"]
        na = [r for r in rs if r["status"] == "na"]
        notrun = [r for r in rs if r["status"] == "notrun"]
        s = {"runs": [r["value"] for r in rs], "statuses": [r["status"] for r in rs]}
        if bad:
            s.update(status="timeout", median=None, bound=bound)
        elif fail:
            s.update(status="fail", median=None, note=fail[0]["extra"])
        elif ok:
            if key[1] == "rss":   # a peak: the largest of the runs
                med = max(r["value"] for r in ok)
            else:
                med = statistics.median(r["value"] for r in ok)
            s.update(status="ok", median=med, n=len(ok), short=len(ok) < runs)
            # the requests of the run closest to the median
            near = min(ok, key=lambda r: abs(r["value"] - med))
            s["requests"] = near["requests"]
            if near["extra"]:
                s["extra"] = near["extra"]
        elif na:
            s.update(status="na", median=None, note=na[0]["extra"])
        elif notrun:
            s.update(status="notrun", median=None, note=notrun[0]["extra"])
        else:
            s.update(status="na", median=None)
        out[key] = s
    return out


def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    if v >= 0.01:
        return "%.3f" % v
    return "%.4f" % v


def cell(s):
    if s is None:
        return "-"
    if s["status"] == "ok":
        return fmt(s["median"]) + ("*" if s.get("short") else "")
    if s["status"] == "timeout":
        return ">%d" % s["bound"]
    return {"fail": "fail", "na": "n/a", "notrun": "-"}.get(s["status"], "?")


def rfmt(x):
    return "%.2f" % x if x >= 0.1 else "%.2g" % x


def ratio(a, b):
    """lakemount a over other b, as text."""
    if not a or not b:
        return ""
    if a["status"] == "ok" and b["status"] == "ok" and b["median"] > 0:
        return rfmt(a["median"] / b["median"])
    if a["status"] == "ok" and b["status"] == "timeout":
        return "<" + rfmt(a["median"] / b["bound"])
    if a["status"] == "timeout" and b["status"] == "ok" and b["median"] > 0:
        return ">" + rfmt(a["bound"] / b["median"])
    return ""


def req_cell(s):
    if not s or s["status"] != "ok" or not s.get("requests"):
        return "-" if not s or s["status"] != "ok" else ""
    r = s["requests"]
    parts = []
    for k, tag in (("LIST", "L"), ("HEAD", "H"), ("GET", "G"), ("OTHER", "O")):
        n = r.get(k, {}).get("count", 0)
        if n:
            parts.append("%d%s" % (n, tag))
    g = r.get("GET", {}).get("bytes") or 0
    if g:
        parts.append(human(g))
    return " ".join(parts) or "0"


def cpu_cell(s):
    """Server + client CPU seconds of the run nearest the median."""
    if not s or s["status"] != "ok":
        return "-"
    r = s.get("requests") or {}
    if "CPUS" not in r or "CPUC" not in r:
        return ""
    return "%.2f+%.2f" % (r["CPUS"]["count"] / 1000, r["CPUC"]["count"] / 1000)


def human(b):
    for unit, n in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if b >= n:
            return "%.3g%s" % (b / n, unit)
    return "%dB" % b


def table(summary, nets, meta):
    cols = ["net", "scenario"] + [HEAD[t] for t in TOOLS] + [h for _, h in RATIOS]
    lines = []
    for net in nets:
        for scen, label in SCENARIOS:
            row = [net, label]
            for t in TOOLS:
                row.append(cell(summary.get((net, scen, t))))
            lm = summary.get((net, scen, "lakemount"))
            for other, _ in RATIOS:
                if other == "local" and scen not in LOCAL_RATIO:
                    row.append("")
                    continue
                row.append(ratio(lm, summary.get((net, scen, other))))
            lines.append(row)
        for scen in REQ_ROWS:
            label = "  requests: " + scen.replace("_", " ")
            row = [net, label]
            for t in TOOLS:
                row.append(req_cell(summary.get((net, scen, t))) if t not in ("local",) else "")
            row += [""] * len(RATIOS)
            lines.append(row)
        for scen in CPU_ROWS:
            row = [net, "  cpu s, server+client: " + scen.replace("_", " ")]
            for t in TOOLS:
                row.append(cpu_cell(summary.get((net, scen, t))) if t != "local" else "")
            row += [""] * len(RATIOS)
            lines.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *lines)]
    out = []

    def emit(r):
        out.append("  ".join(str(x).ljust(w) if i < 2 else str(x).rjust(w)
                             for i, (x, w) in enumerate(zip(r, widths))).rstrip())
    emit(cols)
    emit(["-" * w for w in widths])
    prev = None
    for r in lines:
        if prev is not None and r[0] != prev:
            emit(["" for _ in widths])
        prev = r[0]
        emit(r)
    return "\n".join(out)


def sent(s, exact=False):
    """The bytes the client sent in the run nearest the median, or None: RGW's
    ops log count (RECV), else (not exact) the access log's (SENT, which also
    counts the answers to the writes)."""
    if not s or s["status"] != "ok":
        return None
    req = s.get("requests") or {}
    for k in ("RECV",) if exact else ("RECV", "SENT"):
        r = req.get(k)
        if r and r.get("bytes") is not None:
            return r["bytes"]
    return None


def sent_text(s, total):
    b = sent(s)
    if b is None:
        return "-"
    approx = "" if sent(s, exact=True) is not None else "~"
    return "%s%s %s" % (approx, human(b), pct(b, total))


# RGW's ops that write, by letter: P put_obj (PUT, UploadPart, UploadPartCopy),
# C copy_obj, M the start and end of multipart uploads, D deletes, O others
OP_LETTERS = [("P", ("put_obj",)), ("C", ("copy_obj",)),
              ("M", ("init_multipart", "complete_multipart", "abort_multipart")),
              ("D", ("delete_obj", "multi_object_delete"))]
READ_OPS = ("get_obj", "list_bucket", "list_buckets")


def ops_text(s):
    if not s or s["status"] != "ok":
        return "-"
    ops = (s.get("requests") or {}).get("OPS")
    if ops is None:
        return ""
    known = {op for _, names in OP_LETTERS for op in names}
    parts = []
    for letter, names in OP_LETTERS:
        n = sum(ops.get(op, 0) for op in names)
        if n:
            parts.append("%d%s" % (n, letter))
    n = sum(c for op, c in ops.items() if op not in known and op not in READ_OPS
            and not op.startswith(("stat_", "get_")))
    if n:
        parts.append("%dO" % n)
    return " ".join(parts) or "0"


def pct(b, total):
    if b is None or not total:
        return ""
    p = 100.0 * b / total
    if p >= 10:
        return "%.0f%%" % p
    return "%.2g%%" % p if p >= 0.01 else "%.1g%%" % p


def wcell(s):
    """A write cell: a failure shows as n/a (the notes say why)."""
    c = cell(s)
    return "n/a" if c == "fail" else c


def write_table(summary, nets, wbytes):
    cols = ["net", "write scenario"] + WRITE_TOOLS + [h for _, h in WRITE_RATIOS]
    lines = []
    for net in nets:
        for scen, label in WRITE_SCENARIOS:
            row = [net, label]
            for t in WRITE_TOOLS:
                row.append(wcell(summary.get((net, scen, t))))
            lm = summary.get((net, scen, "lakemount"))
            for other, _ in WRITE_RATIOS:
                row.append(ratio(lm, summary.get((net, scen, other))))
            lines.append(row)
            row = [net, "  sent (share of %s)" % human(wbytes.get(scen, 0))]
            for t in WRITE_TOOLS:
                row.append(sent_text(summary.get((net, scen, t)), wbytes.get(scen)))
            row += [""] * len(WRITE_RATIOS)
            lines.append(row)
            row = [net, "  requests that write"]
            for t in WRITE_TOOLS:
                row.append(ops_text(summary.get((net, scen, t))))
            row += [""] * len(WRITE_RATIOS)
            lines.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *lines)]
    out = []

    def emit(r):
        out.append("  ".join(str(x).ljust(w) if i < 2 else str(x).rjust(w)
                             for i, (x, w) in enumerate(zip(r, widths))).rstrip())
    emit(cols)
    emit(["-" * w for w in widths])
    prev = None
    for r in lines:
        if prev is not None and r[0] != prev:
            emit(["" for _ in widths])
        prev = r[0]
        emit(r)
    return "\n".join(out)


def targets(summary, nets, wbytes):
    """The lines issue 4 judges by, and the same as a dict for the JSON."""
    lines, doc = [], {}
    labels = dict(WRITE_SCENARIOS)
    for net in nets:
        d = doc.setdefault(net, {})
        for scen, other, limit in TARGETS:
            lm, o = summary.get((net, scen, "lakemount")), summary.get((net, scen, other))
            x = None
            if lm and o and lm["status"] == "ok" and o["status"] == "ok" and o["median"] > 0:
                x = lm["median"] / o["median"]
            verdict = "n/a" if x is None else "met" if x <= limit else "missed"
            lines.append("%s  %s: lakemount %s s, %s %s s: lakemount/%s time %s (target <= %g): %s" % (
                net, labels[scen], wcell(lm), other, wcell(o), other,
                ratio(lm, o) or "n/a", limit, verdict))
            d["%s lakemount/%s" % (scen, other)] = {"ratio": x, "target_max": limit,
                                                    "verdict": verdict}
        total = wbytes.get("rsync_500")
        parts = []
        for t in ("lakemount", "s3fs", "aws"):
            b = sent(summary.get((net, "rsync_500", t)))
            parts.append("%s %s" % (t, "n/a" if b is None else pct(b, total)))
            d["rsync_500 sent %% %s" % t] = None if b is None or not total else 100.0 * b / total
        lines.append("%s  %s: bytes sent as a share of the folder's %s: %s" % (
            net, labels["rsync_500"], human(total or 0), ", ".join(parts)))
    return lines, doc


def read_report(summary, nets, meta):
    print("lakemount bench: medians of %s runs, seconds (rss: MiB); lm/x = lakemount time / x time "
          "(< 1: lakemount faster)" % meta.get("runs"))
    print(table(summary, nets, meta))
    print()
    print("local = the same data read from a local file or directory in the page cache; "
          "raw = curl GET of a presigned URL (ls: s3cli ls of the prefix, every key; files: one "
          "curl, 1,000 URLs in turn on one connection); raw x8 = 8 curls of 32 MiB ranges at once.")
    print("requests: seen in RGW's access log during the run nearest the median: L = LIST, "
          "H = HEAD, G = GET, O = other, then the bytes the GETs returned.  >N: took over N s "
          "(BENCH_TIMEOUT) and was not run again; *: fewer runs, as one took over %s s (BENCH_ONCE); "
          "n/a: the tool could not be used (see the notes)." % meta.get("once_s"))
    print("cpu: CPU seconds used while the command ran, in the run nearest the median: by the "
          "server (RGW, its OSD and monitor) + by the client (the tool's daemon and the command: "
          "cat, or curl for raw); the machine's cores times the seconds is what there was.")


def write_report(summary, nets, meta, wbytes):
    print("lakemount bench, write side: medians of %s runs, seconds; lm/x = lakemount time / x time "
          "(< 1: lakemount faster)" % meta.get("runs"))
    print(write_table(summary, nets, wbytes))
    print()
    print("write: dd bs=1M conv=fsync of a 1 GiB local file (in the page cache) into bronze/; "
          "aws = aws s3 cp of that file (multipart, 8 MiB parts, 10 at once).  cp: cp of a 1 GiB "
          "object from archive/ to bronze/, then sync FILE; aws = aws s3 cp S3 to S3 (a server-side "
          "copy).  rsync: rsync -a of 500 files and their .CHECKSUM sidecars from archive/ to "
          "bronze/, then (lakemount) until its stats say \"journal\":0; aws = aws s3 sync S3 to S3.  "
          "A run counts once the server has every object with its size.")
    print("sent: the body bytes RGW received during the run nearest the median (its ops log), and "
          "their share of the data written; ~: from its access log instead, which also counts the "
          "answers to the writes (some 240 bytes a copy).  requests that write (ops log): P = PUT "
          "or UploadPart (UploadPartCopy too), C = CopyObject, M = multipart upload start or end, "
          "D = delete, O = other.  >N: took over N s "
          "(BENCH_WRITE_TIMEOUT) and was not run again; *: fewer runs, as one took over %s s "
          "(BENCH_ONCE); n/a: failed or not usable (see the notes)." % meta.get("once_s"))
    for n in nets:
        b = sent(summary.get((n, "write_1g", "aws")))
        if b is not None:
            w = wbytes.get("write_1g", 0)
            print("sent, checked on %s: aws s3 cp of a %d-byte file counted as %d bytes (%+d)%s" % (
                n, w, b, b - w, "" if sent(summary.get((n, "write_1g", "aws")), True) is not None
                else " (access log)"))
    lines, _ = targets(summary, nets, wbytes)
    print("issue 4:")
    for line in lines:
        print("  " + line)


def main():
    rows = load(sys.argv[1])
    info = [r for r in rows if r["status"] == "info"]
    rows = [r for r in rows if r["status"] != "info"]
    meta = json.load(open(sys.argv[2], encoding="utf-8"))
    limit = int(meta.get("timeout_s", 60))
    summary = summarize(rows, limit, int(meta.get("runs", 1)), int(meta.get("write_timeout_s", 0)))
    rnets = [n for n in meta.get("nets", [])
             if any(k[0] == n and k[1] and k[1] not in WRITE_KEYS for k in summary)]
    wnets = [n for n in meta.get("nets", []) if any(k[0] == n and k[1] in WRITE_KEYS for k in summary)]
    wbytes = (meta.get("write") or {}).get("bytes", {})

    if rnets:
        read_report(summary, rnets, meta)
    if wnets:
        if rnets:
            print()
        write_report(summary, wnets, meta, wbytes)
    for n in meta.get("nets_info", []):
        print("net %s: %s" % (n["name"], n["desc"]))
    if meta.get("page_reporting"):
        print("machine: %s (tests/bench/bench.sh says why)" % meta["page_reporting"])
    notes = []
    for (net, scen, tool), s in sorted(summary.items()):
        if s["status"] in ("na", "fail", "notrun") and s.get("note"):
            notes.append("%s %s: %s" % (net, tool, s["note"]))
    for n in sorted(set(notes)):
        print("note: " + n)
    for r in info:
        if r["run"] == 1:
            print("note: %s %s %s (run 1): %s" % (r["net"], r["tool"], r["scenario"], r["extra"]))

    _, tdoc = targets(summary, wnets, wbytes)
    doc = {"meta": meta, "results": {}, "issue4": tdoc, "info": [
        {k: r[k] for k in ("net", "scenario", "tool", "run", "extra")} for r in info]}
    for (net, scen, tool), s in sorted(summary.items()):
        d = dict(s)
        if scen.startswith("read_") and s.get("median"):
            d["MiB_per_s"] = round(meta.get("big_mib", 256) / s["median"], 1)
        if scen in WRITE_KEYS:
            b = sent(s)
            d["sent_bytes"] = b
            if b is not None:
                d["sent_from"] = "ops log" if sent(s, exact=True) is not None else "access log"
            if b is not None and wbytes.get(scen):
                d["sent_pct"] = round(100.0 * b / wbytes[scen], 4)
            if s.get("median") and wbytes.get(scen):
                d["MiB_per_s"] = round(wbytes[scen] / 1048576.0 / s["median"], 1)
        doc["results"].setdefault(net, {}).setdefault(scen, {})[tool] = d
    for net in doc["results"]:
        for scen, tools in doc["results"][net].items():
            lm = tools.get("lakemount")
            ratios = WRITE_RATIOS if scen in WRITE_KEYS else RATIOS
            doc["results"][net][scen]["ratios"] = {
                "lakemount/" + o: ratio(lm, tools.get(o)) for o, _ in ratios
                if tools.get(o) and (o != "local" or scen in LOCAL_RATIO)}
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
