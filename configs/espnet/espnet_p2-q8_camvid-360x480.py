# ESPNet (p=2, q=8) run frame by frame on CamVid clips: the image-model
# baseline, scored with the same clip-level metrics as the video segmentors.
# Test with the author's weights converted by
# tools/model_converters/espnet2mmvseg.py (see configs/espnet/README.md).
_base_ = [
    '../_base_/models/espnet_p2-q8.py',
    '../_base_/datasets/camvid_video.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_2k.py'
]
image_model = _base_.model
del _base_.model
# the image model's normalisation, applied to whole clips
data_preprocessor = _base_.data_preprocessor
data_preprocessor.update(
    type='VideoSegDataPreProcessor', size=_base_.crop_size)
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=image_model)
# ESPNet predicts a 12th label (void): mIoU ignores it (a miss), temporal
# consistency counts it like the 11 classes.
val_evaluator = _base_.val_evaluator
val_evaluator[1]['num_classes'] = 12
test_evaluator = val_evaluator
