"""The `sovai` front door: public API, `python -m sovai`, `--version`, and one-way imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sovai

ROOT = Path(__file__).resolve().parents[2]

#: Layers, lowest first: a module may import its own layer and the ones below, never one above.
LAYERS: dict[str, int] = {"sim": 0, "agents": 0, "experiments": 1, "analysis": 2, "app": 3, "sovai": 4}


def imported_packages(path: Path) -> set[str]:
    """Top-level project packages a module imports anywhere in it (functions included), by name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    # importlib.import_module("pkg.mod") with a literal name counts too (the CLI registers commands so)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = node.value.split(".")[0]
            if head in LAYERS and node.value.count(".") == 1 and node.value.replace(".", "").isidentifier():
                found.add(head)
    return found & LAYERS.keys()


def test_imports_flow_one_way_model_experiments_analysis_front_door():
    upward = []
    for package, layer in LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            for target in imported_packages(path):
                if LAYERS[target] > layer:
                    upward.append(f"{path.relative_to(ROOT)} imports {target}")
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from analysis.figures import x\n    import sovai.cli\n")
    assert imported_packages(module) == {"analysis", "sovai"}


def test_import_sovai_gives_the_public_api(tmp_path):
    assert {"run", "load_scenario", "SovereignAIModel", "load"} <= set(dir(sovai))
    params = sovai.load_scenario("baseline")
    result = sovai.run({**params, "n_user_agents": 200}, seed=1, quarters=2)
    assert len(result["timeseries"]) == 2
    model = sovai.SovereignAIModel(rng=1, n_user_agents=200, quarters=2)
    model.step()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sovai.nope


def test_python_m_sovai_and_version():
    done = subprocess.run([sys.executable, "-m", "sovai", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == f"sovai {sovai.__version__}"
    done = subprocess.run([sys.executable, "-m", "sovai", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    for command in ("run", "scenarios", "params", "sweep", "sensitivity", "compare", "report", "calibrate", "ui"):
        assert f"    {command}" in done.stdout, command


def test_a_users_own_sim_py_does_not_shadow_the_front_door(tmp_path):
    (tmp_path / "sim.py").write_text("raise SystemExit('the user file was imported')\n")
    (tmp_path / "analysis.py").write_text("raise SystemExit('the user file was imported')\n")
    done = subprocess.run([sys.executable, "-m", "sovai", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_closed_pipe_ends_quietly():
    done = subprocess.run(
        f"'{sys.executable}' -m sovai params | head -n 2", shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""
    # the pipeline's own status aside, sovai itself stops without a traceback
    process = subprocess.Popen(
        [sys.executable, "-m", "sovai", "params"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    process.stdout.read(10)
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait() in (0, 1) and "Traceback" not in err and "BrokenPipe" not in err, err  # 0 if all fit the pipe
