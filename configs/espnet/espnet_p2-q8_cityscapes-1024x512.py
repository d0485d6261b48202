# ESPNet (p=2, q=8) with the authors' Cityscapes weights (the test/Model.py
# decoder, converted by tools/model_converters/espnet2mmvseg.py) run frame by
# frame on Cityscapes-Seq snippets at the authors' test size 1024x512, scored
# with the clip-level metrics of the video segmentors. Test-only: the
# authors' training recipe is not reproduced here.
# Preprocessing of the authors' test/VisualizeResults.py: OpenCV BGR frames,
# resized to 1024x512 with cv2 INTER_LINEAR as float32 (the authors
# normalise first and resize the float image; resizing is linear, so the
# float resize followed by the model's normalisation gives their input to
# 2e-9, where a uint8 resize would round it), then (x - mean) / std / 255.
# The local 6-snippet copy holds the train split only:
#   --cfg-options test_dataloader.dataset.split=train
_base_ = [
    '../_base_/models/video_espnet_p2-q8_cityscapes.py',
    '../_base_/datasets/cityscapes_seq.py', '../_base_/default_runtime.py'
]
img_scale = (1024, 512)
test_pipeline = _base_.test_pipeline  # the dataset base's, with:
test_pipeline[1]['transforms'][0]['to_float32'] = True  # LoadFrameFromFile
test_pipeline[1]['transforms'][1]['scale'] = img_scale  # Resize
train_dataloader = None
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# ESPNet predicts a 20th label (void): mIoU over the 19 classes counts it as
# a miss, temporal consistency counts it like the 19 classes.
val_evaluator = _base_.val_evaluator
val_evaluator[1]['num_classes'] = 20  # TemporalConsistencyMetric
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
