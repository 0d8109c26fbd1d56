"""micrograd_id: a small, exact reverse-mode autodiff engine for learning backpropagation."""

from micrograd_id.engine import AnomalyError, Value, detect_anomaly, grad, no_grad

__all__ = ["AnomalyError", "Value", "detect_anomaly", "grad", "no_grad"]
__version__ = "0.1.0"
