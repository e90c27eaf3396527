#!/usr/bin/env python3
"""Configurable SMTP test server for mailpreflight's integration tests.

One process serves one *variant* (a server personality) on 127.0.0.1, built
on aiosmtpd (see requirements.txt for the pinned version).

    python3 tests/servers/smtp_server.py --variant NAME
        [--cert PEM --key PEM]        # TLS variants (all but plaintext-auth,
                                      #   no-starttls, drop-after-connect, silent,
                                      #   bad-greeting, reject-ehlo, hostile-*)
        [--user USER --pass-env VAR]  # variants that offer AUTH; the password is
                                      #   read from $VAR, never from argv
        [--store DIR]                 # write accepted messages to DIR
        [--delay-banner SECONDS]      # slow-banner only (default 5)
        [--port PORT]                 # default 0 = pick a free port

Protocol with the parent process:
  * stdout carries exactly one line, `READY <port>`, once the socket listens.
  * Logs go to stderr. The password (raw or base64) never appears in them.
  * The server exits with status 0 on SIGTERM, SIGINT, or when its stdin
    reaches EOF -- so give it a pipe as stdin and keep the write end open for
    as long as the server should live (a test that dies closes the pipe and
    takes the server down with it).
  * Exit status 2: bad command line (argparse); 1: setup failed (bad cert,
    port in use, missing password variable, non-empty store ...).

Store format (--store DIR), numbered from 1 in the order messages are accepted:
  * `<n>.eml`: the DATA content exactly as received, after the SMTP
    transparency dots are removed (RFC 5321 4.5.2) -- aiosmtpd's
    `envelope.original_content` with decode_data=False. No header is added.
  * `<n>.json`: {"mail_from", "rcpt_tos", "auth_user", "auth_mechanism",
    "tls", "tls_version"}; auth_user/auth_mechanism/tls_version are null when
    not applicable.
  Both files are in place (written to a temp name, then renamed) before the
  `250 OK` reply to DATA is sent.

Fixed behaviour shared by every SMTP variant:
  * Greeting `220 mx.test.invalid ESMTP mailpreflight test server`, EHLO name
    `mx.test.invalid`.
  * aiosmtpd's default limits, except the message size cap: 10 MiB
    (`SIZE 10485760`). SMTPUTF8 is not offered (aiosmtpd's SMTP default).
  * AUTH: right credentials `235 2.7.0 Authentication successful`, wrong ones
    `535 5.7.8 Authentication credentials invalid`. Every variant that offers
    AUTH answers MAIL/RCPT/DATA with `530 5.7.0 Authentication required`
    until the client has logged in.
  * STARTTLS variants offer AUTH only after TLS (AUTH before it gets aiosmtpd's
    `538 5.7.11 Encryption required for requested authentication mechanism`);
    a second STARTTLS inside TLS gets `503 5.5.1 TLS already active`;
    servers without STARTTLS answer it with `454 4.7.0 TLS not available`.
  * An AUTH mechanism that is not offered gets
    `504 5.5.4 Unrecognized authentication type` (ntlm-only: every AUTH once
    in TLS; no-auth: every AUTH).
  * TLS is TLS 1.2 or 1.3, except for tls-legacy (TLS 1.0/1.1 only).

Misbehaving variants (each breaks one rule; everything else as above):
  * bad-greeting: greets with `554 5.7.1 mx.test.invalid ESMTP not accepting
    connections from you`, then answers QUIT with `221 2.0.0 Bye` (and
    closes) and every other line with `503 5.5.1 Bad sequence of commands`
    (RFC 5321 3.1). Plaintext, no AUTH.
  * reject-ehlo: answers EHLO and HELO with `501 5.5.4 HELO/EHLO argument
    invalid`. Plaintext, no AUTH.
  * stall-after-ehlo: answers EHLO (STARTTLS offered), then never answers
    another command (STARTTLS, AUTH, MAIL, QUIT ...): the connection stays
    open and silent until the client leaves.
  * starttls-injection: answers STARTTLS with `220 Ready to start TLS\r\n250
    injected\r\n` in ONE write (bytes before the handshake, the CVE-2011-0411
    pattern), then does the TLS handshake as usual.
  * tls-garbage: answers STARTTLS with `220 Ready to start TLS`, waits for
    the client's first TLS bytes, answers them with the plaintext line
    `not TLS: plaintext after STARTTLS` and closes.
  * hostile-long-line: greets with `220 ` followed by 4,996 `x` and no line
    end, then sends nothing more until the client leaves. Plaintext.
  * hostile-many-lines: a normal greeting, then EHLO gets 500 `250-X-LINE-<n>`
    continuation lines before `250 HELP`. Plaintext, no AUTH.
"""

import argparse
import asyncio
import base64
import dataclasses
import hmac
import json
import logging
import os
import re
import signal
import ssl
import sys
import threading
import warnings
from typing import NamedTuple, Optional

from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    TLSSetupException,
    syntax,
)

HOSTNAME = "mx.test.invalid"
IDENT = "ESMTP mailpreflight test server"  # banner text after the hostname
DATA_SIZE_LIMIT = 10 * 1024 * 1024
MECHANISMS = ("PLAIN", "LOGIN")  # aiosmtpd's built-in AUTH mechanisms

log = logging.getLogger("smtp_server")


@dataclasses.dataclass(frozen=True)
class Variant:
    # "starttls": plaintext start + STARTTLS; "implicit": TLS from the first
    # byte; "none": no TLS at all; "raw": not SMTP (drop-after-connect, silent).
    tls: str
    # AUTH mechanisms offered; () means no AUTH and no login required.
    auth: tuple = ()
    legacy_tls: bool = False      # TLS 1.0/1.1 only
    slow_banner: bool = False     # wait --delay-banner seconds before the 220
    refuse_sender: bool = False   # MAIL FROM must equal --user
    refuse_recipient: bool = False  # RCPT TO outside example.test gets 550 5.1.1
    ntlm_only: bool = False       # offer AUTH NTLM, refuse every AUTH
    # The misbehaving variants: the name of the key in QUIRKS (the SMTP class).
    quirk: Optional[str] = None


VARIANTS = {
    "starttls-auth-after-tls": Variant("starttls", MECHANISMS),
    "implicit-tls": Variant("implicit", MECHANISMS),
    "plaintext-auth": Variant("none", MECHANISMS),
    "plain-only": Variant("starttls", ("PLAIN",)),
    "login-only": Variant("starttls", ("LOGIN",)),
    "no-auth": Variant("starttls"),
    "ntlm-only": Variant("starttls", ("NTLM",), ntlm_only=True),
    "slow-banner": Variant("starttls", MECHANISMS, slow_banner=True),
    "refuse-sender": Variant("starttls", MECHANISMS, refuse_sender=True),
    "refuse-recipient": Variant("starttls", MECHANISMS, refuse_recipient=True),
    "no-starttls": Variant("none", MECHANISMS),
    "tls-legacy": Variant("starttls", MECHANISMS, legacy_tls=True),
    "drop-after-connect": Variant("raw"),
    "silent": Variant("raw"),
    "bad-greeting": Variant("none", quirk="bad-greeting"),
    "reject-ehlo": Variant("none", quirk="reject-ehlo"),
    "stall-after-ehlo": Variant("starttls", MECHANISMS, quirk="stall-after-ehlo"),
    "starttls-injection": Variant("starttls", MECHANISMS, quirk="starttls-injection"),
    "tls-garbage": Variant("starttls", MECHANISMS, quirk="tls-garbage"),
    "hostile-long-line": Variant("none", quirk="hostile-long-line"),
    "hostile-many-lines": Variant("none", quirk="hostile-many-lines"),
}


class SetupError(Exception):
    """A problem with the command line or the environment: exit status 1."""


class AuthInfo(NamedTuple):
    """What a successful AUTH leaves in session.auth_data."""
    login: str
    mechanism: str


# ---------------------------------------------------------------------------
# Logging: stderr only, with the secret redacted and aiosmtpd's per-connection
# noise about our (deliberate) configuration dropped.
# ---------------------------------------------------------------------------

_NOISE = (
    "Session.login_data is deprecated",                 # aiosmtpd, on every AUTH
    "auth_required == True but auth_require_tls == False",  # plaintext variants
)


class _LogHygiene(logging.Filter):
    def __init__(self, secret: str):
        super().__init__()
        # aiosmtpd already masks `AUTH <mech> <response>` lines and never logs
        # AUTH LOGIN's continuation lines; this is the belt to those braces.
        self._secrets = []
        if secret:
            self._secrets = [secret, base64.b64encode(secret.encode()).decode()]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(noise in message for noise in _NOISE):
            return False
        for secret in self._secrets:
            if secret in message:
                message = message.replace(secret, "********")
                record.msg, record.args = message, ()
        return True


def setup_logging(variant: str, secret: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        f"smtp_server[{variant}] %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_LogHygiene(secret))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # aiosmtpd warns (warnings.warn) once per connection when AUTH is required
    # without TLS; plaintext AUTH is exactly what those variants are for.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


# ---------------------------------------------------------------------------
# Connection bookkeeping, so that shutdown can close every open connection.
# ---------------------------------------------------------------------------

LIVE: set = set()  # protocol objects with an open connection


class Tracked:
    """Mixin for protocols: registers the connection while it is open."""

    def connection_made(self, transport):
        LIVE.add(self)  # also called again after STARTTLS; a set is idempotent
        super().connection_made(transport)

    def connection_lost(self, exc):
        LIVE.discard(self)
        super().connection_lost(exc)


# ---------------------------------------------------------------------------
# The SMTP side.
# ---------------------------------------------------------------------------

class PreflightSMTP(Tracked, SMTP):
    """aiosmtpd's SMTP with the few behaviours aiosmtpd has no switch for."""

    def __init__(self, handler, *, banner_delay: float = 0.0, **kwargs):
        self._banner_delay = banner_delay
        super().__init__(handler, **kwargs)

    async def _handle_client(self) -> None:
        # aiosmtpd writes the 220 greeting first thing in _handle_client, so
        # sleeping here delays it without writing any byte before it.
        if self._banner_delay:
            log.info("%r: holding the banner for %.3fs", self.session.peer,
                     self._banner_delay)
            try:
                await asyncio.sleep(self._banner_delay)
            except asyncio.CancelledError:  # client left or server stops
                if self.transport is not None:
                    self.transport.close()
                raise
        await super()._handle_client()

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg: str):
        if not self.tls_context:
            # aiosmtpd's own reply here is `454 TLS not available`.
            await self.push("454 4.7.0 TLS not available")
        elif self._tls_protocol is not None:
            # aiosmtpd would start a second, nested TLS layer.
            await self.push("503 5.5.1 TLS already active")
        else:
            await super().smtp_STARTTLS(arg)


class NtlmOnlySMTP(PreflightSMTP):
    """Offers `AUTH NTLM` (after TLS) but cannot do any mechanism.

    aiosmtpd advertises every `auth_<NAME>` method, so this one only exists to
    put NTLM in the EHLO list. PLAIN and LOGIN are excluded, so aiosmtpd
    answers them with the same 504 itself.
    """

    async def auth_NTLM(self, _server, _args) -> AuthResult:
        await self.push("504 5.5.4 Unrecognized authentication type")
        return AuthResult(success=False, handled=True)


# ---------------------------------------------------------------------------
# The misbehaving variants (see the module docstring). Each overrides as little
# of aiosmtpd as it can; the client is never trusted to behave either.
# ---------------------------------------------------------------------------

async def _hold(reader: asyncio.StreamReader) -> None:
    """Reads and discards until the client leaves (or the server stops)."""
    while await reader.read(65536):
        pass


class BadGreetingSMTP(PreflightSMTP):
    """bad-greeting: refuses the session in its greeting, then accepts only QUIT."""

    async def _handle_client(self) -> None:
        # Replaces aiosmtpd's loop, which would start with a 220.
        await self.push(f"554 5.7.1 {HOSTNAME} ESMTP not accepting connections from you")
        while self.transport is not None:
            try:
                line = await self._reader.readline()
            except ValueError:  # a line beyond the reader's limit: not worth a reply
                line = b""
            if not line:
                self.transport.close()
                break
            if line.strip().upper() == b"QUIT":
                await self.push("221 2.0.0 Bye")
                self.transport.close()
                break
            await self.push("503 5.5.1 Bad sequence of commands")


class RejectEhloSMTP(PreflightSMTP):
    """reject-ehlo: no EHLO or HELO argument is good enough."""

    async def smtp_EHLO(self, hostname: str):
        await self.push("501 5.5.4 HELO/EHLO argument invalid")

    async def smtp_HELO(self, hostname: str):
        await self.push("501 5.5.4 HELO/EHLO argument invalid")


class StallAfterEhloSMTP(PreflightSMTP):
    """stall-after-ehlo: every command after EHLO/HELO waits forever.

    Blocking inside the command keeps aiosmtpd's loop from reading (and
    answering) anything else; it is cancelled when the connection is lost.
    """

    async def _stall(self, arg: str):
        log.info("%r: stalling (no reply, ever)", self.session.peer)
        await asyncio.Event().wait()

    smtp_STARTTLS = smtp_AUTH = smtp_MAIL = smtp_RCPT = smtp_DATA = _stall
    smtp_RSET = smtp_NOOP = smtp_VRFY = smtp_QUIT = _stall


class StartTlsInjectionSMTP(PreflightSMTP):
    """starttls-injection: a second reply in the same write as STARTTLS's 220."""

    _inject = False

    async def smtp_STARTTLS(self, arg: str):
        self._inject = True  # aiosmtpd's STARTTLS pushes its 220 first thing
        await super().smtp_STARTTLS(arg)

    async def push(self, status):
        if self._inject and status == "220 Ready to start TLS":
            self._inject = False
            status += "\r\n250 injected"  # push() adds the final CRLF: one write
        await super().push(status)


class TlsGarbageSMTP(PreflightSMTP):
    """tls-garbage: says 220 to STARTTLS, then answers the ClientHello in plaintext."""

    async def smtp_STARTTLS(self, arg: str):
        await self.push("220 Ready to start TLS")
        try:
            hello = await asyncio.wait_for(self._reader.read(65536), 10)
        except asyncio.TimeoutError:
            hello = b""
        log.info("%r: %d byte(s) of handshake answered with plaintext",
                 self.session.peer, len(hello))
        self._writer.write(b"not TLS: plaintext after STARTTLS\r\n")
        await self._writer.drain()
        self.transport.close()


class HostileLongLineSMTP(PreflightSMTP):
    """hostile-long-line: a 5,000-byte greeting line that never ends."""

    async def _handle_client(self) -> None:
        self._writer.write(b"220 " + b"x" * 4996)
        await self._writer.drain()
        await _hold(self._reader)
        if self.transport is not None:
            self.transport.close()


class HostileManyLinesSMTP(PreflightSMTP):
    """hostile-many-lines: an EHLO reply of 501 lines."""

    async def smtp_EHLO(self, hostname: str):
        self.session.host_name = hostname
        self.session.extended_smtp = True
        self._writer.write(b"".join(f"250-X-LINE-{n}\r\n".encode() for n in range(500))
                           + b"250 HELP\r\n")
        await self._writer.drain()


QUIRKS = {
    "bad-greeting": BadGreetingSMTP,
    "reject-ehlo": RejectEhloSMTP,
    "stall-after-ehlo": StallAfterEhloSMTP,
    "starttls-injection": StartTlsInjectionSMTP,
    "tls-garbage": TlsGarbageSMTP,
    "hostile-long-line": HostileLongLineSMTP,
    "hostile-many-lines": HostileManyLinesSMTP,
}


class Handler:
    """aiosmtpd handler hooks: EHLO clean-up, sender check, storage."""

    def __init__(self, variant: Variant, user: Optional[str], store: Optional[str]):
        self.variant = variant
        self.user = user
        self.store = store
        self.stored = 0  # number of the last message written to the store

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # The 5-argument hook must set host_name itself (aiosmtpd docs).
        session.host_name = hostname
        # With no mechanism left (no-auth), aiosmtpd would still send a bare
        # `250-AUTH ` line: drop it.
        return [line for line in responses if line.rstrip() != "250-AUTH"]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # Only reached once authenticated: aiosmtpd sends 530 before the hook.
        if self.variant.refuse_sender and address != self.user:
            log.info("refusing sender %r (logged in as %r)", address, self.user)
            return f"553 5.7.1 Sender address rejected: not owned by user {self.user}"
        return MISSING  # aiosmtpd's default: record the sender, `250 OK`

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # refuse-recipient: only mailboxes at example.test exist here (the SES-sandbox-like
        # "recipient not verified" case).
        if self.variant.refuse_recipient and not address.lower().endswith("@example.test"):
            log.info("refusing recipient %r", address)
            return f"550 5.1.1 <{address}>: Recipient address rejected: not verified"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.store is not None:
            self.stored += 1
            self._write(self.stored, server, session, envelope)
        return MISSING  # aiosmtpd's default `250 OK`

    def _write(self, n: int, server, session, envelope) -> None:
        ssl_object = server.transport.get_extra_info("ssl_object")
        auth = session.auth_data if session.authenticated else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth.login if auth else None,
            "auth_mechanism": auth.mechanism if auth else None,
            "tls": ssl_object is not None,
            "tls_version": ssl_object.version() if ssl_object else None,
        }
        # original_content: the raw bytes (decode_data=False), dots unstuffed.
        _write_atomically(os.path.join(self.store, f"{n}.eml"),
                          envelope.original_content)
        _write_atomically(os.path.join(self.store, f"{n}.json"),
                          (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
        log.info("stored message %d (%d bytes)", n, len(envelope.original_content))

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # aiosmtpd closes the connection without sending this reply.
            log.warning("TLS handshake failed: %r", error.__cause__)
            return "421 4.7.0 TLS handshake failed"
        log.exception("internal error")
        return "451 4.3.0 Internal server error"


def _write_atomically(path: str, data: bytes) -> None:
    temp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, path)


def make_authenticator(user: str, password: str):
    """aiosmtpd `authenticator` callback for PLAIN and LOGIN."""
    user_b, password_b = user.encode(), password.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (hmac.compare_digest(auth_data.login, user_b)
              & hmac.compare_digest(auth_data.password, password_b))
        # The login name is not secret; the password is never logged.
        log.info("AUTH %s as %r: %s", mechanism, auth_data.login.decode(errors="replace"),
                 "ok" if ok else "wrong credentials")
        if not ok:
            return AuthResult(success=False, handled=False)  # -> 535 5.7.8
        return AuthResult(success=True, auth_data=AuthInfo(user, mechanism))  # -> 235

    return authenticator


# ---------------------------------------------------------------------------
# The non-SMTP variants.
# ---------------------------------------------------------------------------

class DropProtocol(Tracked, asyncio.Protocol):
    """drop-after-connect: accept, then close at once without a byte."""

    def connection_made(self, transport):
        self.transport = transport
        super().connection_made(transport)
        log.info("%r: closing without a banner", transport.get_extra_info("peername"))
        transport.close()


class SilentProtocol(Tracked, asyncio.Protocol):
    """silent: accept and never send anything; close when the client does."""

    def connection_made(self, transport):
        self.transport = transport
        super().connection_made(transport)
        log.info("%r: connected, staying silent", transport.get_extra_info("peername"))

    def data_received(self, data):
        pass  # read and discard, so the client never blocks on a full buffer

    def eof_received(self):
        return False  # asyncio then closes our side too


# ---------------------------------------------------------------------------
# Setup and main loop.
# ---------------------------------------------------------------------------

def make_tls_context(cert: str, key: str, legacy: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # verify_mode CERT_NONE
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise SetupError(f"cannot load --cert {cert!r} / --key {key!r}: {error}")
    if legacy:
        # OpenSSL 3 refuses TLS < 1.2 at its default security level (the
        # handshake needs SHA-1); level 0 lets 1.0/1.1 through.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # Python deprecates the TLSv1* names
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def make_factory(args, variant: Variant, password: Optional[str]):
    """Returns (protocol factory, ssl context for the listening socket)."""
    if variant.tls == "raw":
        protocol = DropProtocol if args.variant == "drop-after-connect" else SilentProtocol
        return protocol, None

    tls_context = None
    if variant.tls != "none":
        tls_context = make_tls_context(args.cert, args.key, variant.legacy_tls)
    handler = Handler(variant, args.user, args.store)
    kwargs = dict(
        hostname=HOSTNAME,
        ident=IDENT,
        data_size_limit=DATA_SIZE_LIMIT,
        decode_data=False,
        # STARTTLS is offered when the SMTP object has a context; for implicit
        # TLS the listening socket does the TLS and no STARTTLS is offered.
        tls_context=tls_context if variant.tls == "starttls" else None,
        # aiosmtpd only knows about STARTTLS-made TLS: with implicit TLS it
        # would never offer AUTH, so there "TLS required" must be off (the
        # socket is TLS-only anyway). Plaintext variants offer AUTH in clear.
        # no-auth has no mechanism, so AUTH gets 504 there with or without TLS.
        auth_require_tls=variant.tls == "starttls" and bool(variant.auth),
        auth_required=bool(variant.auth),
        auth_exclude_mechanism=[m for m in MECHANISMS if m not in variant.auth],
        authenticator=make_authenticator(args.user, password) if variant.auth else None,
        banner_delay=args.delay_banner if variant.slow_banner else 0.0,
    )
    smtp_class = NtlmOnlySMTP if variant.ntlm_only else PreflightSMTP
    if variant.quirk:
        smtp_class = QUIRKS[variant.quirk]

    def factory():
        return smtp_class(handler, **kwargs)

    return factory, tls_context if variant.tls == "implicit" else None


def check_args(args, variant: Variant) -> Optional[str]:
    """Validates the combination of options; returns the password (or None)."""
    if variant.tls in ("starttls", "implicit") and not (args.cert and args.key):
        raise SetupError(f"--variant {args.variant} needs --cert and --key")
    password = None
    if variant.auth:
        if not (args.user and args.pass_env):
            raise SetupError(f"--variant {args.variant} needs --user and --pass-env")
        password = os.environ.get(args.pass_env)
        if password is None:
            raise SetupError(f"environment variable {args.pass_env} (--pass-env) is not set")
    if args.delay_banner < 0:
        raise SetupError("--delay-banner must be >= 0")
    if args.store is not None:
        os.makedirs(args.store, exist_ok=True)
        # Numbering starts at 1: refuse a store holding an earlier run's files.
        old = [f for f in os.listdir(args.store) if re.fullmatch(r"\d+\.(eml|json)", f)]
        if old:
            raise SetupError(f"--store {args.store!r} already holds {sorted(old)[0]}")
    return password


def watch_stdin(loop: asyncio.AbstractEventLoop, stop) -> None:
    """Thread body: read (and discard) stdin; on EOF, stop the server."""
    try:
        while os.read(0, 65536):
            pass
    except OSError:  # no usable stdin counts as EOF
        pass
    try:
        loop.call_soon_threadsafe(stop, "stdin reached EOF")
    except RuntimeError:  # the loop has already finished
        pass


async def serve(args, factory, listen_ssl) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def stop(reason: str) -> None:
        if not stopping.is_set():
            log.info("stopping: %s", reason)
            stopping.set()

    try:
        server = await loop.create_server(factory, host="127.0.0.1", port=args.port,
                                          ssl=listen_ssl)
    except OSError as error:
        raise SetupError(f"cannot listen on 127.0.0.1:{args.port}: {error}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
    threading.Thread(target=watch_stdin, args=(loop, stop), daemon=True).start()

    port = server.sockets[0].getsockname()[1]
    log.info("variant %s listening on 127.0.0.1:%d", args.variant, port)
    print(f"READY {port}", flush=True)

    await stopping.wait()
    server.close()
    for protocol in list(LIVE):  # server.close() leaves accepted sockets open
        if protocol.transport is not None:
            protocol.transport.abort()
    await asyncio.sleep(0)  # let connection_lost callbacks run
    # asyncio.run() cancels whatever task is still left.


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    parser.add_argument("--cert", help="PEM certificate (chain) for TLS variants")
    parser.add_argument("--key", help="PEM private key for TLS variants")
    parser.add_argument("--user", help="the one login name AUTH accepts")
    parser.add_argument("--pass-env", metavar="VAR",
                        help="name of the environment variable holding the password")
    parser.add_argument("--store", metavar="DIR", help="write accepted messages here")
    parser.add_argument("--delay-banner", type=float, default=5.0, metavar="SECONDS",
                        help="slow-banner: delay before the 220 greeting (default 5)")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    variant = VARIANTS[args.variant]
    password = os.environ.get(args.pass_env) if args.pass_env else None
    setup_logging(args.variant, password or "")
    try:
        password = check_args(args, variant)
        factory, listen_ssl = make_factory(args, variant, password)
        asyncio.run(serve(args, factory, listen_ssl))
    except SetupError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
