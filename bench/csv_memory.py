"""Peak memory of reading a large product CSV (the importer's parse), and of refusing a one-line file.

    python bench/csv_memory.py [megabytes]

Writes a product CSV of about the given size (default 200) to a temporary folder, parses it in a fresh
process with ``csvformat.parse_file`` and prints the peak resident set size. Then a one-line file of the same
size, which must be refused without its line being held.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import resource, sys, time
from pathlib import Path
from vitrine.connectors.csvfile import csvformat
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    catalogue = csvformat.parse_file(path, max_bytes=1 << 40)
    outcome = f"{len(catalogue.products)} products"
except csvformat.CsvFileError as exc:
    outcome = f"refused: {str(exc)[:60]}..."
elapsed = time.perf_counter() - started
print(f"{outcome}; {elapsed:.1f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
"""


def write_catalogue(path: Path, megabytes: int) -> None:
    row = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("Handle,Title,Body (HTML),Vendor,Type,Tags,Image Src,Image Position,Image Alt Text\n")
        while out.tell() < megabytes * 1_000_000:
            row += 1
            out.write(f"product-{row},Linen shirt {row},<p>{'Soft washed linen. ' * 8}</p>,Acme,Shirts,"
                      f"\"summer, linen\",https://cdn.example/p/{row}.jpg,1,Linen shirt {row} front\n")


def write_one_line(path: Path, megabytes: int) -> None:
    with path.open("wb") as out:
        out.write(b"Handle,Title\nmug,")
        for _ in range(megabytes):
            out.write(b"A" * 1_000_000)


def measure(path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        catalogue, one_line = Path(folder) / "catalogue.csv", Path(folder) / "one-line.csv"
        write_catalogue(catalogue, megabytes)
        write_one_line(one_line, megabytes)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f}")
        print(f"catalogue CSV, {catalogue.stat().st_size / 1e6:.0f} MB: {measure(catalogue)}")
        print(f"one-line CSV, {one_line.stat().st_size / 1e6:.0f} MB: {measure(one_line)}")


if __name__ == "__main__":
    main()
