"""An SMTP server on loopback that accepts every message and appends one JSON line per
message (Message-ID, recipients, size) to a file: the load test's mail recipient.

    python bench/loadtest/smtp_sink.py --port 2525 --out received.jsonl
"""
import argparse
import email
import json
import signal
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str):
        self.path, self.lock = path, threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content)
        line = json.dumps({"message_id": message.get("Message-ID"),
                           "to": envelope.rcpt_tos, "bytes": len(envelope.content)})
        with self.lock, open(self.path, "a") as out:
            out.write(line + "\n")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
