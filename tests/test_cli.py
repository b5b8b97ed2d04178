"""The command line, run as a reader would run it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from diffusion_core import datasets, models

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "diffusion_core", "--threads", "1", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_data_writes_the_canonical_points(tmp_path):
    r = cli("data", "--dataset", "dino", "--out", tmp_path / "d.npy")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "d.npy"), datasets.load("dino").numpy())


def test_train_then_sample_from_the_checkpoint(tmp_path):
    r = cli("train", "--dataset", "moons", "--seconds", "3", "--steps", "60", "--out", tmp_path / "m.pt")
    assert r.returncode == 0, r.stderr
    assert "step" in r.stderr and "loss" in r.stderr  # the progress line
    net, meta = models.load_checkpoint(tmp_path / "m.pt")
    assert meta["dataset"] == "moons" and meta["steps"] == 60
    r = cli("sample", "--n", "300", "--steps", "20", "--sampler", "ddim", "--checkpoint", tmp_path / "m.pt",
            "--out", tmp_path / "s.npy")
    assert r.returncode == 0, r.stderr
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (300, 2) and np.isfinite(x).all()


def test_sample_from_shipped_weights_is_reproducible(tmp_path):
    for name in ("a", "b"):
        r = cli("sample", "--dataset", "dino", "--n", "200", "--seed", "4", "--steps", "50",
                "--out", tmp_path / f"{name}.npy")
        assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_bench_prints_one_json_object():
    r = cli("bench", "--seconds", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["train"]["steps"] > 0 and out["train"]["steps_per_second"] > 0
    assert {"ed", "s2d"} <= set(out["shipped"]) and out["sample_10000_ddim50_seconds"] > 0


def test_bench_lists_one_topic_per_room_and_refuses_others():
    r = cli("bench", "--list")
    assert r.returncode == 0, r.stderr
    rooms = sorted(p.parent.name for p in (ROOT / "diffusion_core" / "topics").glob("*/bench.py"))
    assert r.stdout.split() == ["training", *rooms]
    assert {"home", "process", "modes", "copies", "scores", "objective", "spectra", "optimization",
            "playground"} <= set(rooms)
    bad = cli("bench", "wiggles")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "invalid choice" in bad.stderr


@pytest.mark.parametrize("topic, keys", [("home", ("steps_control", "figure_bytes")),
                                         ("objective", ("cold_first_view", "setting_controls")),
                                         ("process", ("forward_controls", "reverse_controls", "ladder_first_view")),
                                         ("copies", ("memorization_dial", "copies_dial", "copies_curve_first_view"))])
def test_bench_topic_prints_one_json_object(topic, keys):
    r = cli("bench", topic, "--repeats", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["topic"] == topic and out["repeats"] == 1 and out["threads"] == 1
    for key in keys:
        values = out[key].values() if isinstance(out[key], dict) else [out[key]]
        assert all(v > 0 for v in values), (key, out[key])


def test_bench_modes_prints_a_time_for_every_control():
    from diffusion_core import pretrained

    r = cli("bench-modes", "--repeats", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("posterior_slider", "paths_runs_or_seed_slider"):
        assert out[key] > 0
    assert set(out["data_set_select"]) == set(pretrained.COMPARED) == set(out["gan_run_figure"])
    assert out["training_first_view"] > 0 and out["error_map_and_landings_first_view"] > 0


def test_bench_scores_prints_a_time_for_every_control():
    r = cli("bench-scores", "--repeats", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("sigma_slider", "run_figure_500_steps", "dsm_sliders", "ode_sliders"):
        assert out[key] > 0
    assert set(out["dynamics_run_uncached"]) == {"200", "500", "1000"}


def test_bench_spectra_prints_a_time_for_every_control():
    r = cli("bench-spectra", "--repeats", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("image_select", "t_slider", "exact_run_seed_slider", "learned_run_first_view"):
        assert out[key] > 0


def test_bench_optimization_prints_the_first_view_time_of_each_data_set():
    r = cli("bench-optimization")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out["first_view_seconds"]) == {"dino", "ring8"} and all(v > 0 for v in out["first_view_seconds"].values())
    for key in ("descent_redraw_seconds", "momentum_scan_seconds"):
        assert set(out[key]) == {"5", "10", "20", "50", "100"} and all(v > 0 for v in out[key].values())


def _bad_checkpoint(tmp_path):
    small = models.EpsMLP(models.ModelConfig(hidden=8, depth=1))
    blob = {"format": 1, "config": {"hidden": 16}, "state_dict": small.state_dict(), "meta": {}}
    torch.save(blob, tmp_path / "wrong.pt")
    return tmp_path / "wrong.pt"


@pytest.mark.parametrize("args, needle", [
    (["data", "--dataset", "trex", "--out", "{tmp}/x.npy"], "unknown dataset 'trex'"),
    (["data", "--dataset", "moons", "--n", "0", "--out", "{tmp}/x.npy"], "must be positive"),
    (["data", "--dataset", "moons", "--n", "-3", "--out", "{tmp}/x.npy"], "must be positive"),
    (["data", "--dataset", "moons", "--out", "{tmp}/no/such/dir/x.npy"], "does not exist"),
    (["sample", "--checkpoint", "{tmp}/missing.pt", "--out", "{tmp}/x.npy"], "does not exist"),
    (["sample", "--checkpoint", "{wrong}", "--out", "{tmp}/x.npy"], "wrong shape"),
    (["sample", "--dataset", "moons", "--out", "{tmp}/x.npy"], "no shipped model"),
    (["sample", "--sampler", "lms", "--out", "{tmp}/x.npy"], "invalid choice"),
    (["train", "--dataset", "dino", "--seconds", "nan", "--out", "{tmp}/m.pt"], "positive finite"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_end_with_one_line_and_status_2(tmp_path, args, needle):
    args = [a.format(tmp=tmp_path, wrong=_bad_checkpoint(tmp_path)) for a in args]
    r = cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_output_goes_to_exactly_the_named_file(tmp_path):
    r = cli("data", "--dataset", "moons", "--n", "10", "--out", tmp_path / "points")
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "points").shape == (10, 2) and not (tmp_path / "points.npy").exists()
    r = cli("data", "--dataset", "moons", "--out", tmp_path)
    assert r.returncode == 2 and "is a folder" in r.stderr


@pytest.mark.parametrize("blob", [
    {"format": 1, "config": {"hidden": "8"}, "state_dict": {}, "meta": {}},
    {"format": 1, "config": {}, "state_dict": torch.zeros(3), "meta": {}},
    {"format": 1, "config": {}, "state_dict": models.EpsMLP(models.ModelConfig()).state_dict(), "meta": [1]},
    {"format": 1, "config": {"depth": -1}, "state_dict": {}, "meta": {}},
])
def test_malformed_checkpoints_are_one_clear_line(tmp_path, blob):
    torch.save(blob, tmp_path / "odd.pt")
    r = cli("sample", "--checkpoint", tmp_path / "odd.pt", "--out", tmp_path / "x.npy")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and "odd.pt" in r.stderr


def test_a_text_file_as_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "notes.pt").write_text("hello")
    r = cli("sample", "--checkpoint", tmp_path / "notes.pt", "--out", tmp_path / "x.npy")
    assert r.returncode == 2 and "not a valid checkpoint" in r.stderr and "Traceback" not in r.stderr


def test_bench_playground_prints_the_default_training_and_the_sampling_view():
    r = cli("bench-playground")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    training = out["default_training"]
    assert training["seconds"] == 10 and training["steps"] > 0 and training["bar"] == {"ed": 0.003, "s2d": 0.042}
    assert len(out["sampling_view_seconds"]) == 2 and all(v > 0 for v in out["sampling_view_seconds"].values())
    assert all(b > 10_000 for b in out["sampling_view_bytes"].values())


def test_pretrain_remakes_in_the_recipes_order_and_the_guidance_views_after_their_weights(monkeypatch, capsys):
    """`pretrain --only` runs its names in pretrained.ALL's order (a reflowed model after its parent, the Guidance
    views after guide_dozen), whatever order they were typed in, and remaking guide_dozen remakes its views."""
    from diffusion_core import cli as cli_module
    from diffusion_core import pretrained

    made = []
    monkeypatch.setattr(pretrained, "remake", lambda name, on_record=None: made.append(name) or {
        "steps": 1, "seconds": 0.0})
    assert cli_module.main(["pretrain", "--only", pretrained.GUIDE_VIEWS, "reflow_dino", "flow_dino"]) == 0
    assert made == ["flow_dino", "reflow_dino", pretrained.GUIDE_VIEWS]
    made.clear()
    assert cli_module.main(["pretrain", "--only", pretrained.GUIDE]) == 0
    assert made == [pretrained.GUIDE, pretrained.GUIDE_VIEWS]
    assert "guide_dozen: 1 steps" in capsys.readouterr().err
