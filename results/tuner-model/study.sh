#!/bin/sh
# The model strategy against random sampling on every recorded cache, replayed with no device.
#   results/tuner-model/study.sh SPIKEFUSE [SEEDS]      (from the repository root; SEEDS default 1000)
# For each cache and size: exhaustive's best, the model's best and how many it measured (the budget),
# random sampling's expected best at that budget exactly (order statistics of the space's times) and as
# the mean over SEEDS seeded runs of `tune --strategy random --budget`, both as regret (best / exhaustive
# best - 1). Prints a markdown table.
set -eu
bin=$1
seeds=${2:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# name | cache | the space's axes (what the cache measured) | exhaustive cache or a sub-grid of a partial one
jobs='h100|tests/data/tune-h100.jsonl|--backend cuda --direction fwd -a T=[32,128] -a N=2^20 -a vec=[1,2,4]|exhaustive
h100|tests/data/tune-h100.jsonl|--backend cuda --direction bwd -a T=128 -a N=2^20 -a vec=[1,2,4]|exhaustive
h200-fwd|tests/data/tune-h200-fwd.jsonl|--backend cuda --direction fwd -a T=[32,128] -a N=2^20|exhaustive
h200-bwd|tests/data/tune-h200-bwd.jsonl|--backend cuda --direction bwd -a T=128 -a N=2^20 -a block=[32,64,128,256,512]|exhaustive
h200-v16|tests/data/tune-h200-v16.jsonl|--backend cuda --direction bwd -a T=128 -a N=2^20 -a vec=16|exhaustive
cpu|tests/data/tune-cpu.jsonl|--backend cpu --direction fwd -a T=[4,16] -a N=4096 -a block=[1,16,256]|exhaustive
epyc|results/cpu-amd-epyc-2t/tuning/tune-cache.jsonl|--backend cpu --direction fwd -a T=[8,32,128] -a N=1000000 -a vec=[4,8,16] -a block=[256,1024]|sub-grid
epyc|results/cpu-amd-epyc-2t/tuning/tune-cache.jsonl|--backend cpu --direction bwd -a T=[8,32,128] -a N=1000000 -a vec=[4,8,16] -a block=[256,1024]|sub-grid'

echo "| cache | space of | dir | T | space | measured | model regret | random, exact | random, $seeds seeds |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
echo "$jobs" | while IFS='|' read -r name cache axes kind; do
    tune="$bin tune --family fused $axes --replay $cache"
    rm -f "$work/ex.json" "$work/model.json"
    $tune --strategy exhaustive --db "$work/ex.json" >/dev/null 2>&1
    $tune --strategy model --db "$work/model.json" >/dev/null 2>&1
    budget=$(python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['entries'][0]['measured']))" "$work/model.json")
    : >"$work/random.txt"
    seed=1
    while [ "$seed" -le "$seeds" ]; do
        $tune --strategy random --budget "$budget" --seed "$seed" --db "$work/r.json" >/dev/null 2>&1
        { cat "$work/r.json"; echo; echo @@; } >>"$work/random.txt" # one database a seed, read at the end
        rm -f "$work/r.json"
        seed=$((seed + 1))
    done
    python3 - "$work" "$cache" "$name" "$kind" "$axes" <<'EOF'
import json, re, sys
from math import comb
work, cache, name, kind, axes = sys.argv[1:]
def axis(key):  # the values of "-a key=[...]" or "-a key=v", None when absent
    m = re.search(r"-a %s=\[?([0-9,]+)\]?" % key, axes)
    return {int(v) for v in m.group(1).split(",")} if m else None
vecs, blocks = axis("vec"), axis("block")
ex = json.load(open(work + "/ex.json"))["entries"]
model = {e["T"]: e for e in json.load(open(work + "/model.json"))["entries"]}
runs = {}
for db in open(work + "/random.txt").read().split("@@")[:-1]:
    for e in json.loads(db)["entries"]:
        runs.setdefault(e["T"], []).append(e["time_s"])
evals = [json.loads(l) for l in open(cache) if '"eval"' in l]
for e in sorted(ex, key=lambda e: e["T"]):
    m, best, dflt = model[e["T"]], e["time_s"], e["default"]["time_s"]
    n, k = e["space"], m["measured"]
    prefix = "fused_%s_%s_%s_" % (e["direction"], e["form"], e["dtype"])
    times = sorted(v["median_s"] if v["status"] == "ok" else float("inf") for v in evals
                   if v["T"] == e["T"] and v["M"] == e["M"] and not v["default"] and v["kernel"].startswith(prefix)
                   and (vecs is None or int(re.search(r"_v(\d+)_", v["kernel"]).group(1)) in vecs)
                   and (blocks is None or v["block"] in blocks))
    assert len(times) == n, (name, e["T"], len(times), n)
    # the i-th fastest is the best of a uniform k-subset with probability C(n-1-i, k-1) / C(n, k); the
    # default config is measured beside every strategy
    exact = sum(comb(n - 1 - i, k - 1) * min(t, dflt) for i, t in enumerate(times)) / comb(n, k)
    sampled = sum(runs[e["T"]]) / len(runs[e["T"]])
    print(f"| {name} | {kind} | {e['direction']} | {e['T']:g} | {n} | {k} | {100 * (m['time_s'] / best - 1):.3f} % | "
          f"{100 * (exact / best - 1):.3f} % | {100 * (sampled / best - 1):.3f} % |")
EOF
done
