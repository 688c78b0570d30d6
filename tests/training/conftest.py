"""Shared fixtures of the training tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Fixed thread count: reproducibility is promised per thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
