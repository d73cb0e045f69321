"""setuptools hook: ship the released int8 model inside the wheel.

The release puts ``models/flowerlite-<backbone>-{float32,float16,int8}.tflite``
in the repository's ``models/``. ``build_py`` copies the single ``*-int8.tflite``
into ``flowerlite/models/`` of the build, so git holds only one copy. Editable
installs skip the copy: ``flowerlite._default_model`` reads ``models/`` directly.
"""

from __future__ import annotations

import pathlib
import shutil

from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent.parent


class BuildPyWithDefaultModel(build_py):
    """``build_py`` that also copies ``models/*-int8.tflite`` into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        found = sorted((ROOT / "models").glob("*-int8.tflite"))
        if len(found) > 1:
            raise RuntimeError(f"models/ holds several int8 models {[p.name for p in found]}; keep one")
        if not found:
            self.announce("models/ has no *-int8.tflite yet: building without a default model", level=3)
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
