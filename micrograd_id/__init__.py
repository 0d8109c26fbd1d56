"""micrograd_id: a small, exact reverse-mode autodiff engine for learning backpropagation.

``from micrograd_id import Value`` loads the engine on first use of one of
these names, and ``micrograd_id.nn`` its module, not when the package is
imported: the ``micrograd-id`` command imports the package before it can
catch a Ctrl-C, so the package itself loads nothing that takes time.
"""

TYPE_CHECKING = False  # typing itself takes milliseconds to import
if TYPE_CHECKING:  # what type checkers see: the names themselves, and no __getattr__ that would accept typos
    from micrograd_id.engine import AnomalyError, Value, define_op, detect_anomaly, grad, jvp, no_grad

__all__ = ["AnomalyError", "Value", "define_op", "detect_anomaly", "grad", "jvp", "no_grad"]
__version__ = "0.1.0"


if not TYPE_CHECKING:
    def __getattr__(name: str) -> object:
        """A name of the engine, or a module of the package (``micrograd_id.nn``), loaded on first use (PEP 562)."""
        if name in __all__:
            from micrograd_id import engine

            value = getattr(engine, name)
        elif name.startswith("__"):  # a dunder that tools probe for (__wrapped__, __path__ lookups): not ours
            raise AttributeError(f"module 'micrograd_id' has no attribute {name!r}")
        else:
            import importlib

            try:
                value = importlib.import_module(f"micrograd_id.{name}")
            except ModuleNotFoundError as missing:
                if missing.name != f"micrograd_id.{name}":  # the module exists but needs something absent
                    raise
                raise AttributeError(f"module 'micrograd_id' has no attribute {name!r}") from None
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
