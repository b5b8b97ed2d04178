"""What "Where the loss comes from" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/objective.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import functools

import numpy as np

from ... import pretrained, schedules, shipped
from ...denoisers import Denoiser
from . import core

SCHEDULES = ("linear", "cosine", "gentle")
MODEL_SCHEDULE = "cosine"  # the schedule of every network on the page (the project's reference dino model)
IMPLIED_LAMBDAS = np.linspace(-10.0, 10.0, 201)
NOISES = pretrained.LOSS_NOISES
SEEDS = pretrained.LOSS_SEEDS
BASELINE = ("eps", 0.0)  # Ho et al.'s L_simple: eps-prediction, steps drawn uniformly


def thin(*arrays: np.ndarray, every: int = 4, tail: int = 20) -> tuple[np.ndarray, ...]:
    """Every `every`-th entry of per-step arrays, and all of the last `tail` steps (where a schedule's end is steep):
    enough to draw a smooth curve at a quarter of the size."""
    n = len(arrays[0])
    keep = np.union1d(np.arange(0, n, every), np.arange(max(0, n - tail), n))
    return tuple(np.asarray(a)[keep] for a in arrays)


def noise_label(noise) -> str:
    """How the page names a draw of noise levels."""
    if isinstance(noise, str):
        return "∝ ELBO"
    return "uniform" if noise == 0 else f"shift {noise:+g}"


# ---------------------------------------------------------------- the bound, the targets, the draws

def bound(schedule_name: str) -> dict:
    """The ELBO weight of each step as a share of the bound's total, beside the uniform share of L_simple, and what
    the text says of them: the share on the least noisy tenth of the steps and on the last step, and the largest
    and smallest weight."""
    sched = schedules.shipped(schedule_name)
    w = core.elbo_weights(sched)
    share = w / w.sum()
    T = sched.T
    return {"t": np.arange(1, T + 1), "elbo": share, "uniform": np.full(T, 1 / T), "T": T,
            "low_share": float(share[: max(1, T // 10)].sum()), "last_share": float(share[-1]),
            "high_half": float(share[T // 2:].sum()),
            "largest": (int(np.argmax(w)) + 1, float(w.max())), "smallest": (int(np.argmin(w)) + 1, float(w.min())),
            "last_lambdas": (float(core.log_snr(sched)[-2]), float(core.log_snr(sched)[-1])),
            "beta_T": float(sched.betas[-1])}


def targets() -> dict:
    """The weight on the eps error that each target's squared error amounts to, over log-SNR; and the same
    weights times the density of the model schedule's uniform draw (what each target trains with in practice)."""
    sched = schedules.shipped(MODEL_SCHEDULE)
    lam = core.log_snr(sched)
    uniform = core.levels(sched, 0.0)
    effective = {t: thin(core.effective_weight(sched, uniform, t))[0] for t in core.TARGETS}
    return {"lambda": IMPLIED_LAMBDAS, "weights": {t: core.implied_weight(t, IMPLIED_LAMBDAS) for t in core.IMPLIED},
            "steps_lambda": thin(lam)[0], "effective": effective,
            "ratio_x0": float(core.implied_weight("x0", -4.0) / core.implied_weight("x0", 4.0))}


def draws(target: str, noise) -> dict:
    """Where a setting draws its noise levels, per unit log-SNR, beside the uniform draw; the weight its loss puts on
    each level (draw times target) beside L_simple's; and the share of draws noisier than SNR = 1."""
    sched = schedules.shipped(MODEL_SCHEDULE)
    probs, uniform = core.levels(sched, noise), core.levels(sched, 0.0)
    lam, density, uniform_density, effective, baseline = thin(
        core.log_snr(sched), core.density_over_log_snr(sched, probs), core.density_over_log_snr(sched, uniform),
        core.effective_weight(sched, probs, target), core.effective_weight(sched, uniform, BASELINE[0]))
    return {"lambda": lam, "density": density, "uniform_density": uniform_density, "effective": effective,
            "baseline_effective": baseline,
            "noisy_share": core.share_below(sched, probs, 0.0), "uniform_noisy_share": core.share_below(sched, uniform, 0.0),
            "last_share": float(probs[-1])}


def schedule_densities() -> dict:
    """For each schedule (its shipped T), the density over log-SNR of a uniform draw of steps, and the share of
    draws below SNR = e^-4 (nearly pure noise), below SNR = 1, and above SNR = e^4 (nearly clean)."""
    out = {}
    for name in SCHEDULES:
        sched = schedules.shipped(name)
        p = core.levels(sched, 0.0)
        lam, density = thin(core.log_snr(sched), core.density_over_log_snr(sched, p))
        out[name] = {"lambda": lam, "density": density, "T": sched.T,
                     "very_noisy": core.share_below(sched, p, -4.0), "noisy": core.share_below(sched, p, 0.0),
                     "clean": 1 - core.share_below(sched, p, 4.0)}
    return out


# ---------------------------------------------------------------- the trained networks

@functools.lru_cache(maxsize=len(pretrained.LOSS_MODELS))
def stored(name: str) -> dict:
    """The measurements a shipped "loss_" network's file carries (pretrained.measured_meta; the tests check them
    against a fresh measurement)."""
    measured = shipped.info(name).get("measured")
    if not isinstance(measured, dict):
        raise ValueError(f"{name} carries no measurements (remake it with `python -m diffusion_core pretrain`)")
    return measured


def _spread(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))


def _summary(names: list[str]) -> dict:
    runs = [stored(n) for n in names]
    errors = np.array([r["error"] for r in runs])  # (seeds, levels)
    return {"coarse": _spread([r["coarse"] for r in runs]), "detail": _spread([r["detail"] for r in runs]),
            "error": errors.mean(0), "error_se": errors.std(0, ddof=1) / np.sqrt(len(runs))}


def setting(target: str, noise) -> dict:
    """One setting's shipped networks: seed 0 sampled here (its samples and numbers), and over all seeds the mean
    and standard error of the stored coarse and detail numbers and x0_hat error per log-SNR, beside those of the
    same target with uniform steps ("uniform") and of L_simple ("baseline")."""
    live = core.judged_samples(shipped.denoiser(pretrained.loss_model(target, noise, SEEDS[0])))
    names = [pretrained.loss_model(target, noise, s) for s in SEEDS]
    base = [pretrained.loss_model(*BASELINE, s) for s in SEEDS]
    same = [pretrained.loss_model(target, 0.0, s) for s in SEEDS]
    return {"samples": live["samples"], "coarse": live["coarse"], "detail": live["detail"],
            "seeds": _summary(names), "baseline": _summary(base), "uniform": _summary(same),
            "lambdas": core.CURVE_LAMBDAS,
            "steps": pretrained.LOSS_STEPS}


def comparison() -> dict:
    """Every setting's coarse and detail numbers (mean and standard error over the seeds), by target and draw, and
    what fresh draws of the training distribution score (the floor)."""
    rows = {t: [_summary([pretrained.loss_model(t, nz, s) for s in SEEDS]) for nz in NOISES] for t in core.TARGETS}
    return {"noises": [noise_label(nz) for nz in NOISES],
            "ticks": ["∝ ELBO" if isinstance(nz, str) else ("0" if nz == 0 else f"{nz:+g}") for nz in NOISES],
            "coarse": {t: [r["coarse"] for r in rs] for t, rs in rows.items()},
            "detail": {t: [r["detail"] for r in rs] for t, rs in rows.items()},
            "floor": core.fresh_floor()}


def live(den: Denoiser) -> dict:
    """A network trained live, measured as the shipped ones are (sampling seed 0)."""
    m = core.measured(den)
    return {"samples": m["samples"], "coarse": m["coarse"], "detail": m["detail"], "error": m["error"]}


# ---------------------------------------------------------------- what the measurements say

def compare(a: tuple[float, float], b: tuple[float, float]) -> int:
    """+1 if mean a is above mean b by more than two standard errors of the difference, -1 if below, 0 if not told
    apart; a and b are (mean, standard error) of independent estimates."""
    gap, se = a[0] - b[0], float(np.hypot(a[1], b[1]))
    return 0 if abs(gap) <= 2 * se else int(np.sign(gap))


def by_level(view: dict, against: str = "uniform") -> dict:
    """Where a setting's x0_hat is more and less accurate (beyond two standard errors) than that of the same target
    with uniform steps (`against` "uniform") or of L_simple ("baseline"): the log-SNRs of each."""
    s, b = view["seeds"], view[against]
    verdict = [compare((m, e), (bm, be)) for m, e, bm, be in zip(s["error"], s["error_se"], b["error"], b["error_se"])]
    lam = view["lambdas"]
    return {"better": [float(x) for x, v in zip(lam, verdict) if v < 0],
            "worse": [float(x) for x, v in zip(lam, verdict) if v > 0]}


def findings(view: dict) -> dict:
    """Each target's settings against its own uniform draw, on both numbers (lower is better): for every draw, -1
    better, +1 worse, 0 not told apart; and the counts over all targets for the draws toward high noise."""
    uniform = NOISES.index(0.0)
    out: dict = {"by_target": {}}
    for target in core.TARGETS:
        out["by_target"][target] = {
            label: {key: compare(view[key][target][j], view[key][target][uniform]) for key in ("coarse", "detail")}
            for j, label in enumerate(view["noises"]) if j != uniform}
    high = [label for nz, label in zip(NOISES, view["noises"]) if not isinstance(nz, str) and nz < 0]
    low = [label for nz, label in zip(NOISES, view["noises"]) if not isinstance(nz, str) and nz > 0]
    for name, labels in (("high", high), ("low", low)):
        for key in ("coarse", "detail"):
            votes = [out["by_target"][t][lab][key] for t in core.TARGETS for lab in labels]
            out[f"{name}_{key}"] = {"better": votes.count(-1), "worse": votes.count(1), "same": votes.count(0),
                                    "cases": len(votes)}
    return out
