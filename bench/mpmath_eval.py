#!/usr/bin/env python3
"""Reference forward pass of an mgdl-scheme/1 file in mpmath (python3-mpmath).

Usage: bench/mpmath_eval.py SCHEME.json POINTS.txt [--prec BITS]
Prints F_K(x) per point and the time per grade, for comparison with
`build/mgdl eval` on the same scheme and points (see bench/README.md).
"""
import json
import sys
import time
from fractions import Fraction

import mpmath


def main():
    args = sys.argv[1:]
    prec = 128
    if "--prec" in args:
        i = args.index("--prec")
        prec = int(args[i + 1])
        del args[i:i + 2]
    scheme = json.load(open(args[0]))
    points = [[Fraction(t) for t in line.replace(",", " ").split()] for line in open(args[1]) if line.strip()]
    mpmath.mp.prec = prec
    # Weights to mpf once (as the C++ MPFR path converts them per use, this favours mpmath).
    grades = []
    for g in scheme["grades"]:
        layers = [([[mpmath.mpf(Fraction(w).numerator) / Fraction(w).denominator for w in row] for row in L["W"]],
                   [mpmath.mpf(Fraction(b).numerator) / Fraction(b).denominator for b in L["b"]]) for L in g["layers"]]
        c = [mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in g["readout"]["c"]]
        c0 = mpmath.mpf(Fraction(g["readout"]["c0"]).numerator) / Fraction(g["readout"]["c0"]).denominator
        grades.append((layers, c, c0))
    start = time.perf_counter()
    for x in points:
        h = [mpmath.mpf(v.numerator) / v.denominator for v in x]
        total = mpmath.mpf(0)
        for layers, c, c0 in grades:
            for W, b in layers:
                h = [max(mpmath.fsum(w * v for w, v in zip(row, h)) + bi, 0) for row, bi in zip(W, b)]
            total += mpmath.fsum(ci * hi for ci, hi in zip(c, h)) + c0
        print(mpmath.nstr(total, 20))
    elapsed = time.perf_counter() - start
    per = elapsed / (len(points) * max(1, len(grades)))
    print(f"# {len(points)} points, {len(grades)} grades, {elapsed:.3f} s, {per * 1e9:.0f} ns per grade per point", file=sys.stderr)


if __name__ == "__main__":
    main()
