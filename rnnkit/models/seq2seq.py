"""Sequence to sequence (many-to-many, unaligned): read a source to its end, write a target.

    encoder:  m_1..m_S, h_S = rnn_enc(E_src x_1..x_S)   (stacked, optionally bidirectional,
                                                       over each source's own length)
    bridge:   h_0 = tanh(W_b [h_S(fwd); h_1(bwd)])      (per layer; c_0 likewise, no tanh)
    decoder:  rnnkit.models.decoder.Decoder over the memory m (projected to H)

Both embeddings (source and target) may start from pretrained word vectors, frozen or
fine-tuned (rnnkit.models.embedding; the task loads each vocabulary's rows).

``encode`` gives the decoder state of a batch of sources; ``decoder.step`` then writes
one token per call (greedy, sampled or beam search: rnnkit.generation.seq2seq).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.models.attention import source_mask
from rnnkit.models.decoder import Decoder, DecoderConfig, DecoderState, WritingModel
from rnnkit.models.embedding import TokenEmbedding
from rnnkit.models.recurrent import check_token_ids


@dataclass
class PairBatch:
    """Padded sources and targets; the target's decoder input is it shifted right."""

    source: Tensor  # (B, S) token ids
    source_lengths: Tensor  # (B,)
    target_in: Tensor | None = None  # (B, T) <s> y_1 .. y_{n-1}
    target_out: Tensor | None = None  # (B, T) y_1 .. y_n </s>
    target_lengths: Tensor | None = None  # (B,)
    teacher_forcing: float = 1.0  # < 1: scheduled sampling (training only)

    def __len__(self) -> int:
        return int(self.source.shape[0])


@dataclass(kw_only=True)
class Seq2SeqConfig(DecoderConfig):
    """An encoder-decoder with attention; JSON-serialisable."""

    source_vocab: int = 2  # source tokens, <unk> included
    bidirectional: bool = True  # the encoder reads the source both ways

    def validate(self) -> None:
        super().validate()
        require(self, "source_vocab", self.source_vocab >= 2, "an integer >= 2")


class Seq2Seq(WritingModel):
    """Encoder, bridge and attentional decoder (see the module docstring)."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = c = config
        D, H = (2 if c.bidirectional else 1), c.hidden_size
        self.source_embed = TokenEmbedding(c.source_vocab, c.embed_size, c)
        self.encoder = c.layer(c.embed_size, bidirectional=c.bidirectional)
        self.lstm = self.encoder.state_is_tuple
        self.bridge_h = nn.Linear(D * H, H)
        self.bridge_c = nn.Linear(D * H, H) if self.lstm else None
        self.memory = nn.Linear(D * H, H) if D == 2 else nn.Identity()
        self.decoder = Decoder(c)

    def encode(self, source: Tensor, lengths: Tensor) -> DecoderState:
        """Sources (B, S) and their lengths -> the decoder's state before its first token."""
        c = self.config
        if source.numel() == 0 or int(lengths.min()) < 1:
            raise ValueError("every source needs at least one token")
        x = self.decoder.drop(self.source_embed(check_token_ids(source, c.source_vocab)))
        out, final = self.encoder(x, lengths=lengths)  # (B, S, D*H)
        if self.lstm:
            h_n, c_n = final
            rnn: Any = (
                torch.tanh(self.bridge_h(self._directions(h_n))),
                self.bridge_c(self._directions(c_n)),
            )  # (L, B, H) each
        else:
            rnn = torch.tanh(self.bridge_h(self._directions(final)))  # (L, B, H)
        memory = self.memory(out)  # (B, S, H)
        return self.decoder.start(rnn, memory, source_mask(lengths, source.shape[1]))

    def _directions(self, s: Tensor) -> Tensor:
        """(L*D, B, H) -> (L, B, D*H): each layer's final states of both directions."""
        D = 2 if self.config.bidirectional else 1
        s = s.view(self.config.num_layers, D, *s.shape[1:])  # (L, D, B, H)
        return torch.cat(list(s.unbind(1)), dim=-1).contiguous()  # (L, B, D*H)

    def start(self, batch: PairBatch) -> DecoderState:
        return self.encode(batch.source, batch.source_lengths)
