"""The command line behind `python -m diffusion_core`: data, train, sample, bench, pretrain.

Bad arguments end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from . import bench, datasets, models, pretrained, samplers, schedules, training
from .denoisers import NetDenoiser


class UsageError(Exception):
    """A bad argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the whole usage block
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _dataset(text: str) -> str:
    if text not in datasets.NAMES:
        raise argparse.ArgumentTypeError(f"unknown dataset {text!r}; valid: {', '.join(datasets.NAMES)}")
    return text


def _out_path(path: str) -> Path:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; give a file name")
    if not p.parent.exists():
        raise UsageError(f"cannot write {path}: folder {p.parent} does not exist")
    return p


def _save_points(points: torch.Tensor, path: str) -> None:
    """Write (n, 2) points as .npy at exactly `path` (np.save on a name would append .npy)."""
    out = _out_path(path)
    with open(out, "wb") as f:
        np.save(f, points.numpy())


def _progress(record: training.TrainRecord) -> None:
    sys.stderr.write(f"\r{100 * record.fraction:5.1f}%  step {record.step:>6}  loss {record.loss:.4f}  "
                     f"{record.elapsed:5.1f} s")
    sys.stderr.flush()


def cmd_data(args) -> None:
    _save_points(datasets.load(args.dataset, args.n, seed=args.seed), args.out)


def cmd_train(args) -> None:
    out = _out_path(args.out)
    net = models.EpsMLP(models.ModelConfig(seed=args.seed))
    data, jitter = datasets.training_set(args.dataset, args.seed)
    record = None
    for record in training.train(net, data, seconds=args.seconds, steps=args.steps, seed=args.seed,
                                 jitter=jitter):
        _progress(record)
    sys.stderr.write("\n")
    models.save_checkpoint(net, out, {"dataset": args.dataset, "steps": record.step, "seed": args.seed,
                                      "seconds": round(record.elapsed, 2)})


def _denoiser(args) -> NetDenoiser:
    if args.checkpoint:
        if not Path(args.checkpoint).is_file():
            raise UsageError(f"checkpoint {args.checkpoint} does not exist")
        net, _ = models.load_checkpoint(args.checkpoint)
    elif args.dataset == "dino":
        net, _ = pretrained.load("dino")
    else:
        raise UsageError(f"no shipped model for {args.dataset!r}: train one with `train` "
                         "and pass it with --checkpoint")
    return NetDenoiser(net)


def cmd_sample(args) -> None:
    _out_path(args.out)  # fail before sampling, not after
    den = _denoiser(args)
    x = samplers.sample(den, args.n, schedules.grid(den.schedule, args.steps), sampler=args.sampler, seed=args.seed)
    _save_points(x, args.out)


def cmd_bench(args) -> None:
    """Print one JSON object of one topic's bench (diffusion_core.bench); --list names the topics."""
    if args.list:
        print("\n".join(bench.topics()))
        return
    options = {"seconds": args.seconds, "seed": args.seed} if args.topic == "training" else {}
    print(json.dumps(bench.run_topic(args.topic, args.repeats, **options)))


def cmd_pretrain(args) -> None:
    names = set(args.only or pretrained.ALL)
    if pretrained.GUIDE in names:  # the Guidance page's views are made with these weights: remade after them
        names.add(pretrained.GUIDE_VIEWS)
    for name in [n for n in pretrained.ALL if n in names]:  # in ALL's order, whatever order --only gave
        meta = pretrained.remake(name, on_record=_progress)
        made = f"{meta['steps']} steps" if "steps" in meta else f"{meta['shapes']} shapes measured"
        sys.stderr.write(f"\n{name}: {made} in {meta['seconds']} s\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m diffusion_core", description=__doc__)
    # One thread: these small models run no faster on two, and two runs with two threads each
    # on a 2-core machine thrash (measured: 50 training steps in 10 s instead of 3,300).
    p.add_argument("--threads", type=_positive_int, default=1, help="torch intra-op threads (default: 1)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("data", help="write the canonical points of a dataset to .npy")
    s.add_argument("--dataset", type=_dataset, required=True)
    s.add_argument("--n", type=_positive_int, default=None, help="number of points (default: the set's own)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_data)

    s = sub.add_parser("train", help="train a Fourier-feature denoiser and save a checkpoint")
    s.add_argument("--dataset", type=_dataset, required=True)
    s.add_argument("--seconds", type=_positive_float, default=15.0)
    s.add_argument("--steps", type=_positive_int, default=None, help="fixed step count (reproducible)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_train)

    s = sub.add_parser("sample", help="sample points from shipped weights or a checkpoint to .npy")
    s.add_argument("--dataset", type=_dataset, default="dino")
    s.add_argument("--n", type=_positive_int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--steps", type=_positive_int, default=None, help="sampling steps (default: all T)")
    s.add_argument("--sampler", choices=samplers.NAMES, default="ddpm")
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_sample)

    topics = bench.topics()
    s = sub.add_parser("bench", help="print the seconds behind a page's controls (or training speed) as JSON")
    s.add_argument("topic", nargs="?", default="training", choices=topics, metavar="TOPIC",
                   help=f"one of {', '.join(topics)} (default: training)")
    s.add_argument("--list", action="store_true", help="name the topics and stop")
    s.add_argument("--repeats", type=_positive_int, default=None, help="runs per figure, the median is printed")
    s.add_argument("--seconds", type=_positive_float, default=10.0, help="training time (topic training)")
    s.add_argument("--seed", type=int, default=0, help="seed (topic training)")
    s.set_defaults(run=cmd_bench)
    for topic in topics[1:]:  # the old names, kept: bench-modes is bench modes
        s = sub.add_parser(f"bench-{topic}", help=f"the same as: bench {topic}")
        s.add_argument("--repeats", type=_positive_int, default=None)
        s.set_defaults(run=cmd_bench, topic=topic, list=False)

    s = sub.add_parser("pretrain", help="remake the shipped weights deterministically")
    s.add_argument("--only", nargs="*", choices=list(pretrained.ALL), default=None)
    s.set_defaults(run=cmd_pretrain)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        torch.set_num_threads(args.threads)
        args.run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
