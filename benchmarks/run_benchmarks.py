"""Benchmarks: one command (`make bench`) that measures and writes benchmarks/RESULTS.md.

Every figure is measured in this run next to a naive baseline, so the ratio is this machine's:
- training throughput (forward + backward, images/s) per variant: bf16 + channels_last where native, and the CPU allocator setting;
- end-to-end inference latency for one 300 dpi A4 scan (file -> 8 points in original pixels);
- preprocessing throughput on full-page A4 JPEG scans;
- model artifact size and peak memory per variant;
- training speed of the CPU profile in fp32 and in bf16 autocast (and, on a CPU with AMX, bf16
  with oneDNN held to AVX512_CORE_BF16), each with whether its losses stayed finite;
- the timings that were once asserts in the tests (heatmap decoding, page calibration).
The GPU part runs only where CUDA is present; elsewhere RESULTS.md says it is pending.
`--only precision`, `--only timings` or `--only throughput` runs one section alone (a lent GPU's rows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from foot_landmarks.detector import LandmarkDetector, native_bf16
from foot_landmarks.inference import ScanPredictor
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.pages import CropSettings, crop_feet, read_page
from foot_landmarks.synthetic import generate_dataset, write_dataset
from foot_landmarks.training import HeatmapLoss, training_flop_per_image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHMARKED = ("resnet18_333x256", "resnet18_333x128", "resnet34_333x256", "resnet50_333x256", "resnet50_333x128",
               "resnet18_light_s4")
# The variants' model parameters, read from the project's configuration (one source of truth).
VARIANTS = {
    name: config["model"]
    for name, config in yaml.safe_load((ROOT / "conf/base/parameters_training.yml").read_text()).items()
    if name in BENCHMARKED
}
ALLOCATOR_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "68719476736"}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return f"{cpu}, {os.cpu_count()} cores, GPU: {gpu}, torch {torch.__version__}, Python {platform.python_version()}"


def _training_step(config: dict, batch: int, bf16: bool, compiled: bool = False):
    """One forward + backward + Adam step on random data (heatmap loss from points), as a function:
    bf16 autocast + channels_last when `bf16`, the network torch.compile'd when `compiled`."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    detector = LandmarkDetector.create({**config, "encoder_weights": "none"})
    net = detector.network.to(device).train()
    loss_fn = HeatmapLoss(detector.codec())
    opt = torch.optim.Adam(net.parameters(), 1e-4)
    h, w = config["input_size"]
    x = torch.randn(batch, 1, h, w, device=device)
    points = torch.rand(batch, 8, 2, device=device) * torch.tensor([w - 1, h - 1], device=device)
    visible = torch.ones(batch, 8, device=device)
    if bf16:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    forward = torch.compile(net) if compiled else net

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            pred = forward(x)
        loss = loss_fn(pred.float(), points, visible)
        loss.backward()
        opt.step()
        return float(loss.detach())  # waits for the device, as a synchronise would

    return step


def _images_per_second(step, batch: int, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def train_step_throughput(config: dict, batch: int, steps: int, optimised: bool) -> float:
    """Images/s of the training step.

    optimised: bf16 autocast + channels_last where the device runs bf16 natively (CUDA, or a CPU
    with AVX512-BF16/AMX), as training does; the naive baseline is fp32, contiguous (fastai defaults).
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    step = _training_step(config, batch, bf16=optimised and native_bf16(device))
    step()  # warm-up (allocations, cuDNN autotune)
    return _images_per_second(step, batch, steps)


def compile_speedup(config: dict, batch: int, steps: int) -> tuple[float, float, float]:
    """Training images/s of the optimised step eager vs torch.compile'd (and the compile warm-up s)."""
    bf16 = native_bf16(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    eager = _training_step(config, batch, bf16)
    eager()
    eager()
    compiled = _training_step(config, batch, bf16, compiled=True)
    start = time.perf_counter()
    compiled()
    compiled()
    warmup = time.perf_counter() - start
    return _images_per_second(eager, batch, steps), _images_per_second(compiled, batch, steps), warmup


def precision_step_rate(config: dict, batch: int, steps: int, precision: str) -> dict:
    """Images/s of the training step in one precision, and whether every loss stayed finite
    (oneDNN's AMX bf16 kernels gave NaN from the second step of a tiny network: issue 20)."""
    step = _training_step(config, batch, bf16=precision == "bf16")
    losses = [step()]  # warm-up (allocations, kernel selection)
    start = time.perf_counter()
    losses += [step() for _ in range(steps)]
    rate = batch * steps / (time.perf_counter() - start)
    return {"images_per_s": rate, "finite": bool(np.isfinite(losses).all()), "losses": losses}


def _child(args) -> None:
    """Run one measurement in a fresh process (allocator settings and peak memory are per process)."""
    config = VARIANTS[args.variant]
    torch.set_num_threads(os.cpu_count() or 1)
    if args.precision:
        print(json.dumps(precision_step_rate(config, args.batch, args.steps, args.precision)))
        return
    rate = train_step_throughput(config, args.batch, args.steps, optimised=not args.naive)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if torch.cuda.is_available():
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps({"images_per_s": rate, "peak_mb": peak_mb}))


def measure_in_child(variant: str, batch: int, steps: int, naive: bool, allocator: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ALLOCATOR_ENV}
    if allocator:
        env.update(ALLOCATOR_ENV)
    cmd = [sys.executable, __file__, "--child", "--variant", variant, "--batch", str(batch), "--steps", str(steps)]
    if naive:
        cmd.append("--naive")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_has_amx() -> bool:
    """Whether /proc/cpuinfo lists the amx_bf16 flag (Intel Sapphire Rapids and later)."""
    try:
        return any(line.startswith("flags") and "amx_bf16" in line.split()
                   for line in Path("/proc/cpuinfo").read_text().splitlines())
    except OSError:
        return False


def precision_in_child(variant: str, batch: int, steps: int, precision: str, isa: str | None = None) -> dict:
    """`precision_step_rate` in a fresh process (oneDNN reads ONEDNN_MAX_CPU_ISA once, at start)."""
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"} | ALLOCATOR_ENV
    if isa:
        env["ONEDNN_MAX_CPU_ISA"] = isa
    cmd = [sys.executable, __file__, "--child", "--variant", variant, "--batch", str(batch), "--steps", str(steps),
           "--precision", precision]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def precision_section(variant: str, batch: int, steps: int) -> list[str]:
    """Training speed of fp32 and bf16 (and bf16 without AMX where the CPU has AMX): the rows
    precision `auto` chooses between (it keeps the fastest sound one, foot_landmarks.training)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    cases = [("fp32", None), ("bf16", None)]
    if device == "cpu" and cpu_has_amx():
        cases.append(("bf16", "AVX512_CORE_BF16"))
    lines = [
        f"## Training precision ({variant}, batch {batch}, {steps} timed steps, random data)",
        "",
        "| precision | oneDNN ISA | images/s | losses finite | speed vs fp32 |",
        "|---|---|---|---|---|",
    ]
    fp32_rate = None
    for precision, isa in cases:
        result = precision_in_child(variant, batch, steps, precision, isa)
        fp32_rate = fp32_rate or result["images_per_s"]
        isa_text = isa or ("default (AMX where present)" if cpu_has_amx() else "default")
        lines.append(f"| {precision} | {isa_text if device == 'cpu' else 'n/a (CUDA)'} | {result['images_per_s']:.2f} | "
                     f"{'yes' if result['finite'] else 'NO'} | {result['images_per_s'] / fp32_rate:.2f}x |")
        print(lines[-1], flush=True)
    lines += [
        "",
        "Precision `auto` checks bf16 against fp32 on the actual network and one real batch before "
        "training and keeps bf16 only where it is sound and faster (its choice and reason are in the "
        "training log and the detector's info).",
        "",
    ]
    return lines


def timings_section(repeats: int = 20) -> list[str]:
    """Timings the tests once asserted (under `pytest -n 2` such asserts flake): heatmap decoding
    of one foot (8 maps of 84 x 64, stride 4 at 333 x 256) per decoder, and page calibration of a
    2000 x 3000 photo (the test's rendered A4 sheet)."""
    from foot_landmarks.calibration import calibrate_page
    from foot_landmarks.codecs import GaussianHeatmapCodec
    from PIL import Image

    sys.path.insert(0, str(ROOT / "tests"))
    from test_calibration import random_page_quad, render_photo

    lines = ["## Timings (formerly wall-clock asserts in the tests)", "", "| measurement | median | former bound |",
             "|---|---|---|"]
    rng = np.random.default_rng(7)
    points = np.stack([rng.uniform(0, 255, 8), rng.uniform(0, 332, 8)], axis=-1)
    for decoder in ("dark", "argmax", "soft_argmax"):
        codec = GaussianHeatmapCodec((333, 256), stride=4, decoder=decoder)
        heatmaps, _ = codec.encode(points)
        codec.decode(heatmaps)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            codec.decode(heatmaps)
            times.append(time.perf_counter() - start)
        lines.append(f"| decode one foot's heatmaps (8 x 84 x 64), {decoder} | {np.median(times) * 1000:.2f} ms | 5 ms |")
        print(lines[-1], flush=True)
    quad = random_page_quad(np.random.default_rng(11), (667, 1000))
    small, _ = render_photo(quad, (667, 1000), seed=11)
    photo = np.asarray(Image.fromarray(small).resize((2001, 3000), Image.BILINEAR))
    calibrate_page(photo)  # warm-up (lazy imports)
    times = []
    for _ in range(max(3, repeats // 4)):
        start = time.perf_counter()
        calibrate_page(photo)
        times.append(time.perf_counter() - start)
    lines += [f"| calibrate_page on a 2000 x 3000 photo | {np.median(times) * 1000:.0f} ms | 1 s |", ""]
    print(lines[-2], flush=True)
    return lines


def artifact_sizes(config: dict) -> tuple[float, float, float]:
    """Detector file size (MB) with int8 convolution weights (what the registry stores), fp16, fp32."""
    detector = LandmarkDetector.create({**config, "encoder_weights": "none"})
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [detector.save(Path(tmp) / f"{w}.pt", weights=w).stat().st_size / 1e6 for w in ("int8", "fp16", "fp32")]
    return tuple(sizes)


def a4_scans(n: int, seed: int = 11) -> list[Path]:
    out = Path(tempfile.mkdtemp(prefix="bench_scans_"))
    ds = generate_dataset(n, seed=seed, n_broken=0, processes=min(2, os.cpu_count() or 1), mix={"a4": 1.0}, progress=False)
    write_dataset(ds, out, force=True)
    return sorted((out / "images").glob("*.jpg"))


def preprocess(path: Path, reduce: int) -> None:
    """The page stage of one scan: decode, find the feet, normalise, upright crops."""
    torch.set_num_threads(1)  # one process per core
    crop_feet(read_page(ScanImage(str(path)), reduce, _finder()), CropSettings())


_FINDER: list[FootFinder] = []


def _finder() -> FootFinder:
    if not _FINDER:
        _FINDER.append(FootFinder.bundled())
    return _FINDER[0]


def preprocessing_rate(paths: list[Path], reduce: int, workers: int) -> float:
    """Scans per second, the worker pool started and warmed before the clock starts."""
    from concurrent.futures import ProcessPoolExecutor

    if workers == 1:
        preprocess(paths[0], reduce)
        start = time.perf_counter()
        for p in paths:
            preprocess(p, reduce)
        return len(paths) / (time.perf_counter() - start)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(preprocess, paths[:workers], [reduce] * workers))  # imports, first decode
        start = time.perf_counter()
        list(pool.map(preprocess, paths, [reduce] * len(paths)))
        return len(paths) / (time.perf_counter() - start)


def inference_latency(paths: list[Path], detector: LandmarkDetector, naive: bool) -> float:
    """Median seconds per scan, file to points in original px (the whole ScanPredictor path).
    Naive: the JPEG decoded at full resolution; optimised: at the scale the crop needs."""
    predictor = ScanPredictor(detector, decode_reduction=1 if naive else None)
    predictor.predict_scan(paths[0])  # warm-up
    times = []
    for p in paths:
        start = time.perf_counter()
        predictor.predict_scan(p)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def throughput_section(quick: bool) -> list[str]:
    """Training throughput per variant, optimised against naive, each measured in its own process."""
    cuda = torch.cuda.is_available()
    lines = [
        "## Training throughput (forward + backward + Adam step, random data)",
        "",
        "| variant | train GFLOP/image | images/s optimised | images/s naive | ratio | peak memory (MB) | artifact int8 / fp16 / fp32 (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, config in VARIANTS.items():
        heavy = config["encoder"] == "resnet50" or config["architecture"] == "unet"
        batch = (16 if cuda else (1 if config["encoder"] == "resnet50" else 2)) if heavy else (32 if cuda else 8)
        steps = 20 if cuda else (1 if heavy or quick else 3)
        gflop = training_flop_per_image(LandmarkDetector.create({**config, "encoder_weights": "none"}).network,
                                        tuple(config["input_size"])) / 1e9
        fast = measure_in_child(name, batch, steps, naive=False, allocator=True)
        slow = measure_in_child(name, batch, steps, naive=True, allocator=False)
        int8, fp16, fp32 = artifact_sizes(config)
        lines.append(
            f"| {name} | {gflop:.1f} | {fast['images_per_s']:.2f} | {slow['images_per_s']:.2f} | "
            f"{fast['images_per_s'] / slow['images_per_s']:.2f}x | {fast['peak_mb']:.0f} | {int8:.1f} / {fp16:.1f} / {fp32:.1f} |"
        )
        print(lines[-1], flush=True)
    return lines + [
        "",
        "Optimised: " + ("CUDA bf16 autocast + channels_last" if cuda else
                         "glibc allocator settings MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=64 GiB"
                         + (" + bf16 autocast + channels_last (native AVX512-BF16)" if native_bf16(torch.device("cpu"))
                            else " (no native bf16 on this CPU: fp32)"))
        + "; naive: fp32, contiguous, default allocator. The study's schedule (26 epochs x 1056 images) "
        "takes 27456 / (images/s) seconds.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="resnet18_light_s4")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--naive", action="store_true")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer scans and steps (CI smoke run)")
    parser.add_argument("--only", choices=("precision", "timings", "throughput"), default=None,
                        help="run one section alone and print it (RESULTS.md is not written)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if args.only == "precision":
        print("\n".join(precision_section(args.variant, args.batch, args.steps)))
        return
    if args.only == "timings":
        print("\n".join(timings_section()))
        return
    if args.only == "throughput":
        print(f"Machine: {machine()}", flush=True)
        print("\n".join(throughput_section(args.quick)))
        return

    cuda = torch.cuda.is_available()
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Command: `make bench`"
        + (" (quick)" if args.quick else "") + ". All ratios are from this one run.",
        "",
        *throughput_section(args.quick),
    ]
    if not cuda:
        lines += ["GPU figures: pending (no GPU on this machine).", ""]

    eager, compiled, warmup = compile_speedup(VARIANTS["resnet18_light_s4"], 16, 6 if args.quick else 20)
    lines += [
        "## torch.compile (the CPU profile's training step, optimised as above)",
        "",
        "| variant | eager images/s | compiled images/s | ratio | compile warm-up |",
        "|---|---|---|---|---|",
        f"| resnet18_light_s4 | {eager:.1f} | {compiled:.1f} | {compiled / eager:.2f}x | {warmup:.0f} s |",
        "",
        "Training runs eager: torch.compile pays only where this ratio beats its warm-up over a run.",
        "",
    ]
    lines += precision_section("resnet18_light_s4", 32 if cuda else 16, 5 if args.quick else 10)
    lines += timings_section()
    n_scans = 8 if args.quick else 16
    paths = a4_scans(n_scans)
    detector = LandmarkDetector.create({**VARIANTS["resnet18_light_s4"], "encoder_weights": "none"})
    fast_s = inference_latency(paths, detector, naive=False)
    slow_s = inference_latency(paths, detector, naive=True)
    workers = min(2, os.cpu_count() or 1)
    pre_fast = preprocessing_rate(paths, reduce=4, workers=workers)
    pre_slow = preprocessing_rate(paths, reduce=1, workers=1)
    pre_one = preprocessing_rate(paths, reduce=4, workers=1)
    lines += [
        "## Inference and preprocessing on 300 dpi A4 JPEG scans (3508x2480)",
        "",
        "| measurement | optimised | naive | ratio |",
        "|---|---|---|---|",
        f"| end-to-end latency per scan, file -> 8 points in original px (median of {n_scans}) | "
        f"{fast_s * 1000:.0f} ms | {slow_s * 1000:.0f} ms | {slow_s / fast_s:.2f}x |",
        f"| preprocessing throughput (decode, segment, clean, crop, mirror, invert, scale) | "
        f"{pre_fast:.2f} images/s ({workers} processes, JPEG scaled decode) | {pre_slow:.2f} images/s "
        f"(1 process, full decode) | {pre_fast / pre_slow:.2f}x |",
        f"| the same, scaled decode on 1 process (2 processes vs 1: {pre_fast / pre_one:.2f}x) | "
        f"{pre_one:.2f} images/s | {pre_slow:.2f} images/s | {pre_one / pre_slow:.2f}x |",
        "",
        "Optimised inference decodes the JPEG at the reduced scale the crop needs (scaled IDCT); the "
        "naive path decodes every pixel first. Both then read the scan once more at full resolution "
        "for the refinement's second stage (resnet18_light_s4 has `refine: print`), so the two paths "
        "take about the same time. Network: resnet18_light_s4 (random weights: latency does not "
        "depend on them).",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
