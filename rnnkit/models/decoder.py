"""An attentional recurrent decoder: writes a token sequence from an initial state and a memory.

Shared by the sequence-to-sequence model (memory: the encoded source) and the image
captioner (memory: the image's columns). With attention (Luong et al. 2015's global
attention; the score is dot, general or additive, rnnkit.models.attention):

    x_t = [E y_{t-1}; h~_{t-1}]            (input feeding; E y_{t-1} without it)
    h_t = cell(x_t, h_{t-1})
    c_t = sum_s a_ts m_s,   a_t = attention(h_t, m)
    h~_t = tanh(W_c [c_t; h_t])
    P(y_t | y_<t, source) = softmax(W_o h~_t + b_o)

Without attention (``"none"``) the initial state is all the decoder knows of the source
(the plain encoder-decoder) and ``h~_t = h_t``. Training is teacher-forced (the true
y_{t-1} is read at step t), or with scheduled sampling (Bengio et al. 2015): at each step
each sequence reads the model's own sampled token instead, with probability
``1 - teacher_forcing``. Generation calls :meth:`Decoder.step` once per token.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.generation.beam import select
from rnnkit.layers import RecurrentLayer
from rnnkit.models.attention import Attention, AttentionType
from rnnkit.models.embedding import EmbeddingOptions, TokenEmbedding, check_embedding
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig, check_token_ids, padding_mask


@dataclass(kw_only=True)
class DecoderConfig(RecurrentModelConfig, EmbeddingOptions):
    """The decoder part of a sequence-writing model; JSON-serialisable."""

    target_vocab: int = 4  # V: target tokens, <unk>, <s> and </s> included
    embed_size: int = 64  # E: target (and source) token embedding width
    attention: AttentionType = "general"  # none (final state only), additive, dot, general
    input_feeding: bool = True  # feed h~_{t-1} into step t (attention only)
    label_smoothing: float = 0.0  # spread this share of the target's probability uniformly
    max_output: int = 64  # tokens written at most when generating (</s> included)
    dropout: float = 0.0  # on embeddings, between layers and before the read-out

    dropout_between_layers_only: ClassVar[bool] = False

    def validate(self) -> None:
        super().validate()
        check_embedding(self)
        require(self, "target_vocab", self.target_vocab >= 4, "an integer >= 4")
        for name in ("embed_size", "max_output"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "label_smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)")

    @property
    def feeds(self) -> bool:
        return self.input_feeding and self.attention != "none"


@dataclass
class DecoderState:
    """Everything one decoding step needs, hypotheses (batch rows, N) on dim 0 of the
    tensors (dim 1 of the recurrent state, torch's layout). The memory is held once per
    input (M rows): hypothesis r reads memory row r // ``group`` (beam search's W
    hypotheses of one source share its memory, so reordering them never copies it)."""

    rnn: Any  # h (L, N, H), or (h, c) for an LSTM
    feed: Tensor | None  # (N, H) h~ of the last step (input feeding)
    memory: Tensor | None  # (M, S, H) what attention reads
    keys: Tensor | None  # (M, S, H) the memory's precomputed attention keys
    mask: Tensor | None  # (M, S) True on real memory positions
    weights: Tensor | None = None  # (N, S) the last step's attention weights
    group: int = 1  # hypotheses per memory row: N = M * group

    def select(self, index: Tensor) -> DecoderState:
        """The state of hypotheses ``index`` (beam search reordering)."""

        def pick(t: Tensor | None, rows: Tensor = index) -> Tensor | None:
            return None if t is None else t.index_select(0, rows.to(t.device))

        memory, keys, mask, group = self.memory, self.keys, self.mask, 1
        if memory is not None:
            source = index.cpu() // self.group  # the memory row each chosen hypothesis reads
            group, reads = _groups(source, memory.shape[0], self.group)
            if reads is not None:  # blocks of `group` rows read one memory row each
                if len(reads) != memory.shape[0] or bool((reads != torch.arange(len(reads))).any()):
                    memory, keys, mask = pick(memory, reads), pick(keys, reads), pick(mask, reads)
            else:
                memory, keys, mask = pick(memory, source), pick(keys, source), pick(mask, source)
        return DecoderState(
            select(self.rnn, index, 1),
            pick(self.feed),
            memory,
            keys,
            mask,
            pick(self.weights),
            group,
        )


def _groups(source: Tensor, M: int, group: int) -> tuple[int, Tensor | None]:
    """(g, the memory row of each block) if ``source`` (N,) is blocks of g equal rows
    (g: the current group, or N / M for a first expansion); else (1, None)."""
    n = len(source)
    for g in (group, n // M if M and n % M == 0 else 0):
        if g > 1 and n % g == 0:
            blocks = source.view(-1, g)
            if bool((blocks == blocks[:, :1]).all()):
                return g, blocks[:, 0]
    return 1, None


class Decoder(nn.Module):
    """Target embedding, a unidirectional rnnkit layer, attention, the read-out."""

    BOS, EOS = 1, 2  # ids of <s> and </s> in every target vocabulary (<unk> is 0)

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.config = c = config
        H = c.hidden_size
        self.embed = TokenEmbedding(c.target_vocab, c.embed_size, c)  # maybe pretrained vectors
        self.rnn: RecurrentLayer = c.layer(c.embed_size + (H if c.feeds else 0))
        self.attention = Attention(c.attention, H) if c.attention != "none" else None
        self.combine = nn.Linear(2 * H, H) if self.attention is not None else None
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(H, c.target_vocab)

    def start(self, rnn: Any, memory: Tensor | None, mask: Tensor | None) -> DecoderState:
        """The state before the first token: initial recurrent state, memory (B, S, H)."""
        keys = None
        if self.attention is None:
            memory = mask = None
        else:
            keys = self.attention.keys(memory)
        feed = None
        if self.config.feeds:
            feed = memory.new_zeros(memory.shape[0], self.config.hidden_size)
        return DecoderState(rnn, feed, memory, keys, mask)

    def _read_out(self, h: Tensor, state: DecoderState) -> tuple[Tensor, Tensor | None]:
        """h (B, [T,] H) -> (h~ like h, attention weights (B, [T,] S) or None)."""
        if self.attention is None:
            return h, None
        q = h if state.group == 1 else h.view(-1, state.group, h.shape[-1])  # (M, W, H)
        context, weights = self.attention(q, state.keys, state.memory, state.mask)
        if state.group > 1:  # each memory row's W hypotheses, back to one row each
            context, weights = context.reshape(h.shape), weights.flatten(0, 1)
        return torch.tanh(self.combine(torch.cat([context, h], dim=-1))), weights

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """One token per sequence: ids (B,) -> logits (B, V) and the next state."""
        x = self.drop(self.embed(check_token_ids(tokens, self.config.target_vocab)))  # (B, E)
        if state.feed is not None:
            x = torch.cat([x, state.feed], dim=-1)  # (B, E + H)
        h, rnn = self.rnn.step(x, state.rnn)  # (B, H)
        h_tilde, weights = self._read_out(h, state)
        logits = self.head(self.drop(h_tilde))  # (B, V)
        feed = h_tilde if state.feed is not None else None
        return logits, replace(state, rnn=rnn, feed=feed, weights=weights)

    def forward(
        self,
        inputs: Tensor,
        state: DecoderState,
        lengths: Tensor | None = None,
        teacher_forcing: float = 1.0,
    ) -> tuple[Tensor, Tensor | None]:
        """Targets shifted right (B, T) -> logits (B, T, V), attention (B, T, S) or None.

        Reads the whole target at once where it can (teacher forcing, no input feeding);
        otherwise one :meth:`step` per position, so both give the same numbers.
        """
        check_token_ids(inputs, self.config.target_vocab)
        if teacher_forcing >= 1 and state.feed is None:
            x = self.drop(self.embed(inputs))  # (B, T, E)
            h, _ = self.rnn(x, state.rnn, lengths=lengths)  # (B, T, H)
            h_tilde, weights = self._read_out(h, state)
            return self.head(self.drop(h_tilde)), weights
        logits, weights = [], []
        token = inputs[:, 0]
        for t in range(inputs.shape[1]):
            if t > 0:
                token = inputs[:, t]
                if teacher_forcing < 1:
                    token = self._mix(token, logits[-1], teacher_forcing)
            out, state = self.step(token, state)
            logits.append(out)
            weights.append(state.weights)
        attention = torch.stack(weights, 1) if weights[0] is not None else None
        return torch.stack(logits, 1), attention

    @staticmethod
    def _mix(truth: Tensor, previous: Tensor, teacher_forcing: float) -> Tensor:
        """Scheduled sampling: each row keeps the true token with probability
        ``teacher_forcing``, else reads a token sampled from the previous step's logits."""
        with torch.no_grad():
            own = torch.multinomial(torch.softmax(previous.float(), -1), 1).squeeze(-1)
            keep = torch.rand(truth.shape, device=truth.device) < teacher_forcing
        return torch.where(keep, truth, own)

    def loss(self, logits: Tensor, targets: Tensor, lengths: Tensor | None) -> Tensor:
        """Mean cross-entropy (label-smoothed if configured) per real target token."""
        nll = F.cross_entropy(
            logits.flatten(0, 1),
            targets.flatten(),
            reduction="none",
            label_smoothing=self.config.label_smoothing,
        )  # (B*T,)
        mask = padding_mask(targets.shape, lengths, targets.device).flatten()  # (B*T,)
        return (nll * mask).sum() / mask.sum()


class WritingModel(nn.Module):
    """A model that writes with ``self.decoder`` from ``self.start(batch)``: the
    sequence-to-sequence model and the captioner. ``batch`` has ``target_in``,
    ``target_out``, ``target_lengths`` and ``teacher_forcing``."""

    decoder: Decoder

    def start(self, batch: Any) -> DecoderState:
        """The decoder's state before the first token, from the batch's inputs."""
        raise NotImplementedError

    def forward(self, batch: Any, state: Any = None) -> Output:
        """Teacher-forced (or scheduled-sampling) logits (B, T, V) and the mean loss."""
        forcing = batch.teacher_forcing if self.training else 1.0
        logits, _ = self.decoder(batch.target_in, self.start(batch), batch.target_lengths, forcing)
        loss = None
        if batch.target_out is not None:
            loss = self.decoder.loss(logits, batch.target_out, batch.target_lengths)
        return Output(loss, logits)

    def attend(self, batch: Any) -> tuple[Tensor, Tensor | None]:
        """Teacher-forced logits (B, T, V) and attention weights (B, T, S) of given targets."""
        return self.decoder(batch.target_in, self.start(batch), batch.target_lengths)


def bridge_state(layer: nn.Module, vector: Tensor, num_layers: int, lstm: bool) -> Any:
    """A linear map of (B, F) features -> the decoder's initial state (L, B, H) (tanh on h).

    ``layer`` maps F -> (1 + lstm) * L * H: h for every layer, and c for an LSTM."""
    B = vector.shape[0]
    e = layer(vector).view(B, 1 + int(lstm), num_layers, -1).permute(1, 2, 0, 3)  # (S, L, B, H)
    h = torch.tanh(e[0]).contiguous()
    return (h, e[1].contiguous()) if lstm else h
