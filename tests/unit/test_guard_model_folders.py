"""The model-folder door: a damaged or hostile model folder is refused in one line and never
makes mlpay open a file outside it.

Every case starts from a copy of the shipped `models/aijobs` in tmp_path, damages it, and
loads it with `load_model(<folder>)`. Python-level opens are recorded with an audit hook and
the files handed to LightGBM's C loader by wrapping `NativeBooster`; no recorded path may
resolve outside the folder (the "outside" folder holds a valid model file and a secret).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlpay_model import cli
from mlpay_model.errors import ArtifactError, ArtifactWarning
from mlpay_model.model import _booster, load_model
from mlpay_model.model.artifact import MANIFEST_MAX_BYTES, MEMBER_MAX_BYTES

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "aijobs"

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | bytes | Path):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while _opened is set


class Folder:
    """A copy of the shipped model with an `outside` sibling, and helpers to damage it."""

    def __init__(self, root: Path):
        self.path = root / "model"
        shutil.copytree(SHIPPED, self.path)
        self.outside = root / "outside"
        self.outside.mkdir()
        self.secret = self.outside / "secret.txt"
        self.secret.write_text("secret\n")
        shutil.copy(SHIPPED / "median.txt", self.outside / "median.txt")
        self.manifest: Any = json.loads((self.path / "manifest.json").read_text())

    def save(self) -> None:
        (self.path / "manifest.json").write_text(json.dumps(self.manifest))

    def list_file(self, name: str, source: Path) -> None:
        self.manifest["files"][name] = _sha(source)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _set(*keys: str, value: Any) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        target = folder.manifest
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
        folder.save()

    return damage


def _drop(*keys: str) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        target = folder.manifest
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
        folder.save()

    return damage


def _manifest_text(text: str | bytes) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        data = text.encode() if isinstance(text, str) else text
        (folder.path / "manifest.json").write_bytes(data)

    return damage


def _list_outside_secret(name_of: Callable[[Folder], str]) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        folder.list_file(name_of(folder), folder.secret)
        folder.save()

    return damage


def _median_from(name_of: Callable[[Folder], str]) -> Callable[[Folder], None]:
    """models.median points at the valid model copy outside the folder (listed, real sha)."""

    def damage(folder: Folder) -> None:
        name = name_of(folder)
        folder.manifest["models"]["median"] = name
        folder.list_file(name, folder.outside / "median.txt")
        folder.save()

    return damage


def _symlinked_median(folder: Folder) -> None:
    (folder.path / "median.txt").unlink()
    (folder.path / "median.txt").symlink_to(folder.outside / "median.txt")
    folder.list_file("median.txt", folder.outside / "median.txt")
    folder.save()


def _symlinked_subfolder(folder: Folder) -> None:
    (folder.path / "sub").symlink_to(folder.outside, target_is_directory=True)
    folder.manifest["models"]["median"] = "sub/median.txt"
    folder.list_file("sub/median.txt", folder.outside / "median.txt")
    folder.save()


def _symlinked_manifest(folder: Folder) -> None:
    (folder.outside / "manifest.json").write_text(json.dumps(folder.manifest))
    (folder.path / "manifest.json").unlink()
    (folder.path / "manifest.json").symlink_to(folder.outside / "manifest.json")


def _symlink_loop(folder: Folder) -> None:
    (folder.path / "median.txt").unlink()
    (folder.path / "median.txt").symlink_to(folder.path / "median.txt")


def _sparse(name: str, size: int) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        with open(folder.path / name, "r+b") as handle:
            handle.truncate(size)

    return damage


def _model_text(text: bytes) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        (folder.path / "median.txt").write_bytes(text)
        folder.list_file("median.txt", folder.path / "median.txt")
        folder.save()

    return damage


def _remove(name: str) -> Callable[[Folder], None]:
    def damage(folder: Folder) -> None:
        (folder.path / name).unlink()

    return damage


def _tamper(folder: Folder) -> None:
    with open(folder.path / "low.txt", "a") as handle:
        handle.write("\n")


def _many_files(folder: Folder) -> None:
    digest = folder.manifest["files"]["median.txt"]
    folder.manifest["files"].update({f"f{i}.txt": digest for i in range(1001)})
    folder.save()


def _directory_listed(folder: Folder) -> None:
    (folder.path / "sub").mkdir()
    folder.manifest["files"]["sub"] = "0" * 64
    folder.save()


# (id, damage, words the one-line error must contain)
CASES: list[tuple[str, Callable[[Folder], None], str]] = [
    ("manifest-list", _manifest_text("[]"), "a JSON object, not a list"),
    ("manifest-string", _manifest_text('"x"'), "a JSON object, not a string"),
    ("manifest-null", _manifest_text("null"), "a JSON object, not null"),
    ("manifest-number", _manifest_text("42"), "a JSON object, not a number"),
    ("manifest-not-json", _manifest_text("{"), "not valid JSON"),
    ("manifest-not-utf8", _manifest_text(b'{"name": "\xff"}'), "not valid JSON"),
    ("manifest-deep", _manifest_text("[" * 100_000), "not valid JSON"),
    ("manifest-empty-object", _manifest_text("{}"), "schema_version None"),
    ("manifest-too-large", _sparse("manifest.json", MANIFEST_MAX_BYTES + 1), "at most"),
    ("manifest-symlink-outside", _symlinked_manifest, "outside the model folder"),
    ("schema-version-string", _set("schema_version", value="1"), "schema_version '1'"),
    ("schema-version-true", _set("schema_version", value=True), "schema_version True"),
    ("schema-version-2", _set("schema_version", value=2), "schema_version 2"),
    ("files-dotdot", _list_outside_secret(lambda f: "../outside/secret.txt"), "plain relative"),
    ("files-dotdot-deep", _list_outside_secret(lambda f: "../../etc/passwd"), "plain relative"),
    ("files-etc-passwd", _list_outside_secret(lambda f: "/etc/passwd"), "plain relative"),
    ("files-absolute", _list_outside_secret(lambda f: str(f.secret)), "plain relative"),
    ("files-inner-dotdot", _list_outside_secret(lambda f: "x/../../outside/secret.txt"), "plain"),
    ("files-dot", _list_outside_secret(lambda f: "./median.txt"), "plain relative"),
    ("files-backslash", _list_outside_secret(lambda f: "..\\outside\\secret.txt"), "plain"),
    ("files-double-slash", _list_outside_secret(lambda f: "a//b.txt"), "plain relative"),
    ("files-empty-name", _list_outside_secret(lambda f: ""), "non-empty string"),
    ("files-nul", _list_outside_secret(lambda f: "median.txt\0x"), "plain relative"),
    ("files-drive", _list_outside_secret(lambda f: "C:secret.txt"), "plain relative"),
    ("files-list", _set("files", value=["median.txt"]), "no 'files'"),
    ("files-empty", _set("files", value={}), "no 'files'"),
    ("files-bad-digest", _set("files", "low.txt", value="abc"), "must be a sha256"),
    ("files-digest-number", _set("files", "low.txt", value=7), "must be a sha256"),
    ("files-too-many", _many_files, "at most 1000"),
    ("files-directory", _directory_listed, "listed in the manifest but missing"),
    ("models-dotdot", _median_from(lambda f: "../outside/median.txt"), "plain relative"),
    ("models-absolute", _median_from(lambda f: str(f.outside / "median.txt")), "plain relative"),
    ("models-list", _set("models", value=["median.txt"]), "'models' must be an object"),
    ("models-number", _set("models", "median", value=5), "non-empty string"),
    ("models-missing-head", _drop("models", "high"), "the high model is not listed"),
    ("models-unlisted-file", _set("models", "low", value="MODEL_CARD2.md"), "low model"),
    ("symlink-file-outside", _symlinked_median, "outside the model folder"),
    ("symlink-folder-outside", _symlinked_subfolder, "outside the model folder"),
    ("symlink-loop", _symlink_loop, "median.txt"),
    ("model-too-large", _sparse("median.txt", MEMBER_MAX_BYTES + 1), "at most"),
    ("card-too-large", _sparse("MODEL_CARD.md", MEMBER_MAX_BYTES + 1), "at most"),
    ("model-garbage", _model_text(b"garbage\n" * 100), "not a LightGBM text model"),
    ("model-empty", _model_text(b""), "not a LightGBM text model"),
    ("model-binary", _model_text(bytes(range(256)) * 10), "not a LightGBM text model"),
    ("model-bad-header", _model_text(b"tree\nversion=v4\nnum_class=x\n"), "not a sound"),
    ("model-truncated", _model_text((SHIPPED / "median.txt").read_bytes()[:3000]), "not a sound"),
    (
        "model-unknown-objective",
        _model_text(
            (SHIPPED / "median.txt").read_bytes().replace(b"=regression\n", b"=nonsense\n", 1)
        ),
        "LightGBM says Unknown objective",
    ),
    (
        "model-child-cycle",
        _model_text(
            (SHIPPED / "median.txt").read_bytes().replace(b"left_child=1 ", b"left_child=0 ", 1)
        ),
        "breaks the tree",
    ),
    ("model-missing", _remove("median.txt"), "listed in the manifest but missing"),
    ("model-tampered", _tamper, "does not match the manifest"),
    ("name-missing", _drop("name"), "no 'name'"),
    ("name-number", _set("name", value=5), "'name' must be a string, not a number"),
    ("version-number", _set("version", value=1), "'version' must be a string"),
    ("features-list", _set("features", value=[]), "'features' must be an object"),
    ("features-string", _set("features", "features", value="role"), "list of strings"),
    ("categories-list", _set("features", "categories", value=[]), "categories must be an"),
    ("category-values-number", _set("features", "categories", "role", value=3), "strings"),
    ("skills-null", _set("features", "skills", value=None), "features.skills"),
    ("calibration-missing", _drop("calibration"), "no 'calibration'"),
    ("adjustment-string", _set("calibration", "adjustment", value="0.1"), "a finite number"),
    ("adjustment-nan", _set("calibration", "adjustment", value=float("nan")), "a finite number"),
    ("adjustment-bool", _set("calibration", "adjustment", value=True), "a finite number"),
    (
        "population-adjustment-string",
        _set("calibration", "by_population", value={"aijobs": "0.1"}),
        "calibration.by_population.aijobs must be a finite number",
    ),
    (
        "population-adjustments-list",
        _set("calibration", "by_population", value=[0.1]),
        "calibration.by_population must be an object",
    ),
    (
        "population-year-ahead-negative",
        _set("calibration", "year_ahead", value={"adjustment": 0.0, "by_population": {"so": -1}}),
        "calibration.year_ahead.by_population.so must be a finite number >= 0",
    ),
    ("metrics-list", _set("metrics", value=[]), "'metrics' must be an object"),
    ("data-object", _set("data", value={}), "'data' must be a list"),
    ("data-items", _set("data", value=[1]), "list of objects"),
    ("currency-number", _set("currency", value=1), "'currency' must be a string"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path)


@pytest.fixture
def recorded_opens(monkeypatch) -> list[str]:
    """Paths Python opened, plus the paths given to LightGBM's loader, while the test runs."""
    global _opened
    opened: list[str] = []
    original = _booster.NativeBooster.__init__

    def recording_init(self, path, feature_names, **options):
        opened.append(os.fspath(path))
        original(self, path, feature_names, **options)

    monkeypatch.setattr(_booster.NativeBooster, "__init__", recording_init)
    _opened = opened
    yield opened
    _opened = None


def _outside(opened: list[str], folder: Folder) -> list[str]:
    forbidden = (folder.outside.resolve(), Path("/etc").resolve())
    return [
        path
        for path in opened
        if any(Path(path).resolve().is_relative_to(place) for place in forbidden)
    ]


@pytest.mark.parametrize(("damage", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_damaged_model_folder_is_refused_in_one_line(
    folder, recorded_opens, capfd, damage, words
):
    damage(folder)
    recorded_opens.clear()  # what the damage itself wrote does not count
    with pytest.raises(ArtifactError) as caught:
        load_model(folder.path)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and len(message) < 600
    assert _outside(recorded_opens, folder) == []
    assert "[Fatal]" not in capfd.readouterr().err


def test_the_undamaged_copy_loads_and_reads_only_its_own_files(folder, recorded_opens):
    model = load_model(folder.path)
    assert model.name == "aijobs"
    assert _outside(recorded_opens, folder) == []
    root = folder.path.resolve()
    assert {Path(p).name for p in recorded_opens if Path(p).resolve().parent == root} >= {
        "manifest.json",
        "median.txt",
        "low.txt",
        "high.txt",
    }


@pytest.mark.parametrize("name", ["notes.txt", ".DS_Store", "sub/extra.bin"])
def test_files_the_manifest_does_not_list_are_reported_not_read(folder, recorded_opens, name):
    extra = folder.path / name
    extra.parent.mkdir(exist_ok=True)
    extra.write_text("x")
    recorded_opens.clear()
    with pytest.warns(ArtifactWarning, match="does not list") as caught:
        load_model(folder.path)
    assert name in str(caught[0].message)
    assert not any(Path(p).resolve() == extra.resolve() for p in recorded_opens)


def test_the_shipped_models_load_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ArtifactWarning)
        for name in ("aijobs", "kaggle", "stackoverflow"):
            load_model(SHIPPED.parent / name)


def test_a_huge_model_file_is_refused_before_it_is_read(folder, recorded_opens):
    _sparse("median.txt", 512 << 20)(folder)
    recorded_opens.clear()
    with pytest.raises(ArtifactError, match="at most"):
        load_model(folder.path)
    assert not any(Path(p).name == "median.txt" for p in recorded_opens)


CLI_CASES = [
    "manifest-list",
    "files-etc-passwd",
    "models-dotdot",
    "symlink-file-outside",
    "model-garbage",
    "model-bad-header",
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_cli_names_a_damaged_model_in_one_line_exit_2(folder, capfd, case):
    damage = {c[0]: c[1] for c in CASES}[case]
    damage(folder)
    status = cli.main(
        ["predict", "--role", "ml engineer", "--country", "US", "--model", str(folder.path)]
    )
    err = capfd.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("mlpay predict: error: ")
    assert "Traceback" not in err and "[Fatal]" not in err


FUZZ = """
import ctypes, random, re, sys
from pathlib import Path
from mlpay_model.errors import ArtifactError
from mlpay_model.model._booster import _lightgbm_library
from mlpay_model.model._model_text import check_model_text

lib = _lightgbm_library()
rng = random.Random(11)
sources = [Path(sys.argv[1], f"{head}.txt").read_bytes() for head in ("median", "low", "high")]
pattern = rb"(left_child|right_child|split_feature|threshold|decision_type|num_leaves)="
for case in range(int(sys.argv[2])):
    data = bytearray(rng.choice(sources))
    kind = case % 4
    if kind == 0:
        data = data[: rng.randrange(len(data))]
    elif kind == 1:
        for _ in range(3):
            data[rng.randrange(len(data))] = rng.choice(b"0123456789-. =\\nX")
    elif kind == 2:
        start = rng.randrange(len(data))
        del data[start : start + rng.randrange(200)]
    else:
        lines = bytes(data).split(b"\\n")
        index = rng.choice([i for i, line in enumerate(lines) if re.match(pattern, line)])
        key, _, value = lines[index].partition(b"=")
        items = value.split(b" ")
        items[rng.randrange(len(items))] = str(rng.choice([-100, -1, 0, 1, 2, 7, 2**31])).encode()
        lines[index] = key + b"=" + b" ".join(items)
        data = bytearray(b"\\n".join(lines))
    try:
        check_model_text(bytes(data), Path("fuzz.txt"))
    except ArtifactError:
        continue
    handle, iterations = ctypes.c_void_p(), ctypes.c_int(0)
    if lib.LGBM_BoosterLoadModelFromString(
        ctypes.c_char_p(bytes(data)), ctypes.byref(iterations), ctypes.byref(handle)
    ) == 0:
        lib.LGBM_BoosterFree(handle)
print("survived")
"""


def test_model_texts_the_check_accepts_never_crash_lightgbm():
    """Mutated model texts (cut, bytes changed, lines removed, child/feature indexes changed)
    that pass `check_model_text` load in LightGBM without crashing the process (without the
    check, a changed child index makes LightGBM loop or crash)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", FUZZ, str(SHIPPED), "300"],
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:].decode("utf-8", "replace")
    assert b"survived" in result.stdout


def test_the_cli_prints_an_artifact_warning_as_one_line(folder, capsys):
    (folder.path / "notes.txt").write_text("x")
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        status = cli.main(["predict", "--role", "ML Engineer", "--country", "US",
                           "--model", str(folder.path)])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 0
    lines = [line for line in err.splitlines() if "does not list" in line]
    assert lines == [
        f"mlpay predict: warning: {folder.path}: 1 file(s) the manifest does not list, "
        "ignored: notes.txt"
    ]
    assert "ArtifactWarning" not in err and "warnings.warn" not in err
    assert warnings.showwarning is before  # restored after the command


def test_other_warnings_keep_pythons_format_under_the_cli(monkeypatch, capsys):
    from mlpay_model.cli import _one_line_warnings
    from mlpay_model.data.sources import RejectedRowsWarning

    passed_on: list[type[Warning]] = []
    monkeypatch.setattr(
        warnings, "showwarning", lambda m, category, *a, **k: passed_on.append(category)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with _one_line_warnings("score"):
            warnings.warn("rows.csv: 2 of 9 row(s)\nkept out", RejectedRowsWarning, stacklevel=1)
            warnings.warn("something else", FutureWarning, stacklevel=1)
    assert capsys.readouterr().err == "mlpay score: warning: rows.csv: 2 of 9 row(s) kept out\n"
    assert passed_on == [FutureWarning]  # to the handler that was there before
