"""setuptools hook: ship the released int8 model inside the wheel.

The release puts ``models/flowerlite-<backbone>-{float32,float16,int8}.tflite``
in the repository's ``models/``. ``build_py`` copies the single int8 release
into ``flowerlite/models/`` of the build, so git holds only one copy. Editable
installs skip the copy: ``flowerlite._default_model`` reads ``models/`` directly.
Both find the file with ``flowerlite.contract.released_files``.
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib
import shutil
import sys

from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent.parent
VARIANT = "int8"


@functools.cache
def _contract():
    """``flowerlite.contract``, loaded from its file: the build has neither the SDK installed nor numpy."""
    spec = importlib.util.spec_from_file_location("_flowerlite_contract", ROOT / "sdk" / "flowerlite" / "contract.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def default_models(models_dir: pathlib.Path) -> list[pathlib.Path]:
    """The int8 releases in ``models_dir`` (the wheel ships one: more is an error, none a wheel without a model)."""
    return _contract().released_files(models_dir, VARIANT)


class BuildPyWithDefaultModel(build_py):
    """``build_py`` that also copies the int8 release of ``models/`` into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        found = default_models(ROOT / "models")
        if len(found) > 1:
            raise RuntimeError(f"models/ holds several int8 models {[p.name for p in found]}; keep one")
        if not found:
            self.announce(f"models/ has no {_contract().release_glob(VARIANT)} yet: building without a default model", level=3)
            return
        target = pathlib.Path(self.build_lib) / "flowerlite" / "models"
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob("*.tflite"):
            stale.unlink()
        shutil.copy2(found[0], target / found[0].name)
        self._default_model = str(target / found[0].name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        model = getattr(self, "_default_model", None)
        return outputs + [model] if model else outputs
