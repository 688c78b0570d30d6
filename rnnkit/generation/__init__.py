"""Text generation: choosing the next token from a model's logits."""

from rnnkit.generation.sampling import SamplingConfig, filter_logits, sample_token

__all__ = ["SamplingConfig", "filter_logits", "sample_token"]
