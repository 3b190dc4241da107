"""bench/get_folder helper: bench/get_helper.py for a folder torrent.

usage: get_folder_helper.py SIZE_MIB FILES RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import get_helper  # noqa: E402

if __name__ == "__main__":
    sys.exit(get_helper.main("get_folder"))
