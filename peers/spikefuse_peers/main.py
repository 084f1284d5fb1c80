"""peers/run.py: the real peers (SpikingJelly, snnTorch, a PyTorch loop) verified against spikefuse's
float64 reference, then timed by spikefuse sweep's rules, into a spikefuse results file."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from . import adapters, results, timing

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # peers/
ROOT = os.path.dirname(HERE)
LIB = os.environ.get("SF_PEERS_LIB") or os.path.join(ROOT, ".peers", "lib")  # peers/install.sh

EPILOG = """Peers: %s. Each runs in its own process with .peers/lib/<group> on its path
(peers/install.sh installs them). A peer that is not installed, has no device (sj-cupy, sj2-triton need
CUDA) or does not run is recorded as skipped with the reason; one whose outputs differ from the float64
reference (spikefuse verify --outputs) as failed, and is not timed. Running the same command again
resumes: only states the file lacks (or skipped) run. Exit status: 0, 1 if a peer failed verification
or a state failed, 2 on bad input.""" % ", ".join(p.name for p in adapters.PEERS)


def _list(kind):
    def parse(text):
        try:
            return [kind(v) for v in text.split(",") if v]
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a comma-separated list of {kind.__name__}: '{text}'")
    return parse


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="peers/run.py", description=__doc__, epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="results file (spikefuse.sweep JSON), written atomically")
    ap.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--peers", type=_list(str), default=[p.name for p in adapters.PEERS])
    ap.add_argument("--T", type=_list(int), default=[8, 16, 32, 64, 128], help="default: paper-fig5's")
    ap.add_argument("--N", type=_list(int), default=[1000000])
    ap.add_argument("--B", type=_list(int), default=[1])
    ap.add_argument("--direction", type=_list(str), default=["fwd", "fwd+bwd"])
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds of sampling per state (15)")
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--max-samples", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spikefuse", default=os.environ.get("SPIKEFUSE", os.path.join(ROOT, "build", "spikefuse")),
                    help="the spikefuse binary: its verify --outputs and device (default $SPIKEFUSE, build/spikefuse)")
    ap.add_argument("--plant", choices=["decay_input"], help="a wrong setting, for the tests: SpikingJelly's "
                    "default decay_input=True, which scales the input by 1/tau")
    a = ap.parse_args(argv)
    for name in a.peers:
        if name not in [p.name for p in adapters.PEERS]:
            ap.error(f"unknown peer '{name}' (peers: {', '.join(p.name for p in adapters.PEERS)})")
    for d in a.direction:
        if d not in ("fwd", "fwd+bwd"):
            ap.error(f"--direction: fwd or fwd+bwd, not '{d}'")
    for axis, values, lo in (("T", a.T, 1), ("N", a.N, 1), ("B", a.B, 1)):
        if not values or min(values) < lo:
            ap.error(f"--{axis}: values >= {lo}, at least one")
    if a.timeout < 0 or a.min_time < 0 or a.max_samples < 0:
        ap.error("--timeout, --min-time and --max-samples are >= 0")
    return a


def _spikefuse(a, *args):
    p = subprocess.run([a.spikefuse, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"peers: {a.spikefuse} {' '.join(args)}: {p.stderr.strip() or 'failed'}")
    return p.stdout


def _git():
    """The tree's commit and whether it differs, as harness/build_info.cmake decides it: git, unless
    .deps/source-commit (ci/gpu-deps.sh) names a commit that this .git does not contain (a GPU machine's
    copy may carry an older .git under a newer tree)."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    try:
        head = git("rev-parse", "HEAD")
        found = (head.stdout.strip(), bool(git("status", "--porcelain", "--untracked-files=no").stdout.strip())) \
            if head.returncode == 0 else ("unknown", True)
    except OSError:
        head, found = None, ("unknown", True)
    try:
        lines = open(os.path.join(ROOT, ".deps", "source-commit")).read().split()
    except OSError:
        return found
    try:
        known = head is not None and head.returncode == 0 and \
            git("merge-base", "--is-ancestor", lines[0], "HEAD").returncode == 0
    except OSError:
        known = False
    return found if known else (lines[0], len(lines) > 1 and lines[1] == "1")


def _worker(a, peer, todo, device, journal):
    job = {"peer": peer.name, "backend": device["backend"], "states": todo, "spikefuse": os.path.abspath(a.spikefuse),
           "journal": journal, "device": device, "seed": a.seed, "plant": a.plant,
           "rule": {"min_time_s": a.min_time, "max_samples": a.max_samples, "timeout_s": a.timeout}}
    env = dict(os.environ, **peer.env)
    path = [HERE] + ([os.path.join(LIB, peer.group)] if peer.group else []) + [os.path.join(LIB, "common")]
    env["PYTHONPATH"] = os.pathsep.join(path + [env["PYTHONPATH"]] if env.get("PYTHONPATH") else path)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    tail = []  # its progress goes on to stderr as it comes; the last lines say why, if it dies
    try:
        with subprocess.Popen([sys.executable, "-m", "spikefuse_peers.worker", f.name], env=env,
                              stderr=subprocess.PIPE, text=True) as p:
            for line in p.stderr:
                sys.stderr.write(line)
                sys.stderr.flush()
                tail = (tail + [line])[-5:]
        rc = p.returncode
    finally:
        os.unlink(f.name)
    return rc, "".join(tail)


def _merge(doc, journal, backend, copy_bw):
    if not os.path.exists(journal):
        return
    with open(journal) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # the last line of a killed worker
                continue
            doc["states"] = [s for s in doc["states"] if s["id"] != rec["id"]]
            doc["states"].append(results.state_from_record(rec, backend, copy_bw))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.access(a.spikefuse, os.X_OK):
        print(f"peers: no spikefuse binary at {a.spikefuse} (build it: ci/build.sh, or pass --spikefuse)",
              file=sys.stderr)
        return 2
    device = json.loads(_spikefuse(a, "device", "--backend", a.backend, "--json", "--copy-bandwidth"))
    rule = timing.StopRule(min_time_s=a.min_time, max_samples=a.max_samples, timeout_s=a.timeout)
    journal = a.out + ".journal.jsonl"
    if os.path.exists(a.out):
        try:
            doc = results.read(a.out)
        except (OSError, ValueError) as e:
            print(f"peers: {a.out}: {e}", file=sys.stderr)
            return 2
        old = doc["devices"][0]
        if old.get("key") != device["key"]:
            print(f"peers: {a.out} was measured on another device ({old.get('name')}, key {old.get('key')}); "
                  f"this is {device['name']} (key {device['key']}): give another --out", file=sys.stderr)
            return 2
        device = old  # the run's own copy bandwidth, as a resumed sweep keeps it
    else:
        doc = results.new_document(["peers/run.py"] + (sys.argv[1:] if argv is None else argv), device, rule, _git())
    _merge(doc, journal, device["backend"], device.get("copy_bandwidth_Bps"))  # what an interrupted run finished
    done = {s["id"] for s in doc["states"] if s["status"] in ("ok", "failed")}
    for name in a.peers:
        peer = adapters.peer_named(name)
        todo = [{"id": results.state_id(name, d, T, N, B), "family": name, "direction": d, "T": T, "N": N, "B": B}
                for d in a.direction for T in a.T for N in a.N for B in a.B]
        todo = [s for s in todo if s["id"] not in done]
        if not todo:
            continue
        rc, err = _worker(a, peer, todo, device, journal)
        _merge(doc, journal, device["backend"], device.get("copy_bandwidth_Bps"))
        got = {s["id"] for s in doc["states"]}
        for s in todo:  # a worker that died leaves its states failed, with what it said
            if s["id"] not in got:
                tail = " | ".join(err.strip().splitlines()[-3:])[:500]
                rec = dict(s, status="failed", reason=f"the worker exited with status {rc}: {tail}")
                doc["states"].append(results.state_from_record(rec, device["backend"], device.get("copy_bandwidth_Bps")))
        doc["states"].sort(key=lambda s: ([p.name for p in adapters.PEERS].index(s["family"]), s["direction"],
                                          s["T"], s["N"], s["B"]))
        results.add_speedups(doc)
        results.write_atomic(a.out, doc)
        if os.path.exists(journal):
            os.unlink(journal)
    results.add_speedups(doc)
    results.write_atomic(a.out, doc)
    counts = {}
    for s in doc["states"]:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    print(f"peers: {a.out}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())), file=sys.stderr)
    said = set()  # one line per peer and reason, not one per state
    for s in doc["states"]:
        key = (s["family"], s["status"], s.get("reason", ""))
        if s["status"] != "ok" and s["family"] in a.peers and key not in said:
            said.add(key)
            n = sum(1 for o in doc["states"] if (o["family"], o["status"], o.get("reason", "")) == key)
            print(f"  {s['family']}: {n} states {s['status']}: {s.get('reason', '')}", file=sys.stderr)
    return 1 if counts.get("failed") else 0
