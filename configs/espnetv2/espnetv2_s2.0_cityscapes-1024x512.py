# ESPNetv2 (s = 2.0) with the authors' Cityscapes weights (sacmehta/EdgeNets
# espnetv2_s_2.0_city_1024x512.pth, converted by
# tools/model_converters/espnetv2_2mmvseg.py) run frame by frame on
# Cityscapes-Seq snippets at the authors' test size 1024x512, scored with the
# clip-level metrics of the video segmentors. Test-only: the authors' training
# recipe is not reproduced here.
# Preprocessing of the authors' test_segmentation.py: PIL bilinear resize of
# the 8-bit frame to 1024x512 (mmcv's pillow backend calls the same
# Image.resize; PIL low-pass filters when shrinking, unlike cv2), RGB,
# ImageNet mean/std.
# The local 6-snippet copy holds the train split only:
#   --cfg-options test_dataloader.dataset.split=train
_base_ = [
    '../_base_/models/video_espnetv2.py',
    '../_base_/datasets/cityscapes_seq.py', '../_base_/default_runtime.py'
]
img_scale = (1024, 512)
test_pipeline = _base_.test_pipeline  # the dataset base's, with:
test_pipeline[1]['transforms'][1].update(  # Resize
    scale=img_scale, backend='pillow', interpolation='bilinear')
train_dataloader = None
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The 20th output ('background') is never trained and never wins on real
# frames; mIoU over the 19 classes would count it as a miss, temporal
# consistency counts it like the 19 classes.
val_evaluator = _base_.val_evaluator
val_evaluator[1]['num_classes'] = 20  # TemporalConsistencyMetric
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
