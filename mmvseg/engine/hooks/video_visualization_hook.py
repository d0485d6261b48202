# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import cv2
import mmcv
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from mmvseg.registry import HOOKS
from mmvseg.structures import VideoSegDataSample


@HOOKS.register_module()
class VideoSegVisualizationHook(Hook):
    """Write coloured prediction overlays and an mp4 per test clip.

    For every clip of the test set, each frame is drawn with mmseg's
    ``SegLocalVisualizer`` (prediction over the image) into
    ``<out_dir>/<clip>/<frame file name>`` and the frames are joined into
    ``<out_dir>/<clip>.mp4``, so the temporal behaviour can be watched.
    ``tools/test.py --show-dir DIR`` turns it on (``draw=True``) and sets
    ``out_dir`` through the visualizer's ``save_dir``; the clip name is
    ``<video_id>_<first frame_id>``.

    Args:
        draw: draw at all (off by default; ``--show``/``--show-dir`` set it).
        interval: draw every ``interval``-th clip.
        show: also display each frame in a window.
        wait_time: seconds each shown frame stays up.
        fps: frame rate of the written mp4.
        out_dir: where to write; default: the visualizer's ``save_dir`` from
            the config, else ``<log_dir>/vis_video``.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 1,
                 show: bool = False,
                 wait_time: float = 0.,
                 fps: float = 15.,
                 out_dir: Optional[str] = None):
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.fps = fps
        self.out_dir = out_dir
        self._clip_index = 0

    def before_test(self, runner: Runner) -> None:
        if self.out_dir is None:
            self.out_dir = runner.cfg.get('visualizer', {}).get(
                'save_dir') or osp.join(runner.log_dir, 'vis_video')

    def after_test_iter(self, runner: Runner, batch_idx: int,
                        data_batch: dict,
                        outputs: Sequence[VideoSegDataSample]) -> None:
        if not self.draw:
            return
        for clip in outputs:
            if self._clip_index % self.interval == 0:
                self.draw_clip(clip)
            self._clip_index += 1

    def draw_clip(self, clip: VideoSegDataSample) -> str:
        """Draw one clip; returns the path of its mp4."""
        visualizer = Visualizer.get_current_instance()
        first = clip[0]
        name = f'{first.video_id}_{first.frame_id}'
        mkdir_or_exist(osp.join(self.out_dir, name))
        video_path = osp.join(self.out_dir, f'{name}.mp4')
        writer = None
        for frame in clip.video_data_samples:
            image = mmcv.imread(frame.img_path, channel_order='rgb')
            out_file = osp.join(self.out_dir, name,
                                osp.basename(frame.img_path))
            visualizer.add_datasample(
                f'{name}_{frame.frame_id}',
                image,
                data_sample=frame,
                draw_gt=False,
                show=self.show,
                wait_time=self.wait_time,
                out_file=out_file)
            drawn = mmcv.imread(out_file)
            if writer is None:
                height, width = drawn.shape[:2]
                writer = cv2.VideoWriter(video_path,
                                         cv2.VideoWriter_fourcc(*'mp4v'),
                                         self.fps, (width, height))
            writer.write(drawn)
        writer.release()
        return video_path
