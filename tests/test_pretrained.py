"""The shipped weights: they load safely, match their recipes, and meet the quality bars."""

import pytest
import torch

from diffusion_core import metrics, models, pretrained, samplers


@pytest.mark.parametrize("name", list(pretrained.RECIPES))
def test_shipped_weights_load_with_weights_only_and_match_their_recipe(name):
    blob = torch.load(pretrained.path(name), weights_only=True)
    assert blob["meta"]["steps"] == pretrained.RECIPES[name].steps
    net, meta = pretrained.load(name)
    assert net.config == pretrained.RECIPES[name].config and meta["dataset"] == "dino"


def _quality(name, steps=None, seed=1):
    net, _ = pretrained.load(name)
    x = samplers.sample(models.NetDenoiser(net), 1000, sampler="ddpm", steps=steps, seed=seed)
    return metrics.dino_quality(x, seed=seed)


def test_the_shipped_dino_model_meets_the_reference_bar():
    q = _quality("dino")
    assert q.energy_distance <= 0.003 and q.sample_to_data <= 0.042, q


@pytest.mark.parametrize("steps, seed", [(None, 1), (100, 0)])  # the bench's settings and the page's
def test_each_rung_of_the_ladder_lands_closer_to_the_data(steps, seed):
    s2d = [_quality(name, steps, seed).sample_to_data for name in pretrained.LADDER]
    assert s2d == sorted(s2d, reverse=True), s2d
    assert s2d[0] > 2 * s2d[-1]


def test_unknown_pretrained_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="dino, ladder_none"):
        pretrained.load("trex")
