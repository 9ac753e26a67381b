#!/usr/bin/env python3
"""Train a multigrade ReLU network grade by grade (NumPy only) and save it
for `mgdl import`.

The recipe of multigrade deep learning: grade 1 is a one-hidden-layer ReLU
network fitted to f; it is frozen; grade k is a new hidden layer reading grade
k-1's hidden layer, with a linear readout, fitted to the residual
r_{k-1} = f - (g_1 + ... + g_{k-1}) on the training points. Adam, mean squared
error, full batch. Deterministic (fixed seed).

    tools/train_mgdl.py --target "sin(2*pi*x)" --dim 1 --grades 4 --width 32 -o net.npz
    build/mgdl import net.npz --target "sin(2*pi*x)" -o net.json
    build/mgdl verify net.json --eps 1e-1

The target is a Python/NumPy expression in x (d = 1) or x1..xd. Not needed
by the build; needs python3-numpy.
"""
import argparse
import numpy as np


def target_fn(expr, d):
    env = {"pi": np.pi, "sin": np.sin, "cos": np.cos, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs, "log": np.log}

    def f(X):
        loc = dict(env)
        if d == 1:
            loc["x"] = X[:, 0]
        for i in range(d):
            loc["x%d" % (i + 1)] = X[:, i]
        return eval(expr.replace("^", "**"), {"__builtins__": {}}, loc) * np.ones(len(X))

    return f


def adam_fit(params, forward, X, y, iters, lr):
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, iters + 1):
        out, back = forward(params, X)
        err = out - y
        grads = back(2 * err / len(y))
        for i, (p, g) in enumerate(zip(params, grads)):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            p -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-12)
    return float(np.mean((forward(params, X)[0] - y) ** 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True)
    ap.add_argument("--dim", type=int, default=1)
    ap.add_argument("--grades", type=int, default=4)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--points", type=int, default=2048, help="training points (a grid in d = 1, uniform random otherwise)")
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="write mgdl-weights/1 JSON instead of .npz")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    d, W = a.dim, a.width
    X = np.linspace(0, 1, a.points)[:, None] if d == 1 else rng.random((a.points, d))
    y = target_fn(a.target, d)(X)
    H = X  # features the next grade reads
    F = np.zeros(len(X))
    arrays = {}
    for k in range(1, a.grades + 1):
        n_in = H.shape[1]
        Wk = rng.normal(0, np.sqrt(2.0 / n_in), (W, n_in))
        bk = rng.normal(0, 0.1, W) if k > 1 else -rng.random(W) * (Wk @ np.ones(n_in)) * 0.9
        ck = rng.normal(0, 0.1, W)
        c0 = np.zeros(1)
        r = y - F

        def forward(p, X, H=H):
            Wk, bk, ck, c0 = p
            Z = H @ Wk.T + bk
            A = np.maximum(Z, 0)
            out = A @ ck + c0[0]

            def back(dout):
                dA = np.outer(dout, ck)
                dZ = dA * (Z > 0)
                return [dZ.T @ H, dZ.sum(0), A.T @ dout, np.array([dout.sum()])]

            return out, back

        params = [Wk, bk, ck, c0]
        mse = adam_fit(params, forward, X, r, a.iters, a.lr)
        Wk, bk, ck, c0 = params
        H = np.maximum(H @ Wk.T + bk, 0)
        F = F + H @ ck + c0[0]
        print("grade %d: training mse %.3e, max |r| on the points %.3e" % (k, mse, np.max(np.abs(y - F))))
        arrays["g%d_W1" % k] = Wk
        arrays["g%d_b1" % k] = bk
        arrays["g%d_c" % k] = ck
        arrays["g%d_c0" % k] = c0
    if a.json:
        import json
        grades = []
        for k in range(1, a.grades + 1):
            grades.append({"layers": [{"W": arrays["g%d_W1" % k].tolist(), "b": arrays["g%d_b1" % k].tolist()}],
                           "readout": {"c": arrays["g%d_c" % k].tolist(), "c0": float(arrays["g%d_c0" % k][0])}})
        with open(a.output, "w") as f:
            json.dump({"format": "mgdl-weights/1", "dim": d, "target": a.target, "grades": grades}, f)
    else:
        np.savez(a.output, **arrays)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
