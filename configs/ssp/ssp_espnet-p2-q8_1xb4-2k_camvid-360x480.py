# SSP on the ESPNet CamVid image model (SSP of FraunhoferIVI/SSP
# models/video/models_consistency.py ConsistencyWrapper, loss of
# utils/losses.py TempConstLoss).
# The image model keeps the author's weights and BatchNorm statistics
# (frozen); SSP trains its similarity head on (t-1, t) pairs of the CamVid
# train split (labelled frames 1 s apart) with CE + 0.5 * L_tc, and is tested
# on the 15 Hz val clip. Convert the weights first (configs/ssp/README.md).
_base_ = ['../espnet/espnet_p2-q8_camvid-360x480.py']
image_model_checkpoint = 'checkpoints/espnet_p2-q8_camvid-360x480.pth'
model = dict(
    type='SSP',
    image_model=dict(
        init_cfg=dict(type='Pretrained', checkpoint=image_model_checkpoint)),
    freeze=['image_model'],
    sim_head=dict(type='ConvSimilarityHead', in_channels=131, channels=64),
    feature_index=1,  # ESPNet level 2: 131 channels, stride 4
    registration=dict(type='HomographyRegistration', method='sift'),
    flow=dict(type='DISFlow'),
    loss_tc=dict(type='TemporalConsistencyLoss', loss_weight=0.5))
