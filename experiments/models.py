"""Models a sweep can run: the built-in sovai model, or any ``f(*, seed, **params) -> dict``.

A model is named by a spec string: ``"sovai"`` for the built-in model, ``"package.module:function"``
for an importable function, or ``"path/to/file.py:function"`` for a function in a file. Workers
resolve the spec themselves (once per process), so only the string travels with each task.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

Model = Callable[..., dict[str, Any]]

#: Spec of the built-in sovai model.
BUILTIN_MODEL = "sovai"

#: Packages whose source decides the built-in model's results.
BUILTIN_PACKAGES = ("sim", "agents")
#: Files that count as source when fingerprinting code (data files included: they change results).
SOURCE_SUFFIXES = (".py", ".csv", ".json", ".toml")


def sovai_model(*, seed: int, quarters: int | None = None, **params: Any) -> dict[str, Any]:
    """The built-in model in the sweep calling convention (``quarters`` may be swept like any parameter)."""
    import sim
    from sim.params import PARAMS

    return sim.run(seed=seed, quarters=PARAMS["quarters"].default if quarters is None else quarters, **params)


@functools.cache
def resolve_model(spec: str) -> Model:
    """Return the callable a model spec names (cached per process).

    Raises:
        ExperimentError: the spec is malformed, its module cannot be imported or the attribute is
            missing or not callable.
    """
    from experiments.errors import ExperimentError

    if spec == BUILTIN_MODEL:
        return sovai_model
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise ExperimentError(
            f"model {spec!r}: expected MODULE:FUNCTION, e.g. mypackage.models:run or path/to/model.py:run"
        )
    module = _import(module_name, spec)
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ExperimentError(f"model {spec!r}: {module_name!r} has no attribute {attr!r}")
    if not callable(target):
        raise ExperimentError(f"model {spec!r}: {attr!r} is not callable")
    return target


def _import(module_name: str, spec: str) -> ModuleType:
    """Import a module by dotted name (the working directory included) or from a .py file."""
    from experiments.errors import ExperimentError

    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = Path(module_name).resolve()
        if not path.is_file():
            raise ExperimentError(f"model {spec!r}: file {str(path)!r} does not exist")
        name = "sovai_model_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
        if name in sys.modules:
            return sys.modules[name]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        loader_spec.loader.exec_module(module)
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        # `sovai` is a console script, so the working directory is not on the path as with `python -m`.
        sys.path.append(os.getcwd())
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise ExperimentError(f"model {spec!r}: no module named {err.name!r} (is it on PYTHONPATH?)") from None
        raise


def model_modules(spec: str) -> tuple[str, ...]:
    """Modules a worker imports to run the model (for preloading; empty for models in .py files)."""
    if spec == BUILTIN_MODEL:
        return BUILTIN_PACKAGES
    module_name, _, _ = spec.rpartition(":")
    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        return ()
    return (module_name,)


def model_spec_for_record(spec: str) -> str:
    """The spec as recorded in the manifest: file paths made absolute so the record stands alone."""
    module_name, sep, attr = spec.rpartition(":")
    if sep and (module_name.endswith(".py") or "/" in module_name or os.sep in module_name):
        return f"{Path(module_name).resolve()}:{attr}"
    return spec


def code_version(spec: str) -> dict[str, str]:
    """What identifies the code that computes results: sovai's version and a hash of the model's source.

    The hash covers the model's top-level package (or its file); for the built-in model, the sim and
    agents packages with their data files.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        sovai_version = version("sovai")
    except PackageNotFoundError:  # running from a source tree that is not installed
        sovai_version = "unknown"
    return {
        "sovai": sovai_version,
        "model": model_spec_for_record(spec),
        "source_sha256": _source_hash(_source_roots(spec)),
    }


def _source_roots(spec: str) -> list[Path]:
    """Files or folders holding the model's source."""
    if spec == BUILTIN_MODEL:
        names = BUILTIN_PACKAGES
    else:
        module = sys.modules.get(resolve_model(spec).__module__)
        if module is None or not getattr(module, "__file__", None):
            return []
        if module.__name__.startswith("sovai_model_") or not module.__package__:
            return [Path(module.__file__)]
        names = (module.__name__.split(".")[0],)
    roots = []
    for name in names:
        top = importlib.import_module(name)
        if getattr(top, "__file__", None) is None:  # a namespace package: hash every folder it spans
            roots.extend(Path(p) for p in getattr(top, "__path__", []))
            continue
        file = Path(top.__file__)
        roots.append(file.parent if file.name == "__init__.py" else file)
    return roots


def _source_hash(roots: list[Path]) -> str:
    """SHA-256 over the relative paths and contents of the source files under ``roots``."""
    digest = hashlib.sha256()
    for root in roots:
        files = (
            [root]
            if root.is_file()
            else sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts)
        )
        for file in files:
            digest.update(f"{root.name}/{file.relative_to(root) if file != root else ''}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()
