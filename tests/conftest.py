"""Suite-wide settings."""

import torch

# One intra-op thread: results are reproducible per thread count, and tiny test tensors
# gain nothing from a thread pool (on a busy 2-core machine its wake-ups dominate).
torch.set_num_threads(1)
