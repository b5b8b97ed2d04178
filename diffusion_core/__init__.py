"""Grokking Diffusion's core: the shared pieces (data, schedules, denoisers, samplers, training, metrics,
figures) and one room per page topic in `topics/` (its computations, figures and bench).

Pure PyTorch / NumPy / Plotly; nothing here imports Streamlit.
"""

import torch

# Small MLPs gain almost nothing from a second thread, and two readers training at
# once on a 2-core server must not fight over cores: one intra-op thread each.
torch.set_num_threads(1)
