"""Mail transport: where messages go, named by MAIL_URL.

* `smtp://user:pass@host:port` (`?starttls=1` to upgrade the connection) and
  `smtps://…` (TLS from the start), through the standard library's `smtplib`: one
  connection for a batch of messages (a job's chunk).
* `file:///path/to/folder` (the default, under instance/): one `.eml` per message, so the
  demo and the tests need nothing installed; the app's 送信済みメール (file) page reads it.

Messages are built with the standard `email` package (text/plain, UTF-8). A message's
outcome tells apart what was refused (safe to send again) from what may have left (the
connection broke during the message: M7 says never send it again by itself).
"""

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 20


class Delivery(StrEnum):
    sent = "sent"
    refused = "refused"      # the server said no, or nothing was tried: not sent
    uncertain = "uncertain"  # the connection broke during the message: maybe sent


@dataclass(frozen=True)
class Outgoing:
    """One message as plain data (built into an EmailMessage at the call)."""

    message_id: str
    from_header: str
    to_address: str
    subject: str
    body: str
    bcc: str | None = None

    def build(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.from_header
        message["To"] = self.to_address
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = self.message_id
        message.set_content(self.body, charset="utf-8")
        return message

    def recipients(self) -> list[str]:
        return [self.to_address, *([self.bcc] if self.bcc else [])]


class Reason(StrEnum):
    """Why a message was not (surely) sent; the step says it in the operator's words."""

    no_server = "no_server"              # the connection could not be opened
    server_refused = "server_refused"    # the server answered no (detail: its answer)
    connection_lost = "connection_lost"  # broke during the message: maybe sent
    not_tried = "not_tried"              # after a lost connection, never tried
    no_folder = "no_folder"              # the file sink cannot be written


@dataclass(frozen=True)
class Result:
    delivery: Delivery
    reason: Reason | None = None
    detail: str = ""


class MailUnavailable(Exception):
    """No connection to the mail server: nothing was sent."""


class UnknownMailUrl(ValueError):
    pass


@dataclass(frozen=True)
class Transport:
    scheme: str
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    folder: Path | None = None

    @classmethod
    def from_url(cls, url: str) -> "Transport":
        parts = urlsplit(url)
        if parts.scheme == "file":
            return cls("file", folder=Path(unquote(parts.netloc + parts.path)))
        if parts.scheme in {"smtp", "smtps"}:
            query = parse_qs(parts.query)
            return cls(parts.scheme, parts.hostname or "localhost",
                       parts.port or (465 if parts.scheme == "smtps" else 25),
                       unquote(parts.username) if parts.username else None,
                       unquote(parts.password) if parts.password else None,
                       starttls=query.get("starttls", ["0"])[0] in {"1", "true", "yes"})
        raise UnknownMailUrl(f"MAIL_URL must be smtp://, smtps:// or file://, not {url!r}")

    def send_all(self, messages: list[Outgoing]) -> list[Result]:
        """Send the messages over one connection; a result per message, in order. A
        connection that cannot be opened refuses them all (MailUnavailable's message)."""
        try:
            with self._connection() as send:
                results: list[Result] = []
                for message in messages:
                    result = send(message)
                    results.append(result)
                    if result.delivery is Delivery.uncertain:
                        break  # the connection is gone: the rest were never tried
                return results + [Result(Delivery.refused, Reason.not_tried)
                                  for _ in messages[len(results):]]
        except MailUnavailable as error:
            return [Result(Delivery.refused, Reason.no_server, str(error)) for _ in messages]

    @contextmanager
    def _connection(self) -> Iterator:
        if self.scheme == "file":
            yield self._write
            return
        try:
            smtp = (smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS,
                                     context=ssl.create_default_context())
                    if self.scheme == "smtps"
                    else smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS))
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise MailUnavailable(str(error)) from error

        def send(message: Outgoing) -> Result:
            try:
                smtp.send_message(message.build(), to_addrs=message.recipients())
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError) as error:
                return Result(Delivery.refused, Reason.server_refused, _describe(error))
            except (OSError, smtplib.SMTPException) as error:
                return Result(Delivery.uncertain, Reason.connection_lost, str(error))
            return Result(Delivery.sent)

        try:
            yield send
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _write(self, message: Outgoing) -> Result:
        assert self.folder is not None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = message.message_id.strip("<>").replace("/", "_").replace("@", "_at_")
            (self.folder / f"{name}.eml").write_bytes(message.build().as_bytes())
        except OSError as error:
            return Result(Delivery.refused, Reason.no_folder, str(error))
        return Result(Delivery.sent)


def _describe(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {text.decode(errors='replace')}"
                         for address, (code, text) in error.recipients.items())
    code = getattr(error, "smtp_code", "")
    text = getattr(error, "smtp_error", b"")
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"

