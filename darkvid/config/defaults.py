"""Every configuration option of darkvid, with its default and a one-line meaning.

Key names follow PySlowFast and UniFormer, so that the seed's experiment files load as they are.
Options that the seed's files set but darkvid does not need are accepted and marked "(ignored)".
"""
from fvcore.common.config import CfgNode

_C = CfgNode()

# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
_C.TRAIN = CfgNode()
_C.TRAIN.ENABLE = True  # train before testing
_C.TRAIN.DATASET = "ug2_sparse"  # temporal sampling of training clips: ug2_sparse (uniform) or ug2 (dense)
_C.TRAIN.BATCH_SIZE = 64  # clips per optimizer step summed over all processes (before AUG.NUM_SAMPLE)
_C.TRAIN.EVAL_PERIOD = 10  # evaluate every this many epochs (and after the last)
_C.TRAIN.EVAL_SPLITS = ["val_dry", "arid"]  # splits evaluated during training
_C.TRAIN.BEST_SPLIT = "arid"  # the split whose top-1 chooses best.pyth; one of TRAIN.EVAL_SPLITS (arid: labelled dark)
_C.TRAIN.CHECKPOINT_PERIOD = 10  # checkpoint_epoch_XXXXX.pyth every this many epochs and after the last; 0: none
_C.TRAIN.AUTO_RESUME = True  # resume from the newest complete checkpoint in OUTPUT_DIR
_C.TRAIN.CHECKPOINT_FILE_PATH = ""  # weights to start from (pre-trained or another stage's best.pyth)
_C.TRAIN.CHECKPOINT_TYPE = "pytorch"  # format of TRAIN.CHECKPOINT_FILE_PATH (ignored: detected from the file)
_C.TRAIN.CHECKPOINT_INFLATE = False  # (ignored) 2D kernels are inflated whenever the model's are 3D
_C.TRAIN.CHECKPOINT_EPOCH_RESET = False  # start at epoch 0 whatever epoch the loaded checkpoint was at
_C.TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN = []  # prefixes removed from checkpoint keys before loading
_C.TRAIN.SAVE_LATEST = False  # keep only the latest periodic checkpoint (plus best.pyth)
_C.TRAIN.BEST_OPTIMIZER_STATE = True  # best.pyth also holds optimizer/scaler state (AdamW: 3x the weights)
_C.TRAIN.THRESHOLD = -1.0  # pseudo-label mask: -1 keeps all, k keeps top prob > mean - k * std of the batch
_C.TRAIN.PSEUDO_STEP = "alternate"  # pseudo stages: alternate (one step per batch, as the seed) or sum (one step)
_C.TRAIN.PSEUDO_WEIGHT = 1.0  # weight of the pseudo-label loss against the source loss
_C.TRAIN.MIXED_PRECISION = False  # autocast on CUDA (bf16 where supported, else fp16 with a scaler)
_C.TRAIN.MIXED_PRECISION_DTYPE = "auto"  # auto: bf16 where supported, else fp16 + scaler; fp16 (the seed's); bf16
_C.TRAIN.GRAD_ACCUM_STEPS = 1  # micro-batches accumulated per optimizer step

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
_C.DATA = CfgNode()
_C.DATA.PATH_PREFIX = "data"  # root of the dataset: split CSVs and video folders live under it
_C.DATA.PATH_TO_DATA_DIR = ""  # (ignored) PySlowFast's CSV folder; darkvid reads CSVs from PATH_PREFIX
_C.DATA.PATH_LABEL_SEPARATOR = ","  # separator between path and label in split CSVs
_C.DATA.MAX_BAD_VIDEOS = 0  # bad training videos tolerated (each replaced, named in log/stats/checkpoint); 0 fails
_C.DATA.PSEUDO_CSV = ""  # pseudo-label CSV (path,label,p0..pK), relative to PATH_PREFIX or absolute
_C.DATA.NUM_FRAMES = 8  # frames per clip
_C.DATA.SAMPLING_RATE = 8  # frame stride of dense sampling (uniform sampling ignores it)
_C.DATA.USE_OFFSET_SAMPLING = False  # dense test clips: spread evenly from first to last frame
_C.DATA.TARGET_FPS = 30  # (ignored) videos are sampled by frame index
_C.DATA.TRAIN_JITTER_SCALES = [256, 320]  # short-side range of training scale jitter
_C.DATA.TRAIN_JITTER_SCALES_RELATIVE = []  # if set, random-resized crop with this relative area range
_C.DATA.TRAIN_JITTER_ASPECT_RELATIVE = []  # aspect ratio range of the random-resized crop
_C.DATA.INV_UNIFORM_SAMPLE = False  # draw the jitter scale uniformly in 1/scale
_C.DATA.RANDOM_FLIP = True  # random horizontal flip in training
_C.DATA.TRAIN_CROP_SIZE = 224  # training crop side
_C.DATA.TEST_CROP_SIZE = 256  # test short side and crop side
_C.DATA.INPUT_CHANNEL_NUM = [3]  # channels per pathway; one pathway for all darkvid models
_C.DATA.MEAN = [0.45, 0.45, 0.45]  # per-channel mean of [0, 1] pixels
_C.DATA.STD = [0.225, 0.225, 0.225]  # per-channel std of [0, 1] pixels
_C.DATA.DECODING_BACKEND = "pyav"  # pyav, or decord where installed (falls back to pyav with a warning)
_C.DATA.ENSEMBLE_METHOD = "sum"  # per-video aggregation of view logits: sum or max
_C.DATA.MULTI_LABEL = False  # (ignored) single-label classification only
_C.DATA.REVERSE_INPUT_CHANNEL = False  # feed BGR instead of RGB
_C.DATA.GAMMA = 0.25  # gamma of the correction out = 255 * (in / 255) ** GAMMA
_C.DATA.GAMMA_MODE = "fixed"  # fixed (DATA.GAMMA), adaptive (per video, to GAMMA_TARGET_MEAN) or off
_C.DATA.GAMMA_TARGET_MEAN = 0.4  # adaptive gamma: target mean brightness in [0, 1]
_C.DATA.GAMMA_ADAPTIVE_RANGE = [0.1, 1.0]  # adaptive gamma: [min, max] of the chosen gamma (1.0 never darkens)
_C.DATA.GAMMA_SPLITS = ["arid", "dark_unlabel", "total_unlabel", "test", "train_pseudo_label"]  # splits corrected
# Further dark-frame treatments (darkvid/datasets/darkframe.py), applied with the gamma correction to the
# same splits (so BN adaptation, pseudo-label training and testing agree); all off by default.
_C.DATA.DUAL_GAMMA = 0.0  # dual gamma: a milder second gamma (e.g. 0.5) averaged with the main correction; 0 off
_C.DATA.DUAL_GAMMA_WEIGHT = 0.5  # dual gamma: weight of the main correction (the mild one gets 1 - weight)
_C.DATA.TEMPORAL_DENOISE = 1  # odd frame count of a centred moving average over the sampled frames; 1 off
_C.DATA.SPATIAL_DENOISE = 1  # odd kernel side of a per-frame spatial filter; 1 off
_C.DATA.SPATIAL_DENOISE_KIND = "box"  # spatial filter: box or gaussian
_C.DATA.STANDARDISE = False  # per-clip standardisation of corrected clips (DarkNorm): each channel to the target below
_C.DATA.STANDARDISE_TARGET = [0.45, 0.225]  # [mean, std] in [0, 1] after standardisation (DATA.MEAN/STD: unit input)
_C.DATA.NOISE_AUG_STD = 0.0  # read noise added to NOISE_AUG_SPLITS clips, 8-bit units of linear light; 0 off
_C.DATA.NOISE_AUG_PROB = 1.0  # fraction of those clips that get it (the rest stay clean); 1: every clip
_C.DATA.NOISE_AUG_SPLITS = ["train_label"]  # splits whose clips get the noise augmentation (normal-light training)
_C.DATA.NOISE_AUG_MEASURE = False  # measure NOISE_AUG_STD from the data at start (datasets/noise_level.py) instead
_C.DATA.NOISE_AUG_MEASURE_SPLITS = ["total_unlabel"]  # dark splits whose noise-to-brightness ratio is matched
_C.DATA.NOISE_AUG_MEASURE_VIDEOS = 40  # videos decoded per split for the measurement
_C.DATA.CACHE_DIR = ""  # decoded-frame cache folder (uint8, memory-mapped); empty disables it
_C.DATA.CACHE_SHORT_SIDE = 0  # short side of cached frames; 0 keeps the decoded size
_C.DATA.PREFLIGHT_DECODE = 2  # videos per split decoded before a run (all are checked to exist); 0 skips decoding
_C.DATA.CLASS_NAMES = [
    "Drink", "Jump", "Pick", "Pour", "Push", "Run", "Sit", "Stand", "Turn", "Walk", "Wave",
]  # class names in label order, for logs and reports

# Split files and video folders, relative to DATA.PATH_PREFIX (the seed's UG2+/ARID layout).
_C.DATA.SPLIT_CSV = CfgNode()
_C.DATA.SPLIT_CSV.TRAIN_LABEL = "train_label+val_dry.csv"  # normal-light labelled training videos
_C.DATA.SPLIT_CSV.TRAIN_UNLABEL = "total_unlabel.csv"  # unlabelled dark clips for BN adaptation
_C.DATA.SPLIT_CSV.VAL_DRY = "val_dry.csv"  # normal-light validation
_C.DATA.SPLIT_CSV.ARID = "arid.csv"  # labelled dark validation
_C.DATA.SPLIT_CSV.DARK_UNLABEL = "dark_unlabel.csv"  # unlabelled dark training videos
_C.DATA.SPLIT_CSV.TOTAL_UNLABEL = "total_unlabel.csv"  # pseudo-label pool: dark_unlabel + ARID
_C.DATA.SPLIT_CSV.TEST = "test.csv"  # dark test set, labels hidden
_C.DATA.VIDEO_DIR = CfgNode()
_C.DATA.VIDEO_DIR.TRAIN_LABEL = "labeled_train/Train"  # videos of SPLIT_CSV.TRAIN_LABEL
_C.DATA.VIDEO_DIR.TRAIN_UNLABEL = "dark_train/Train"  # videos of SPLIT_CSV.TRAIN_UNLABEL
_C.DATA.VIDEO_DIR.TRAIN_PSEUDO_LABEL = "dark_train/Train"  # videos of DATA.PSEUDO_CSV
_C.DATA.VIDEO_DIR.VAL_DRY = "dry_run/Validation"  # videos of SPLIT_CSV.VAL_DRY
_C.DATA.VIDEO_DIR.ARID = "ARID_v1.5/clips_v1.5"  # videos of SPLIT_CSV.ARID
_C.DATA.VIDEO_DIR.DARK_UNLABEL = "dark_train/Train"  # videos of SPLIT_CSV.DARK_UNLABEL
_C.DATA.VIDEO_DIR.TOTAL_UNLABEL = "dark_train/Train"  # videos of SPLIT_CSV.TOTAL_UNLABEL
_C.DATA.VIDEO_DIR.TEST = "Test"  # videos of SPLIT_CSV.TEST

# ---------------------------------------------------------------------------------------------
# Augmentation (timm RandAugment / random erasing, applied identically to every frame of a clip)
# ---------------------------------------------------------------------------------------------
_C.AUG = CfgNode()
_C.AUG.ENABLE = False  # RandAugment and random erasing in training
_C.AUG.NUM_SAMPLE = 1  # repeated augmentation: clips drawn per decoded video
_C.AUG.COLOR_JITTER = 0.4  # (ignored) PySlowFast uses it only without RandAugment
_C.AUG.AA_TYPE = "rand-m9-mstd0.5-inc1"  # timm RandAugment policy string
_C.AUG.INTERPOLATION = "bicubic"  # interpolation of RandAugment's geometric ops
_C.AUG.RE_PROB = 0.25  # random erasing probability
_C.AUG.RE_MODE = "pixel"  # random erasing fill: const, rand or pixel
_C.AUG.RE_COUNT = 1  # random erasing boxes per clip
_C.AUG.RE_SPLIT = False  # (ignored) timm's clean-split option

# ---------------------------------------------------------------------------------------------
# Mixup / CutMix (timm)
# ---------------------------------------------------------------------------------------------
_C.MIXUP = CfgNode()
_C.MIXUP.ENABLE = False  # mix source batches in training
_C.MIXUP.ALPHA = 0.8  # mixup beta parameter (0 disables mixup)
_C.MIXUP.CUTMIX_ALPHA = 1.0  # cutmix beta parameter (0 disables cutmix)
_C.MIXUP.PROB = 1.0  # probability of mixing a batch
_C.MIXUP.SWITCH_PROB = 0.5  # probability of cutmix instead of mixup when both are on
_C.MIXUP.LABEL_SMOOTH_VALUE = 0.1  # label smoothing of the mixed targets
_C.MIXUP.PSEUDO = False  # also mix pseudo-labelled batches, scored with MODEL.LOSS_FUNC (the seed; needs MIXUP.ENABLE)

# ---------------------------------------------------------------------------------------------
# BatchNorm adaptation
# ---------------------------------------------------------------------------------------------
_C.BN = CfgNode()
_C.BN.USE_PRECISE_STATS = False  # re-estimate BN statistics on dark clips before eval and checkpoints
_C.BN.NUM_BATCHES_PRECISE = 200  # batches used for the re-estimation
_C.BN.ADAPT_SPLIT = "train_unlabel"  # split whose clips the statistics are estimated on
_C.BN.ADAPT_GAMMA = True  # gamma-correct the adaptation clips (False: uncorrected, as the seed did)
_C.BN.ADAPT_MODE = "train"  # network mode while re-estimating: train (the seed; dropout, drop path on) or eval
_C.BN.ADAPT_SYNC = True  # average the statistics over processes (False: each its own; rank 0's are saved, as the seed)
_C.BN.SOURCE_EVAL_SPLITS = ["val_dry"]  # eval splits scored with statistics of uncorrected training clips
# (normal light): how well the model knows the task, apart from the domain ([]: all dark, as the seed did)
_C.BN.NUM_BATCHES_SOURCE = 0  # batches for those normal-light statistics (0: BN.NUM_BATCHES_PRECISE)
_C.BN.WEIGHT_DECAY = 0.0  # (ignored) BN parameters follow SOLVER.ZERO_WD_1D_PARAM
_C.BN.NORM_TYPE = "batchnorm"  # (ignored) plain BatchNorm only

# ---------------------------------------------------------------------------------------------
# Optimizer and schedule
# ---------------------------------------------------------------------------------------------
_C.SOLVER = CfgNode()
_C.SOLVER.OPTIMIZING_METHOD = "adamw"  # adamw or sgd
_C.SOLVER.BASE_LR = 1e-4  # peak learning rate
_C.SOLVER.BASE_LR_SCALE_NUM_SHARDS = False  # multiply BASE_LR by NUM_SHARDS (machines), as PySlowFast
_C.SOLVER.LR_POLICY = "cosine"  # cosine (with linear warm-up) or constant
_C.SOLVER.COSINE_END_LR = 1e-6  # final learning rate of the cosine
_C.SOLVER.COSINE_AFTER_WARMUP = True  # the cosine spans the epochs after warm-up only
_C.SOLVER.WARMUP_EPOCHS = 0.0  # linear warm-up length in epochs (fractional allowed)
_C.SOLVER.WARMUP_START_LR = 1e-6  # learning rate at the start of warm-up
_C.SOLVER.MAX_EPOCH = 30  # training length in epochs
_C.SOLVER.MOMENTUM = 0.9  # SGD momentum
_C.SOLVER.DAMPENING = 0.0  # SGD dampening
_C.SOLVER.NESTEROV = True  # SGD Nesterov momentum
_C.SOLVER.WEIGHT_DECAY = 0.05  # decoupled weight decay
_C.SOLVER.ZERO_WD_1D_PARAM = True  # no weight decay on 1-D parameters (biases, norms)
_C.SOLVER.CLIP_GRAD_L2NORM = None  # clip the gradient to this L2 norm; None disables
_C.SOLVER.CLIP_GRADIENT = None  # (ignored) use CLIP_GRAD_L2NORM

# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
_C.MODEL = CfgNode()
_C.MODEL.ARCH = "uniformer"  # architecture: uniformer, mvit or sf
_C.MODEL.MODEL_NAME = "Uniformer"  # (ignored) the seed's class name; MODEL.ARCH selects the network
_C.MODEL.NUM_CLASSES = 11  # classes of the classifier
_C.MODEL.LOSS_FUNC = "soft_cross_entropy"  # source loss: cross_entropy or soft_cross_entropy
_C.MODEL.PSEUDO_LOSS_FUNC = "hard"  # pseudo-label loss: hard (cross-entropy) or soft (KL on stored probs)
_C.MODEL.SOFT_T = 1.0  # temperature of the soft pseudo-label loss
_C.MODEL.DROPOUT_RATE = 0.5  # dropout before the classifier
_C.MODEL.FC_INIT_STD = 0.01  # (ignored) each network initialises its classifier as the seed's does
_C.MODEL.USE_CHECKPOINT = False  # activation checkpointing of the blocks chosen by CHECKPOINT_NUM
_C.MODEL.CHECKPOINT_NUM = [0, 0, 0, 0]  # blocks checkpointed at the start of each stage
_C.MODEL.CHANNELS_LAST = False  # weights and clips in NDHWC memory: same function, faster CPU 3D convs (benchmarks/)
_C.MODEL.FRAME_CONV_STEM = False  # clip-reading Conv3d layers as per-frame 2D convs: same function, faster thin stems

# ---------------------------------------------------------------------------------------------
# UniFormer
# ---------------------------------------------------------------------------------------------
_C.UNIFORMER = CfgNode()
_C.UNIFORMER.EMBED_DIM = [64, 128, 320, 512]  # channels of the four stages
_C.UNIFORMER.DEPTH = [5, 8, 20, 7]  # blocks of the four stages
_C.UNIFORMER.NUM_HEADS = [1, 2, 5, 8]  # (ignored) heads follow EMBED_DIM / HEAD_DIM, as in UniFormer
_C.UNIFORMER.HEAD_DIM = 64  # channels per attention head
_C.UNIFORMER.MLP_RATIO = 4.0  # MLP hidden width over block width
_C.UNIFORMER.QKV_BIAS = True  # bias in the qkv projection
_C.UNIFORMER.QKV_SCALE = None  # attention scale; None uses HEAD_DIM ** -0.5
_C.UNIFORMER.REPRESENTATION_SIZE = None  # must stay None: the seed's pre-logits layer is never used (and cannot run)
_C.UNIFORMER.DROPOUT_RATE = 0.0  # dropout inside blocks
_C.UNIFORMER.ATTENTION_DROPOUT_RATE = 0.0  # dropout on attention weights
_C.UNIFORMER.DROP_DEPTH_RATE = 0.1  # stochastic depth rate, linear over blocks
_C.UNIFORMER.HEAD_DROPOUT_RATE = 0.0  # dropout before the classifier (the seed has none; MODEL.DROPOUT_RATE unused)
_C.UNIFORMER.SPLIT = False  # must stay False: the seed's split attention is not used by its models
_C.UNIFORMER.STD = False  # must stay False: spatio-temporal downsampling variant not used by the seed
_C.UNIFORMER.PRETRAIN_NAME = ""  # name of the pre-trained weights (informational)

# ---------------------------------------------------------------------------------------------
# MViT
# ---------------------------------------------------------------------------------------------
_C.MVIT = CfgNode()
_C.MVIT.MODE = "conv"  # pooling in attention: conv, max or avg
_C.MVIT.POOL_FIRST = False  # pool before the q/k/v projection
_C.MVIT.CLS_EMBED_ON = True  # use a class token
_C.MVIT.PATCH_KERNEL = [3, 7, 7]  # patch embedding kernel (T, H, W)
_C.MVIT.PATCH_STRIDE = [2, 4, 4]  # patch embedding stride
_C.MVIT.PATCH_PADDING = [2, 4, 4]  # patch embedding padding
_C.MVIT.PATCH_2D = False  # (ignored) 3D patches only
_C.MVIT.EMBED_DIM = 96  # width of the first block
_C.MVIT.NUM_HEADS = 1  # heads of the first block
_C.MVIT.MLP_RATIO = 4.0  # MLP hidden width over block width
_C.MVIT.QKV_BIAS = True  # bias in the qkv projections
_C.MVIT.DROPPATH_RATE = 0.1  # stochastic depth rate, linear over blocks
_C.MVIT.DEPTH = 16  # number of blocks
_C.MVIT.NORM = "layernorm"  # normalisation layer (layernorm only)
_C.MVIT.DIM_MUL = []  # [[block, factor], ...]: width multiplied from that block on
_C.MVIT.HEAD_MUL = []  # [[block, factor], ...]: heads multiplied from that block on
_C.MVIT.POOL_KV_STRIDE = None  # [[block, st, sh, sw], ...]: key/value pooling strides
_C.MVIT.POOL_KV_STRIDE_ADAPTIVE = None  # initial key/value stride, divided by each query stride
_C.MVIT.POOL_Q_STRIDE = []  # [[block, st, sh, sw], ...]: query pooling strides
_C.MVIT.POOL_KVQ_KERNEL = None  # pooling kernel; None uses stride + 1 where the stride is above 1
_C.MVIT.ZERO_DECAY_POS_CLS = True  # no weight decay on position embeddings and class token
_C.MVIT.NORM_STEM = False  # layer norm after the patch embedding
_C.MVIT.SEP_POS_EMBED = False  # separate spatial and temporal position embeddings
_C.MVIT.DROPOUT_RATE = 0.0  # dropout inside the attention projection

# ---------------------------------------------------------------------------------------------
# SlowFast-R101 (class SF of the seed)
# ---------------------------------------------------------------------------------------------
_C.SF = CfgNode()
_C.SF.DROPOUT_RATE = 0.2  # dropout before the classifier of SF (replaces MODEL.DROPOUT_RATE for SF)
_C.SF.FROZEN_BN = False  # keep BatchNorm layers in eval mode while training
_C.SF.BLOCKS_PER_STAGE = [3, 4, 23, 3]  # bottleneck blocks of res2..res5 (R101)
_C.SF.WIDTH_PER_GROUP = 64  # slow stem channels and res2 bottleneck width (stages widen x2); 64 for the weights
_C.SF.BETA_INV = 8  # slow-to-fast channel ratio; 8 for the weights
_C.SF.PRETRAIN_NAME = "SlowFast-ResNet101-8x8"  # name of the pre-trained weights (informational)
_C.SF.NONLOCAL = CfgNode()
_C.SF.NONLOCAL.FROZEN_BN = False  # (ignored) the seed's SF has no non-local blocks

# ---------------------------------------------------------------------------------------------
# Testing
# ---------------------------------------------------------------------------------------------
_C.TEST = CfgNode()
_C.TEST.ENABLE = True  # test after training
_C.TEST.DATASET = "ug2_sparse"  # temporal sampling of test clips: ug2_sparse (uniform) or ug2 (dense)
_C.TEST.DATA_SELECT = "val_dry"  # split to predict: val_dry, arid, dark_unlabel, total_unlabel or test
_C.TEST.BATCH_SIZE = 8  # clips per forward pass, summed over processes
_C.TEST.CHECKPOINT_FILE_PATH = ""  # weights to test; empty uses OUTPUT_DIR/best.pyth (or the latest)
_C.TEST.CHECKPOINT_TYPE = "pytorch"  # (ignored) the format is detected from the file
_C.TEST.NUM_ENSEMBLE_VIEWS = 1  # temporal views per video
_C.TEST.NUM_SPATIAL_CROPS = 1  # spatial crops per view: 1 (centre) or 3
_C.TEST.TEST_BEST = True  # test best.pyth rather than the latest checkpoint
_C.TEST.SAVE_RESULTS_PATH = ""  # prediction file name; empty uses the seed's SPLITxFRAMESxCROPxVIEWSxCROPS.pkl
_C.TEST.SKIP_BAD_VIDEOS = False  # mark undecodable test videos invalid instead of failing
_C.TEST.EXTRA_VIEWS = []  # more predictions by the same process, each "SPLIT:VIEWS:CROPS" ("test:3:3"), one PKL each
_C.TEST.ADAPT_BN = False  # re-estimate BN statistics on BN.ADAPT_SPLIT clips before predicting

# ---------------------------------------------------------------------------------------------
# Data loader, logging, distributed
# ---------------------------------------------------------------------------------------------
_C.DATA_LOADER = CfgNode()
_C.DATA_LOADER.NUM_WORKERS = 8  # loader worker processes per training process
_C.DATA_LOADER.PIN_MEMORY = True  # pinned host memory (CUDA only)
_C.DATA_LOADER.ENABLE_MULTI_THREAD_DECODE = False  # let the decoder use several threads
_C.DATA_LOADER.NUM_RETRIES = 10  # random replacement videos tried per training item before failing

_C.TENSORBOARD = CfgNode()
_C.TENSORBOARD.ENABLE = False  # write TensorBoard scalars
_C.TENSORBOARD.LOG_DIR = ""  # TensorBoard folder; empty uses OUTPUT_DIR/runs

_C.NUM_GPUS = 1  # GPUs per machine; 0 runs on the CPU (also chosen when no GPU is present)
_C.NUM_SHARDS = 1  # machines
_C.SHARD_ID = 0  # index of this machine
_C.DIST_BACKEND = ""  # process-group backend; empty picks nccl on CUDA and gloo on the CPU
_C.RNG_SEED = 1  # seed of Python, NumPy and PyTorch generators
_C.OUTPUT_DIR = "."  # folder of checkpoints, logs and predictions
_C.LOG_PERIOD = 10  # iterations between training log lines
_C.LOG_MODEL_INFO = True  # log parameter and FLOP counts at start


def get_defaults() -> CfgNode:
    """The default configuration tree (do not modify; use darkvid.config.get_cfg())."""
    return _C
