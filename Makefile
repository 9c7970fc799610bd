# Two commands on a fresh machine: `make run` and `make test` (both create .venv first).
SHELL := /bin/bash
PYTHON ?= python3.11
# The CPU profile `make run` trains (see conf/base/parameters_training.yml).
QUICK_VARIANT ?= resnet18_light_s4
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# glibc's allocator page-faults on every training step on CPU; these nearly halve step time.
export MALLOC_MMAP_MAX_ := 0
export MALLOC_TRIM_THRESHOLD_ := 68719476736
export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export MPLBACKEND := Agg

.PHONY: venv run data finder external test test-fast viz bench table1 contact-sheet mlflow-ui clean

venv: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	@touch $(STAMP)

data: venv
	@if [ -f data/01_raw/synthetic/via_annotations.csv ]; then \
	  echo "default data present: data/01_raw/synthetic"; \
	else $(BIN)/kedro run --pipeline synthetic; fi

# The page stage's network (foot_landmarks.foot_finder), trained on its own generated pages.
finder: venv
	$(BIN)/kedro run --pipeline foot_finder

# FINDER=shipped: keep the page network shipped with the package instead of training one (15 min
# on 2 cores); the data catalog loads the shipped one while data/06_models/foot_finder.pt is absent.
FINDER ?= train
run: data $(if $(filter train,$(FINDER)),finder)
	$(BIN)/kedro run --pipeline data_processing
	$(BIN)/kedro run --pipeline training --namespaces $(QUICK_VARIANT),geometric
	$(BIN)/kedro run --pipeline reporting
	@# scans the model never saw (other seed), for the inference demo
	@test -n "$$(ls data/01_raw/new_scans 2>/dev/null)" || \
	  $(BIN)/foot-landmarks synth --n 6 --seed 2026 --out data/01_raw/new_scans
	$(BIN)/kedro run --pipeline inference

test: venv
	bash scripts/install_browser.sh
	@# bf16 behaves differently with and without AMX: the log says which CPU ran the tests
	@echo "CPU:$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) ($$(grep -qw amx_bf16 /proc/cpuinfo && echo AMX || echo 'no AMX'))"
	$(BIN)/python -m pytest -q -n 2 --durations=15

test-fast: venv
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not browser"

bench: venv
	$(BIN)/python benchmarks/run_benchmarks.py

# The study's Table 1: four variants with the study's split and hyper-parameters (GPU), or the
# reduced CPU configuration conf/table1_cpu, then the comparison table beside the study's numbers.
TABLE1 := resnet18_333x256,resnet18_333x128,resnet50_333x256,resnet50_333x128
table1: data
	$(BIN)/kedro run --pipeline data_processing
	if $(BIN)/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then \
	  $(BIN)/kedro run --pipeline training --namespaces $(TABLE1); \
	else $(BIN)/kedro run --pipeline training --namespaces $(TABLE1) --env table1_cpu; fi
	$(BIN)/kedro run --pipeline reporting

# Outside measures: the champion on real annotated scans (../shared, when present) and on pages of
# the clean-room renderer (foot_landmarks.external.cleanroom: never used for training or tuning).
# A set is drawn again whenever the renderer has changed since it was drawn (its ground truth may have).
CLEANROOM_PAGES ?= 40
CLEANROOM_SETS := $(foreach kind,photo_form flatbed_ink bare_sole,data/01_external/cleanroom_$(kind)/via_annotations.csv)
data/01_external/cleanroom_%/via_annotations.csv: $(wildcard src/foot_landmarks/external/cleanroom/*.py) | $(STAMP)
	rm -rf data/01_external/cleanroom_$*
	$(BIN)/python -m foot_landmarks.external.cleanroom --kind $* --n $(CLEANROOM_PAGES) --seed 1 \
	  --out data/01_external/cleanroom_$*
external: $(CLEANROOM_SETS) | $(STAMP)
	$(BIN)/kedro run --pipeline external_evaluation

viz: venv
	$(BIN)/kedro viz run --host 127.0.0.1 --no-browser

contact-sheet: venv
	$(BIN)/foot-landmarks synth --n 30 --seed 8 --n-broken 3 --mix bare_sole=1,ink_paper=1,inkmat_form=1,pressure_map=1 --out /tmp/foot_landmarks_contact --force
	$(BIN)/foot-landmarks contact-sheet --data /tmp/foot_landmarks_contact --count 16 --out docs/contact_sheet.png

mlflow-ui: venv
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1

clean:
	rm -rf data/0[2-8]_*/* mlflow.db mlartifacts
