#!/usr/bin/env bash
# The GPU rows of `make bench` (training throughput) and of `make table1` (the study's
# schedule, resnet18/resnet50 at 333x128) on a GPU machine with PyTorch but without the project
# installed. Needs, carried beside the checkout: wheels of the missing pure-Python packages in
# .whl/, build_model_input's output as data/05_model_input/resnet18_333x128/model_input.pkl.xz and
# data_processing's samples as data/03_primary/samples.parquet.   Usage: gpu_rows.sh OUT_DIR
set -uo pipefail
out=${1:?usage: gpu_rows.sh OUT_DIR}
mkdir -p "$out"
start=$(date +%s)
budget=${GPU_ROWS_SECONDS:-560}
left() { echo $(( budget - ($(date +%s) - start) )); }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 KEDRO_DISABLE_TELEMETRY=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
inputs=(--model-input data/05_model_input/resnet18_333x128/model_input.pkl.xz --samples data/03_primary/samples.parquet)
bench_seconds=${GPU_BENCH_SECONDS:-120}
unbar() { tr '\r' '\n' | grep -v -e "Epoch [0-9]*/[0-9]* :" -e "^ *$"; }
python3 benchmarks/table1_device.py "${inputs[@]}" --variants resnet18_333x128 --minutes 3 --out "$out" 2>&1 |
  unbar | tee "$out/table1_resnet18.log"
python3 benchmarks/table1_device.py "${inputs[@]}" --variants resnet50_333x128 \
  --minutes "$(python3 -c "print(max($(left) - $bench_seconds, 0) / 60)")" --out "$out" 2>&1 | unbar |
  tee "$out/table1_resnet50.log"
timeout "$(( $(left) > 30 ? $(left) : 30 ))" python3 benchmarks/run_benchmarks.py --only throughput 2>&1 |
  tee "$out/bench_throughput.log"
echo "done in $(( $(date +%s) - start )) s"
