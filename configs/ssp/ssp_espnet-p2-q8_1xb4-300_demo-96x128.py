# The demo: SSP with an ESPNet image model trained from scratch (image model
# and similarity head together) on the synthetic clips of
# `python tools/misc/generate_demo_data.py --out-dir data/demo`, 300
# iterations; a few minutes on 2 CPU cores.
_base_ = ['./ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py']
data_root = 'data/demo'
# the CamVid pipelines (../_base_/datasets/camvid_video.py) at the demo's
# frame size
img_scale = (128, 96)  # (W, H)
crop_size = (96, 128)  # (H, W)
train_pipeline = _base_.train_pipeline
train_pipeline[1]['transforms'][2]['scale'] = img_scale  # RandomResize
train_pipeline[1]['transforms'][3]['crop_size'] = crop_size  # RandomCrop
test_pipeline = _base_.test_pipeline
test_pipeline[1]['transforms'][1]['scale'] = img_scale  # Resize
model = dict(
    data_preprocessor=dict(size=crop_size),
    image_model=dict(init_cfg=None),
    freeze=[],
    sim_head=dict(channels=32))
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, clip_len=16, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=20, end=300,
         by_epoch=False)
]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(
    logger=dict(interval=25), checkpoint=dict(interval=300))
randomness = dict(seed=0)
