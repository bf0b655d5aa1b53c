"""Every command the README and docs/ show in a shell block runs as shown, at a small size.

The commands of each page run in order in a fresh folder (so ``results/...`` from one command feeds
the next, as for a reader following the page), with these changes, all about size or speed:

- ``sovai run``: 300 user agents and 8 quarters (``--set n_user_agents=300 --quarters 8``);
- ``sovai sweep FILE``: a trial of the design (``--samples``, ``--replications 1``) written to the
  folder the command as shown would use, in this process (``--workers 1``);
- ``sovai compare FILE``: 2 replications of 4 quarters, in this process;
- ``sovai sensitivity``: without figures;
- ``sovai validate``: 2 seeds of 200 user agents over 20 quarters (the shortest it allows), in this process;
- ``make run`` is what the Makefile runs, ``sovai run --scenario baseline``.

``make test`` (this suite) and ``sbatch ...`` (tests/experiments/test_sweep_slurm_real.py runs the
script on a real Slurm) are the only commands not run here.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from experiments.errors import ExperimentError
from experiments.spec import load_experiment
from experiments.sweep import SweepOptions, default_folder_name

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = {"make test": "the test suite itself", "sbatch": "run on a real Slurm by test_sweep_slurm_real.py"}
#: sovai subcommands the docs show that are not run here, and where they are tested instead.
NOT_RUN_COMMANDS = {
    "ui": "a server that runs until stopped: started for real by tests/app/test_page_browser.py",
    "discover": "needs a full sweep to find any box: run on a sweep by tests/analysis/test_discovery.py",
    "optimise": "a search of minutes: run on ZDT1 and a tiny ensemble by tests/analysis/test_optimise.py",
}
#: Design sizes for the trial of each design (Sobol' N is rounded up to a power of two anyway).
TRIAL_SAMPLES = {"sobol": 2, "morris": 2, "fast": 65}
#: `sovai validate` as a trial: two seeds (the fewest a t interval needs), small runs, to FY2030Q4.
VALIDATE_TRIAL = ["--seeds", "2", "--agents", "200", "--quarters", "20", "--workers", "1"]


def shell_commands(page: Path) -> list[list[str]]:
    """The commands in a page's ``sh`` blocks, split as the shell would (comments dropped)."""
    commands = []
    for token in MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8")):
        if token.type == "fence" and token.info.strip() in ("sh", "bash", "shell", "console"):
            for line in token.content.splitlines():
                for part in line.split("&&"):
                    argv = shlex.split(part, comments=True)
                    if argv:
                        commands.append(argv)
    return commands


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def _without(argv: list[str], *names: str) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        else:
            out.append(arg)
    return out


def small(argv: list[str], cwd: Path) -> list[str] | str:
    """The command to run for ``argv`` (see the module docstring), or why it is not run."""
    line = " ".join(argv)
    for prefix, why in NOT_RUN.items():
        if line.startswith(prefix):
            return why
    if argv[:2] == ["make", "run"]:
        argv = ["sovai", "run", "--scenario", "baseline"]
    if argv[0].endswith("/sovai") or argv[0] == "sovai":
        argv = ["sovai", *argv[1:]]
    elif argv[0] == "python":
        return [sys.executable, *argv[1:]]
    else:
        raise AssertionError(f"the docs show a command this test does not know how to run: {line}")
    command = argv[1] if len(argv) > 1 else ""
    if command in NOT_RUN_COMMANDS:
        return NOT_RUN_COMMANDS[command]
    if command == "run" and "--params" not in argv:  # a params file from an earlier command is small already
        # Keep the folder the command names as shown, so a later `--params results/…/params.toml` finds it.
        from sim.outputs import default_run_folder
        from sovai.cli import build_parser
        from sovai.commands import resolve_run

        args = build_parser().parse_args(argv[1:])
        shown = default_run_folder(*resolve_run(args), source=args.scenario)
        argv = [*argv, "--set", "n_user_agents=300", "--quarters", "8"]
        argv += [] if "--out" in argv else ["--out", str(shown)]
    elif command == "sweep" and argv[2] != "status":
        samples, reps = _option(argv, "--samples"), _option(argv, "--replications")
        exp = load_experiment(
            argv[2], samples=int(samples) if samples else None, replications=int(reps) if reps else None
        )
        shown = SweepOptions(samples=int(samples) if samples else None, replications=int(reps) if reps else None)
        out = _option(argv, "--out") or str(Path("results") / default_folder_name(exp, shown))
        trial = [] if exp.design == "grid" else ["--samples", str(TRIAL_SAMPLES.get(exp.design, 3))]
        argv = [*_without(argv, "--samples", "--replications", "--out", "--workers"), *trial]
        argv += ["--replications", "1", "--out", out, "--workers", "1"]
    elif command == "compare":
        argv = [*_without(argv, "--replications", "--quarters", "--workers"), "--replications", "2", "--quarters", "4"]
        argv += ["--workers", "1"]
    elif command == "sensitivity":
        argv = [*argv, "--no-figures"]
    elif command == "validate":  # every probe still runs and the page is still written, from fewer, smaller runs
        argv = [*_without(argv, "--seeds", "--agents", "--quarters", "--workers"), *VALIDATE_TRIAL]
    return [sys.executable, "-m", *argv]


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if shell_commands(p)], ids=lambda p: p.name)
def test_every_shell_command_a_page_shows_runs(page, tmp_path):
    commands = shell_commands(page)
    ran = 0
    for argv in commands:
        try:
            command = small(argv, tmp_path)
        except ExperimentError as err:
            pytest.fail(f"{page.name}: {' '.join(argv)}: {err}")
        if isinstance(command, str):
            continue
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{page.name}: {' '.join(argv)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, done.stderr
        ran += 1
    assert ran > 0 or all(isinstance(small(a, tmp_path), str) for a in commands)


def test_the_extraction_finds_the_readme_commands():
    commands = [" ".join(argv) for argv in shell_commands(ROOT / "README.md")]
    assert ".venv/bin/sovai scenarios" in commands and "make test" in commands
    assert small(["sbatch", "x.sh"], ROOT) == NOT_RUN["sbatch"]
