"""Executes notebooks top to bottom with nbclient and the python3 kernel.

Usage: run_notebook.py [--out DIR] NOTEBOOK.ipynb [...]

Runs each notebook in the current directory, prints every cell's text output,
and exits 1 at the first failing cell after printing its source and
traceback. The notebook files are not changed. With --out DIR each executed
notebook, outputs included, is written to DIR/<name>.ipynb (also when a cell
failed), and the notebooks save their plots in DIR unless MRSWARM_NOTEBOOK_OUT
names another folder (without either, plots go to the system's temp folder;
each notebook prints where). Used by notebooks_test.go; works by hand against
any server (set MRSWARM_URL).
"""

import argparse
import os
import pathlib
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


def run(path, out_dir=None):
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
        if out_dir is not None:
            saved = out_dir / pathlib.Path(path).name
            nbformat.write(nb, saved)
            print(f"{path}: the executed notebook is saved as {saved}")
    print(f"{path}: all {len(nb.cells)} cells ran")
    return True


def main():
    parser = argparse.ArgumentParser(description="Execute Jupyter notebooks headless.")
    parser.add_argument("--out", metavar="DIR", type=pathlib.Path,
                        help="save each executed notebook (with outputs) and the plots in DIR")
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK.ipynb")
    args = parser.parse_args()
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet the kernel's debugger warning
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        args.out = args.out.resolve()
        if not os.environ.get("MRSWARM_NOTEBOOK_OUT"):
            os.environ["MRSWARM_NOTEBOOK_OUT"] = str(args.out)
    return 0 if all(run(p, args.out) for p in args.notebooks) else 1


if __name__ == "__main__":
    sys.exit(main())
