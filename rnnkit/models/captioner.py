"""Image captioning (one-to-many): one image in, a sentence out.

    blocks:   m_k = tanh(W_2 relu(W_1 image[:, 8k:8k+8]))   (one small MLP, shared by the
                                                           image's 8-pixel-wide column
                                                           blocks)
    vector:   v = [m_1; ...; m_K]                                (the image as one vector)
    state:    h_0 = tanh(W_h v)  (c_0 = W_c v for an LSTM)       (per decoder layer)
    decoder:  rnnkit.models.decoder.Decoder from h_0, attending over m_1..m_W if asked

With ``attention="none"`` the initial state is all the decoder knows of the image; with
attention the decoder also reads the column blocks m_1..m_K at every step. Sharing the
MLP between blocks means a digit is recognised the same way wherever it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.models.decoder import Decoder, DecoderConfig, DecoderState, WritingModel, bridge_state


@dataclass
class ImageBatch:
    """Images and (for training) their captions as target ids."""

    images: Tensor  # (B, Hpx, Wpx) pixel values in [0, 1]
    target_in: Tensor | None = None  # (B, T) <s> y_1 .. y_{n-1}
    target_out: Tensor | None = None  # (B, T) y_1 .. y_n </s>
    target_lengths: Tensor | None = None  # (B,)
    teacher_forcing: float = 1.0

    def __len__(self) -> int:
        return int(self.images.shape[0])


@dataclass(kw_only=True)
class CaptionConfig(DecoderConfig):
    """An image encoder (an MLP per column block) and an attentional decoder."""

    image_height: int = 8  # pixel rows of every image
    image_width: int = 32  # pixel columns of every image
    block: int = 8  # width of the column blocks the MLP reads (image_width is a multiple)
    features: int = 256  # hidden units of the MLP that reads each column block

    def validate(self) -> None:
        super().validate()
        for name in ("image_height", "image_width", "features", "block"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "image_width", self.image_width % self.block == 0, "a multiple of block")


class Captioner(WritingModel):
    """Column blocks -> one vector -> the decoder's initial state (see module docstring)."""

    def __init__(self, config: CaptionConfig) -> None:
        super().__init__()
        self.config = c = config
        H = c.hidden_size
        self.blocks = nn.Sequential(
            nn.Linear(c.image_height * c.block, c.features), nn.ReLU(), nn.Linear(c.features, H)
        )
        self.decoder = Decoder(c)
        self.lstm = self.decoder.rnn.state_is_tuple
        K = c.image_width // c.block
        self.initial = nn.Linear(K * H, (1 + int(self.lstm)) * c.num_layers * H)

    def start(self, batch: ImageBatch) -> DecoderState:
        """Images (B, Hpx, Wpx) -> the decoder's state before its first token."""
        c, x = self.config, batch.images
        if x.dim() != 3 or tuple(x.shape[1:]) != (c.image_height, c.image_width):
            raise ValueError(
                f"images must be (B, {c.image_height}, {c.image_width}), got {tuple(x.shape)}"
            )
        K = c.image_width // c.block
        blocks = x.unflatten(2, (K, c.block)).permute(0, 2, 1, 3)  # (B, K, Hpx, block)
        memory = torch.tanh(self.blocks(blocks.flatten(2)))  # (B, K, H)
        vector = self.decoder.drop(memory.flatten(1))  # (B, K*H)
        rnn: Any = bridge_state(self.initial, vector, c.num_layers, self.lstm)
        return self.decoder.start(rnn, memory, None)
