"""`python -m benchmarks run ...` / `python -m benchmarks compare A.json B.json`."""

from benchmarks.cli import main

raise SystemExit(main())
