# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Run with one torch thread: the grids are tiny, and idle waits on
    busy cores make tiny multi-threaded matrix products 100x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
