"""rnnkit.baselines: non-neural sequence models on the same data and metrics.

`NGramLM` is the n-gram / Markov language model of order 0..k (add-k or interpolated
modified Kneser-Ney); `evaluate_baselines` scores a set of them on a split.
"""

from rnnkit.baselines.evaluate import default_baselines, evaluate_baselines, loss_metrics
from rnnkit.baselines.ngram import NGramConfig, NGramLM

__all__ = ["NGramConfig", "NGramLM", "default_baselines", "evaluate_baselines", "loss_metrics"]
