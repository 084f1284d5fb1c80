"""Peer states in spikefuse's results format (harness/SCHEMA.md, `spikefuse.sweep` version 1), so that
`spikefuse report`, `compare`, `reproduce` and plots/ read a peer as one more family."""
import json
import os
import tempfile

from . import timing
from .adapters import ALPHA, DECAY, REST, THRESHOLD, peer_named

REFERENCE_FAMILY = "torch-eager"  # the paper's Serial (PyTorch): speedups in the file are over it


def state_id(family, direction, T, N, B):
    return f"{family}|{direction}|{family}|T={T}|N={N}|B={B}|block=0"


def new_document(argv, device, rule, git):
    return {
        "schema": "spikefuse.sweep", "schema_version": 1,
        "meta": {"argv": argv, "spikefuse_version": "peers", "git_commit": git[0], "git_dirty": git[1],
                 "date": _now(), "preset": "peers"},
        "devices": [device],
        "settings": {"backend": device["backend"], "reference_family": REFERENCE_FAMILY,
                     "neuron": {"decay": DECAY, "threshold": THRESHOLD, "rest": REST, "surrogate": "sigmoid",
                                "width": 0.5, "alpha": ALPHA},
                     "stop_rule": rule.to_json(), "warmup_trials": 1, "verify": True,
                     "timing": "cold samples: L2 (GPU) or twice the LLC (CPU) flushed before each; CUDA events "
                               "or the wall clock around the peer's call, host gaps between its launches included"},
        "states": [],
    }


def _now():
    import datetime
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_from_record(rec, backend, copy_bw):
    """A journal record (worker.py) as a results state."""
    peer = peer_named(rec["family"])
    T, N, B = rec["T"], rec["N"], rec["B"]
    s = {"id": rec["id"], "status": rec["status"], "family": rec["family"], "direction": rec["direction"],
         "form": "train", "kernels": [rec.get("peer", {}).get("implementation", peer.package)],
         "knobs": {"vec": 0, "npt": 0, "unroll": 0}, "T": T, "N": N, "B": B, "M": N * B,
         "block_requested": 0, "block": 0, "grid": 0, "buffer_sets": 1, "launches_per_trial": 0}
    if rec.get("reason"):
        s["reason"] = rec["reason"]
    if rec.get("peer"):
        s["peer"] = rec["peer"]
    if rec.get("verified"):
        s["verified"] = rec["verified"]
    if rec.get("launches") and rec["launches"].get("count"):  # CUDA: torch.profiler over one trial
        s["launches_per_trial"] = rec["launches"]["count"]
        s["launched_kernels"] = rec["launches"]["kernels"]
    if rec["status"] != "ok":
        return s
    samples = rec["samples"]
    cold = timing.summarize(samples)
    cold.update(dropped=0, stop=rec["stop"], samples_s=[round(x * 1e9) * 1e-9 for x in samples])
    s["cold"] = cold
    per_step = peer.bytes_per_neuron_step(backend, rec["direction"], T)
    med = cold["median_s"]
    s["metrics"] = {"time_per_step_s": med / T, "time_per_neuron_step_s": med / (T * N * B),
                    "paper_steps_per_s": T / (1000.0 * med)}
    if per_step is not None:
        nbytes = per_step * T * N * B
        s["metrics"].update(bytes=nbytes, bytes_per_neuron_step=per_step, GBps=nbytes / med / 1e9,
                            pct_copy_bw=100.0 * nbytes / med / copy_bw if copy_bw else None)
    return s


def add_speedups(doc):
    """speedup over the reference family's state of the same problem, as a sweep writes it."""
    ref = {(s["direction"], s["T"], s["N"], s["B"]): s for s in doc["states"]
           if s["family"] == REFERENCE_FAMILY and s["status"] == "ok"}
    for s in doc["states"]:
        r = ref.get((s["direction"], s["T"], s["N"], s["B"]))
        if s["status"] == "ok" and r:
            s["metrics"]["speedup"] = r["cold"]["median_s"] / s["cold"]["median_s"]
            s["metrics"]["speedup_over"] = REFERENCE_FAMILY


def read(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("schema") != "spikefuse.sweep" or doc.get("schema_version", 99) > 1:
        raise ValueError(f"{path}: not a spikefuse.sweep results file of version 1")
    return doc


def write_atomic(path, doc):
    """A temporary file in the same folder, fsync, then rename: a reader sees the old file or the new."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp.", dir=d)
    mask = os.umask(0)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)  # as any file the user writes (mkstemp makes it 0600)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
