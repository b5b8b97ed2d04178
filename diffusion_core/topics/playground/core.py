"""The Playground: train a denoiser on the reader's own points, live, then sample it.

Points arrive in the reader's units (a CSV) or already standardised (a built-in set, a word). Training
and sampling happen in the canonical frame of the rest of the project: centred on the mean and divided
by the pooled standard deviation, so that the Fourier scale and the x0 clip mean the same on every set.
A `Frame` maps samples back to the reader's units. A trained model travels as a checkpoint file
(models.save_checkpoint's format) whose metadata holds that frame and the settings it was trained with.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ... import datasets, inputs, metrics, models, samplers, schedules, training
from ...denoisers import NetDenoiser
from ..guidance import core as guidance

# the choices the page offers; the defaults are the project's reference dino model (pretrained "dino")
WIDTHS = (16, 32, 64, 128, 256)
DEPTHS = (1, 2, 3, 4, 5, 6)
FOURIER_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
T_CHOICES = (20, 50, 100, 250, 500, 1000)
SECONDS = (5, 10, 15, 20, 30, 45, 60)
MAX_SEED = 9999
SAMPLE_COUNTS = (250, 500, 1000, 2000, 5000)
STEP_CHOICES = (1, 2, 5, 10, 20, 50, 100, 250, 500, 1000)
MAX_FRAMES = 25  # states of the reverse process kept for the animation
TEXT_POINTS = 2000  # points drawn from the ink of a typed word
# the drawing canvas's colours, each a class (app_components/drawing.py shows them; the data plot draws them)
DRAW_COLOURS = ({"name": "blue", "hex": "#0072B2"}, {"name": "orange", "hex": "#D55E00"},
                {"name": "green", "hex": "#009E73"}, {"name": "pink", "hex": "#CC79A7"})


@dataclass(frozen=True)
class Settings:
    """What the reader chooses before training; the defaults train the dino to the project's bar in 10 s."""

    hidden: int = 64
    depth: int = 3
    fourier: bool = True
    fourier_scale: float = 2.0
    schedule: str = "cosine"
    T: int = 1000
    seconds: int = 10
    seed: int = 0

    def __post_init__(self):
        for name, allowed in (("hidden", WIDTHS), ("depth", DEPTHS), ("fourier_scale", FOURIER_SCALES),
                              ("T", T_CHOICES), ("seconds", SECONDS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}, not {getattr(self, name)!r}")
        if self.schedule not in schedules.NAMES:
            raise ValueError(f"unknown schedule {self.schedule!r}; valid: {', '.join(schedules.NAMES)}")
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer from 0 to {MAX_SEED}, not {self.seed!r}")

    def model_config(self, classes: int = 0) -> models.ModelConfig:
        """The network these settings build; class-conditional with `classes` labels (a drawing of several colours)."""
        base = models.ModelConfig()
        return models.ModelConfig(time_input="fourier", fourier_features=base.fourier_features if self.fourier else 0,
                                  fourier_scale=self.fourier_scale, hidden=self.hidden, depth=self.depth,
                                  schedule=self.schedule, T=self.T, seed=self.seed, classes=classes)


@dataclass(frozen=True)
class Frame:
    """The map from the reader's units to the canonical frame: (x - centre) / scale."""

    centre: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0

    def to_data(self, x) -> np.ndarray:
        """Canonical points (n, 2) in the reader's units."""
        return np.asarray(x, dtype=np.float64) * self.scale + np.asarray(self.centre)


@dataclass(frozen=True)
class TrainingData:
    """Points to train on, canonical (n, 2) float32, with their frame, a label and the per-batch jitter."""

    points: np.ndarray
    frame: Frame
    label: str
    jitter: float = 0.0
    source: str = "csv"  # "builtin", "csv", "word" or "draw"
    labels: np.ndarray | None = None  # a drawing's classes (n,), one per point: its colours

    def in_data_units(self) -> np.ndarray:
        return self.frame.to_data(self.points)


def standardise(points: np.ndarray, label: str, source: str = "csv") -> TrainingData:
    """Reader's points (n, 2) centred and divided by their pooled std (inputs.read_points_csv has
    already refused a cloud with no spread)."""
    p = np.asarray(points, dtype=np.float64)
    centre = p.mean(axis=0)
    scale = float(np.sqrt(((p - centre) ** 2).mean()))
    if not math.isfinite(scale) or scale <= 0:
        raise inputs.InputError("The points have no spread to scale.")
    frame = Frame((float(centre[0]), float(centre[1])), scale)
    return TrainingData(((p - centre) / scale).astype(np.float32), frame, label, source=source)


def built_in(name: str) -> TrainingData:
    """A built-in set as the shipped models train on it: the 142 dino points with jitter, or 10,000 draws."""
    points, jitter = datasets.training_set(name)
    return TrainingData(points.numpy(), Frame(), name, jitter, "builtin")


def from_csv(data: bytes, filename: str) -> TrainingData:
    """An uploaded CSV of two columns (inputs.read_points_csv checks it), standardised."""
    return standardise(inputs.read_points_csv(data), filename)


def from_drawing(drawing: object) -> tuple[TrainingData, dict]:
    """The canvas's drawing (inputs.points_from_drawing checks it), standardised, with its colours as labels; and
    the drawing rebuilt from the checked values alone ({"strokes": ...}, nothing else a client sent)."""
    points, labels = inputs.points_from_drawing(drawing)
    data = standardise(points, "your drawing", source="draw")
    lengths = np.cumsum([0] + [len(s) for s in drawing["strokes"]])
    strokes = [[[float(x), float(y), int(c)] for (x, y), c in zip(points[a:b].tolist(), labels[a:b].tolist())]
               for a, b in itertools.pairwise(lengths)]
    return TrainingData(data.points, data.frame, data.label, source="draw", labels=labels), {"strokes": strokes}


def from_word(text: str, seed: int = 0) -> TrainingData:
    """TEXT_POINTS points from the ink of `text` (inputs.points_from_text), already standardised."""
    return TrainingData(inputs.points_from_text(text, n=TEXT_POINTS, seed=seed), Frame(), f"the word '{text.strip()}'",
                        source="word")


# ---------------------------------------------------------------- training (one job for worker.Worker)

PREVIEW_EVERY = 1.0  # seconds of training between two looks at the model's samples
PREVIEW_N, PREVIEW_STEPS = 300, 20  # samples of each look, and their DDIM steps


def preview(net: models.EpsMLP, n: int = PREVIEW_N, steps: int = PREVIEW_STEPS) -> np.ndarray:
    """n samples (canonical, float32) of the network as its weights are now: DDIM over `steps` strided steps from
    noise seed 0 (the same noise at every look, so the picture changes only as the model does)."""
    den = NetDenoiser(net)
    with torch.no_grad():
        x = samplers.sample(den, n, schedules.grid(den.schedule, steps), sampler="ddim", seed=0)
    net.train()  # NetDenoiser put it in eval mode (the MLP has no layer that minds)
    return x.numpy().astype(np.float32)


def class_ids(labels) -> tuple[np.ndarray, tuple[int, ...]]:
    """A drawing's colours as classes 0, 1, ... in colour order (colours 0 and 2 become classes 0 and 1), and the
    colour of each class."""
    colours, ids = np.unique(np.asarray(labels, dtype=np.int64), return_inverse=True)
    return ids.astype(np.int64), tuple(int(c) for c in colours)


def classes_of(labels) -> int:
    """How many labels a class-conditional network of these points needs (one per colour used); 0 (train one
    unconditional model) without labels or with a single colour."""
    if labels is None:
        return 0
    n = len(class_ids(labels)[1])
    return n if n > 1 else 0


def train_job(points: np.ndarray, settings: dict, jitter: float = 0.0, *, seconds: float, looks: bool = True,
              labels: np.ndarray | None = None):
    """Train a fresh network with `settings` (Settings as a dict) on canonical `points` for `seconds`; with `labels`
    of two classes or more, the class-conditional network (training.train's label dropout gives it the
    unconditional model too).

    Yields training.TrainRecords, about once every PREVIEW_EVERY seconds of training one with a `preview` of the
    model's samples (with `looks`; unconditional); returns the weights as numpy arrays (a plain pickle through the
    worker's pipe). The looks sample the weights being trained, not their running average that the job returns.
    """
    s = Settings(**settings)
    classes = classes_of(labels)
    net = models.EpsMLP(s.model_config(classes))
    data = torch.as_tensor(np.asarray(points, dtype=np.float32))
    y = torch.as_tensor(class_ids(labels)[0]) if classes else None
    next_look = 0.0
    for record in training.train(net, data, seconds=seconds, seed=s.seed, jitter=jitter, labels=y):
        if looks and record.elapsed >= next_look and record.fraction < 1:
            record.preview = preview(net)
            next_look = record.elapsed + PREVIEW_EVERY
        yield record
    return {k: v.numpy() for k, v in net.state_dict().items()}


def build(settings: Settings, state: dict) -> models.EpsMLP:
    """The network of `settings` holding `train_job`'s returned weights, in eval mode (class-conditional when they
    hold a label embedding)."""
    classes = int(np.asarray(state["label.weight"]).shape[0]) - 1 if "label.weight" in state else 0
    net = models.EpsMLP(settings.model_config(classes))
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    return net.eval()


# ---------------------------------------------------------------- checkpoints

def checkpoint_bytes(net: models.EpsMLP, frame: Frame, meta: dict | None = None) -> bytes:
    """The model as a checkpoint file (models.save_checkpoint's format), its frame in the metadata."""
    buf = io.BytesIO()
    models.save_checkpoint(net, buf, {**(meta or {}), "centre": list(frame.centre), "scale": frame.scale})
    return buf.getvalue()


MAX_LABEL_CHARS = 60  # of a loaded checkpoint's "data" (the label of the points it was trained on)
MAX_TRAINING_STEPS = 10**9


def _checkpoint_frame(meta: dict) -> Frame:
    centre, scale = meta.get("centre", (0.0, 0.0)), meta.get("scale", 1.0)
    ok = (isinstance(centre, (list, tuple)) and len(centre) == 2
          and all(isinstance(c, (int, float)) and math.isfinite(c) for c in centre)
          and isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0)
    if not ok:
        raise inputs.InputError("The checkpoint's frame (centre and scale) is damaged.")
    return Frame((float(centre[0]), float(centre[1])), float(scale))


def _checkpoint_meta(meta: dict) -> dict:
    """The metadata the page shows, each entry kept only when well typed and bounded, else dropped: a file's
    metadata may be anything the weights_only unpickler builds, so nothing here prints or compares an object
    before its type is known to be a plain str, int or float."""
    data, steps, seconds = meta.get("data"), meta.get("training_steps"), meta.get("seconds")
    kept = {}
    if type(data) is str:
        kept["data"] = data[:MAX_LABEL_CHARS]
    if type(steps) is int and 0 <= steps <= MAX_TRAINING_STEPS:
        kept["training_steps"] = steps
    if type(seconds) is int and abs(seconds) <= MAX_TRAINING_STEPS or type(seconds) is float and math.isfinite(seconds):
        kept["seconds"] = seconds
    return kept


def from_checkpoint(data: bytes) -> tuple[models.EpsMLP, Frame, dict]:
    """An uploaded checkpoint (inputs.read_checkpoint checks it), the frame its metadata records (the canonical
    frame when it records none, as for the shipped models) and its metadata of use to the page: "data" (a text of
    at most MAX_LABEL_CHARS), "training_steps" and "seconds", each only when the file has a sound one.

    Every problem with the file raises InputError, an unexpected one too (its cause kept as __cause__)."""
    net, meta = inputs.read_checkpoint(data)
    try:
        return net, _checkpoint_frame(meta), _checkpoint_meta(meta)
    except inputs.InputError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a crafted file leads to is one sentence for the page
        raise inputs.InputError("The checkpoint's metadata could not be read; the file is damaged.") from e


def settings_of(config: models.ModelConfig, seconds: int = Settings.seconds) -> Settings | None:
    """The Settings that build `config`, or None when the page offers no such settings (an uploaded model)."""
    try:
        s = Settings(hidden=config.hidden, depth=config.depth, fourier=config.fourier_features > 0,
                     fourier_scale=config.fourier_scale, schedule=config.schedule, T=config.T, seconds=seconds,
                     seed=config.seed)
    except ValueError:
        return None
    return s if s.model_config(config.classes) == config else None


# ---------------------------------------------------------------- sampling

def step_choices(T: int) -> tuple[int, ...]:
    """The sampling step counts offered for a model of T steps."""
    return tuple(s for s in STEP_CHOICES if s < T) + (T,)


@dataclass(frozen=True)
class Run:
    """A sampler's run, canonical frame: up to MAX_FRAMES + 1 states from the prior to the samples."""

    states: np.ndarray  # (F, n, 2), the first the prior draw, the last the samples
    labels: list[str]  # one per state: the steps taken before it, "0" (pure noise) to "S"
    samples: np.ndarray  # (n, 2), equal to states[-1]


def denoiser_of(net: models.EpsMLP, label: int | None = None, w: float = 1.0):
    """The network as the sampler asks it: unconditional, or for class `label` guided at scale w (guidance's
    GuidedDenoiser: w = 1 is the conditional model, w = 0 the unconditional one)."""
    if label is None:
        return NetDenoiser(net)
    return guidance.GuidedDenoiser(NetDenoiser(net), NetDenoiser(net, label=label), w)


def sample_run(net: models.EpsMLP, n: int, sampler: str, steps: int, seed: int = 0,
               max_frames: int = MAX_FRAMES, label: int | None = None, w: float = 1.0) -> Run:
    """Sample n points with `sampler` in `steps` steps (as samplers.sample), keeping a few states to animate; of
    class `label` at guidance scale w when given."""
    run = None
    for run in _sampling(net, n, sampler, steps, seed, max_frames, label, w):
        pass
    return run


def _sampling(net: models.EpsMLP, n: int, sampler: str, steps: int, seed: int, max_frames: int = MAX_FRAMES,
              label: int | None = None, w: float = 1.0):
    """`sample_run`, step by step: yields the fraction of steps done after each step, then the Run."""
    den = denoiser_of(net, label, w)
    sigmas = schedules.grid(den.schedule, steps)
    S = len(sigmas) - 1
    keep = set(np.linspace(0, S, min(S, max_frames) + 1).round().astype(int).tolist())
    # only the frames shown: 1,000 states of 5,000 points would be 40 MB
    frames = []
    for k, step in enumerate(samplers.run(den, n, sigmas, sampler=sampler, seed=seed)):
        if k in keep:
            frames.append(step.vp.numpy())
        yield k / S
    states = np.stack(frames)
    yield Run(states, [str(k) for k in sorted(keep)], states[-1])


# ---------------------------------------------------------------- what a sampling costs

# Seconds one network evaluation of a batch of n points takes on the project's 2-core machine with one torch
# thread: a + n (b P + c U), P the network's weights and U its units (hidden units, Fourier features, output).
# Fitted to 30 timed runs (widths 16 to 256, depths 1 to 6, 250 to 5,000 points); every run within 35% of it.
EVAL_SECONDS = (1.7e-4, 2.3e-11, 2.4e-9)
LIGHT_SECONDS = 1.0  # a sampling estimated to take longer waits in the CPU line and runs in the training process
MAX_SAMPLING_SECONDS = 60.0  # ... and one estimated to take longer than this is refused


def sampling_seconds(config: models.ModelConfig, n: int, sampler: str, steps: int, guided: bool = False) -> float:
    """What `sample_run` of a network of `config` is expected to take on the project's machine, in seconds (twice
    the network's evaluations when `guided`: the unconditional and the conditional answer at every step)."""
    weights = ((config.dim + 2 * config.fourier_features + 1) * config.hidden + (config.depth - 1) * (config.hidden + 1)
               * config.hidden + (config.hidden + 1) * config.dim)
    units = config.hidden * config.depth + 2 * config.fourier_features + config.dim
    calls = samplers.CALLS_PER_STEP[sampler] * steps - (sampler == "heun")
    a, b, c = EVAL_SECONDS
    return (2 if guided else 1) * calls * (a + n * (b * weights + c * units))


@dataclass(frozen=True)
class SampleProgress:
    """How far a sampling job has come (the worker streams these; the page shows them as a progress bar)."""

    fraction: float
    elapsed: float


def sample_job(config: dict, state: dict, n: int, sampler: str, steps: int, seed: int, *, seconds: float,
               label: int | None = None, w: float = 1.0):
    """`sample_run` as a job for worker.Worker: the network rebuilt from its config (as a dict) and weights (numpy
    arrays); yields a SampleProgress about ten times a second and returns the Run. `seconds` is its estimated
    length: on a machine much slower than the estimate assumes it stops (RuntimeError) after twice that plus 10 s,
    so a job never holds the line far past what it announced."""
    import time

    net = models.EpsMLP(models.ModelConfig(**config))
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    net.eval()
    start = last = time.perf_counter()
    for item in _sampling(net, n, sampler, steps, seed, label=label, w=w):
        if isinstance(item, Run):
            return item
        now = time.perf_counter()
        if seconds > 0 and now - start > 2 * seconds + 10:
            raise RuntimeError(f"the sampling was stopped after {now - start:.0f} s, more than twice its estimate of "
                               f"{seconds:.0f} s (this server is slower than the one the estimate was made on)")
        if now - last >= 0.1:
            last = now
            yield SampleProgress(item, now - start)
    raise RuntimeError("the sampling ended without a result")


QUALITY_REFERENCE = 2000  # training points the samples are compared with (the first ones)


def run_view(model_id: str, _net: models.EpsMLP, _data: np.ndarray | None, yardstick: str, sampler: str, steps: int,
             n: int, seed: int, label: int | None = None,
             w: float = 1.0) -> tuple[Run, metrics.Quality | None, metrics.NoiseBand | None]:
    """The sampling section: `sample_run` of the reader's model `model_id` (a fresh id for every trained or
    loaded model, which also fixes `_data`, the canonical points it was trained on, or None for a loaded
    model), judged by `judge`. (A leading underscore tells a cache not to hash the argument: the model id
    stands for the network and its points.)"""
    run = sample_run(_net, n, sampler, steps, seed, label=label, w=w)
    return (run, *judge(model_id, run.samples, _data, yardstick))


GUIDE_SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # the guidance scales the sampling section offers


CLASS_REFERENCE = 2000  # at most this many of the class's points and of the samples enter its measures


def class_trade(model_id: str, samples: np.ndarray, _points: np.ndarray, _ids: np.ndarray,
                label: int) -> guidance.Trade | None:
    """The Guidance page's fidelity, coverage, energy distance and share off the class, of samples of class `label`
    (`_ids` the class of each training point, class_ids') against that class's training points, canonical frame; at
    most CLASS_REFERENCE of each (evenly strided). None for a class with no training point. (`model_id` stands for
    the points and classes in a cache.)"""
    mine = np.asarray(_points)[np.asarray(_ids) == label]
    if not len(mine):
        return None
    mine = mine[:: -(-len(mine) // CLASS_REFERENCE)]
    s = np.asarray(samples)[:: -(-len(samples) // CLASS_REFERENCE)]
    return guidance.trade(torch.as_tensor(s, dtype=torch.float32), torch.as_tensor(mine, dtype=torch.float32))


def judge(model_id: str, samples: np.ndarray, _data: np.ndarray | None,
          yardstick: str) -> tuple[metrics.Quality | None, metrics.NoiseBand | None]:
    """The samples' quality and the noise band of its energy distance: the project's dino yardstick when
    `yardstick` is "dino", else against (at most QUALITY_REFERENCE of) the training points `_data` of model
    `model_id`; (None, None) for a loaded model, which has no training points."""
    if _data is None:
        return None, None
    n, x = len(samples), torch.as_tensor(samples)
    if yardstick == "dino":
        return metrics.dino_quality(x), metrics.dino_noise(n)
    reference = torch.as_tensor(_data[:QUALITY_REFERENCE])
    return metrics.quality(x, reference), metrics.resampled_noise(reference, n)


def samples_csv(samples: np.ndarray) -> bytes:
    """Samples (n, 2) as a CSV with an x,y header, which inputs.read_points_csv reads back."""
    buf = io.StringIO()
    buf.write("x,y\n")
    np.savetxt(buf, np.asarray(samples, dtype=np.float64), delimiter=",", fmt="%.6g")
    return buf.getvalue().encode()


def describe(settings: Settings, timed: bool = True) -> str:
    """One line naming the settings, for captions; without the training time when `timed` is False
    (a loaded checkpoint that does not record it)."""
    d = asdict(settings)
    fourier = f"Fourier features at scale {d['fourier_scale']:g}" if d["fourier"] else "no Fourier features"
    return (f"width {d['hidden']}, depth {d['depth']}, {fourier}, {d['schedule']} schedule with T = {d['T']:,}, "
            + (f"{d['seconds']} s, " if timed else "") + f"seed {d['seed']}")
