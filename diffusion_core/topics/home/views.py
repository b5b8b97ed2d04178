"""What Home shows: a reverse run of the shipped dino model, and how close its samples come to the dino.

The page calls these through its cache (app_cache/home.py); `bench.py` times the same calls.
"""

from __future__ import annotations

from ... import metrics, shipped

MODEL, SAMPLER, N_POINTS, SEED = "dino", "ddpm", 1500, 0
STEP_CHOICES = (5, 20, 100)


def run(steps: int) -> shipped.Run:
    """N_POINTS samples of the shipped dino model, DDPM in `steps` strided steps, every state kept."""
    return shipped.trajectory(MODEL, SAMPLER, steps, N_POINTS, SEED)


def numbers(steps: int) -> dict:
    """Energy distance and s2d of the samples of `run(steps)` (the project's dino yardstick), and the noise
    band of that energy distance at N_POINTS samples."""
    ed, s2d = shipped.quality(run(steps).samples, SEED)
    return {"ed": ed, "s2d": s2d, "band": metrics.dino_noise(N_POINTS), "n": N_POINTS}
