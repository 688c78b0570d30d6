"""Text generation: choosing the next token from a model's logits."""

from rnnkit.generation.beam import Beam, beam_search, select
from rnnkit.generation.sampling import SamplingConfig, filter_logits, sample_token

__all__ = ["Beam", "beam_search", "select", "SamplingConfig", "filter_logits", "sample_token"]
