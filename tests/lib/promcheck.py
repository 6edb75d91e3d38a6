#!/usr/bin/env python3
"""promcheck.py -- check that a file is valid Prometheus text exposition
format 0.0.4, strictly, without prometheus_client.

    python3 tests/lib/promcheck.py FILE [--require NAME]...

Checks, each failure printed as "FILE:LINE: what" (exit status 1):
  - every line is a "# HELP name text", a "# TYPE name type", another
    comment, or a sample "name[{labels}] value [timestamp]"; the file ends
    with a newline and has no empty lines;
  - metric and label names have the right syntax; label values are
    double-quoted with only \\\\, \\" and \\n as escapes; no label twice;
  - values are floats (NaN, +Inf, -Inf allowed); timestamps are integers;
  - every family has exactly one HELP and one TYPE, both before its first
    sample; its samples are contiguous; a TYPE is one of counter, gauge,
    histogram, summary, untyped; no sample (name and labels) comes twice;
  - counters are >= 0 and not NaN;
  - histograms: only NAME_bucket (with "le"), NAME_sum and NAME_count; for
    each set of the other labels the buckets' le are ascending floats and
    end with "+Inf", their counts never decrease, the +Inf count equals
    NAME_count, and NAME_sum is there;
  - summaries: NAME{quantile=...}, NAME_sum, NAME_count;
  - every --require NAME is a family in the file.
On success prints "ok: N families, M samples".
"""

import math
import re
import sys

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Checker:
    def __init__(self, path):
        self.path = path
        self.errors = []
        self.lineno = 0
        self.help = {}       # family -> line
        self.type = {}       # family -> type
        self.seen_sample = {}  # family -> first sample line
        self.closed = set()  # families whose samples ended
        self.current = None  # family of the last sample
        self.samples = {}    # (name, labels) -> value
        self.order = []      # (family, name, labels, value, line)

    def err(self, msg, line=None):
        self.errors.append("%s:%d: %s" % (self.path, self.lineno if line is None else line, msg))

    # ---- parsing ----

    def parse_value(self, s, what):
        if s in ("NaN", "+Inf", "-Inf", "Inf", "+inf", "-inf", "nan"):
            return float(s.replace("Inf", "inf").replace("NaN", "nan"))
        if not re.match(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)\Z", s):
            self.err("%s %r is not a float" % (what, s))
            return None
        return float(s)

    def parse_labels(self, s):
        """s: the text after '{'.  Returns (labels tuple, rest after '}')."""
        labels = []
        names = set()
        i = 0
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == "}":
                return tuple(labels), s[i + 1:]
            m = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", s[i:])
            if not m:
                self.err("bad label name at %r" % s[i:i + 20])
                return None, ""
            name = m.group(0)
            i += len(name)
            if s[i:i + 2] != '="':
                self.err("label %s: expected =\"" % name)
                return None, ""
            i += 2
            val = []
            while True:
                if i >= len(s):
                    self.err("label %s: unterminated value" % name)
                    return None, ""
                c = s[i]
                if c == "\\":
                    nxt = s[i + 1:i + 2]
                    if nxt not in ("\\", '"', "n"):
                        self.err("label %s: bad escape \\%s" % (name, nxt))
                    val.append({"n": "\n"}.get(nxt, nxt))
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    break
                if c == "\n":
                    self.err("label %s: newline in value" % name)
                val.append(c)
                i += 1
            if name in names:
                self.err("label %s given twice" % name)
            names.add(name)
            labels.append((name, "".join(val)))
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == "}":
                continue
            else:
                self.err("after label %s: expected , or }" % name)
                return None, ""

    def family_of(self, name):
        """The declared family a sample name belongs to."""
        if name in self.type and self.type[name] not in ("histogram", "summary"):
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix):
                base = name[: -len(suffix)]
                if self.type.get(base) in ("histogram", "summary"):
                    return base
        if name in self.type:
            return name
        return None

    def comment(self, line):
        parts = line.split(None, 3)
        if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
            if len(parts) < 3:
                self.err("%s without a metric name" % parts[1])
                return
            kind, name = parts[1], parts[2]
            rest = parts[3] if len(parts) > 3 else ""
            if not NAME_RE.match(name):
                self.err("bad metric name %r" % name)
            if name in self.seen_sample:
                self.err("%s %s after its samples" % (kind, name))
            if kind == "HELP":
                if name in self.help:
                    self.err("second HELP for %s" % name)
                self.help[name] = self.lineno
                if re.search(r"\\(?![\\n])", re.sub(r"\\[\\n]", "", rest)):
                    self.err("HELP %s: bad escape (only \\\\ and \\n)" % name)
            else:
                if name in self.type:
                    self.err("second TYPE for %s" % name)
                if rest.strip() not in TYPES:
                    self.err("TYPE %s: unknown type %r" % (name, rest))
                self.type[name] = rest.strip()

    def sample(self, line):
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if not m:
            self.err("bad metric name in %r" % line[:40])
            return
        name = m.group(1)
        rest = line[len(name):]
        labels = ()
        if rest.startswith("{"):
            labels, rest = self.parse_labels(rest[1:])
            if labels is None:
                return
        if not rest.startswith(" "):
            self.err("%s: expected a space before the value" % name)
            return
        fields = rest.split()
        if len(fields) not in (1, 2) or rest != " " + " ".join(fields):
            self.err("%s: expected 'value [timestamp]' with single spaces, got %r"
                     % (name, rest))
            return
        value = self.parse_value(fields[0], "value")
        if len(fields) == 2 and not re.match(r"-?\d+\Z", fields[1]):
            self.err("%s: timestamp %r is not an integer" % (name, fields[1]))
        fam = self.family_of(name)
        if fam is None:
            self.err("sample %s has no TYPE before it" % name)
            fam = name
        if fam not in self.help:
            self.err("sample %s: family %s has no HELP before it" % (name, fam))
            self.help[fam] = 0
        if fam != self.current:
            if fam in self.closed:
                self.err("samples of %s are not together" % fam)
            if self.current is not None:
                self.closed.add(self.current)
            self.current = fam
        self.seen_sample.setdefault(fam, self.lineno)
        key = (name, tuple(sorted(labels)))
        if key in self.samples:
            self.err("sample %s%s given twice" % (name, dict(labels)))
        self.samples[key] = value
        self.order.append((fam, name, labels, value, self.lineno))

    # ---- families ----

    def check_counter(self, fam, rows):
        for _, name, labels, v, ln in rows:
            if v is not None and (math.isnan(v) or v < 0):
                self.err("counter %s is %r (must be >= 0)" % (name, v), ln)

    def check_histogram(self, fam, rows):
        groups = {}
        for _, name, labels, v, ln in rows:
            d = dict(labels)
            if name == fam + "_bucket":
                if "le" not in d:
                    self.err("%s without an le label" % name, ln)
                    continue
                le = d.pop("le")
                g = groups.setdefault(tuple(sorted(d.items())), {"b": [], "sum": None, "count": None})
                g["b"].append((le, v, ln))
            elif name in (fam + "_sum", fam + "_count"):
                if "le" in d:
                    self.err("%s with an le label" % name, ln)
                g = groups.setdefault(tuple(sorted(d.items())), {"b": [], "sum": None, "count": None})
                g["sum" if name.endswith("_sum") else "count"] = (v, ln)
            else:
                self.err("histogram %s has a sample %s" % (fam, name), ln)
        for key, g in groups.items():
            where = "%s%s" % (fam, dict(key))
            if not g["b"]:
                self.err("%s: no buckets" % where)
                continue
            prev_le, prev_c = None, None
            for le, c, ln in g["b"]:
                lev = self.parse_value(le, "le")
                if lev is None:
                    continue
                if prev_le is not None and not lev > prev_le:
                    self.err("%s: le %s is not above the one before" % (where, le), ln)
                if c is not None and prev_c is not None and c < prev_c:
                    self.err("%s: bucket le=%s has fewer than the one before" % (where, le), ln)
                prev_le, prev_c = lev, c
            last_le, last_c, ln = g["b"][-1]
            if last_le != "+Inf":
                self.err("%s: the last bucket is le=%r, not \"+Inf\"" % (where, last_le), ln)
            if g["count"] is None:
                self.err("%s: no %s_count" % (where, fam))
            elif last_le == "+Inf" and g["count"][0] != last_c:
                self.err("%s: _count %r differs from the +Inf bucket %r"
                         % (where, g["count"][0], last_c), g["count"][1])
            if g["sum"] is None:
                self.err("%s: no %s_sum" % (where, fam))

    def check_summary(self, fam, rows):
        for _, name, labels, v, ln in rows:
            d = dict(labels)
            if name == fam:
                q = d.get("quantile")
                if q is None or self.parse_value(q, "quantile") is None:
                    self.err("summary %s without a quantile label" % name, ln)
            elif name not in (fam + "_sum", fam + "_count"):
                self.err("summary %s has a sample %s" % (fam, name), ln)

    def finish(self, required):
        fams = {}
        for row in self.order:
            fams.setdefault(row[0], []).append(row)
        for fam, t in self.type.items():
            if fam not in self.help:
                self.err("%s has a TYPE but no HELP" % fam, 0)
        for fam, rows in fams.items():
            t = self.type.get(fam)
            if t == "counter":
                self.check_counter(fam, rows)
            elif t == "histogram":
                self.check_histogram(fam, rows)
            elif t == "summary":
                self.check_summary(fam, rows)
        for name in required:
            if name not in fams:
                self.err("no samples of %s" % name, 0)
        return fams

    def run(self, text, required):
        if not text:
            self.err("empty", 0)
        elif not text.endswith("\n"):
            self.err("no newline at the end", text.count("\n") + 1)
        for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
            self.lineno += 1
            if line == "":
                self.err("empty line")
            elif line.startswith("#"):
                self.comment(line)
            elif line[0] in " \t":
                self.err("leading white space")
            else:
                self.sample(line)
        return self.finish(required)


def main(argv):
    args = argv[1:]
    required = []
    files = []
    while args:
        a = args.pop(0)
        if a == "--require" and args:
            required.append(args.pop(0))
        elif a.startswith("-"):
            print("usage: promcheck.py FILE [--require NAME]...", file=sys.stderr)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        print("usage: promcheck.py FILE [--require NAME]...", file=sys.stderr)
        return 2
    with open(files[0], "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("%s: not UTF-8: %s" % (files[0], e))
        return 1
    c = Checker(files[0])
    fams = c.run(text, required)
    for e in c.errors:
        print(e)
    if c.errors:
        return 1
    print("ok: %d families, %d samples" % (len(fams), len(c.order)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
