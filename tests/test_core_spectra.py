"""Spectra: RAPSD, power-law fits, the SNR = 1 frequency, the Wiener filter, a reverse run coarse to fine.

References: white noise (flat by construction), synthetic fields of known slope, Parseval, and the
Wiener filter's optimality checked by brute force against other gains on a test set.
"""

import math

import numpy as np
import pytest
import torch

from diffusion_core import schedules
from diffusion_core.topics.spectra import core as spectra


def test_rapsd_of_white_noise_is_flat():
    """64 images of unit-variance white noise: each ring's mean power is 1. A ring k holds about 2 pi k
    coefficients, half of them independent (a real image's FFT is conjugate-symmetric), so ring 1's mean
    over 64 images has relative std about 1 / sqrt(64 * 3) = 7%; 0.3 is over four standard deviations."""
    g = torch.Generator().manual_seed(0)
    f, p = spectra.rapsd(torch.randn(64, 64, 64, generator=g))
    assert f[0] == pytest.approx(1 / 64) and f[-1] == pytest.approx(0.5)
    assert (p - 1).abs().max() < 0.3 and abs(float(p[4:].mean()) - 1) < 0.02


def test_power_obeys_parseval():
    x = torch.randn(32, 32, generator=torch.Generator().manual_seed(1))
    assert float(spectra.power(x).mean()) == pytest.approx(float(x.double().pow(2).mean()), rel=1e-9)


@pytest.mark.parametrize("slope", [-2.0, -1.0, -3.0])
def test_fit_recovers_the_slope_of_a_synthetic_power_law(slope):
    law = spectra.PowerLaw(0.01, slope)
    x = spectra.gaussian_field(16, 128, law, torch.Generator().manual_seed(2))
    f, p = spectra.rapsd(x)
    fit = spectra.fit_power_law(f, p)
    assert fit.slope == pytest.approx(slope, abs=0.05)
    assert fit.amplitude == pytest.approx(0.01, rel=0.15)


def test_wiener_is_the_best_linear_denoiser_on_a_test_set():
    """Gaussian fields of a known spectrum: no other scaling of the Wiener gain, and neither x_t / sqrt(ab)
    nor a gain that wobbles with frequency, reaches a lower mean squared error."""
    law = spectra.PowerLaw(0.005, -2.2)
    g = torch.Generator().manual_seed(3)
    x0 = spectra.gaussian_field(64, 64, law, g).double()
    for ab in (0.1, 0.5, 0.9):
        x_t = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * torch.randn(x0.shape, generator=g, dtype=torch.float64)
        h = spectra.wiener_response(law, ab, 64)
        fx = torch.fft.fft2(x_t)

        def mse(gain):
            return float((torch.fft.ifft2(fx * gain).real - x0).pow(2).mean())

        best = mse(h)
        assert torch.allclose(spectra.wiener(x_t, law, ab), torch.fft.ifft2(fx * h).real)
        wobble = 1 + 0.2 * torch.cos(40 * spectra.radial_frequency(64))
        others = [mse(c * h) for c in (0.8, 0.9, 1.1, 1.25)] + [mse(h * wobble), mse(torch.full_like(h, 1 / math.sqrt(ab)))]
        assert best < min(others), (ab, best, others)


@pytest.mark.parametrize("name", list(spectra.IMAGES))
def test_the_snr_one_frequency_falls_as_t_grows_for_every_schedule(name):
    f, p = spectra.rapsd(spectra.prepare(spectra.load_image(name)))
    law = spectra.fit_power_law(f, p)
    for sched_name, T in (("linear", 1000), ("cosine", 1000), ("gentle", 50)):
        cross = spectra.crossing_frequency(law, schedules.make(sched_name, T).alpha_bar)
        assert (cross[1:] < cross[:-1]).all(), (name, sched_name)


def test_crossing_frequency_is_where_signal_meets_noise():
    law = spectra.PowerLaw(0.01, -2.0)
    for ab in (0.2, 0.7):
        f = float(spectra.crossing_frequency(law, ab))
        assert ab * float(law(f)) == pytest.approx(1 - ab, rel=1e-9)


def test_steps_per_octave_puts_each_step_in_the_octave_of_its_crossing():
    """A hand-made schedule whose crossings are known: ab = 1 / (1 + P(f)) puts SNR = 1 exactly at f."""
    from types import SimpleNamespace

    law = spectra.PowerLaw(0.01, -2.0)
    targets = [0.3, 0.2, 0.05, 0.012, 0.011, 0.001]  # octaves [1/4, 1/2), [1/8, 1/4), [1/32, 1/16), [1/128, 1/64) x 2
    sched = SimpleNamespace(alpha_bar=torch.tensor([1 / (1 + float(law(f))) for f in targets], dtype=torch.float64))
    assert spectra.steps_per_octave(law, sched).tolist() == [2, 0, 1, 0, 1, 1]


def test_shipped_photographs_have_steep_spectra_and_textures_flatter_ones():
    slopes = {name: spectra.fit_power_law(*spectra.rapsd(spectra.prepare(spectra.load_image(name)))).slope
              for name in spectra.IMAGES}
    for name in ("camera", "astronaut", "chelsea", "coffee"):
        assert -3.0 < slopes[name] < -2.0, slopes
    for name in ("grass", "gravel"):
        assert -1.2 < slopes[name] < 0, slopes


def test_prepare_standardises_and_refuses_a_flat_image():
    x = spectra.prepare(np.random.default_rng(0).random((50, 80)).astype(np.float32), size=32)
    assert x.shape == (32, 32) and abs(float(x.mean())) < 1e-5 and float(x.std()) == pytest.approx(1, rel=1e-4)
    with pytest.raises(spectra.InputError, match="single flat colour"):
        spectra.prepare(np.full((40, 40), 0.5, dtype=np.float32))


def test_sampling_the_gaussian_model_with_its_exact_denoiser_reproduces_its_spectrum():
    """DDIM over all steps with the Wiener filter as denoiser: samples have the model's power, band by band
    (Monte Carlo over 32 images; the model's own draws set the tolerance)."""
    law = spectra.PowerLaw(0.01, -2.0)
    den = spectra.SpectralDenoiser(law, 32)
    run = spectra.reverse_run(den, schedules.make("cosine", 200), 32, count=32, steps=200)
    f, got = spectra.rapsd(run.final)
    _, ref = spectra.rapsd(spectra.gaussian_field(32, 32, law, torch.Generator().manual_seed(9)))
    mid = slice(2, 12)
    assert torch.allclose(got[mid], law(f[mid]), rtol=0.3) and torch.allclose(ref[mid], law(f[mid]), rtol=0.3)


def test_exact_run_settles_coarse_bands_first():
    """The bar: the settling step falls with frequency (low bands first) for every shipped photograph's model."""
    for name in spectra.IMAGES:
        f, p = spectra.rapsd(spectra.prepare(spectra.load_image(name), spectra.RUN_SIZE))
        run = spectra.exact_run(spectra.fit_power_law(f, p), schedules.make("cosine", 1000))
        settled = spectra.settling_steps(run)
        assert (settled[1:] <= settled[:-1]).all(), (name, settled.tolist())
        if name not in ("grass", "gravel"):  # a steep spectrum spreads the bands over the run;
            assert settled[0] > 2 * settled[-1], name  # a texture's flat one decides them close together


def test_settling_step_is_the_first_step_from_which_the_band_stays_close():
    run = spectra.ReverseRun([30, 20, 10], torch.zeros(3, 1, 2, 2), torch.zeros(1, 2, 2), torch.tensor([0.5, 1.0]),
                             torch.tensor([[0.5, 1.0], [0.95, 2.0], [1.0, 1.0]]))
    assert spectra.settling_steps(run).tolist() == [20, 10]


def test_prepare_keeps_the_levels_of_a_narrow_16_bit_image():
    """Resizing in floating point: a field squeezed into 0.500 to 0.502 keeps its slope."""
    law = spectra.PowerLaw(0.01, -2.0)
    field = spectra.gaussian_field(1, 256, law, torch.Generator().manual_seed(5))[0].numpy()
    narrow = 0.5 + 0.002 * (field - field.min()) / (field.max() - field.min())
    slope = spectra.fit_power_law(*spectra.rapsd(spectra.prepare(narrow.astype(np.float32)))).slope
    assert slope == pytest.approx(-2.0, abs=0.15)


@pytest.mark.parametrize("ab", [0.9, 0.3, 1e-3])
def test_the_wiener_filter_is_the_same_in_both_frames(ab):
    """On x = x_t / sqrt(ab) with sigma^2 = (1 - ab) / ab, P / (P + sigma^2) is the VP gain times sqrt(ab)."""
    law = spectra.PowerLaw(0.01, -2.0)
    x_t = torch.randn(2, 32, 32, generator=torch.Generator().manual_seed(3))
    x, sigma = schedules.from_vp(x_t, ab)
    torch.testing.assert_close(spectra.wiener_ve(x, law, sigma), spectra.wiener(x_t, law, ab), atol=1e-5, rtol=1e-4)


def test_a_flat_spectrum_has_no_crossing():
    assert torch.isnan(spectra.crossing_frequency(spectra.PowerLaw(1.0, 0.0), torch.tensor([0.5]))).all()


def test_cosine_keeps_more_signal_than_linear_except_at_the_last_steps():
    """Spectral bands' statement, from the numbers: cosine is ahead of linear at every step but the last five
    (t = 996 to 1,000), where both keep less than 5e-5 of the signal; at t = 1 they are 0.99996 and 0.9999."""
    from diffusion_core.topics.spectra import views

    lead = views.schedule_lead()
    assert lead["ahead"] == 995 and lead["behind"] == [996, 997, 998, 999, 1000]
    assert lead["behind_max"] < 5e-5 and lead["first"][0] > lead["first"][1]
    cos, lin = schedules.make("cosine", 1000).alpha_bar, schedules.make("linear", 1000).alpha_bar
    assert bool((cos[:995] > lin[:995]).all()) and bool((cos[995:] < lin[995:]).all())
