#!/usr/bin/env python3
"""check_expect.py: compare `postdesk inspect --json` output with a golden
expectation file (used by t-inspect.sh).

    check_expect.py check FILE.expect OUTPUT.json
        Every expectation line holds; on failure print "#"-diagnostics
        (the field, got, want) and exit 1.
    check_expect.py keys FILE.eml OUTPUT.json
        The output is one JSON object with every documented key, each of
        the documented type, and size / content_hash describe FILE.eml.

Expectation files: one "PATH = JSON" a line; blank lines and lines that
start with "#" are ignored. PATH indexes into the document with dots
(keys, or list indexes from 0: "attachments.0.filename"). A last component
that is one of these is an operator on the value before it:
    .count        the length of a list
    .startswith   a string starts with the (string) value
    .endswith     a string ends with the value
    .contains     a string contains the value; a list has an element equal
                  to it or, for strings, containing it
    .notcontains  the opposite of .contains
    .nonempty     true: not null/""/[]/{}; false: one of those
    .absent       true: the path does not exist or is null
Without an operator the value must equal the JSON value exactly (true is
not 1). Line endings are not what the fixtures test: CRLF in the output is
read as LF before any comparison.
"""
import hashlib
import json
import sys

MISSING = object()
OPS = ("count", "startswith", "endswith", "contains", "notcontains",
       "nonempty", "absent")

# The documented keys of `inspect --json` and the JSON types allowed.
STR, NULL, BOOL, INT, LIST, OBJ = str, type(None), bool, int, list, dict
KEYS = {
    "message_id": (STR,), "message_id_synthetic": (BOOL,),
    "in_reply_to": (STR, NULL), "references": (LIST,),
    "from": (OBJ, NULL), "reply_to": (LIST,), "to": (LIST,), "cc": (LIST,),
    "subject": (STR,), "date": (STR, NULL), "text": (STR,),
    "text_new": (STR,), "html": (BOOL,), "attachments": (LIST,),
    "auto_reply": (BOOL,), "auto_reply_reason": (STR, NULL),
    "bulk": (BOOL,), "bounce": (BOOL,), "bounce_recipients": (LIST,),
    "bounce_original_message_id": (STR, NULL),
    "authentication_results": (LIST,), "language": (STR, NULL),
    "size": (INT,), "content_hash": (STR,), "over_limit": (BOOL,),
    "defects": (LIST,),
}
ADDR_KEYS = {"name": (STR, NULL), "addr": (STR,)}
ATT_KEYS = {"filename": (STR, NULL), "content_type": (STR,), "size": (INT,),
            "inline": (BOOL,)}
RCPT_KEYS = {"addr": (STR,), "action": (STR, NULL), "status": (STR, NULL)}
AUTH_KEYS = {"authserv_id": (STR,), "method": (STR,), "result": (STR,),
             "domain": (STR, NULL), "header": (INT,)}


def norm(v):
    """CRLF → LF in every string of v."""
    if isinstance(v, str):
        return v.replace("\r\n", "\n")
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def same(a, b):
    """Equality that tells true from 1 and false from 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b or \
        (isinstance(a, (int, float)) and isinstance(b, (int, float)) and
         not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            cur = cur.get(p, MISSING)
        elif isinstance(cur, list) and p.isdigit():
            i = int(p)
            cur = cur[i] if i < len(cur) else MISSING
        else:
            return MISSING
        if cur is MISSING:
            return MISSING
    return cur


def show(v):
    if v is MISSING:
        return "(missing)"
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 600 else s[:600] + "..."


def check_one(doc, path, want):
    """None if the expectation holds, else (shown got) for the diagnostic."""
    parts = path.split(".")
    op = parts[-1] if len(parts) > 1 and parts[-1] in OPS else None
    if op:
        parts = parts[:-1]
    got = walk(doc, parts)
    if op is None:
        ok = got is not MISSING and same(got, want)
    elif op == "count":
        ok = isinstance(got, list) and same(len(got), want)
        if isinstance(got, list):
            return None if ok else show(len(got)) + " " + show(got)
    elif op == "absent":
        ok = (got is MISSING or got is None) == want
    elif op == "nonempty":
        empty = got is MISSING or got in (None, "", [], {})
        ok = (not empty) == want
    elif op in ("startswith", "endswith"):
        ok = isinstance(got, str) and isinstance(want, str) and \
            getattr(got, op)(want)
    else:
        if isinstance(got, str):
            has = isinstance(want, str) and want in got
        elif isinstance(got, list):
            has = any(same(e, want) or (isinstance(e, str) and
                      isinstance(want, str) and want in e) for e in got)
        else:
            has = None
        ok = has is not None and has == (op == "contains")
    return None if ok else show(got)


def cmd_check(expect_file, json_file):
    with open(json_file, encoding="utf-8") as f:
        doc = norm(json.load(f))
    failed = 0
    with open(expect_file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            path, sep, val = line.partition(" = ")
            if not sep:
                print("#   %s:%d: not 'PATH = JSON': %s" % (expect_file, n, line))
                failed += 1
                continue
            try:
                want = norm(json.loads(val))
            except ValueError as e:
                print("#   %s:%d: bad JSON value: %s" % (expect_file, n, e))
                failed += 1
                continue
            got = check_one(doc, path.strip(), want)
            if got is not None:
                failed += 1
                print("#   %s" % path.strip())
                print("#     got:  %s" % got)
                print("#     want: %s" % show(want))
    return 1 if failed else 0


def typed(obj, spec, where, errs):
    if not isinstance(obj, dict):
        errs.append("%s: not an object" % where)
        return
    for k, types in spec.items():
        if k not in obj:
            errs.append("%s: key %s missing" % (where, k))
        elif not isinstance(obj[k], types) or \
                (isinstance(obj[k], bool) and bool not in types):
            errs.append("%s: %s is %s" % (where, k, show(obj[k])))


def cmd_keys(eml_file, json_file):
    errs = []
    with open(json_file, "rb") as f:
        data = f.read()
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        print("#   not valid UTF-8 JSON: %s" % e)
        return 1
    typed(doc, KEYS, "document", errs)
    if not errs:
        if doc["from"] is not None:
            typed(doc["from"], ADDR_KEYS, "from", errs)
        for k in ("reply_to", "to", "cc"):
            for i, a in enumerate(doc[k]):
                typed(a, ADDR_KEYS, "%s.%d" % (k, i), errs)
        for i, a in enumerate(doc["attachments"]):
            typed(a, ATT_KEYS, "attachments.%d" % i, errs)
        for i, a in enumerate(doc["bounce_recipients"]):
            typed(a, RCPT_KEYS, "bounce_recipients.%d" % i, errs)
        for i, a in enumerate(doc["authentication_results"]):
            typed(a, AUTH_KEYS, "authentication_results.%d" % i, errs)
        for k in ("references", "defects"):
            if not all(isinstance(x, str) for x in doc[k]):
                errs.append("%s: not all strings" % k)
        for k in ("message_id", "in_reply_to", "bounce_original_message_id"):
            v = doc[k]
            if v is not None and not (v.startswith("<") and v.endswith(">")):
                errs.append("%s: %s is not in <>" % (k, show(v)))
        with open(eml_file, "rb") as f:
            raw = f.read()
        if doc["size"] != len(raw):
            errs.append("size: %d, the file has %d bytes" % (doc["size"], len(raw)))
        if doc["content_hash"] != hashlib.sha256(raw).hexdigest():
            errs.append("content_hash is not the SHA-256 of the file")
        if doc["date"] is not None and not (len(doc["date"]) == 20 and
                                            doc["date"].endswith("Z")):
            errs.append("date: %s is not YYYY-MM-DDTHH:MM:SSZ" % show(doc["date"]))
    for e in errs:
        print("#   " + e)
    return 1 if errs else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "check":
        return cmd_check(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "keys":
        return cmd_keys(argv[2], argv[3])
    sys.stderr.write("usage: check_expect.py check FILE.expect OUT.json | "
                     "keys FILE.eml OUT.json\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
