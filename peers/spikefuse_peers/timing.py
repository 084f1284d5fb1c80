"""Cold samples under spikefuse's stopping rule, and their summary, as `spikefuse sweep` takes them.

The rule and the summary are harness/stats.c's, line for line (nvbench's stdrel criterion): the tests
check both against the same sequences (tests/peers/test_timing.py and tests/test_stats.c).
"""
import math
import time
from dataclasses import asdict, dataclass

NOISE_HISTORY = 512  # estimates tracked (SF_NOISE_HISTORY)
NOISE_CHECK_EVERY = 16  # samples between checks of noise-stable (SF_NOISE_CHECK_EVERY)


@dataclass
class StopRule:
    """sf_stop_rule and its defaults (sf_stop_rule_default)."""
    min_samples: int = 10
    min_time_s: float = 0.5
    max_noise: float = 0.005
    noise_estimates: int = 64
    noise_settle: float = 0.05
    max_samples: int = 0
    timeout_s: float = 15.0

    def to_json(self):
        d = asdict(self)
        # the names a sweep's settings.stop_rule uses
        return {"min_samples": d["min_samples"], "min_time_s": d["min_time_s"], "max_noise": d["max_noise"],
                "noise_estimates": d["noise_estimates"], "noise_settle": d["noise_settle"],
                "max_samples": d["max_samples"], "timeout_s": d["timeout_s"]}


class Stopper:
    """sf_stopper: Welford's running mean and variance, and a ring of relative-stdev estimates."""

    def __init__(self, rule: StopRule):
        self.rule = rule
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.total = 0.0
        self.noise = [0.0] * NOISE_HISTORY
        self.noise_count = 0

    def current_noise(self):
        if self.n < 2:
            return 0.0
        if not self.mean > 0.0:
            return math.nan
        return math.sqrt(self.m2 / (self.n - 1)) / self.mean

    def _settled(self, current):
        r = self.rule
        if (r.noise_settle <= 0.0 or self.noise_count <= r.noise_estimates or self.n % NOISE_CHECK_EVERY != 0
                or not current > 0.0):
            return False
        m = min(self.noise_count, NOISE_HISTORY)
        tracked = self.noise[:m]
        if any(math.isnan(e) for e in tracked):
            return False
        mean = sum(tracked) / m
        squares = sum((e - mean) * (e - mean) for e in tracked)
        return math.sqrt(squares / (m - 1)) / current < r.noise_settle

    def add(self, sample, elapsed):
        """Adds one sample (seconds); returns the stop reason, or None to go on."""
        self.n += 1
        delta = sample - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (sample - self.mean)
        self.total += sample
        noise = self.current_noise()
        if self.n >= 5:
            self.noise[self.noise_count % NOISE_HISTORY] = noise
            self.noise_count += 1
        r = self.rule
        enough = self.n >= r.min_samples and self.total >= r.min_time_s
        if enough and noise <= r.max_noise:
            return "converged"
        if enough and self._settled(noise):
            return "noise-stable"
        if r.max_samples > 0 and self.n >= r.max_samples:
            return "max-samples"
        if elapsed >= r.timeout_s:
            return "timeout"
        return None


def _quantile(s, p):
    """Type-7 quantile of sorted samples (NumPy's default)."""
    rank = p * (len(s) - 1)
    lo = math.floor(rank)
    if lo + 1 >= len(s):
        return s[-1]
    return s[lo] + (rank - lo) * (s[lo + 1] - s[lo])


def summarize(x):
    """sf_summarize: the fields of a state's `cold` object (seconds)."""
    n = len(x)
    if n == 0:
        return {"samples_n": 0}
    mean = sum(x) / n
    stdev = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1)) if n > 1 else 0.0
    s = sorted(x)
    half = 1.959963984540054 * math.sqrt(n) / 2.0
    j, k = max(1, math.floor(n / 2.0 - half)), min(n, math.ceil(n / 2.0 + half) + 1)
    return {"samples_n": n, "median_s": _quantile(s, 0.5), "min_s": s[0], "q1_s": _quantile(s, 0.25),
            "q3_s": _quantile(s, 0.75), "max_s": s[-1], "mean_s": mean, "stdev_s": stdev,
            "rel_stdev": stdev / mean if mean > 0 else None, "median_ci95_s": [s[j - 1], s[k - 1]]}


class CudaClock:
    """Cold samples on a GPU: a memset of an L2-sized buffer, then CUDA events around the call. The
    events time the peer as its user runs it, from its first launch to its last, host gaps between
    launches included (spikefuse's own trials hold the stream while they queue: it has no host code)."""

    def __init__(self, torch, device, l2_bytes):
        self.torch = torch
        self.flush = torch.empty(max(int(l2_bytes), 1 << 20), dtype=torch.uint8, device=device)
        self.start = torch.cuda.Event(enable_timing=True)
        self.end = torch.cuda.Event(enable_timing=True)

    def sample(self, trial, i):
        self.flush.fill_(i & 0xFF)
        self.start.record()
        trial()
        self.end.record()
        self.end.synchronize()
        return self.start.elapsed_time(self.end) * 1e-3

    def sync(self):
        self.torch.cuda.synchronize()


class CpuClock:
    """Cold samples on the CPU: a write over twice the last-level cache, then the wall clock."""

    def __init__(self, torch, flush_bytes):
        self.flush = torch.empty(max(int(flush_bytes), 1 << 20), dtype=torch.uint8)

    def sample(self, trial, i):
        self.flush.fill_(i & 0xFF)
        t0 = time.perf_counter()
        trial()
        return time.perf_counter() - t0

    def sync(self):
        pass


def measure(clock, trial, rule: StopRule, warmup=1):
    """Warm-up trials, then cold samples until the rule stops. Returns (samples, stop reason)."""
    for i in range(warmup):
        trial()
    clock.sync()
    stopper, samples = Stopper(rule), []
    t0 = time.monotonic()
    while True:
        s = clock.sample(trial, len(samples))
        samples.append(s)
        reason = stopper.add(s, time.monotonic() - t0)
        if reason:
            return samples, reason
