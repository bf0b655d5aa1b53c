"""benchmarks/instructions.py: callgrind's counts reach the Python functions that spent them.

The model itself is far too slow under valgrind for the suite (minutes), so the attribution is
checked, for real, on a small program whose functions' costs are known in order.
"""

import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import instructions  # noqa: E402

PROGRAM = textwrap.dedent(
    """
    import os, sys
    sys.activate_stack_trampoline("perf")

    def inner(n):
        return sum([i * i for i in range(n)])

    def outer():
        return [inner(2000) for _ in range(20)]

    def elsewhere():
        return inner(100)

    outer(); elsewhere()  # warm-up, as the tool's child makes one
    os.getppid()
    outer(); elsewhere()
    os.getppid()
    print(os.getpid())
    """
)


def _skip_without_valgrind() -> None:
    missing = [tool for tool in ("valgrind", "callgrind_annotate") if shutil.which(tool) is None]
    if missing:
        message = (
            f"INSTRUCTION-COUNT TESTS SKIPPED: {' and '.join(missing)} not found (Debian: apt-get install valgrind)"
        )
        warnings.warn(message, stacklevel=1)
        print(f"\n*** {message} ***", file=sys.stderr)
        pytest.skip(message)


def test_each_python_function_gets_its_inclusive_count(tmp_path):
    _skip_without_valgrind()
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    total, counts = instructions.count_instructions([sys.executable, str(script)])
    inner, outer, elsewhere = (counts[f"{name}:{script}"] for name in ("inner", "outer", "elsewhere"))
    # inner runs 20 times on 2,000 numbers under outer and once on 100 under elsewhere: the counts
    # are inclusive, so inner's is about its two callers' together, and each caller's holds its share.
    assert total >= inner > outer > 100 * elsewhere > 0
    assert inner == pytest.approx(outer + elsewhere, rel=0.01)


def test_unnamed_code_outside_the_stubs_is_not_attributed():
    stubs = [instructions.Stub(0x1000, 0x10, "f:a.py"), instructions.Stub(0x2000, 0x10, "g:b.py")]
    annotated = "\n".join(
        [
            "1,000 (100.0%)  PROGRAM TOTALS",
            "  900 (90.0%)  ???:0x0000000000001004 [???]",
            "  800 (80.0%)  ???:0x0000000000001004 [???]",  # the same function seen twice: its largest
            "  500 (50.0%)  ???:0x0000000000001800 [???]",  # between stubs: JIT code of nobody's
            "  300 (30.0%)  ???:0x0000000000002000 [???]",
        ]
    )
    assert instructions.attribute(annotated, stubs) == (1000, {"f:a.py": 900, "g:b.py": 300})


@pytest.mark.parametrize("option", ["--runs", "--users", "--quarters"])
def test_refuses_counts_below_one(tmp_path, option):
    record = tmp_path / "never.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "instructions.py"), option, "0", "--json", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and f"argument {option}: 0" in done.stderr
    assert "Traceback" not in done.stderr and not record.exists()


def test_refuses_a_model_parameter_out_of_range_before_measuring(tmp_path):
    record = tmp_path / "never.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "instructions.py"), "--users", "50", "--json", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "n_user_agents" in done.stderr and "50" in done.stderr
    assert "Traceback" not in done.stderr and not record.exists()
