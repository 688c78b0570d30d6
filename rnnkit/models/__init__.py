"""Task models: the input/output shapes as nn.Modules sharing one contract."""

from rnnkit.models.output import Output

__all__ = ["Output"]
