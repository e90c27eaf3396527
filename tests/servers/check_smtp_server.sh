#!/usr/bin/env bash
# Self-check for tests/servers/smtp_server.py: starts every variant for real on
# 127.0.0.1 and talks to it with python3's smtplib, raw sockets and
# `openssl s_client`. Needs python3 with aiosmtpd (requirements.txt) and the
# openssl CLI. Takes about 30 s. Prints one line per check and a closing
# "N passed, N failed" line; exits non-zero if any check failed.
#
#   bash tests/servers/check_smtp_server.sh            # all checks
#   KEEP=1 bash tests/servers/check_smtp_server.sh     # keep the temp dir (logs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; else echo "work dir: $work"; fi

# A throwaway CA and a server certificate for 127.0.0.1 / localhost.
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=mailpreflight throwaway test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
  openssl verify -CAfile ca.pem server.pem >/dev/null
)

exec python3 - "$here/smtp_server.py" "$work" <<'PY'
import atexit, base64, os, re, select, signal, smtplib, socket, ssl, subprocess, sys, time, json
import warnings

warnings.filterwarnings("ignore", "ssl.TLSVersion.TLSv1", DeprecationWarning)

SERVER, WORK = sys.argv[1], sys.argv[2]
CA, CERT, KEY = (os.path.join(WORK, f) for f in ("ca.pem", "server.pem", "server.key"))
USER, PASSWORD = "alice@example.test", "Pa55-w0rd:check"  # PASSWORD only via env
PASSWORD_FORMS = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
                  base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]
BANNER = "220 mx.test.invalid ESMTP mailpreflight test server"
BASE = ["250-mx.test.invalid", "250-SIZE 10485760", "250-8BITMIME"]
AUTH_REQUIRED = "530 5.7.0 Authentication required"
AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_BAD = "535 5.7.8 Authentication credentials invalid"
NO_MECH = "504 5.5.4 Unrecognized authentication type"
NEED_TLS = "538 5.7.11 Encryption required for requested authentication mechanism"
NO_TLS = "454 4.7.0 TLS not available"

passed = failed = 0
started = []  # every server process, killed at exit if still running


@atexit.register
def _kill_leftovers():
    for proc in started:
        if proc.poll() is None:
            proc.kill()


def _crash(*exc_info):  # an unexpected exception still ends with the summary line
    sys.__excepthook__(*exc_info)
    print(f"{passed} passed, {failed + 1} failed")


sys.excepthook = _crash


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}  {detail}")


def expect(name, got, want):
    check(name, got == want, f"\n      got:  {got!r}\n      want: {want!r}")


def client_ctx(legacy=False):
    ctx = ssl.create_default_context(cafile=CA)  # verifies the chain and 127.0.0.1
    if legacy:  # the client side of OpenSSL 3 also needs level 0 for TLS < 1.2
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


class Server:
    """One smtp_server.py subprocess; stdin is a pipe we hold open."""
    count = 0

    def __init__(self, variant, *extra, store=False, auth=True, tls=True, port=0):
        Server.count += 1
        self.variant = variant
        self.log = os.path.join(WORK, f"server{Server.count}-{variant}.log")
        self.store = os.path.join(WORK, f"store{Server.count}") if store else None
        cmd = [sys.executable, SERVER, "--variant", variant, "--port", str(port), *extra]
        if tls:
            cmd += ["--cert", CERT, "--key", KEY]
        if auth:
            cmd += ["--user", USER, "--pass-env", "CHECK_SMTP_PASSWORD"]
        if self.store:
            cmd += ["--store", self.store]
        env = dict(os.environ, CHECK_SMTP_PASSWORD=PASSWORD)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.log, "wb"), env=env)
        started.append(self.proc)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        m = re.fullmatch(r"READY (\d+)\n", line)
        if not m:
            self.proc.kill()
            raise SystemExit(f"{variant}: no READY line (got {line!r}); see {self.log}")
        self.port = int(m.group(1))

    def stop(self, how="eof"):
        """Stops the server (stdin EOF, SIGTERM or SIGINT); returns (rc, seconds)."""
        start = time.monotonic()
        if how == "eof":
            self.proc.stdin.close()
        else:
            self.proc.send_signal(signal.SIGTERM if how == "term" else signal.SIGINT)
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "hung"
        rest = self.proc.stdout.read()
        expect(f"{self.variant}: nothing on stdout after READY", rest, b"")
        log = open(self.log, encoding="utf-8", errors="replace").read()
        leaked = [f for f in PASSWORD_FORMS if f in log]
        check(f"{self.variant}: password not in the log", not leaked, repr(leaked))
        check(f"{self.variant}: no traceback in the log", "Traceback" not in log, self.log)
        return rc, time.monotonic() - start


class Raw:
    """A line-level SMTP client that returns the exact reply lines."""

    def __init__(self, port, implicit=False, timeout=10, variant="?"):
        self.variant = variant
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if implicit:
            self.sock = client_ctx().wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.buf = b""

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    return lines + ["<EOF>"]
                self.buf += data
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode())
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def one(self, line):  # a one-line reply, as a string
        return "\n".join(self.cmd(line))

    def starttls(self, legacy=False):
        expect(f"{self.variant}: STARTTLS reply", self.cmd("STARTTLS"), ["220 Ready to start TLS"])
        self.sock = client_ctx(legacy).wrap_socket(self.sock, server_hostname="127.0.0.1")
        return self.sock.version()

    def close(self):
        self.sock.close()


def auth_plain(raw, password=PASSWORD):
    blob = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
    return raw.one(f"AUTH PLAIN {blob}")


def auth_login(raw, password=PASSWORD):
    steps = [raw.one("AUTH LOGIN"),
             raw.one(base64.b64encode(USER.encode()).decode()),
             raw.one(base64.b64encode(password.encode()).decode())]
    return steps


def session(srv, tls, implicit=False, legacy=False):
    """Connects, checks the banner, EHLOs (and STARTTLSes); returns (raw, ehlo)."""
    raw = Raw(srv.port, implicit=implicit, variant=srv.variant)
    expect(f"{srv.variant}: banner", raw.reply(), [BANNER])
    ehlo = raw.cmd("EHLO client.test")
    if tls:
        version = raw.starttls(legacy)
        check(f"{srv.variant}: TLS version {version}", version is not None)
        ehlo = raw.cmd("EHLO client.test")
    return raw, ehlo


# A message with what tends to get mangled: 8-bit bytes, a line starting with a
# dot, a lone "." inside a line, a long line, trailing spaces, CRLF endings.
MESSAGE = (b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
           b"Subject: byte-exact check\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n"
           b"caf\xc3\xa9 \xe2\x82\xac\r\n.leading dot\r\n..two dots\r\n"
           b"a . inside\r\ntrailing space   \r\n" + b"x" * 990 + b"\r\n\r\nend\r\n")


def check_store(srv, n, want_bytes, want_meta):
    eml = os.path.join(srv.store, f"{n}.eml")
    got = open(eml, "rb").read() if os.path.exists(eml) else None
    check(f"{srv.variant}: {n}.eml is byte-exact ({len(want_bytes)} bytes)", got == want_bytes,
          f"got {got!r:.200}")
    meta_path = os.path.join(srv.store, f"{n}.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else None
    expect(f"{srv.variant}: {n}.json", meta, want_meta)


def send_with_smtplib(srv, tls, implicit=False, login=True, legacy=False):
    if implicit:
        s = smtplib.SMTP_SSL("127.0.0.1", srv.port, context=client_ctx(), timeout=10)
    else:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
    s.ehlo("client.test")
    if tls:
        s.starttls(context=client_ctx(legacy))
        s.ehlo("client.test")
    if login:
        s.login(USER, PASSWORD)
    refused = s.sendmail(USER, ["bob@example.test", "carol@example.test"], MESSAGE)
    s.quit()
    check(f"{srv.variant}: smtplib sendmail accepted", refused == {}, repr(refused))


def meta(tls_version, mechanism="PLAIN", auth=True):
    return {"auth_mechanism": mechanism if auth else None, "auth_user": USER if auth else None,
            "mail_from": USER, "rcpt_tos": ["bob@example.test", "carol@example.test"],
            "tls": tls_version is not None, "tls_version": tls_version}


def check_auth(srv, mechs, tls, implicit=False, legacy=False):
    """Right and wrong credentials for each offered mechanism, and the 530 gate."""
    for mech in ("PLAIN", "LOGIN"):
        raw, _ = session(srv, tls, implicit, legacy)
        if mech not in mechs:
            reply = auth_plain(raw) if mech == "PLAIN" else raw.one("AUTH LOGIN")
            expect(f"{srv.variant}: AUTH {mech} (not offered)", reply, NO_MECH)
            raw.close()
            continue
        expect(f"{srv.variant}: MAIL before AUTH", raw.one(f"MAIL FROM:<{USER}>"), AUTH_REQUIRED)
        expect(f"{srv.variant}: RCPT before AUTH", raw.one("RCPT TO:<bob@example.test>"),
               AUTH_REQUIRED)
        if mech == "PLAIN":
            expect(f"{srv.variant}: AUTH PLAIN wrong", auth_plain(raw, "wrong"), AUTH_BAD)
            expect(f"{srv.variant}: AUTH PLAIN right", auth_plain(raw), AUTH_OK)
        else:
            expect(f"{srv.variant}: AUTH LOGIN wrong", auth_login(raw, "wrong"),
                   ["334 VXNlciBOYW1lAA==", "334 UGFzc3dvcmQA", AUTH_BAD])
            expect(f"{srv.variant}: AUTH LOGIN right", auth_login(raw),
                   ["334 VXNlciBOYW1lAA==", "334 UGFzc3dvcmQA", AUTH_OK])
        expect(f"{srv.variant}: MAIL after AUTH {mech}", raw.one(f"MAIL FROM:<{USER}>"), "250 OK")
        expect(f"{srv.variant}: QUIT", raw.cmd("QUIT"), ["221 Bye"])
        raw.close()


def s_client(port, *args, stdin="EHLO check.test\nQUIT\n"):
    proc = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                           "-CAfile", CA, "-verify_return_error", "-brief", "-crlf",
                           "-ign_eof", *args], input=stdin.encode(),
                          capture_output=True, timeout=20)
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")


def s_client_ehlo(output):
    """The EHLO reply that followed our own `EHLO check.test` (the last one)."""
    lines = output.splitlines()
    start = max(i for i, l in enumerate(lines) if l == "250-mx.test.invalid")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("250 "))
    return lines[start:end + 1]


print(f"aiosmtpd {__import__('aiosmtpd').__version__}, {ssl.OPENSSL_VERSION}, "
      f"{subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()} (CLI)")

# ---- STARTTLS variants: EHLO before/after TLS, AUTH, store -------------------
STARTTLS = {"starttls-auth-after-tls": ("PLAIN", "LOGIN"), "plain-only": ("PLAIN",),
            "login-only": ("LOGIN",), "refuse-sender": ("PLAIN", "LOGIN"),
            "no-auth": (), "ntlm-only": ("NTLM",), "tls-legacy": ("PLAIN", "LOGIN")}
for variant, mechs in STARTTLS.items():
    legacy = variant == "tls-legacy"
    srv = Server(variant, store=True, auth=bool(mechs))
    raw, before = session(srv, tls=False)
    expect(f"{variant}: EHLO before TLS", before, BASE + ["250-STARTTLS", "250 HELP"])
    if mechs:
        expect(f"{variant}: AUTH before TLS", auth_plain(raw), NEED_TLS)
        expect(f"{variant}: MAIL before TLS", raw.one(f"MAIL FROM:<{USER}>"), AUTH_REQUIRED)
    version = raw.starttls(legacy)
    expect(f"{variant}: TLS version", version, "TLSv1.1" if legacy else "TLSv1.3")
    after = raw.cmd("EHLO client.test")
    want_auth = [f"250-AUTH {' '.join(sorted(mechs))}"] if mechs else []
    expect(f"{variant}: EHLO after TLS", after, BASE + want_auth + ["250 HELP"])
    expect(f"{variant}: STARTTLS inside TLS", raw.one("STARTTLS"), "503 5.5.1 TLS already active")
    raw.close()

    # openssl s_client -starttls smtp sees the same lines (and verifies the cert).
    extra = ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"] if legacy else []
    rc, out = s_client(srv.port, "-starttls", "smtp", *extra)
    check(f"{variant}: openssl s_client -starttls smtp {' '.join(extra)} rc=0", rc == 0, out[-500:])
    check(f"{variant}: openssl verification OK", "Verification: OK" in out, out[-500:])
    if rc == 0:
        expect(f"{variant}: openssl EHLO after TLS", s_client_ehlo(out),
               BASE + want_auth + ["250 HELP"])

    if variant == "ntlm-only":
        raw, _ = session(srv, tls=True)
        for cmd in ("AUTH NTLM", "AUTH NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=",
                    "AUTH PLAIN", "AUTH LOGIN", "AUTH CRAM-MD5"):
            expect(f"ntlm-only: {' '.join(cmd.split()[:2])}{' <response>' if len(cmd.split()) > 2 else ''}",
                   raw.one(cmd), NO_MECH)
        expect("ntlm-only: MAIL without AUTH", raw.one(f"MAIL FROM:<{USER}>"), AUTH_REQUIRED)
        raw.close()
    elif variant == "no-auth":
        for tls in (False, True):
            raw, _ = session(srv, tls=tls)
            expect(f"no-auth: AUTH PLAIN (tls={tls})", auth_plain(raw), NO_MECH)
            expect(f"no-auth: AUTH LOGIN (tls={tls})", raw.one("AUTH LOGIN"), NO_MECH)
            expect(f"no-auth: MAIL without AUTH (tls={tls})", raw.one(f"MAIL FROM:<{USER}>"),
                   "250 OK")
            raw.close()
        send_with_smtplib(srv, tls=False, login=False)
        check_store(srv, 1, MESSAGE, meta(None, auth=False))
        send_with_smtplib(srv, tls=True, login=False)
        check_store(srv, 2, MESSAGE, meta("TLSv1.3", auth=False))
    else:
        check_auth(srv, mechs, tls=True, legacy=legacy)
        if variant != "login-only":  # smtplib prefers PLAIN over LOGIN
            send_with_smtplib(srv, tls=True, legacy=legacy)
            check_store(srv, 1, MESSAGE, meta("TLSv1.1" if legacy else "TLSv1.3"))

    if variant == "login-only":
        send_with_smtplib(srv, tls=True)
        check_store(srv, 1, MESSAGE, meta("TLSv1.3", "LOGIN"))

    if variant == "refuse-sender":
        raw, _ = session(srv, tls=True)
        expect("refuse-sender: MAIL before AUTH", raw.one("MAIL FROM:<mallory@example.test>"),
               AUTH_REQUIRED)
        expect("refuse-sender: AUTH", auth_plain(raw), AUTH_OK)
        expect("refuse-sender: foreign sender",
               raw.one("MAIL FROM:<mallory@example.test>"),
               f"553 5.7.1 Sender address rejected: not owned by user {USER}")
        expect("refuse-sender: own sender", raw.one(f"MAIL FROM:<{USER}>"), "250 OK")
        raw.close()

    if variant == "starttls-auth-after-tls":
        # Raw DATA: transparency dots are removed, everything else (bare LF,
        # lone CR, no final newline before the dot-line) is kept as sent.
        raw, _ = session(srv, tls=True)
        auth_plain(raw)
        raw.one(f"MAIL FROM:<{USER}>")
        raw.one("RCPT TO:<bob@example.test>")
        expect("raw: DATA", raw.one("DATA"), "354 End data with <CR><LF>.<CR><LF>")
        raw.sock.sendall(b"Subject: raw\r\n\r\n..stuffed\r\nbare\nLF and lone\rCR\r\n.\r\n")
        expect("raw: end of DATA", raw.reply(), ["250 OK"])
        check_store(srv, 2, b"Subject: raw\r\n\r\n.stuffed\r\nbare\nLF and lone\rCR\r\n",
                    {**meta("TLSv1.3"), "rcpt_tos": ["bob@example.test"]})
        # The 10 MiB cap, announced and enforced.
        raw.one(f"MAIL FROM:<{USER}>")
        raw.one("RCPT TO:<bob@example.test>")
        raw.one("DATA")
        raw.sock.sendall((b"y" * 998 + b"\r\n") * (10 * 1024 * 1024 // 1000 + 10) + b".\r\n")
        expect("10 MiB cap: DATA too big", raw.reply(), ["552 Error: Too much mail data"])
        expect("10 MiB cap: MAIL SIZE too big", raw.one(f"MAIL FROM:<{USER}> SIZE=10485761"),
               "552 Error: message size exceeds fixed maximum message size")
        raw.close()
        check("10 MiB cap: nothing stored", not os.path.exists(os.path.join(srv.store, "3.eml")))

    if legacy:
        # A client that insists on TLS >= 1.2 cannot get in.
        raw = Raw(srv.port)
        raw.reply()
        raw.cmd("EHLO client.test")
        raw.cmd("STARTTLS")
        try:
            ssl.create_default_context(cafile=CA).wrap_socket(raw.sock, server_hostname="127.0.0.1")
            check("tls-legacy: python TLS>=1.2 client refused", False, "handshake succeeded")
        except ssl.SSLError as e:
            check(f"tls-legacy: python TLS>=1.2 client refused ({e.reason})", True)
        raw.close()
        rc, out = s_client(srv.port, "-starttls", "smtp", "-tls1_2")
        check("tls-legacy: openssl -tls1_2 fails", rc != 0 and "CONNECTION ESTABLISHED" not in out,
              out[-300:])
        rc, out = s_client(srv.port, "-starttls", "smtp", "-tls1_1")
        check("tls-legacy: openssl -tls1_1 at default SECLEVEL fails (client-side policy)",
              rc != 0, out[-300:])
        rc, out = s_client(srv.port, "-starttls", "smtp", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
        check("tls-legacy: openssl -tls1 -cipher DEFAULT:@SECLEVEL=0 works",
              rc == 0 and "Protocol version: TLSv1\n" in out, out[-300:])

    rc, seconds = srv.stop("eof")
    check(f"{variant}: exits 0 on stdin EOF ({seconds:.2f}s)", rc == 0 and seconds < 3, rc)

# ---- implicit TLS -------------------------------------------------------------
srv = Server("implicit-tls", store=True)
raw, ehlo = session(srv, tls=False, implicit=True)
check(f"implicit-tls: TLS from the first byte ({raw.sock.version()})",
      raw.sock.version() == "TLSv1.3")
expect("implicit-tls: EHLO", ehlo, BASE + ["250-AUTH LOGIN PLAIN", "250 HELP"])
expect("implicit-tls: STARTTLS", raw.one("STARTTLS"), NO_TLS)
raw.close()
plain = Raw(srv.port, timeout=5)  # a plaintext client gets no SMTP greeting
plain.sock.sendall(b"EHLO client.test\r\n")
try:
    got = plain.sock.recv(100)
except (ConnectionResetError, socket.timeout) as e:
    got = repr(e)
check("implicit-tls: plaintext client gets no 220", not str(got).startswith("220"), got)
plain.close()
check_auth(srv, ("PLAIN", "LOGIN"), tls=False, implicit=True)
send_with_smtplib(srv, tls=False, implicit=True)
check_store(srv, 1, MESSAGE, meta("TLSv1.3"))
rc, out = s_client(srv.port)
check("implicit-tls: openssl s_client (no -starttls) rc=0", rc == 0, out[-300:])
check("implicit-tls: openssl sees the banner", BANNER in out, out[-300:])
if rc == 0:
    expect("implicit-tls: openssl EHLO", s_client_ehlo(out),
           BASE + ["250-AUTH LOGIN PLAIN", "250 HELP"])
rc, seconds = srv.stop("term")
check(f"implicit-tls: exits 0 on SIGTERM ({seconds:.2f}s)", rc == 0 and seconds < 3, rc)

# ---- plaintext variants ---------------------------------------------------------
for variant in ("plaintext-auth", "no-starttls"):
    srv = Server(variant, store=True, tls=False)
    raw, ehlo = session(srv, tls=False)
    expect(f"{variant}: EHLO", ehlo, BASE + ["250-AUTH LOGIN PLAIN", "250 HELP"])
    expect(f"{variant}: STARTTLS", raw.one("STARTTLS"), NO_TLS)
    expect(f"{variant}: MAIL before AUTH", raw.one(f"MAIL FROM:<{USER}>"), AUTH_REQUIRED)
    raw.close()
    check_auth(srv, ("PLAIN", "LOGIN"), tls=False)
    send_with_smtplib(srv, tls=False)
    check_store(srv, 1, MESSAGE, meta(None))
    rc, out = s_client(srv.port, "-starttls", "smtp")
    check(f"{variant}: openssl -starttls smtp fails", rc != 0, out[-300:])
    rc, seconds = srv.stop("int" if variant == "no-starttls" else "eof")
    check(f"{variant}: exits 0 ({'SIGINT' if variant == 'no-starttls' else 'stdin EOF'}, "
          f"{seconds:.2f}s)", rc == 0 and seconds < 3, rc)

# ---- slow banner ----------------------------------------------------------------
srv = Server("slow-banner", "--delay-banner", "2")
start = time.monotonic()
quitter = Raw(srv.port)  # a client that gives up during the delay
quitter.close()
raw = Raw(srv.port, variant="slow-banner")
raw.sock.settimeout(1.5)
try:
    early = raw.sock.recv(100)
except socket.timeout:
    early = None
check("slow-banner: no byte in the first 1.5 s", early is None, early)
raw.sock.settimeout(10)
expect("slow-banner: banner", raw.reply(), [BANNER])
elapsed = time.monotonic() - start
check(f"slow-banner: banner after {elapsed:.2f}s (delay 2)", 2.0 <= elapsed < 3.0)
expect("slow-banner: EHLO before TLS", raw.cmd("EHLO client.test"),
       BASE + ["250-STARTTLS", "250 HELP"])
raw.starttls()
expect("slow-banner: EHLO after TLS", raw.cmd("EHLO client.test"),
       BASE + ["250-AUTH LOGIN PLAIN", "250 HELP"])
expect("slow-banner: AUTH", auth_plain(raw), AUTH_OK)
raw.close()
pending = Raw(srv.port)  # a connection still waiting for its banner at shutdown
rc, seconds = srv.stop("eof")
check(f"slow-banner: exits 0 on EOF with a pending connection ({seconds:.2f}s)",
      rc == 0 and seconds < 3, rc)
pending.close()
srv = Server("slow-banner")  # default delay: 5 s
start = time.monotonic()
raw = Raw(srv.port)
expect("slow-banner (default delay): banner", raw.reply(), [BANNER])
elapsed = time.monotonic() - start
check(f"slow-banner: default delay {elapsed:.2f}s", 5.0 <= elapsed < 6.0)
raw.close()
srv.stop("eof")

# ---- drop-after-connect and silent ------------------------------------------------
srv = Server("drop-after-connect", auth=False, tls=False)
for i in (1, 2):
    start = time.monotonic()
    raw = Raw(srv.port, timeout=5)
    got = raw.sock.recv(100)
    check(f"drop-after-connect: EOF without a byte (#{i}, {time.monotonic() - start:.3f}s)",
          got == b"" and time.monotonic() - start < 1, got)
    raw.close()
rc, _ = srv.stop("eof")
check("drop-after-connect: exits 0", rc == 0, rc)

srv = Server("silent", auth=False, tls=False)
first = Raw(srv.port, timeout=2)
first.sock.sendall(b"EHLO client.test\r\n")
try:
    got = first.sock.recv(100)
except socket.timeout:
    got = None
check("silent: nothing in 2 s, connection held", got is None, got)
second = Raw(srv.port, timeout=1)  # still accepting while the first is held
try:
    got = second.sock.recv(100)
except socket.timeout:
    got = None
check("silent: a second connection is silent too", got is None, got)
second.close()
start = time.monotonic()
rc, seconds = srv.stop("eof")
check(f"silent: exits 0 on EOF with a held connection ({seconds:.2f}s)",
      rc == 0 and seconds < 3, rc)
first.sock.settimeout(3)
try:
    got = first.sock.recv(100)
except (socket.timeout, ConnectionResetError) as e:
    got = repr(e)
check("silent: held connection closed at exit", got == b"" or "ConnectionReset" in str(got), got)
first.close()

# ---- misbehaving variants -------------------------------------------------------------
def silent_for(sock, seconds):
    """True if nothing (not even EOF) arrives within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(100) is None
    except socket.timeout:
        return True


srv = Server("bad-greeting", auth=False, tls=False)
raw = Raw(srv.port, variant="bad-greeting")
expect("bad-greeting: greeting", raw.reply(),
       ["554 5.7.1 mx.test.invalid ESMTP not accepting connections from you"])
expect("bad-greeting: EHLO", raw.cmd("EHLO client.test"), ["503 5.5.1 Bad sequence of commands"])
expect("bad-greeting: QUIT", raw.cmd("QUIT"), ["221 2.0.0 Bye"])
expect("bad-greeting: closed after QUIT", raw.reply(), ["<EOF>"])
raw.close()
srv.stop("eof")

srv = Server("reject-ehlo", auth=False, tls=False)
raw = Raw(srv.port, variant="reject-ehlo")
expect("reject-ehlo: banner", raw.reply(), [BANNER])
expect("reject-ehlo: EHLO", raw.one("EHLO client.test"), "501 5.5.4 HELO/EHLO argument invalid")
expect("reject-ehlo: HELO", raw.one("HELO client.test"), "501 5.5.4 HELO/EHLO argument invalid")
expect("reject-ehlo: QUIT", raw.one("QUIT"), "221 Bye")
raw.close()
srv.stop("eof")

srv = Server("stall-after-ehlo")
raw, ehlo = session(srv, tls=False)
expect("stall-after-ehlo: EHLO", ehlo, BASE + ["250-STARTTLS", "250 HELP"])
raw.sock.sendall(b"STARTTLS\r\n")
check("stall-after-ehlo: no reply to STARTTLS in 2 s", silent_for(raw.sock, 2))
raw.sock.sendall(b"QUIT\r\n")
check("stall-after-ehlo: nor to QUIT after it", silent_for(raw.sock, 1))
other, _ = session(srv, tls=False)  # one stalled client does not stall the server
other.close()
rc, seconds = srv.stop("eof")
check(f"stall-after-ehlo: exits 0 on EOF with a stalled connection ({seconds:.2f}s)",
      rc == 0 and seconds < 3, rc)
raw.close()

srv = Server("starttls-injection")
raw, _ = session(srv, tls=False)
raw.sock.sendall(b"STARTTLS\r\n")
raw.sock.settimeout(5)
got = raw.sock.recv(65536)  # one write: both lines arrive in one segment on loopback
expect("starttls-injection: 220 and the injected line together", got,
       b"220 Ready to start TLS\r\n250 injected\r\n")
raw.sock = client_ctx().wrap_socket(raw.sock, server_hostname="127.0.0.1")
check(f"starttls-injection: the handshake still works ({raw.sock.version()})",
      raw.sock.version() is not None)
expect("starttls-injection: EHLO after TLS", raw.cmd("EHLO client.test"),
       BASE + ["250-AUTH LOGIN PLAIN", "250 HELP"])
raw.close()
srv.stop("eof")

srv = Server("tls-garbage")
raw, _ = session(srv, tls=False)
expect("tls-garbage: STARTTLS", raw.cmd("STARTTLS"), ["220 Ready to start TLS"])
try:
    client_ctx().wrap_socket(raw.sock, server_hostname="127.0.0.1")
    check("tls-garbage: handshake fails", False, "handshake succeeded")
except ssl.SSLError as e:
    check(f"tls-garbage: handshake fails ({e.reason})", e.reason == "WRONG_VERSION_NUMBER", e)
raw.close()
srv.stop("eof")

srv = Server("hostile-long-line", auth=False, tls=False)
raw = Raw(srv.port, variant="hostile-long-line")
raw.sock.settimeout(2)
got = b""
try:
    while len(got) < 6000:
        data = raw.sock.recv(65536)
        if not data:
            break
        got += data
except socket.timeout:
    pass
check(f"hostile-long-line: 5000 bytes, no line end ({len(got)})",
      len(got) == 5000 and got.startswith(b"220 x") and b"\n" not in got, got[:40])
check("hostile-long-line: connection held", silent_for(raw.sock, 1))
raw.close()
srv.stop("eof")

srv = Server("hostile-many-lines", auth=False, tls=False)
raw = Raw(srv.port, variant="hostile-many-lines")
expect("hostile-many-lines: banner", raw.reply(), [BANNER])
lines = raw.cmd("EHLO client.test")
check(f"hostile-many-lines: EHLO of {len(lines)} lines",
      len(lines) == 501 and lines[0] == "250-X-LINE-0" and lines[-1] == "250 HELP", lines[-2:])
expect("hostile-many-lines: QUIT", raw.one("QUIT"), "221 Bye")
raw.close()
srv.stop("eof")

# ---- command line: fixed port, setup errors -------------------------------------------
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    free = s.getsockname()[1]
srv = Server("plaintext-auth", tls=False, port=free)
check(f"--port {free}: READY reports it", srv.port == free, srv.port)
srv.stop("eof")


def run_bad(args, env_password=True):
    env = dict(os.environ)
    env.pop("CHECK_SMTP_PASSWORD", None)
    if env_password:
        env["CHECK_SMTP_PASSWORD"] = PASSWORD
    proc = subprocess.run([sys.executable, SERVER, *args], stdin=subprocess.PIPE,
                          capture_output=True, env=env, timeout=10)
    return proc.returncode, proc.stdout, proc.stderr.decode()


auth = ["--user", USER, "--pass-env", "CHECK_SMTP_PASSWORD"]
for args, want, why in [
        (["--variant", "starttls-auth-after-tls", *auth], 1, "TLS variant without --cert"),
        (["--variant", "plaintext-auth"], 1, "AUTH variant without --user"),
        (["--variant", "plaintext-auth", *auth], 1, "unset --pass-env variable"),
        (["--variant", "nope"], 2, "unknown variant"),
        (["--variant", "implicit-tls", "--cert", CA, "--key", CA, *auth], 1, "bad key"),
        (["--variant", "plaintext-auth", *auth, "--port", str(free), "--store", WORK], 1,
         "non-empty store")]:
    if why == "non-empty store":
        open(os.path.join(WORK, "1.eml"), "wb").close()
    rc, out, err = run_bad(args, env_password=why != "unset --pass-env variable")
    check(f"setup error ({why}): exit {want}, no READY", rc == want and out == b"",
          f"rc={rc} out={out!r} err={err[-200:]!r}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
