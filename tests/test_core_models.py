"""The eps-MLP and its checkpoints."""

import pickle

import pytest
import torch

from diffusion_core import models


@pytest.mark.parametrize("time_input", models.TIME_INPUTS)
@pytest.mark.parametrize("fourier_features", [0, 16])
def test_eps_mlp_shapes(time_input, fourier_features):
    net = models.EpsMLP(models.ModelConfig(time_input=time_input, fourier_features=fourier_features,
                                           hidden=32, depth=2))
    out = net(torch.randn(7, 2), torch.randint(1000, (7,)))
    assert out.shape == (7, 2) and torch.isfinite(out).all()


def test_time_input_reaches_the_output_only_when_enabled():
    x = torch.randn(5, 2)
    t0, t1 = torch.zeros(5, dtype=torch.long), torch.full((5,), 900)
    for time_input, differs in [("none", False), ("linear", True), ("fourier", True)]:
        net = models.EpsMLP(models.ModelConfig(time_input=time_input, hidden=16, depth=2))
        assert (not torch.allclose(net(x, t0), net(x, t1))) == differs


def test_fourier_features_are_cos_and_sin_of_random_projections():
    ff = models.FourierFeatures(2, 8, scale=3.0, seed=4)
    x = torch.randn(6, 2)
    z = 2 * torch.pi * x @ ff.B
    torch.testing.assert_close(ff(x), torch.cat([z.cos(), z.sin()], 1))
    assert ff.B.std() > 1.5  # scale sets the spread of the frequencies


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="none, linear, fourier"):
        models.ModelConfig(time_input="clock")
    with pytest.raises(ValueError, match="unknown schedule"):
        models.ModelConfig(schedule="wiggly")


def test_checkpoint_round_trip(tmp_path):
    net = models.EpsMLP(models.ModelConfig(hidden=16, depth=2, seed=3))
    models.save_checkpoint(net, tmp_path / "m.pt", {"dataset": "dino"})
    loaded, meta = models.load_checkpoint(tmp_path / "m.pt")
    assert meta == {"dataset": "dino"} and loaded.config == net.config
    x, t = torch.randn(4, 2), torch.tensor([0, 1, 2, 3])
    torch.testing.assert_close(loaded(x, t), net(x, t))


def test_bad_checkpoints_raise_value_error(tmp_path):
    (tmp_path / "text.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        models.load_checkpoint(tmp_path / "text.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a Grokking Diffusion checkpoint"):
        models.load_checkpoint(tmp_path / "other.pt")
    small = models.EpsMLP(models.ModelConfig(hidden=16, depth=2))
    blob = {"format": 1, "config": {"hidden": 32, "depth": 2}, "state_dict": small.state_dict(), "meta": {}}
    torch.save(blob, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match="wrong shape"):
        models.load_checkpoint(tmp_path / "shape.pt")


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_code_is_never_executed(tmp_path, capsys):
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"format": 1, "x": _Evil()}, f)
    with pytest.raises(ValueError):
        models.load_checkpoint(tmp_path / "evil.pt")
    assert "must never run" not in capsys.readouterr().out


def test_one_step_index_for_the_whole_batch_equals_one_per_row():
    net = models.EpsMLP(models.ModelConfig(hidden=16, depth=2))
    x = torch.randn(9, 2)
    torch.testing.assert_close(net(x, torch.tensor([417])), net(x, torch.full((9,), 417)))


def test_the_first_layer_sees_coordinates_and_their_fourier_features():
    """The block-wise first layer equals one linear layer on [x, cos 2 pi x B, sin 2 pi x B]."""
    net = models.EpsMLP(models.ModelConfig(hidden=16, depth=1, time_input="none", fourier_features=5))
    x = torch.randn(8, 2)
    h = net.inp(torch.cat([x, net.fourier(x)], dim=1))
    torch.testing.assert_close(net(x, torch.zeros(8, dtype=torch.long)), net.net(h))
