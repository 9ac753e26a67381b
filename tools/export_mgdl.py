#!/usr/bin/env python3
"""Export an MGDL network trained in PyTorch or JAX for `mgdl import`.

Writes the .npz interchange (README, "Check your own trained network"):
g{k}_W{l} [out, in], g{k}_b{l} [out], g{k}_c [width], g{k}_c0 [] for grades
k = 1..K and hidden layers l = 1..L_k, float64 (float32 is kept exactly too).

PyTorch: one entry per grade, (hidden, readout) with `hidden` a list of
torch.nn.Linear (each followed by a ReLU in the model) and `readout` a
torch.nn.Linear with one output:

    from export_mgdl import export_torch
    export_torch([(grade.hidden_layers, grade.readout) for grade in model.grades], "net.npz")

JAX (or plain NumPy): one dict per grade with "W" (list of [out, in] arrays),
"b" (list of [out] arrays), "c" ([width]) and "c0" (scalar):

    from export_mgdl import export_arrays
    export_arrays([{"W": [W1], "b": [b1], "c": c, "c0": c0} for ...], "net.npz")

Grade k's first layer must read grade k-1's last hidden layer (the MGDL
structure); `mgdl import` checks the shapes and names the array that breaks it.
Only numpy is needed (and torch for export_torch).
"""
import numpy as np


def export_arrays(grades, path):
    out = {}
    for k, g in enumerate(grades, start=1):
        if len(g["W"]) != len(g["b"]) or not g["W"]:
            raise ValueError("grade %d: W and b must be non-empty lists of equal length" % k)
        for l, (W, b) in enumerate(zip(g["W"], g["b"]), start=1):
            out["g%d_W%d" % (k, l)] = np.asarray(W, dtype=np.float64 if np.asarray(W).dtype != np.float32 else np.float32)
            out["g%d_b%d" % (k, l)] = np.asarray(b).reshape(-1)
        out["g%d_c" % k] = np.asarray(g["c"]).reshape(-1)
        out["g%d_c0" % k] = np.asarray(g.get("c0", 0.0)).reshape(())
    np.savez(path, **out)


def export_torch(grades, path):
    arrays = []
    for hidden, readout in grades:
        arrays.append({
            "W": [layer.weight.detach().cpu().double().numpy() for layer in hidden],
            "b": [layer.bias.detach().cpu().double().numpy() for layer in hidden],
            "c": readout.weight.detach().cpu().double().numpy().reshape(-1),
            "c0": float(readout.bias.detach().cpu().double().numpy().reshape(-1)[0]) if readout.bias is not None else 0.0,
        })
    export_arrays(arrays, path)


if __name__ == "__main__":
    import sys
    print(__doc__)
    sys.exit(0)
