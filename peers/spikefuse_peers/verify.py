"""A peer's outputs judged by spikefuse's float64 reference and tolerances: `spikefuse verify --outputs`."""
import json
import os
import subprocess
import tempfile

import numpy as np

from .adapters import ALPHA, DECAY, REST, THRESHOLD

# T = 1, a long T, and ragged M (no multiple of a block or vector width)
SIZES = [(1, 2053), (33, 4099), (256, 1031)]


def inputs(T, M, seed):
    """x uniform in [-0.4, 0.8) (about a third of the neuron-steps spike), dL/dy uniform in [-1, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.4, 0.8, size=(T, M)).astype(np.float32)
    gy = rng.uniform(-1.0, 1.0, size=(T, M)).astype(np.float32)
    return x, gy


def check(spikefuse, peer, x, gy, y, trace, gx, reset_grad=None):
    """Runs spikefuse verify --outputs on the arrays; returns its JSON report."""
    with tempfile.TemporaryDirectory(prefix="sf-peer-") as d:
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "y.npy"), np.ascontiguousarray(y, dtype=np.float32))
        if trace is not None:
            name = "v_reset.npy" if peer.membrane == "v_reset" else "v.npy"
            np.save(os.path.join(d, name), np.ascontiguousarray(trace, dtype=np.float32))
        if gx is not None:
            np.save(os.path.join(d, "gy.npy"), gy)
            np.save(os.path.join(d, "gx.npy"), np.ascontiguousarray(gx, dtype=np.float32))
        cmd = [spikefuse, "verify", "--outputs", d, "--json", "--reset-grad", reset_grad or peer.reset_grad,
               "--decay", str(DECAY), "--threshold", str(THRESHOLD), "--rest", str(REST), "--surrogate", "sigmoid",
               "--alpha", str(ALPHA)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
        return json.loads(p.stdout)


def verify(spikefuse, peer, adapter, torch, device, seed=1):
    """The peer at every size of SIZES, forward and backward. Returns (passed, report): report has one
    entry per size, and for a peer whose reset gradient is detached, its difference from the paper's
    function (the reference with the reset kept) too."""
    sizes, passed = [], True
    for T, M in SIZES:
        x, gy = inputs(T, M, seed + T)
        y, trace, gx = adapter.run(torch.from_numpy(x).to(device), torch.from_numpy(gy).to(device))
        r = check(spikefuse, peer, x, gy, y, trace, gx)
        entry = {"T": T, "M": M, "forward": r["forward"], "backward": r.get("backward"), "passed": r["passed"]}
        if peer.reset_grad != "kept":
            paper = check(spikefuse, peer, x, gy, y, trace, gx, reset_grad="kept")
            entry["against_paper_function"] = {"backward": paper.get("backward")}
        passed &= r["passed"]
        sizes.append(entry)
    return passed, {"sizes": sizes, "membrane": peer.membrane, "reset_grad": peer.reset_grad,
                    "fires": peer.fires, "passed": passed}
