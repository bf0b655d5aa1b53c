#!/usr/bin/env bash
# Run a sovai sweep inside one Slurm allocation: a Dask scheduler, one single-threaded Dask worker
# per remaining task, and the sweep itself (the driver, light: it writes the results).
#
#   sbatch experiments/slurm_example.sh experiments/levers_lhs.toml results/levers-lhs
#
# Size: as shipped it asks for 4 tasks (1 scheduler + 3 workers), 1 CPU each, which fits one node of
# 4 or more CPUs. For more workers change --ntasks below or on the command line, which wins over
# these lines: `sbatch --ntasks=64 experiments/slurm_example.sh ...` (Slurm places the tasks on as
# many nodes as it needs). Add --account and --partition if your cluster wants them.
#
# If the job hits its time limit or fails, submit the same command again: the sweep resumes and
# runs only what is missing. Environment variables:
#   SOVAI_VENV   the Python environment with sovai installed (default: .venv, as `make venv` makes it)
# Extra arguments after OUT_DIR go to `sovai sweep` (e.g. --model mymodels:run).
#
#SBATCH --job-name=sovai-sweep
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=2G
#SBATCH --time=02:00:00
#SBATCH --output=sovai-sweep-%j.log
set -euo pipefail

EXPERIMENT=${1:?usage: sbatch slurm_example.sh EXPERIMENT.toml [OUT_DIR] [sovai sweep options]}
OUT=${2:-results/$(basename "$EXPERIMENT" .toml)}
NTASKS=${SLURM_NTASKS:?run this script with sbatch (SLURM_NTASKS is not set)}
if (( NTASKS < 2 )); then
    echo "slurm_example.sh: needs at least 2 tasks (1 scheduler + workers)" >&2
    exit 2
fi
# shellcheck disable=SC1091
source "${SOVAI_VENV:-.venv}/bin/activate"

# The scheduler and workers behave as sovai's local cluster does: one task per worker at a time,
# and a task whose worker dies twice is handed back to the sweep, which re-runs it run by run.
export DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1
export DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=1.0
export DASK_LOGGING__DISTRIBUTED=warning   # Dask's warnings and errors only, in the job log

# The scheduler file must be on a filesystem that every node sees (the submit directory usually is).
SCHEDULER_FILE="${SLURM_SUBMIT_DIR:-$PWD}/.dask-scheduler-${SLURM_JOB_ID:-$$}.json"
rm -f "$SCHEDULER_FILE"
# Dask's own messages (connections, and the noise of workers stopping) go to a log of their own, so
# the job's log is the sweep's.
DASK_LOG="${SLURM_SUBMIT_DIR:-$PWD}/sovai-dask-${SLURM_JOB_ID:-$$}.log"
PIDS=()
cleanup() {
    # Stop workers and scheduler through the scheduler (a clean shutdown); their job steps then end
    # by themselves. Only a step still running after that is stopped (Slurm would log it as killed).
    if [[ -s $SCHEDULER_FILE ]]; then
        timeout 60 python -c 'import sys; from distributed import Client
Client(scheduler_file=sys.argv[1], timeout="20s").shutdown()' "$SCHEDULER_FILE" >/dev/null 2>&1 || true
    fi
    for _ in $(seq 150); do
        running=()
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && running+=("$pid"); done
        (( ${#running[@]} )) || break
        sleep 0.2
    done
    if (( ${#running[@]} )); then
        kill "${running[@]}" 2>/dev/null || true
        wait "${running[@]}" 2>/dev/null || true
    fi
    rm -f "$SCHEDULER_FILE"
}
trap cleanup EXIT

# One task runs the scheduler (random port, no dashboard)...
srun --ntasks=1 --nodes=1 --cpus-per-task=1 \
    dask scheduler --scheduler-file "$SCHEDULER_FILE" --port 0 --no-dashboard 2>>"$DASK_LOG" &
PIDS+=($!)
for _ in $(seq 300); do
    [[ -s $SCHEDULER_FILE ]] && break
    sleep 0.2
done
[[ -s $SCHEDULER_FILE ]] || { echo "slurm_example.sh: the Dask scheduler did not start" >&2; exit 1; }

# ...every other task one single-threaded worker, with the memory Slurm gives its CPU.
MEMORY_LIMIT=${SLURM_MEM_PER_CPU:+${SLURM_MEM_PER_CPU}MB}
srun --ntasks=$(( NTASKS - 1 )) --cpus-per-task=1 \
    dask worker --scheduler-file "$SCHEDULER_FILE" --nthreads 1 --nworkers 1 --no-dashboard \
    --memory-limit "${MEMORY_LIMIT:-auto}" 2>>"$DASK_LOG" &
PIDS+=($!)

# The sweep waits for workers, runs what is missing and streams results to OUT.
sovai sweep "$EXPERIMENT" --out "$OUT" --scheduler-file "$SCHEDULER_FILE" "${@:3}"
