"""Model-agnostic training: Trainer and its callbacks, truncated-BPTT streams, clipping,
checkpoints, run directories, progress and metrics logging, distributed data parallel."""

from rnnkit.training.batches import count_items
from rnnkit.training.callbacks import EVENTS, Callback
from rnnkit.training.config import TrainConfig
from rnnkit.training.errors import (
    MissingDependency,
    TrainingDiverged,
    TrainingError,
    TrainingInterrupted,
)
from rnnkit.training.lock import RunLocked
from rnnkit.training.rundir import RunDir
from rnnkit.training.tbptt import Chunk, StreamBatches, chunk_lengths
from rnnkit.training.trainer import Trainer
from rnnkit.training.tree import detach_state, keep_lanes, to_device

__all__ = [
    "EVENTS",
    "Callback",
    "Chunk",
    "MissingDependency",
    "RunDir",
    "RunLocked",
    "StreamBatches",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "TrainingError",
    "TrainingInterrupted",
    "chunk_lengths",
    "count_items",
    "detach_state",
    "keep_lanes",
    "to_device",
]
