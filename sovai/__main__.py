"""``python -m sovai``: the command line."""

import os
import sys
from pathlib import Path

# `python -m` puts the working directory first on the path, so a user's own sim.py or analysis.py
# would shadow the model's packages. Drop it, as the `sovai` console script never has it; a model named
# by `--model mymod:f` is still found (experiments.models looks in the working directory last).
if sys.path[:1] in ([""], [os.getcwd()]) and Path(__file__).resolve().parent.parent != Path.cwd().resolve():
    del sys.path[0]

from sovai.cli import main  # noqa: E402  (after the path is set)

sys.exit(main())
