"""Per-step wall times of Keras `fit`, shared by the benchmark scripts.

Imports Keras: import it in the process that trains (a worker with its
`KERAS_BACKEND` set), not in a driver that must stay backend-free.
"""

from __future__ import annotations

import time

import keras


class StepTimer(keras.callbacks.Callback):
    """Wall time of every training batch (`times`, seconds). A callback with
    its own `on_train_batch_end` makes Keras read each step's logs before the
    next begins, so every step is timed to its end on every backend."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self._t = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._t)


def time_fit(model, data, steps, warmup=3):
    """Per-step wall times (s) of a steady-state `fit`, after `warmup` steps.

    `data`: what `fit` takes, or a callable returning it afresh for each
    `fit` call (a Python generator is used up by the warm-up).
    """
    make = data if callable(data) else (lambda: data)
    if warmup:
        model.fit(make(), epochs=1, steps_per_epoch=warmup, verbose=0, shuffle=False)
    timer = StepTimer()
    model.fit(make(), epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer], shuffle=False)
    return timer.times
