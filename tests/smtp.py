"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests
and bench/mail_bench.py: `with smtp_sink() as sink: ... sink.messages`; `smtp_sink(delay=s)`
takes `s` seconds over each message (a slow server, to stop a worker in mid-send)."""

import asyncio
import contextlib
import email
import socket
import threading
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """The aiosmtpd handler: every message accepted, kept parsed with its envelope."""

    def __init__(self, delay: float = 0):
        self.delay = delay
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


class Sink:
    def __init__(self, controller: Controller, collector: Collector):
        self.controller = controller
        self.collector = collector
        self.url = f"smtp://{controller.hostname}:{controller.port}"

    @property
    def messages(self) -> list[Message]:
        with self.collector.lock:
            return [message for _to, message in self.collector.received]

    @property
    def envelopes(self) -> list[list[str]]:
        with self.collector.lock:
            return [to for to, _message in self.collector.received]

    def clear(self) -> None:
        with self.collector.lock:
            self.collector.received.clear()


@contextlib.contextmanager
def smtp_sink(delay: float = 0):
    collector = Collector(delay)
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Sink(controller, collector)
    finally:
        controller.stop()


def body_of(message: Message) -> str:
    """The text body, with the line ends it was written with (SMTP sends CRLF)."""
    text = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return text.replace("\r\n", "\n")
