"""The peers, each set to compute the paper's LIF layer (../shared/peers.md), behind one interface.

A peer is a row of PEERS (data) and an adapter class (what to call). An adapter makes the layer once
for a device, then
  run(x, grad_y, keep)  one layer over x [T, M]: returns y, and with keep the membrane trace and dL/dx
                        (grad_y given) as CPU float32 arrays, for verification;
  trial(x, grad_y)      the same as a user would time it: forward alone (grad_y None, under no_grad), or
                        forward and backward, nothing copied back.
The paper's constants: k = 0.2 (SpikingJelly: tau = 1.25, decay_input=False), V_th = 0.3, V_rest = 0,
surrogate sigmoid'(alpha (v - V_th)) alpha with alpha = 4.
"""
import os
from dataclasses import dataclass, field

DECAY, THRESHOLD, REST, ALPHA = 0.2, 0.3, 0.0, 4.0
TAU = 1.0 / (1.0 - DECAY)  # 1.25: SpikingJelly's and snnTorch's parameter for k


@dataclass(frozen=True)
class Peer:
    name: str
    group: str  # .peers/lib/<group> on the path ("" for none: torch alone)
    package: str  # what runs, pinned
    env: dict = field(default_factory=dict)  # set before the import
    needs: str = ""  # "cupy" or "triton": skipped without a CUDA device
    membrane: str = "v"  # what the peer exposes: v (before the reset), v_reset (after it)
    reset_grad: str = "kept"  # the gradient it computes through the reset: kept, or detached
    fires: str = ">="  # its spike condition
    # fp32 bytes per neuron-step, read from the peer's code (peers/README.md): per backend and direction,
    # (a, b, c) for a + b T + c / T (b: the [T, M] gradient that x[t] indexing builds at every step)
    bytes: dict = field(default_factory=dict)
    settings: str = ""

    def bytes_per_neuron_step(self, backend, direction, T):
        model = self.bytes.get(backend, {}).get(direction)
        return None if model is None else model[0] + model[1] * T + model[2] / T


def _same(model):
    return {"cpu": model, "cuda": model}


PEERS = [
    Peer("sj-torch", "sj014", "spikingjelly==0.0.0.0.14", {}, "", "v_reset", "kept", ">=",
         {"cuda": {"fwd": (50, 0, 4), "fwd+bwd": (142, 16, -52)},  # TorchScript's fused kernels (NNC)
          "cpu": {"fwd": (94, 0, 4), "fwd+bwd": (246, 16, -80)}},  # no fusion on the CPU
         "LIFNode(tau=1.25, decay_input=False, v_threshold=0.3, v_reset=0.0, surrogate_function="
         "surrogate.Sigmoid(alpha=4.0), detach_reset=False, step_mode='m', backend='torch'), training mode"),
    Peer("sj-cupy", "sj014", "spikingjelly==0.0.0.0.14", {}, "cupy", "v_reset", "kept", ">=",
         {"cuda": {"fwd": (36, 0, 24), "fwd+bwd": (60, 0, 32)}},
         "as sj-torch with backend='cupy' (its CuPy kernels run in training mode only); numpy.int = int put "
         "back for it (NumPy >= 1.24 removed the alias its dtype check uses)"),
    Peer("sj2-torch", "sj2", "spikingjelly==2.0.0", {"SJ_LIF_CUDA_IMPLEMENTATION": "torch"}, "", "v_reset",
         "kept", ">=",
         {"cuda": {"fwd": (106, 0, 4), "fwd+bwd": (280, 0, 16)},  # its torch ops, autograd off inside
          "cpu": {"fwd": (114, 0, 4), "fwd+bwd": (282, 0, -100)}},  # reference.py under plain autograd
         "LIFNode(tau=1.25, decay_input=False, v_threshold=0.3, v_reset=0.0, surrogate_function="
         "surrogate.Sigmoid(alpha=4.0), detach_reset=False, step_mode='m'), SJ_LIF_CUDA_IMPLEMENTATION=torch"),
    Peer("sj2-triton", "sj2", "spikingjelly==2.0.0", {"SJ_LIF_CUDA_IMPLEMENTATION": "triton"}, "triton",
         "v_reset", "kept", ">=",
         {"cuda": {"fwd": (12, 0, 12), "fwd+bwd": (24, 0, 24)}},
         "as sj2-torch with SJ_LIF_CUDA_IMPLEMENTATION=triton; a fall-back to the torch reference fails"),
    Peer("snntorch", "common", "snntorch==1.0.0", {}, "", "v", "detached", ">",
         _same({"fwd": (100, 0, 4), "fwd+bwd": (224, 16, -28)}),
         "Leaky(beta=0.2, threshold=0.3, reset_mechanism='zero', spike_grad=surrogate.sigmoid(slope=4)), "
         "stepped over T in a Python loop over x[t]"),
    Peer("torch-eager", "", "torch (spikefuse's loop)", {}, "", "v", "kept", ">=",
         _same({"fwd": (66, 0, 8), "fwd+bwd": (194, 0, -56)}),
         "peers/spikefuse_peers/adapters.py: TorchEager, the paper's Serial (PyTorch): a loop over "
         "x.unbind(0), the surrogate as an autograd function"),
]


def peer_named(name):
    for p in PEERS:
        if p.name == name:
            return p
    raise KeyError(f"unknown peer '{name}' (peers: {', '.join(p.name for p in PEERS)})")


class Adapter:
    """What every adapter shares: the device, the module, and running it with or without autograd."""
    implementation = "torch"

    def __init__(self, torch, device, plant=None):
        self.torch, self.device, self.plant = torch, device, plant

    def layer(self, x):
        """y [T, M] from x [T, M]; self.trace holds the membrane after, where the peer exposes it."""
        raise NotImplementedError

    def reset(self):
        pass

    def trial(self, x, grad_y):
        self.reset()
        if grad_y is None:
            with self.torch.no_grad():
                self.layer(x)
        else:
            x.grad = None
            self.layer(x).backward(grad_y)

    def run(self, x, grad_y, keep=True):
        self.reset()
        self.kept = [] if keep else None  # layers that step in Python append each step's membrane here
        try:
            x = x.detach().clone().requires_grad_(grad_y is not None)
            y = self.layer(x)
            trace = self.trace_of()
            gx = None
            if grad_y is not None:
                y.backward(grad_y)
                gx = x.grad.detach().float().cpu().numpy()
        finally:
            self.kept = None
        cpu = lambda t: None if t is None else t.detach().float().cpu().numpy()
        return cpu(y), cpu(trace), gx

    kept = None

    def keep(self, v):
        if self.kept is not None:
            self.kept.append(v)

    def trace_of(self):
        return self.torch.stack(self.kept) if self.kept else None


class SpikingJelly(Adapter):
    """Both versions: the same LIFNode call (2.0 has no backend= argument)."""

    def __init__(self, torch, device, plant=None, backend=None):
        super().__init__(torch, device, plant)
        from spikingjelly.activation_based import neuron, surrogate
        kw = dict(tau=TAU, decay_input=plant == "decay_input", v_threshold=THRESHOLD, v_reset=REST,
                  surrogate_function=surrogate.Sigmoid(alpha=ALPHA), detach_reset=False, step_mode="m",
                  store_v_seq=False)
        if backend:
            kw["backend"] = backend
        self.node = neuron.LIFNode(**kw).to(device)
        self.node.train()  # SpikingJelly 0.0.0.0.14's CuPy kernels run in training mode only
        self.implementation = backend or "auto"

    def reset(self):
        self.node.reset()

    def layer(self, x):
        return self.node(x)

    def run(self, x, grad_y, keep=True):
        # the membrane trace only while verifying: timed trials run as a user's would, without it
        self.node.store_v_seq = keep
        try:
            return super().run(x, grad_y, keep)
        finally:
            self.node.store_v_seq = False

    def trace_of(self):
        return getattr(self.node, "v_seq", None)


class SpikingJelly2(SpikingJelly):
    def __init__(self, torch, device, plant=None):
        super().__init__(torch, device, plant)
        self.want = os.environ.get("SJ_LIF_CUDA_IMPLEMENTATION", "auto")

    def check_implementation(self):
        """Which implementation ran: SpikingJelly's own answer; a forced one that did not run is an error."""
        if self.device.type != "cuda":
            self.implementation = "torch (cpu reference)"
            return
        from spikingjelly.activation_based.functional import neuron_implementation
        got = neuron_implementation("lif", self.device)["implementation"]
        if self.want != "auto" and got != self.want:
            raise RuntimeError(f"SpikingJelly 2.0 ran its {got} implementation, not {self.want}")
        self.implementation = got

    def run(self, x, grad_y, keep=True):
        out = super().run(x, grad_y, keep)
        self.check_implementation()
        return out


class SnnTorch(Adapter):
    def __init__(self, torch, device, plant=None):
        super().__init__(torch, device, plant)
        import snntorch
        from snntorch import surrogate
        self.node = snntorch.Leaky(beta=DECAY, threshold=THRESHOLD, reset_mechanism="zero",
                                   spike_grad=surrogate.sigmoid(slope=ALPHA)).to(device)

    def layer(self, x):
        mem = self.node.reset_mem() if hasattr(self.node, "reset_mem") else self.node.init_leaky()
        spikes = []
        for t in range(x.shape[0]):  # as snnTorch's tutorials step it
            spk, mem = self.node(x[t], mem)
            spikes.append(spk)
            self.keep(mem)  # the membrane before the reset (snnTorch resets at the next step)
        return self.torch.stack(spikes)


def _sigmoid_spike(torch):
    class SigmoidSpike(torch.autograd.Function):
        """y = [u >= 0]; dy/du = alpha sigmoid(alpha u) (1 - sigmoid(alpha u))."""

        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return (u >= 0).to(u.dtype)

        @staticmethod
        def backward(ctx, grad):
            (u,) = ctx.saved_tensors
            s = torch.sigmoid(ALPHA * u)
            return grad * ALPHA * s * (1 - s)

    return SigmoidSpike


class TorchEager(Adapter):
    """The paper's Serial (PyTorch), written from Eqs. 1-2: one step at a time, every op a kernel."""

    def __init__(self, torch, device, plant=None):
        super().__init__(torch, device, plant)
        self.spike = _sigmoid_spike(torch)

    def layer(self, x):
        v = self.torch.zeros_like(x[0])
        y = self.torch.zeros_like(x[0])
        ys = []
        for xt in x.unbind(0):  # one backward stack for dL/dx, not a [T, M] zeros per step as x[t] makes
            v = DECAY * v * (1.0 - y) + REST * y + xt if REST else DECAY * v * (1.0 - y) + xt
            y = self.spike.apply(v - THRESHOLD)
            ys.append(y)
            self.keep(v)
        return self.torch.stack(ys)


def make(peer, torch, device, plant=None):
    """The adapter of a peer on a device (imports the peer's package: ImportError when it is missing)."""
    if peer.name == "sj-torch":
        return SpikingJelly(torch, device, plant, backend="torch")
    if peer.name == "sj-cupy":
        import cupy  # noqa: F401  (a missing CuPy is a skip, said at once)
        import numpy
        if "int" not in vars(numpy):
            # SpikingJelly 0.0.0.0.14's CuPy path checks a dtype against np.int, the alias of int that
            # NumPy 1.24 removed: put the alias back as it was (peer.settings says so); nothing else changes
            numpy.int = int
        return SpikingJelly(torch, device, plant, backend="cupy")
    if peer.name in ("sj2-torch", "sj2-triton"):
        return SpikingJelly2(torch, device, plant)
    if peer.name == "snntorch":
        return SnnTorch(torch, device, plant)
    if peer.name == "torch-eager":
        return TorchEager(torch, device, plant)
    raise KeyError(peer.name)
