#!/usr/bin/env python3
"""Re-run a supervise draw from its published inputs, with the Python standard library only.

Inputs (all published for every draw, see doc/draw-algorithm.md):
  * the population export, CSV with a header row: uscc,stratum,weight (weight empty when the
    draw is unweighted), e.g. from
        \\copy (SELECT * FROM supervise.draw_population(42)) TO 'pop.csv' CSV HEADER
  * the seed in hex (64 hex digits), e.g. v_draw_disclosure.seed_hex
  * the allocation: the JSON of draw_record.allocation (a list of {"stratum", "k", ...}), or
    simply "A=11,B=19,C=18"
  * the algorithm: sha256-v1 (default), sha256-v1-weighted or rfc3797

Prints the population digest and then one line per target: stratum,rank,uscc (stratum by
stratum in name order, each in rank order). With --digest HEX it also checks the digest, with
--targets FILE (lines stratum,rank,uscc) it compares the targets; either mismatch exits 1.

    python3 tools/verify_draw.py --population pop.csv --seed 3fc1...e13 \\
        --allocation '[{"stratum": "A", "k": 11}, {"stratum": "B", "k": 19}]'
"""
import argparse
import csv
import hashlib
import json
import math
import sys

DOMAIN = b"supervise/draw/v1"


def block_b(seed):
    """B = "supervise/draw/v1" || 0x00 || seed, padded with zero bytes to 64 bytes."""
    b = DOMAIN + b"\x00" + seed
    return b + b"\x00" * (64 - len(b))


def row_digest(b, uscc):
    """d = SHA-256(B || id), id the 18-character code in UTF-8."""
    h = hashlib.sha256(b)
    h.update(uscc.encode("utf-8"))
    return h.digest()


def weighted_key(d, w):
    """u = ((h >> 11) * 2 + 1) / 2^54 with h the first 8 bytes of d; key = -ln(u) / w."""
    h = int.from_bytes(d[:8], "big")
    u = ((h >> 11) * 2 + 1) / 2 ** 54   # exact integers, one correctly rounded division
    return -math.log(u) / w


def rfc3797_select(pool, k, key):
    """RFC 3797: k distinct 1-based positions of 1..pool, in selection order."""
    left = list(range(1, pool + 1))
    out = []
    for i in range(k):
        pre = i.to_bytes(2, "big")
        r = int.from_bytes(hashlib.md5(pre + key + pre).digest(), "big") % len(left)
        out.append(left.pop(r))
    return out


def population_digest(rows, weighted):
    """SHA-256 of "uscc,stratum\\n" (weighted: "uscc,stratum,weight\\n", weight as %.17g)."""
    h = hashlib.sha256()
    for uscc, stratum, w in rows:
        line = "%s,%s" % (uscc, stratum)
        if weighted:
            line += ",%.17g" % w
        h.update((line + "\n").encode("utf-8"))
    return h.hexdigest()


def read_population(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            w = rec.get("weight") or ""
            rows.append((rec["uscc"], rec["stratum"], float(w) if w != "" else None))
    weights = [r[2] is not None for r in rows]
    if any(weights) and not all(weights):
        sys.exit("some rows have a weight and some have none")
    # strata in bytewise name order, codes in order (the code order is the text order)
    rows.sort(key=lambda r: (r[1].encode("utf-8"), r[0]))
    return rows, bool(rows) and all(weights)


def read_allocation(text):
    text = text.strip()
    if text.startswith("["):
        return {a["stratum"]: int(a["k"]) for a in json.loads(text)}
    alloc = {}
    for part in filter(None, text.split(",")):
        name, k = part.split("=")
        alloc[name.strip()] = int(k)
    return alloc


def draw(rows, weighted, seed, alloc, algorithm):
    b = block_b(seed)
    strata = {}
    for uscc, stratum, w in rows:
        strata.setdefault(stratum, []).append((uscc, w))
    for name in alloc:
        if alloc[name] > len(strata.get(name, [])):
            sys.exit("stratum %s has %d rows, fewer than k = %d" % (name, len(strata.get(name, [])), alloc[name]))
    targets = []
    for name in sorted(strata, key=lambda s: s.encode("utf-8")):
        k = alloc.get(name, 0)
        if k == 0:
            continue
        members = strata[name]
        if algorithm == "rfc3797":
            key = (seed.hex() + "/" + name + "/").encode("utf-8")
            chosen = [members[p - 1][0] for p in rfc3797_select(len(members), k, key)]
        elif algorithm == "sha256-v1":
            keyed = [(row_digest(b, u), u) for u, _ in members]
            keyed.sort()
            chosen = [u for _, u in keyed[:k]]
        elif algorithm == "sha256-v1-weighted":
            if not weighted:
                sys.exit("a weighted draw needs weights in the population")
            keyed = []
            for u, w in members:
                d = row_digest(b, u)
                keyed.append((weighted_key(d, w), d, u))
            keyed.sort()
            chosen = [u for _, _, u in keyed[:k]]
        else:
            sys.exit("unknown algorithm %s" % algorithm)
        targets.extend((name, rank, u) for rank, u in enumerate(chosen, 1))
    return targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--population", required=True, help="CSV export: uscc,stratum,weight")
    ap.add_argument("--seed", required=True, help="the seed, 64 hex digits")
    ap.add_argument("--allocation", required=True, help='JSON of draw_record.allocation, or "A=11,B=19"')
    ap.add_argument("--algorithm", default="sha256-v1", choices=["sha256-v1", "sha256-v1-weighted", "rfc3797"])
    ap.add_argument("--digest", help="expected population digest in hex: checked")
    ap.add_argument("--targets", help="file of recorded targets stratum,rank,uscc: compared")
    args = ap.parse_args()

    seed = bytes.fromhex(args.seed)
    if len(seed) != 32:
        sys.exit("the seed must be 32 bytes (64 hex digits), not %d" % len(seed))
    rows, weighted = read_population(args.population)
    digest = population_digest(rows, weighted)
    targets = draw(rows, weighted, seed, read_allocation(args.allocation), args.algorithm)

    print("population_digest,%s" % digest)
    for stratum, rank, uscc in targets:
        print("%s,%d,%s" % (stratum, rank, uscc))

    status = 0
    if args.digest and args.digest.lower() != digest:
        print("MISMATCH population digest: recorded %s, recomputed %s" % (args.digest, digest), file=sys.stderr)
        status = 1
    if args.targets:
        with open(args.targets, encoding="utf-8") as f:
            recorded = [tuple(l.strip().split(",")) for l in f if l.strip()]
        recorded = sorted((s, int(r), u) for s, r, u in recorded)
        if recorded != sorted(targets):
            print("MISMATCH targets: %d recorded, %d recomputed, %d in common"
                  % (len(recorded), len(targets), len(set(recorded) & set(targets))), file=sys.stderr)
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
