"""A small convolutional denoiser for grey image patches, for the "Spectral bands" page.

A two-level U-Net (Ronneberger et al. 2015, as used by Ho et al. 2020, much smaller): convolutions
see local neighbourhoods at two scales, a sinusoidal time embedding tells every block the noise
level, and the network predicts eps like the 2D models. It is fully convolutional, so a network
trained on 16 x 16 patches denoises 64 x 64 images too (40,000 weights; about 900 training steps a
minute on one core). Inputs and outputs are flattened images,
(B, n * n), so `training.train` and `denoisers.NetDenoiser` use it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ... import training
from ...models import time_embedding
from . import core

FORMAT = 1
# Adam at 2e-3 with a 100-step warm-up, batches of 64 patches; the shipped network and live training
TRAIN_CONFIG = training.TrainConfig(batch_size=64, lr=2e-3, warmup=100)


@dataclass(frozen=True)
class ConvConfig:
    channels: int = 16
    patch: int = 16  # the training patch size
    schedule: str = "cosine"
    T: int = 1000
    seed: int = 0


class _Block(nn.Module):
    """Two 3 x 3 convolutions with group norm and SiLU; the time embedding is added in between."""

    def __init__(self, c_in: int, c_out: int, t_dim: int):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        groups = math.gcd(8, c_out)  # eight groups when the channels allow it
        self.norm1, self.norm2 = nn.GroupNorm(groups, c_out), nn.GroupNorm(groups, c_out)
        self.time = nn.Linear(t_dim, c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = F.silu(self.norm1(self.conv1(x))) + self.time(temb)[:, :, None, None]
        return F.silu(self.norm2(self.conv2(h))) + self.skip(x)


class ConvDenoiser(nn.Module):
    """eps_theta(x_t, t) for grey images given flattened, (B, n * n) with n even."""

    TIME_DIM = 32

    def __init__(self, config: ConvConfig = ConvConfig()):
        super().__init__()
        self.config = config
        c = config.channels
        with torch.random.fork_rng():
            torch.manual_seed(config.seed)
            self.time_mlp = nn.Sequential(nn.Linear(self.TIME_DIM, 4 * c), nn.SiLU(), nn.Linear(4 * c, 4 * c))
            self.inp = nn.Conv2d(1, c, 3, padding=1)
            self.down = _Block(c, c, 4 * c)
            self.mid = _Block(c, 2 * c, 4 * c)
            self.up = _Block(3 * c, c, 4 * c)
            self.out = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n = int(round(math.sqrt(x.shape[1])))
        img = x.reshape(-1, 1, n, n)
        temb = self.time_mlp(time_embedding(t.reshape(-1).expand(len(img)) if t.numel() == 1 else t, self.TIME_DIM))
        h0 = self.down(self.inp(img), temb)  # (B, c, n, n)
        h1 = self.mid(F.avg_pool2d(h0, 2), temb)  # (B, 2c, n/2, n/2): the coarse scale
        h = self.up(torch.cat([F.interpolate(h1, scale_factor=2.0, mode="nearest"), h0], 1), temb)
        return self.out(h).reshape(x.shape)


def patches(size: int = 16, stride: int = 4, image_size: int = 128) -> torch.Tensor:
    """Training patches: every size x size crop at `stride` of the six shipped photographs prepared at
    image_size (mean 0, variance 1 per photograph), and their mirror images; shape (P, size * size)."""
    crops = []
    for name in core.IMAGES:
        img = core.prepare(core.load_image(name), image_size)
        tiles = img.unfold(0, size, stride).unfold(1, size, stride).reshape(-1, size, size)
        crops += [tiles, tiles.flip(-1)]
    return torch.cat(crops).reshape(-1, size * size)


def save(net: ConvDenoiser, path: str | Path, meta: dict) -> None:
    torch.save({"format": FORMAT, "config": asdict(net.config), "state_dict": net.state_dict(), "meta": dict(meta)},
               path)


def load(path: str | Path) -> tuple[ConvDenoiser, dict]:
    """A saved ConvDenoiser (weights_only); bad files raise ValueError."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        net = ConvDenoiser(ConvConfig(**blob["config"]))
        net.load_state_dict(blob["state_dict"])
    except FileNotFoundError:
        raise
    except Exception as e:
        raise ValueError(f"{path} is not a valid convolutional denoiser ({type(e).__name__})") from e
    if blob.get("format") != FORMAT:
        raise ValueError(f"{path} is not a convolutional denoiser of this version")
    return net.eval(), dict(blob.get("meta", {}))

