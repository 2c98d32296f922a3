"""How long `lessonloop --help` and `lessonloop lessons lint` take from a cold process (issue 11: <= 0.5 s).

Prints the median, min and max of wall-clock and CPU seconds over --runs runs. Byte-code caching is left on
(as in any installed copy): the first, warming run is not counted. CPU time is what the command itself
costs; wall time also shows how busy the machine is."""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {"--help": ["--help"], "lessons lint": ["lessons", "lint"]}


def _run(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        args,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int = 5) -> dict[str, dict[str, list[float]]]:
    exe = shutil.which("lessonloop") or os.path.join(os.path.dirname(sys.executable), "lessonloop")
    results = {}
    for name, args in COMMANDS.items():
        _run([exe, *args])  # warm: byte-code written, files in the page cache
        samples = [_run([exe, *args]) for _ in range(runs)]
        results[name] = {"wall": [w for w, _ in samples], "cpu": [c for _, c in samples]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.runs)
    for name, figures in results.items():
        for kind, values in figures.items():
            print(
                f"lessonloop {name:13} {kind:4}: median {statistics.median(values):.3f} s "
                f"(min {min(values):.3f}, max {max(values):.3f}) over {args.runs} runs"
            )
    print(
        "RESULT "
        + json.dumps(
            {
                f"{name} {kind}_s": statistics.median(values)
                for name, figures in results.items()
                for kind, values in figures.items()
            }
        )
    )


if __name__ == "__main__":
    main()
