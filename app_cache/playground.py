"""The cached calls of the Playground (diffusion_core/topics/playground/core.py)."""

import numpy as np

from diffusion_core import models
from diffusion_core.topics.playground import core

from . import data

builtin = data(8)(core.built_in)
from_csv = data(8)(core.from_csv)  # a bad file raises inputs.InputError, which is not cached
from_word = data(16)(core.from_word)  # likewise a word that cannot be drawn


@data(16)
def run(model_id: str, _net: models.EpsMLP, _data: np.ndarray | None, yardstick: str, sampler: str, steps: int,
        n: int, seed: int):
    """core.run_view, cached by the model's id (a fresh one for every trained or loaded model, which also fixes
    its training points): the network and the points are not hashed."""
    return core.run_view(model_id, _net, _data, yardstick, sampler, steps, n, seed)
