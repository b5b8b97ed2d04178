"""The convolutional image denoiser: shapes, scale independence, training patches, files, a run."""

import pytest
import torch

from diffusion_core import training
from diffusion_core.denoisers import NetDenoiser
from diffusion_core.topics.spectra import convnet
from diffusion_core.topics.spectra import core as spectra


def test_the_network_is_fully_convolutional_and_predicts_one_value_per_pixel():
    net = convnet.ConvDenoiser()
    for n in (16, 64):
        x = torch.randn(3, n * n)
        assert net(x, torch.tensor([5])).shape == (3, n * n)
        assert net(x, torch.tensor([5, 6, 7])).shape == (3, n * n)


def test_patches_are_standardised_crops_and_their_mirror_images():
    p = convnet.patches(size=16, stride=16, image_size=64)
    assert p.shape == (len(spectra.IMAGES) * 2 * 16, 256)
    first = spectra.prepare(spectra.load_image(next(iter(spectra.IMAGES))), 64)
    assert torch.equal(p[0].reshape(16, 16), first[:16, :16])
    assert torch.equal(p[16].reshape(16, 16), first[:16, :16].flip(-1))


def test_a_short_training_lowers_the_loss_and_files_round_trip(tmp_path):
    net = convnet.ConvDenoiser()
    records = list(training.train(net, convnet.patches(), steps=150, config=convnet.TRAIN_CONFIG))
    assert records[-1].loss < 0.7 * records[0].loss, (records[0].loss, records[-1].loss)
    convnet.save(net, tmp_path / "c.pt", {"steps": 150})
    again, meta = convnet.load(tmp_path / "c.pt")
    x = torch.randn(2, 256)
    assert meta == {"steps": 150} and torch.equal(again(x, torch.tensor([3])), net(x, torch.tensor([3])))
    (tmp_path / "bad.pt").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a valid convolutional denoiser"):
        convnet.load(tmp_path / "bad.pt")


def test_a_learned_run_keeps_every_guess_inside_the_clip():
    den = NetDenoiser(convnet.ConvDenoiser())  # untrained: the worst case for the guesses
    run = spectra.learned_run(den)
    assert run.x0_hat.shape == (spectra.LEARNED_STEPS, spectra.LEARNED_COUNT, spectra.RUN_SIZE, spectra.RUN_SIZE)
    assert run.x0_hat.abs().max() <= 4.0 + 1e-6 and torch.isfinite(run.final).all()
    assert len(spectra.settling_steps(run)) == spectra.RUN_SIZE // 2
