"""A small progress display for long exports: numbered steps with elapsed times on stderr."""
import sys
import time
from contextlib import contextmanager


class Progress:
    """Prints `[i/n] label ... 12.3 s` lines; `total` may grow as the plan becomes known."""

    def __init__(self, total: int = 0, stream=sys.stderr):
        self.total = total
        self.done = 0
        self.stream = stream
        self.started = time.monotonic()

    @contextmanager
    def step(self, label: str):
        self.done += 1
        prefix = f"[{self.done}/{max(self.total, self.done)}]"
        print(f"{prefix} {label} ...", file=self.stream, flush=True)
        t0 = time.monotonic()
        try:
            yield
        except BaseException:
            print(f"{prefix} {label} FAILED after {time.monotonic() - t0:.1f} s", file=self.stream, flush=True)
            raise
        print(f"{prefix} {label} done in {time.monotonic() - t0:.1f} s "
              f"(total {time.monotonic() - self.started:.0f} s)", file=self.stream, flush=True)

    def info(self, message: str):
        print(f"      {message}", file=self.stream, flush=True)
