"""One peer in its own process (both SpikingJelly versions are the package `spikingjelly`): verify it,
then time its states. Each finished state is one JSON line appended to the journal, so that a run
stopped half-way keeps what it measured; the parent merges the journal into the results file."""
import json
import os
import sys
import time
import traceback

from . import adapters, timing, verify


def _line(journal, record):
    with open(journal, "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _skip_all(job, status, reason):
    for s in job["states"]:
        _line(job["journal"], dict(s, status=status, reason=reason))


def _device(torch, backend):
    if backend == "cuda":
        if not torch.cuda.is_available():
            raise LookupError("no CUDA device visible to torch "
                              f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _clock(torch, device, dev_record):
    if device.type == "cuda":  # measure_cuda.cu's flush: the L2 the device record gives
        l2 = dev_record.get("l2_bytes") or getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0)
        return timing.CudaClock(torch, device, l2 or (64 << 20))
    llc = dev_record.get("l3_bytes") or dev_record.get("l2_bytes") or (32 << 20)
    return timing.CpuClock(torch, 2 * llc)  # measure_cpu.c's flush: twice the last-level cache


def _launches(torch, trial):
    """The GPU work of one trial as torch.profiler sees it: kernels, memsets and copies, by name. It says
    what ran (TorchScript's fused kernels or not, Triton's) and how many launches the host issued."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        trial()
        torch.cuda.synchronize()
    names = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            names[e.name] = names.get(e.name, 0) + 1
    top = sorted(names.items(), key=lambda kv: -kv[1])[:16]
    return {"count": sum(names.values()), "kernels": {k[:120]: n for k, n in top}}


def _time_state(torch, device, adapter, clock, state, rule, seed):
    T, M = state["T"], state["N"] * state["B"]
    g = torch.Generator(device=device).manual_seed(seed)
    x = (torch.rand((T, M), generator=g, device=device) * 1.2 - 0.4)
    grad_y = None
    if state["direction"] == "fwd+bwd":
        x.requires_grad_(True)
        grad_y = torch.rand((T, M), generator=g, device=device) * 2.0 - 1.0
    trial = lambda: adapter.trial(x, grad_y)
    samples, stop = timing.measure(clock, trial, rule)
    launches = None
    if device.type == "cuda":
        try:
            launches = _launches(torch, trial)
        except Exception as e:  # the profiler is a nicety: its failure costs the count, not the state
            launches = {"count": 0, "kernels": {"profiler failed": str(e)[:100]}}
    return samples, stop, launches


def run(job):
    peer = adapters.peer_named(job["peer"])
    states = job["states"]
    try:
        import torch
    except ImportError as e:
        return _skip_all(job, "skipped", f"torch is not installed ({e}): peers/install.sh venv")
    try:
        device = _device(torch, job["backend"])
        if peer.needs and device.type != "cuda":
            raise LookupError(f"{peer.name} needs a CUDA device ({peer.needs})")
        adapter = adapters.make(peer, torch, device, job.get("plant"))
    except (ImportError, LookupError) as e:
        hint = "" if isinstance(e, LookupError) else (
            f": peers/install.sh install (group {peer.group})" if peer.group else "")
        return _skip_all(job, "skipped", f"{type(e).__name__}: {e}{hint}")
    except Exception as e:  # a peer that cannot even be built is recorded, never a crash
        return _skip_all(job, "failed", f"setting up {peer.name}: {type(e).__name__}: {e}")

    # verified before timed: a peer that differs is not timed
    try:
        passed, report = verify.verify(job["spikefuse"], peer, adapter, torch, device)
    except Exception as e:
        detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        # an implementation that does not run here (a Triton or CuPy kernel that does not compile, a forced
        # implementation that fell back) is skipped with its reason; a peer that runs and differs fails
        return _skip_all(job, "skipped", f"{peer.name} did not run: {type(e).__name__}: {str(e)[:400]} ({detail})")
    info = {"package": peer.package, "implementation": adapter.implementation, "settings": peer.settings,
            "membrane": peer.membrane, "reset_grad": peer.reset_grad, "fires": peer.fires,
            "torch": torch.__version__, "plant": job.get("plant")}
    if not passed:
        for s in states:
            _line(job["journal"], dict(s, status="failed", reason="differs from the float64 reference",
                                       verified=report, peer=info))
        return

    clock = _clock(torch, device, job["device"])
    rule = timing.StopRule(**job["rule"])
    for s in states:
        try:
            t0 = time.monotonic()
            samples, stop, launches = _time_state(torch, device, adapter, clock, s, rule, job["seed"])
            rec = dict(s, status="ok", verified=report, peer=info, samples=samples, stop=stop, launches=launches,
                       wall_s=time.monotonic() - t0)
        except Exception as e:  # out of memory, a kernel that does not compile: this state only
            if device.type == "cuda":
                torch.cuda.empty_cache()
            rec = dict(s, status="failed", reason=f"{type(e).__name__}: {str(e).splitlines()[0][:300]}",
                       verified=report, peer=info)
        _line(job["journal"], rec)
        print(f"peers: {peer.name} {s['direction']} T={s['T']} N={s['N']} B={s['B']}: {rec['status']}"
              + (f", {len(rec['samples'])} samples, {rec['stop']}" if rec["status"] == "ok" else f" ({rec['reason']})"),
              file=sys.stderr, flush=True)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    run(job)


if __name__ == "__main__":
    main()
