"""Static checks of the Android layer, which cannot be built here (no Android SDK, no Google Maven).

They catch what a broken edit would otherwise only show in Android Studio: a view id, string or
version-catalog entry used but not declared, malformed XML, an activity missing from the manifest,
an Android import sneaking into the plain-Java core, or a core class the app uses that does not exist.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1]
APP = DEMO / "app"
KOTLIN = sorted((APP / "src" / "main" / "kotlin").rglob("*.kt"))
CORE_MAIN = DEMO / "core" / "src" / "main" / "java"
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


def _kotlin_text() -> str:
    return "\n".join(p.read_text() for p in KOTLIN)


def test_every_android_xml_file_is_well_formed():
    files = [APP / "src" / "main" / "AndroidManifest.xml", *sorted((APP / "src" / "main" / "res").rglob("*.xml"))]
    assert len(files) >= 5
    for path in files:
        ET.parse(path)  # raises on malformed XML


def test_every_view_id_the_kotlin_code_uses_is_declared_in_a_layout():
    declared = set()
    for layout in (APP / "src" / "main" / "res" / "layout").glob("*.xml"):
        for element in ET.parse(layout).iter():
            value = element.get(f"{ANDROID_NS}id", "")
            if value.startswith("@+id/"):
                declared.add(value[len("@+id/"):])
    used = set(re.findall(r"R\.id\.(\w+)", _kotlin_text()))
    assert used, "the activity finds no views?"
    assert used <= declared, f"ids used but not declared: {sorted(used - declared)}"


def test_every_string_resource_used_is_declared():
    strings = {e.get("name") for e in ET.parse(APP / "src/main/res/values/strings.xml").getroot()}
    used = set(re.findall(r"R\.string\.(\w+)", _kotlin_text()))
    for xml in [APP / "src/main/AndroidManifest.xml", *(APP / "src/main/res/layout").glob("*.xml")]:
        used |= set(re.findall(r"@string/(\w+)", xml.read_text()))
    assert used <= strings, f"strings used but not declared: {sorted(used - strings)}"


def test_the_manifest_declares_the_launcher_activity_and_the_camera_permission():
    root = ET.parse(APP / "src/main/AndroidManifest.xml").getroot()
    activities = [a.get(f"{ANDROID_NS}name") for a in root.iter("activity")]
    assert activities == [".MainActivity"]
    assert (APP / "src/main/kotlin/org/flowerlite/demo/MainActivity.kt").is_file()
    permissions = [p.get(f"{ANDROID_NS}name") for p in root.iter("uses-permission")]
    assert permissions == ["android.permission.CAMERA"]


def test_every_version_catalog_reference_is_declared_and_pinned():
    catalog = tomllib.loads((DEMO / "gradle/libs.versions.toml").read_text())
    versions = catalog["versions"]
    for section in ("libraries", "plugins"):
        for entry in catalog[section].values():
            assert entry["version"]["ref"] in versions  # TOML reads version.ref as a nested table
    assert all(re.fullmatch(r"\d+(\.\d+)+", v) for v in versions.values()), versions  # no ranges, no '+'
    gradle = "\n".join(p.read_text() for p in DEMO.rglob("*.gradle.kts"))
    aliases = {"libs." + name.replace("-", ".") for name in catalog["libraries"]}
    aliases |= {"libs.plugins." + name.replace("-", ".") for name in catalog["plugins"]}
    used = set(re.findall(r"(?<![/\w])libs\.[\w.]+\w", gradle)) - {"libs.versions.toml"}
    assert used <= aliases, f"catalog entries used but not declared: {sorted(used - aliases)}"


def test_the_app_module_targets_min_sdk_24_and_copies_models_from_the_models_folder():
    build = (APP / "build.gradle.kts").read_text()
    assert re.search(r"minSdk\s*=\s*24\b", build)
    assert "addGeneratedSourceDirectory(copyFlowerliteModels" in build
    assert 'include("*.tflite")' in build
    assert (DEMO / "gradle.properties").read_text().count("flowerlite.modelsDir=../models") == 1
    assert not list((APP / "src" / "main").rglob("*.tflite")), "models must not be committed into the app"


def test_the_core_has_no_android_dependency():
    for source in CORE_MAIN.rglob("*.java"):
        imports = re.findall(r"^import\s+([\w.]+)", source.read_text(), re.M)
        assert not [i for i in imports if i.startswith(("android.", "androidx.", "javax.imageio", "java.awt"))], source


def test_every_core_class_the_app_imports_exists():
    used = set(re.findall(r"^import org\.flowerlite\.core\.(\w+)", _kotlin_text(), re.M))
    assert {"FlowerClassifier", "ClassifierModel", "InferenceEngine"} <= used
    for name in used:
        assert (CORE_MAIN / "org/flowerlite/core" / f"{name}.java").is_file(), name


def test_the_java_crop_fraction_and_the_kotlin_file_name_reading_equal_the_sdk_release_contract():
    from flowerlite.contract import CROP_FRACTION, RELEASE_PREFIX, RELEASE_SUFFIX, VARIANTS, parse_release_name, release_file_name

    java = (CORE_MAIN / "org/flowerlite/core/ImagePreprocessor.java").read_text()
    assert [float(v) for v in re.findall(r"static final double CROP_FRACTION\s*=\s*([\d.eE+-]+)\s*;", java)] == [CROP_FRACTION]
    kotlin = (APP / "src/main/kotlin/org/flowerlite/demo/ModelVariant.kt").read_text()
    assert re.findall(r'removePrefix\("([^"]*)"\)', kotlin) == [RELEASE_PREFIX]
    assert re.findall(r'removeSuffix\("([^"]*)"\)', kotlin) == [RELEASE_SUFFIX]
    assert re.findall(r'endsWith\("(-[^"]*)"\)', kotlin) == ["-" + release_file_name("x", "int8").rsplit("-", 1)[1]]
    # ModelVariant cuts the stem at its last '-': right only while no variant holds one.
    assert "lastIndexOf('-')" in kotlin and not any("-" in v for v in VARIANTS)
    for variant in VARIANTS:
        stem = release_file_name("my-backbone", variant).removesuffix(RELEASE_SUFFIX).removeprefix(RELEASE_PREFIX)
        cut = stem.rindex("-")
        assert (stem[:cut], stem[cut + 1:]) == (parse_release_name(f"{RELEASE_PREFIX}{stem}{RELEASE_SUFFIX}").backbone, variant)
