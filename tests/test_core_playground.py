"""The Playground's core: settings, the reader's data and its frame, training as a worker job, checkpoints,
sampling runs; and the bar: the default settings train the dino to the project's quality bar in their budget."""

import io

import numpy as np
import pytest
import torch

from diffusion_core import datasets, inputs, metrics, models, samplers, schedules, training
from diffusion_core.denoisers import NetDenoiser
from diffusion_core.topics.playground import core as playground

RNG = np.random.default_rng(0)


def run_job(job):
    """Drive a job generator to its end: (records, returned value)."""
    from diffusion_core import pretrained

    records = []
    return records, pretrained.run_job(job, records.append)


def test_the_default_settings_build_the_projects_reference_model():
    assert playground.Settings().model_config() == models.ModelConfig()
    assert playground.settings_of(models.ModelConfig()) == playground.Settings()
    no_fourier = playground.Settings(fourier=False, hidden=16, depth=1, schedule="gentle", T=50, seed=7)
    assert no_fourier.model_config().fourier_features == 0
    assert playground.settings_of(no_fourier.model_config(), seconds=10) == no_fourier
    assert playground.settings_of(models.ModelConfig(hidden=100)) is None, "a width the page does not offer"


@pytest.mark.parametrize("bad", [{"hidden": 100}, {"depth": 0}, {"fourier_scale": 3.0}, {"T": 7}, {"seconds": 1000},
                                 {"schedule": "sigmoid"}, {"seed": -1}, {"seed": 10_000}, {"seed": 1.5}])
def test_settings_outside_the_offered_choices_are_refused(bad):
    with pytest.raises(ValueError):
        playground.Settings(**bad)


def test_standardising_centres_and_scales_and_the_frame_maps_back():
    raw = RNG.normal(size=(500, 2)) * [3.0, 0.5] + [100.0, -20.0]
    data = playground.standardise(raw, "raw")
    np.testing.assert_allclose(data.points.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(np.sqrt((data.points.astype(np.float64) ** 2).mean()), 1, rtol=1e-5)
    np.testing.assert_allclose(data.in_data_units(), raw, rtol=1e-5, atol=1e-4)
    assert data.jitter == 0.0


def test_a_csv_round_trips_through_the_samples_download():
    raw = RNG.normal(size=(300, 2)) * 7 + 3
    csv = playground.samples_csv(raw)
    assert csv.startswith(b"x,y\n") and csv.count(b"\n") == 301
    data = playground.from_csv(csv, "mine.csv")
    assert data.label == "mine.csv" and data.points.shape == (300, 2)
    np.testing.assert_allclose(data.in_data_units(), raw, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("content, message", [
    (b"x,y\n1,2\nhello,3\n", "Row 3, column 1"),
    (b"1,2\nnan,3\n", "not a finite number"),
    (b"1\n2\n3\n", "only one column"),
    (b"", "empty"),
    (b"x,y\n" + b"1,2\n" * 100_001, "100,000"),
])
def test_a_bad_csv_gets_one_plain_sentence(content, message):
    with pytest.raises(inputs.InputError, match=message):
        playground.from_csv(content, "bad.csv")


def test_a_word_becomes_a_standardised_cloud_of_its_ink_and_a_bad_word_a_message():
    data = playground.from_word("  hi  ")
    assert data.points.shape == (playground.TEXT_POINTS, 2) and data.label == "the word 'hi'"
    np.testing.assert_allclose(data.points.mean(0), 0, atol=1e-4)
    for word, message in (("", "empty"), ("   ", "empty"), ("\u200b\u200b", "no visible characters")):
        with pytest.raises(inputs.InputError, match=message):
            playground.from_word(word)


def test_a_word_whose_glyphs_have_no_ink_gets_a_message(monkeypatch):
    """A font that draws nothing (Pillow's fallback for a missing glyph can be blank)."""
    from PIL import ImageDraw

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", lambda self, *a, **k: None)
    with pytest.raises(inputs.InputError, match="draws nothing visible"):
        playground.from_word("ink")


def test_the_built_in_sets_are_the_training_sets_of_the_shipped_models():
    dino = playground.built_in("dino")
    torch.testing.assert_close(torch.from_numpy(dino.points), datasets.load("dino"))
    assert dino.jitter == datasets.DINO_JITTER and dino.frame == playground.Frame()
    assert playground.built_in("moons").points.shape == (datasets.TRAINING_N, 2)


def test_training_is_a_worker_job_whose_weights_rebuild_the_network():
    settings = playground.Settings(hidden=16, depth=1, T=50, schedule="linear", seed=3)
    points = datasets.load("moons", 200).numpy()
    records, state = run_job(playground.train_job(points, vars(settings).copy(), 0.0, seconds=0.5))
    assert records and isinstance(records[-1], training.TrainRecord) and records[-1].fraction == 1.0
    net = playground.build(settings, state)
    assert net.config == settings.model_config() and not net.training
    x = torch.randn(8, 2)
    expected = models.EpsMLP(settings.model_config())
    expected.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    torch.testing.assert_close(net(x, torch.tensor([3])), expected.eval()(x, torch.tensor([3])))


def test_a_checkpoint_keeps_weights_and_frame_and_a_damaged_frame_is_refused():
    net = models.EpsMLP(playground.Settings(hidden=32, depth=2).model_config()).eval()
    frame = playground.Frame((12.5, -3.0), 4.25)
    blob = playground.checkpoint_bytes(net, frame, {"data": "mine.csv"})
    loaded, got_frame, meta = playground.from_checkpoint(blob)
    assert got_frame == frame and meta["data"] == "mine.csv"
    x = torch.randn(5, 2)
    torch.testing.assert_close(loaded(x, torch.tensor([10])), net(x, torch.tensor([10])))
    buf = io.BytesIO()
    models.save_checkpoint(net, buf, {"centre": [1.0], "scale": 2.0})
    with pytest.raises(inputs.InputError, match="frame"):
        playground.from_checkpoint(buf.getvalue())
    with pytest.raises(inputs.InputError, match="not a Grokking Diffusion checkpoint"):
        playground.from_checkpoint(b"\x00garbage" * 64)


def test_a_shipped_checkpoint_without_a_frame_loads_in_the_canonical_frame():
    from diffusion_core import pretrained

    _, got_frame, _ = playground.from_checkpoint(pretrained.path("dino").read_bytes())
    assert got_frame == playground.Frame()


@pytest.mark.parametrize("sampler, steps", [("ddim", 50), ("ddpm", 7), ("heun", 3)])
def test_a_sampling_run_keeps_a_few_states_from_the_prior_to_the_samples(sampler, steps):
    net = models.EpsMLP(playground.Settings(hidden=16, depth=1, T=50).model_config()).eval()
    run = playground.sample_run(net, 64, sampler, steps, seed=5, max_frames=10)
    assert run.states.shape[0] == min(steps, 10) + 1 and len(run.labels) == run.states.shape[0]
    assert run.labels[0] == "0" and run.labels[-1] == str(steps)
    np.testing.assert_allclose(run.states[0], torch.randn(64, 2, generator=torch.Generator().manual_seed(5)).numpy(),
                               rtol=1e-6, atol=1e-6)  # x_T ~ N(0, I), drawn from the seed
    den = NetDenoiser(net)
    ref = samplers.sample(den, 64, schedules.grid(den.schedule, steps), sampler=sampler, seed=5)
    np.testing.assert_allclose(run.samples, ref.numpy(), rtol=1e-5, atol=1e-5)


def test_step_choices_end_at_T():
    assert playground.step_choices(50) == (1, 2, 5, 10, 20, 50)
    assert playground.step_choices(1000)[-1] == 1000 and playground.step_choices(20) == (1, 2, 5, 10, 20)


def test_the_default_settings_reach_the_quality_bar_on_the_dino_within_their_budget():
    """The issue's bar: from scratch, default settings, the default budget; then the foundation's yardstick
    (1,000 DDPM samples over all T steps: ED <= 0.003, s2d <= 0.042)."""
    settings = playground.Settings()
    data = playground.built_in("dino")
    records, state = run_job(playground.train_job(data.points, vars(settings).copy(), data.jitter,
                                                  seconds=settings.seconds))
    assert records[-1].elapsed <= settings.seconds + 1.0
    den = NetDenoiser(playground.build(settings, state))
    x = samplers.sample(den, 1000, schedules.grid(den.schedule), sampler="ddpm", seed=1)
    q = metrics.dino_quality(x, seed=1)
    print(f"default Playground run: {records[-1].step} steps in {records[-1].elapsed:.1f} s, "
          f"ED {q.energy_distance:.4f}, s2d {q.sample_to_data:.3f}")
    assert q.energy_distance <= 0.003 and q.sample_to_data <= 0.042, q


def test_a_training_job_looks_at_its_samples_about_once_a_second():
    """Records carry previews of the model's samples about every PREVIEW_EVERY seconds (not on the last record);
    with looks=False none; the returned weights are the same kind either way."""
    import dataclasses

    from diffusion_core import pretrained

    data = playground.built_in("dino")
    records: list = []
    state = pretrained.run_job(playground.train_job(data.points, dataclasses.asdict(playground.Settings()),
                                                    data.jitter, seconds=2.5), on_record=records.append)
    looks = [r for r in records if r.preview is not None]
    assert 2 <= len(looks) <= 4 and records[-1].preview is None
    assert all(r.preview.shape == (playground.PREVIEW_N, 2) and np.isfinite(r.preview).all() for r in looks)
    gaps = np.diff([r.elapsed for r in looks])
    assert (gaps >= playground.PREVIEW_EVERY).all()
    plain: list = []
    pretrained.run_job(playground.train_job(data.points, dataclasses.asdict(playground.Settings()), data.jitter,
                                            seconds=0.5, looks=False), on_record=plain.append)
    assert all(r.preview is None for r in plain) and set(state) == set(playground.build(playground.Settings(),
                                                                                         state).state_dict())


def test_a_drawing_of_two_colours_trains_a_class_conditional_model_and_samples_a_class():
    """Two labelled clusters: the job trains the class-conditional network (build rebuilds it from the weights);
    sampling class 0 at w = 1 is the conditional network's own sampling, at w = 0 the unconditional one's, and the
    class's samples land on that class's cluster."""
    import dataclasses

    from diffusion_core import pretrained

    g = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(200, 2, generator=g) * 0.1 + torch.tensor([-1.0, 0.0]),
                        torch.randn(200, 2, generator=g) * 0.1 + torch.tensor([1.0, 0.0])]).numpy()
    labels = np.array([0] * 200 + [1] * 200)
    assert playground.classes_of(labels) == 2 and playground.classes_of(labels[:200]) == 0
    assert playground.classes_of(None) == 0 and playground.classes_of(np.array([0, 2])) == 2  # colours 0 and 2
    ids, colours = playground.class_ids(np.array([2, 0, 2, 3]))
    assert ids.tolist() == [1, 0, 1, 2] and colours == (0, 2, 3)
    settings = playground.Settings(seconds=5)
    state = pretrained.run_job(playground.train_job(points, dataclasses.asdict(settings), seconds=3.0, looks=False,
                                                    labels=labels))
    net = playground.build(settings, state)
    assert net.config.classes == 2 and playground.settings_of(net.config, 5) == settings
    levels = schedules.grid(schedules.shipped("cosine"), 20)
    one = playground.sample_run(net, 300, "ddim", 20, seed=1, label=0, w=1.0).samples
    alone = samplers.sample(NetDenoiser(net, label=0), 300, levels, sampler="ddim", seed=1).numpy()
    np.testing.assert_allclose(one, alone, atol=1e-5)
    zero = playground.sample_run(net, 300, "ddim", 20, seed=1, label=0, w=0.0).samples
    np.testing.assert_allclose(zero, playground.sample_run(net, 300, "ddim", 20, seed=1).samples, atol=1e-5)
    guided = playground.sample_run(net, 300, "ddim", 20, seed=1, label=1, w=2.0).samples
    t = playground.class_trade("m", guided, points, labels, 1)
    assert t.off < 0.5 and np.median(guided[:, 0]) > 0  # on the class's own cluster (x = 1), not the other
    assert playground.class_trade("m", guided, points, labels, 5) is None  # a class with no point: no measure
    assert playground.sampling_seconds(net.config, 300, "ddim", 20, guided=True) == pytest.approx(
        2 * playground.sampling_seconds(net.config, 300, "ddim", 20))
