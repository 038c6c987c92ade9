"""`python -m helpdesk.launcher [--host H] [--port P]`: the development web server and the
background worker side by side, as `make run` starts them. One command: Ctrl-C (or either
process ending) stops both."""
import argparse
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 10


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "helpdesk", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: stopping.append(number))
    children = [
        subprocess.Popen(_flask("worker")),  # noqa: S603 (our own interpreter and app)
        subprocess.Popen(_flask("run", "--host", args.host, "--port", str(args.port))),  # noqa: S603
    ]
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()  # the worker finishes the task at hand first
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    failed = [child.returncode for child in children if child.returncode not in (0, None)]
    return 0 if stopping or not failed else failed[0]


if __name__ == "__main__":
    sys.exit(main())
