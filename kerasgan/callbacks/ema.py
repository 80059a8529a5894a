"""`EMA`: an exponential moving average of the generator's weights."""

from __future__ import annotations

from typing import Any

import keras


class EMA(keras.callbacks.Callback):
    """Keeps an EMA of the generator in separate variables during `fit`.

    Turns on `GANModel.enable_ema(decay)`: after every generator update, the
    model's `ema_generator` moves towards the generator's weights inside the
    compiled train step. The EMA is saved with the model (`.keras`, zoo) and
    used by `generate(..., ema=True)`, `save_sample_grid` and `SampleGrid`; the
    training weights are never overwritten (unlike Keras optimizers'
    `use_ema`, which swaps the average into the model at the end of `fit`).

    Args:
        decay: weight of the old average at each update (0.999 by default).

    Example:
        >>> gan.fit(ds, epochs=20, callbacks=[kerasgan.callbacks.EMA(0.999)])
        >>> smooth = gan.generate(64, seed=0, ema=True)
    """

    def __init__(self, decay: float = 0.999) -> None:
        super().__init__()
        if not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), e.g. 0.999; got {decay}.")
        self.decay = float(decay)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.model.enable_ema(self.decay)
