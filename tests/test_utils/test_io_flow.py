# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvseg.utils import read_flow, write_flow


def test_flo_round_trip_and_layout(tmp_path):
    flow = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    path = str(tmp_path / 'f.flo')
    write_flow(path, flow)
    raw = np.fromfile(path, np.float32)
    assert raw[0] == np.float32(202021.25)
    assert raw[1:3].view(np.int32).tolist() == [3, 2]  # width, height
    assert raw[3:].tolist() == flow.flatten().tolist()  # u, v interleaved
    assert np.array_equal(read_flow(path, expected_hw=(2, 3)), flow)


def test_npy_flow(tmp_path):
    path = str(tmp_path / 'f.npy')
    np.save(path, np.ones((4, 5, 2), np.float64))
    flow = read_flow(path)
    assert flow.dtype == np.float32 and flow.shape == (4, 5, 2)
    np.save(path, np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match=r'f\.npy: flow must have shape'):
        read_flow(path)


def test_flow_errors_name_the_file(tmp_path):
    path = str(tmp_path / 'short.flo')
    write_flow(path, np.zeros((3, 4, 2), np.float32))
    with pytest.raises(ValueError, match=r'short\.flo: flow size \(3, 4\)'):
        read_flow(path, expected_hw=(3, 5))
    content = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(content[:-4])
    with pytest.raises(ValueError, match=r'short\.flo: \.flo of 4x3 needs'):
        read_flow(path)
    with pytest.raises(FileNotFoundError, match='absent.flo'):
        read_flow(str(tmp_path / 'absent.flo'))
    with pytest.raises(ValueError, match='unknown flow file type'):
        read_flow(str(tmp_path / 'f.png'))
    with pytest.raises(ValueError, match=r'bad\.flo: flow must have shape'):
        write_flow(str(tmp_path / 'bad.flo'), np.zeros((3, 4)))
