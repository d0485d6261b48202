# ESPNet (p=2, q=8) run frame by frame on CamVid clips: the image-model
# baseline (../_base_/models/video_espnet_p2-q8.py), scored with the same
# clip-level metrics as the video segmentors. Test with the author's weights
# converted by tools/model_converters/espnet2mmvseg.py (see
# configs/espnet/README.md).
_base_ = [
    '../_base_/models/video_espnet_p2-q8.py',
    '../_base_/datasets/camvid_video.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_2k.py'
]
data_preprocessor = dict(size=_base_.crop_size)
model = dict(data_preprocessor=data_preprocessor)
# ESPNet predicts a 12th label (void): mIoU ignores it (a miss), temporal
# consistency counts it like the 11 classes.
val_evaluator = _base_.val_evaluator
val_evaluator[1]['num_classes'] = 12  # TemporalConsistencyMetric
test_evaluator = val_evaluator
