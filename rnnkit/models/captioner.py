"""Image captioning (one-to-many): one image in, a sentence out.

    blocks:   m_k = tanh(f(image[:, 8k:8k+8]))                (f: one small CNN or MLP,
                                                           shared by the image's 8-pixel
                                                           column blocks)
    vector:   v = [m_1; ...; m_K]                                (the image as one vector)
    state:    h_0 = tanh(W_h v)  (c_0 = W_c v for an LSTM)       (per decoder layer)
    decoder:  rnnkit.models.decoder.Decoder from h_0, attending over m_1..m_W if asked

With ``attention="none"`` the initial state is all the decoder knows of the image; with
attention the decoder also reads the column blocks m_1..m_K at every step. Sharing f
between blocks means a digit is recognised the same way wherever it stands.

    cnn:  f = W_f flatten(maxpool2(relu(conv3x3(relu(conv3x3(x))))))   (C/2, then C maps)
    mlp:  f = W_2 relu(W_1 flatten(x))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
    """An image encoder (a CNN or MLP per column block) and an attentional decoder."""

    image_height: int = 8  # pixel rows of every image
    image_width: int = 32  # pixel columns of every image
    block: int = 8  # width of the column blocks the encoder reads (image_width is a multiple)
    encoder: Literal["cnn", "mlp"] = "cnn"  # what reads each column block
    channels: int = 32  # cnn: feature maps of the second convolution (half in the first)
    features: int = 256  # mlp: hidden units

    def validate(self) -> None:
        super().validate()
        for name in ("image_height", "image_width", "features", "block"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "channels", self.channels >= 2, "an integer >= 2")
        require(self, "image_width", self.image_width % self.block == 0, "a multiple of block")


class Captioner(WritingModel):
    """Column blocks -> one vector -> the decoder's initial state (see module docstring)."""

    def __init__(self, config: CaptionConfig) -> None:
        super().__init__()
        self.config = c = config
        H = c.hidden_size
        self.blocks = block_encoder(c)  # (N, Hpx, block) -> (N, H)
        self.decoder = Decoder(c)
        self.lstm = self.decoder.rnn.state_is_tuple
        K = c.image_width // c.block
        self.initial = nn.Linear(K * H, (1 + int(self.lstm)) * c.num_layers * H)

    def read_blocks(self, blocks: Tensor) -> Tensor:
        """Column blocks (N, Hpx, block) -> their features m (N, H)."""
        return torch.tanh(self.blocks(blocks))

    def start(self, batch: ImageBatch) -> DecoderState:
        """Images (B, Hpx, Wpx) -> the decoder's state before its first token."""
        c, x = self.config, batch.images
        if x.dim() != 3 or tuple(x.shape[1:]) != (c.image_height, c.image_width):
            raise ValueError(
                f"images must be (B, {c.image_height}, {c.image_width}), got {tuple(x.shape)}"
            )
        K = c.image_width // c.block
        blocks = x.unflatten(2, (K, c.block)).permute(0, 2, 1, 3)  # (B, K, Hpx, block)
        memory = self.read_blocks(blocks.flatten(0, 1)).view(x.shape[0], K, -1)  # (B, K, H)
        vector = self.decoder.drop(memory.flatten(1))  # (B, K*H)
        rnn: Any = bridge_state(self.initial, vector, c.num_layers, self.lstm)
        return self.decoder.start(rnn, memory, None)


def block_encoder(c: CaptionConfig) -> nn.Module:
    """The f of the module docstring: (N, Hpx, block) -> (N, H)."""
    if c.encoder == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(c.image_height * c.block, c.features),
            nn.ReLU(),
            nn.Linear(c.features, c.hidden_size),
        )
    C = c.channels
    pooled = C * (c.image_height // 2) * (c.block // 2)
    return nn.Sequential(
        nn.Unflatten(1, (1, c.image_height)),  # (N, 1, Hpx, block)
        nn.Conv2d(1, C // 2, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(C // 2, C, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(pooled, c.hidden_size),
    )
