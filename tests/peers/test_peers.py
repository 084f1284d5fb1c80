"""The peers runner (peers/): its stopping rule and summary against the C harness's, `spikefuse verify
--outputs`, and the CPU peers verified and timed into a results file that spikefuse reads.

  python -m unittest tests/peers/test_peers.py   with SPIKEFUSE=build/spikefuse, run by CTest (`peers`)
with the project's environment (.peers/venv, peers/install.sh venv)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "peers"))
from spikefuse_peers import timing  # noqa: E402

SPIKEFUSE = os.environ.get("SPIKEFUSE", os.path.join(ROOT, "build", "spikefuse"))
WORK = os.environ.get("SF_PEERS_TEST_DIR") or tempfile.mkdtemp(prefix="sf-peers-test-")
RUN = [sys.executable, os.path.join(ROOT, "peers", "run.py"), "--spikefuse", SPIKEFUSE]
SMALL = ["--backend", "cpu", "--N", "1000", "--timeout", "0.2", "--max-samples", "20", "--min-time", "0"]


def feed(rule, sample, limit=4000):
    s = timing.Stopper(rule)
    for i in range(limit):
        r = s.add(sample(i), 0.0)
        if r:
            return r, i + 1
    return None, limit


class StopRule(unittest.TestCase):
    """The sequences and stop points of tests/test_stats.c: the Python rule stops where the C one does."""

    def test_stop_points(self):
        d = timing.StopRule()
        alternating = lambda i: 1.2 if i % 2 else 1.0
        jump = lambda i: (1.2 if i < 24 else 1.6) if i % 2 else 1.0
        late_jump = lambda i: (1.2 if i < 400 else 3.0) if i % 2 else 1.0
        growing = lambda i: 1.0 + (0.002 if i % 2 else -0.002) * (i + 1)
        outliers = lambda i: 20.0 if i % 97 == 3 else 1.0
        with_ = lambda **kw: timing.StopRule(**kw)
        cases = [
            (d, lambda i: 0.1, ("converged", 10)),
            (d, lambda i: 0.01, ("converged", 50)),
            (with_(min_time_s=2.5), lambda i: 0.25, ("converged", 10)),
            (with_(max_noise=-1.0, max_samples=1000), lambda i: 0.1, ("max-samples", 1000)),
            (d, alternating, ("noise-stable", 80)),
            (with_(noise_settle=10.0), alternating, ("noise-stable", 80)),
            (with_(noise_estimates=100), alternating, ("noise-stable", 112)),
            (with_(min_time_s=329.0), alternating, ("noise-stable", 304)),
            (d, jump, ("noise-stable", 544)),
            (with_(min_time_s=441.5), late_jump, ("noise-stable", 1008)),
            (d, outliers, ("noise-stable", 560)),
            (d, growing, ("noise-stable", 2976)),
            (with_(max_samples=200), growing, ("max-samples", 200)),
            (with_(noise_settle=0.0, max_samples=1000), alternating, ("max-samples", 1000)),
            (with_(max_samples=15), alternating, ("max-samples", 15)),
            (with_(min_samples=30), lambda i: 0.1, ("converged", 30)),
        ]
        for rule, sample, want in cases:
            self.assertEqual(feed(rule, sample), want, rule)

    def test_timeout(self):
        s = timing.Stopper(timing.StopRule())
        reasons = [s.add(1.2 if i % 2 else 1.0, float(i + 1)) for i in range(15)]
        self.assertEqual(reasons[-1], "timeout")
        self.assertTrue(all(r is None for r in reasons[:-1]))

    def test_summary(self):
        """Type-7 quantiles (NumPy's), the two-pass stdev, and the median's interval of stats.h."""
        rng = np.random.default_rng(3)
        for n in (1, 2, 7, 10, 11, 100, 1001):
            x = list(rng.gamma(2.0, 1e-3, size=n))
            s = timing.summarize(x)
            self.assertAlmostEqual(s["median_s"], float(np.quantile(x, 0.5)), delta=1e-15)
            self.assertAlmostEqual(s["q1_s"], float(np.quantile(x, 0.25)), delta=1e-15)
            self.assertAlmostEqual(s["q3_s"], float(np.quantile(x, 0.75)), delta=1e-15)
            self.assertAlmostEqual(s["stdev_s"], float(np.std(x, ddof=1)) if n > 1 else 0.0, delta=1e-15)
            lo, hi = s["median_ci95_s"]
            self.assertLessEqual(lo, s["median_s"])
            self.assertGreaterEqual(hi, s["median_s"])
            if n <= 10:  # clamped to the sample
                self.assertEqual((lo, hi), (min(x), max(x)))
        # n = 100: ranks floor(50 - 9.8) = 40 and ceil(50 + 9.8) + 1 = 61
        x = [float(i) for i in range(1, 101)]
        self.assertEqual(timing.summarize(x)["median_ci95_s"], [40.0, 61.0])


class VerifyOutputs(unittest.TestCase):
    """spikefuse verify --outputs on a float32 evaluation written here: passes, and fails when planted."""

    @classmethod
    def setUpClass(cls):
        rng = np.random.default_rng(7)
        T, M = 17, 509
        x = rng.uniform(-0.4, 0.8, (T, M)).astype(np.float32)
        gy = rng.uniform(-1, 1, (T, M)).astype(np.float32)
        v = np.zeros(M, np.float32)
        y = np.zeros(M, np.float32)
        ys, vs = [], []
        for t in range(T):
            v = np.float32(0.2) * v * (np.float32(1) - y) + x[t]
            y = (v >= np.float32(0.3)).astype(np.float32)
            ys.append(y), vs.append(v)
        ys, vs = np.stack(ys), np.stack(vs)
        s = 1 / (1 + np.exp(-4.0 * (vs.astype(np.float64) - 0.3)))
        d = 4.0 * s * (1 - s)
        gx = np.zeros((T, M))
        g = np.zeros(M)
        for t in range(T - 1, -1, -1):  # through the spike and the reset, then the decay
            spike_grad = gy[t] + g * (0.0 - 0.2 * vs[t])
            g = spike_grad * d[t] + g * 0.2 * (1 - ys[t])
            gx[t] = g
        cls.arrays = {"x": x, "y": ys, "v": vs, "gy": gy, "gx": gx.astype(np.float32)}

    def check(self, arrays, *extra):
        d = tempfile.mkdtemp(dir=WORK)
        for name, a in arrays.items():
            np.save(os.path.join(d, name + ".npy"), a)
        p = subprocess.run([SPIKEFUSE, "verify", "--outputs", d, "--json", "--surrogate", "sigmoid", *extra],
                           capture_output=True, text=True)
        return p.returncode, (json.loads(p.stdout) if p.returncode in (0, 1) else p.stderr)

    def test_passes(self):
        rc, r = self.check(self.arrays)
        self.assertEqual(rc, 0, r)
        self.assertEqual(r["membrane"], "v")
        self.assertEqual(r["forward"]["compared"], 2 * 17 * 509)
        self.assertEqual(r["backward"]["compared"] + r["backward"]["ambiguous"], 17 * 509)

    def test_after_reset_membrane(self):
        a = dict(self.arrays)
        a["v_reset"] = a.pop("v") * (1 - a["y"])
        rc, r = self.check(a)
        self.assertEqual((rc, r["membrane"]), (0, "v_reset"), r)
        a["v_reset"] = a["v_reset"] + 0.01 * a["y"]  # not V_rest after a spike
        rc, r = self.check(a)
        self.assertEqual(rc, 1, r)

    def test_planted(self):
        for name, change in (("y", lambda y: np.where(np.arange(y.size).reshape(y.shape) == 1000, 1 - y, y)),
                             ("v", lambda v: v * np.float32(1.001)),
                             ("gx", lambda g: g + np.float32(1e-3))):
            a = dict(self.arrays)
            a[name] = change(a[name]).astype(np.float32)
            rc, r = self.check(a)
            self.assertEqual(rc, 1, name)
            self.assertFalse(r["passed"], name)

    def test_detached_reset(self):
        """The gradient with the reset kept is not the detached one: --reset-grad decides."""
        rc, r = self.check(self.arrays, "--reset-grad", "detached")
        self.assertEqual(rc, 1)
        self.assertGreater(r["backward"]["mismatches"], 0)

    def test_bad_input(self):
        a = dict(self.arrays)
        del a["x"]
        self.assertEqual(self.check(a)[0], 2)
        a = dict(self.arrays)
        del a["gx"]
        self.assertEqual(self.check(a)[0], 2)
        a = dict(self.arrays)
        a["y"] = a["y"][:, :100]
        self.assertEqual(self.check(a)[0], 2)
        self.assertEqual(self.check(self.arrays, "--reset-grad", "sometimes")[0], 2)


def run_peers(*args):
    return subprocess.run(RUN + list(args), capture_output=True, text=True)


def states(path):
    with open(path) as f:
        return json.load(f)["states"]


class Runner(unittest.TestCase):
    """The CPU peers, verified and timed at a small size."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(WORK, "peers.json")
        cls.p = run_peers("--out", cls.out, "--T", "1,8", *SMALL)

    def test_cpu_peers_verified_and_timed(self):
        self.assertEqual(self.p.returncode, 0, self.p.stderr)
        by = {}
        for s in states(self.out):
            by.setdefault(s["family"], []).append(s)
        for name in ("sj-torch", "sj2-torch", "snntorch", "torch-eager"):
            self.assertEqual([s["status"] for s in by[name]], ["ok"] * 4, name)
            for s in by[name]:
                v = s["verified"]
                self.assertTrue(v["passed"])
                self.assertEqual([z["T"] for z in v["sizes"]], [1, 33, 256])
                self.assertTrue(all(z["forward"]["compared"] > 0 and z["backward"]["compared"] > 0 for z in v["sizes"]))
                self.assertGreater(s["cold"]["samples_n"], 0)
                self.assertGreater(s["metrics"]["bytes"], 0)
        # snnTorch is checked with its detached reset, and its distance from the paper's function recorded
        diff = by["snntorch"][0]["verified"]["sizes"][1]["against_paper_function"]["backward"]
        self.assertFalse(diff["passed"])
        self.assertGreater(diff["max_abs_err"], 1e-3)
        for name in ("sj-cupy", "sj2-triton"):  # no GPU here: skipped, saying why
            self.assertTrue(all(s["status"] == "skipped" and "CUDA" in s["reason"] for s in by[name]), name)

    def test_spikefuse_reads_it(self):
        rc = subprocess.run([SPIKEFUSE, "report", self.out, "--md", os.path.join(WORK, "peers.md")],
                            capture_output=True, text=True)
        self.assertEqual(rc.returncode, 0, rc.stderr)
        with open(os.path.join(WORK, "peers.md")) as f:
            text = f.read()
        for name in ("sj-torch", "snntorch", "torch-eager"):
            self.assertIn(name, text)

    def test_resume(self):
        """A second run measures only what the file lacks and keeps what it has."""
        before = {s["id"]: s["cold"]["samples_s"] for s in states(self.out) if s["status"] == "ok"}
        p = run_peers("--out", self.out, "--T", "1,8,2", "--peers", "torch-eager", "--direction", "fwd", *SMALL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.count("torch-eager fwd T="), 1, p.stderr)  # T = 2 only
        after = {s["id"]: s for s in states(self.out)}
        for k, samples in before.items():
            self.assertEqual(after[k]["cold"]["samples_s"], samples)
        self.assertEqual(after["torch-eager|fwd|torch-eager|T=2|N=1000|B=1|block=0"]["status"], "ok")


class Planted(unittest.TestCase):
    def test_decay_input_fails(self):
        """SpikingJelly's default decay_input=True (x / tau) is another function: caught, and not timed."""
        out = os.path.join(WORK, "planted.json")
        p = run_peers("--out", out, "--T", "4", "--peers", "sj-torch,sj2-torch", "--plant", "decay_input", *SMALL)
        self.assertEqual(p.returncode, 1, p.stderr)
        for s in states(out):
            self.assertEqual(s["status"], "failed")
            self.assertIn("differs from the float64 reference", s["reason"])
            self.assertNotIn("cold", s)
            self.assertGreater(s["verified"]["sizes"][1]["forward"]["mismatches"], 0)


class BadInput(unittest.TestCase):
    def test_unknown_peer(self):
        p = run_peers("--out", os.path.join(WORK, "x.json"), "--peers", "norse", *SMALL)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown peer 'norse'", p.stderr)

    def test_bad_sizes(self):
        for args in (["--T", "0"], ["--N", "-5"], ["--T", "a,b"], ["--direction", "bwd"]):
            p = run_peers("--out", os.path.join(WORK, "x.json"), *SMALL, *args)
            self.assertEqual(p.returncode, 2, args)

    def test_malformed_results(self):
        bad = os.path.join(WORK, "bad.json")
        with open(bad, "w") as f:
            f.write("{ not json")
        p = run_peers("--out", bad, "--T", "1", "--peers", "torch-eager", *SMALL)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.json", p.stderr)

    def test_other_device(self):
        other = os.path.join(WORK, "other.json")
        with open(other, "w") as f:
            json.dump({"schema": "spikefuse.sweep", "schema_version": 1, "devices": [{"key": "0000", "name": "X"}],
                       "states": []}, f)
        p = run_peers("--out", other, "--T", "1", "--peers", "torch-eager", *SMALL)
        self.assertEqual(p.returncode, 2)
        self.assertIn("another device", p.stderr)

    def test_missing_peer_is_skipped(self):
        """A peer whose package is not installed is skipped with the install command, never a crash."""
        out = os.path.join(WORK, "missing.json")
        env = dict(os.environ, SF_PEERS_LIB=os.path.join(WORK, "no-such-lib"))
        p = subprocess.run(RUN + ["--out", out, "--T", "1", "--peers", "snntorch,torch-eager", *SMALL], env=env,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = {s["family"]: s for s in states(out)}
        self.assertEqual(got["snntorch"]["status"], "skipped")
        self.assertIn("peers/install.sh", got["snntorch"]["reason"])
        self.assertEqual(got["torch-eager"]["status"], "ok")


if __name__ == "__main__":
    unittest.main()
