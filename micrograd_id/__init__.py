"""micrograd_id: a small, exact reverse-mode autodiff engine for learning backpropagation."""

from micrograd_id.engine import AnomalyError, Value, define_op, detect_anomaly, grad, jvp, no_grad

__all__ = ["AnomalyError", "Value", "define_op", "detect_anomaly", "grad", "jvp", "no_grad"]
__version__ = "0.1.0"
