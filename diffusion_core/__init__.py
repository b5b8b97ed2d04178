"""Grokking Diffusion's shared core: data, schedules, models, training, samplers, metrics, plots.

Pure PyTorch / NumPy / Plotly; nothing here imports Streamlit.
"""

import torch

# Small MLPs gain almost nothing from a second thread, and two readers training at
# once on a 2-core server must not fight over cores: one intra-op thread each.
torch.set_num_threads(1)

__all__ = ["datasets", "mixtures", "schedules", "models", "training", "samplers", "metrics", "plots"]
