"""Executes notebooks top to bottom with nbclient and the python3 kernel.

Usage: run_notebook.py NOTEBOOK.ipynb [...]

Runs each notebook in the current directory without changing the file, prints
every cell's text output, and exits 1 at the first failing cell after printing
its source and traceback. Used by notebooks_test.go; works by hand against any
server (set MRSWARM_URL).
"""

import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT = 900  # seconds; an agent run with a slow local model takes a while


def text_of(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") + "\n" if data else ""


def run(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": "."}})
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"{path}: a cell failed:\n{e}", file=sys.stderr)
        return False
    finally:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.get("outputs"):
                print(f"--- {path} cell {i}")
                print("".join(text_of(o) for o in cell.outputs)[:4000])
    print(f"{path}: all {len(nb.cells)} cells ran")
    return True


if __name__ == "__main__":
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet the kernel's debugger warning
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(0 if all(run(p) for p in sys.argv[1:]) else 1)
