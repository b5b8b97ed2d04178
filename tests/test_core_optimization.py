"""Compute against quality: budgets in network evaluations, and the curves the page draws."""

import pytest

from diffusion_core import datasets, models, optimization, schedules


@pytest.mark.parametrize("sampler, nfe, steps", [("ddim", 20, 20), ("heun", 1, 1), ("heun", 20, 10), ("heun", 19, 10)])
def test_budgets_in_network_evaluations(sampler, nfe, steps):
    assert optimization.steps_for(sampler, nfe) == steps
    assert optimization.nfe_of(sampler, steps) == (2 * steps - 1 if sampler == "heun" else steps)


def test_with_the_exact_score_quality_improves_with_compute_until_the_floor():
    """The ring with its exact denoiser: DDIM's energy distance falls from a few evaluations to many (the
    bar says the same for the shipped dino model; see test_pretrained)."""
    den = models.MixtureDenoiser(datasets.mixture("ring8"), schedules.make("cosine", 1000))
    curve = optimization.quality_curve(den, "ddim", "ring8", n=400, nfe_counts=(5, 20, 100))
    assert curve.nfe == [5, 20, 100]
    assert curve.energy_distance[0] > curve.energy_distance[1] > curve.energy_distance[2] - 0.002
    assert curve.energy_distance[2] < 0.01
