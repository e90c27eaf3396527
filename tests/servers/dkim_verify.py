#!/usr/bin/env python3
"""Independent DKIM verifier for mailpreflight's tests: dkimpy, with DNS answered from a
JSON file instead of the network (nothing is looked up).

    python3 tests/servers/dkim_verify.py MESSAGE.eml RECORDS.json

RECORDS.json: {"<selector>._domainkey.<domain>": "v=DKIM1; k=...; p=..."}.
Prints one JSON line: {"signatures": N, "results": [true|false, ...]} — one verdict per
DKIM-Signature header, in header order. Exit 0 when every signature verifies, 1 otherwise,
2 on bad usage.
"""

import json
import sys

import dkim


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        message = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        records = {k.lower().rstrip("."): v for k, v in json.load(f).items()}

    def dnsfunc(name, timeout=5):
        key = name.decode() if isinstance(name, bytes) else name
        value = records.get(key.lower().rstrip("."))
        return value.encode() if value is not None else None

    d = dkim.DKIM(message)
    count = sum(1 for (k, _) in d.headers if k.lower() == b"dkim-signature")
    results = []
    for i in range(count):
        try:
            results.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
        except dkim.DKIMException as e:
            print(f"signature {i}: {e}", file=sys.stderr)
            results.append(False)
    print(json.dumps({"signatures": count, "results": results}))
    return 0 if count > 0 and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
