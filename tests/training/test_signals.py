import os
import signal

import pytest

from rnnkit.training.signals import StopSignals


def test_first_signal_sets_the_flag_second_stops_at_once():
    previous = signal.getsignal(signal.SIGTERM)
    with StopSignals() as flag:
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.received == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is previous
