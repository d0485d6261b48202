# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvseg.utils import read_flow, write_flow, write_flow_int16_x10


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


def test_int16_x10_round_trip(tmp_path):
    flow = np.array([[[1.04, -2.26], [0.05, 3276.7]],
                     [[-3276.7, 0.0], [12.349, -0.04]]], np.float32)
    path = str(tmp_path / 'a_000019_000018_int16_x10.npy')
    write_flow_int16_x10(path, flow)
    stored = np.load(path)
    assert stored.dtype == np.int16
    assert stored.tolist() == [[[10, -23], [0, 32767]],
                               [[-32767, 0], [123, 0]]]
    back = read_flow(path, expected_hw=(2, 2))
    assert back.dtype == np.float32
    assert np.array_equal(back, stored.astype(np.float32) / 10)
    assert np.abs(back - flow).max() <= 0.05 + 1e-4


def test_int16_x10_errors_name_the_file(tmp_path):
    path = str(tmp_path / 'big_int16_x10.npy')
    with pytest.raises(ValueError, match=r'big_int16_x10\.npy: \|flow\| up '
                       r'to 3276\.8 px does not fit'):
        write_flow_int16_x10(path, np.full((2, 2, 2), 3276.8, np.float32))
    with pytest.raises(ValueError, match='NaN or infinite'):
        write_flow_int16_x10(path, np.full((2, 2, 2), np.nan, np.float32))
    with pytest.raises(ValueError, match=r'flow must have shape \(H, W, 2\)'):
        write_flow_int16_x10(path, np.zeros((2, 2, 3), np.float32))
    np.save(path, np.zeros((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match='must hold int16 values, got '
                       'float32'):
        read_flow(path)
