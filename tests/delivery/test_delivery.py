"""E-mail and SMS from onego to real servers started here: aiosmtpd (PyPI) as the mail server and an
HTTP receiver as the SMS gateway, which checks every request's HMAC-SHA256 signature the way a city's
gateway would. No part of onego's sending is replaced: `onego serve` runs as a separate process with
--smtp and --sms-webhook pointed at these servers, and the tests act on it through its JSON API.

Run by tests/delivery/run (ONEGO_BIN = the onego binary)."""

import email
import email.policy
import hashlib
import hmac
import json
import logging
import os
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from aiosmtpd.controller import Controller

ONEGO = os.environ["ONEGO_BIN"]
SECRET = "delivery-test-secret-0123456789"
# aiosmtpd logs the handshakes the TLS test makes fail on purpose; the assertions say what matters.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
CALLER = "13912345678"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60.0):
    """Polls `check` until it answers something true; fails with `what` after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Mailbox:
    """aiosmtpd handler: keeps every message as the server received it (raw bytes) and parsed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.received.append({"to": list(envelope.rcpt_tos), "raw": raw, "msg": parsed})
        return "250 2.0.0 queued as test"

    def all(self):
        with self.lock:
            return list(self.received)


class Gateway(BaseHTTPRequestHandler):
    """The SMS gateway: refuses a request whose signature or timestamp is wrong, answers a request id."""

    received = []
    refused = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Onego-Timestamp", "")
        given = self.headers.get("X-Onego-Signature", "")
        expected = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        with Gateway.lock:
            if not (fresh and hmac.compare_digest(given, expected)):
                Gateway.refused.append(body)
                self.send_response(401)
                self.end_headers()
                self.wfile.write(b'{"error":"bad signature"}')
                return
            Gateway.received.append(json.loads(body))
            n = len(Gateway.received)
        answer = json.dumps({"request_id": f"gw-{n}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class Delivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp_port = free_port()
        cls.mailbox = Mailbox()
        cls.smtp = Controller(cls.mailbox, hostname="127.0.0.1", port=cls.smtp_port)
        cls.smtp.start()
        cls.gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
        threading.Thread(target=cls.gateway.serve_forever, daemon=True).start()
        cls.gateway_url = f"http://127.0.0.1:{cls.gateway.server_address[1]}/sms"
        cls.work = tempfile.TemporaryDirectory()
        cls.log_path = os.path.join(cls.work.name, "server.log")
        cls.log = open(cls.log_path, "w")
        cls.smtp_url = f"smtp://127.0.0.1:{cls.smtp_port}?tls=none"
        cls.server = subprocess.Popen(
            [ONEGO, "serve", "--demo", "--demo-tickets", "0", "--db", os.path.join(cls.work.name, "demo.sqlite"),
             "--bind", "127.0.0.1:0", "--smtp", cls.smtp_url, "--smtp-from", "一次办好 <onego@example.gov.cn>",
             "--sms-webhook", cls.gateway_url, "--sms-secret", SECRET,
             # Quick retries for the outage below; quiet hours off so the test passes at any hour
             # (they have their own unit test).
             "--delivery-retry-after", "1", "--sms-quiet-hours", "false"],
            stdout=cls.log, stderr=subprocess.STDOUT)

        def log():
            with open(cls.log_path, encoding="utf-8") as f:
                return f.read()

        def ready():
            if cls.server.poll() is not None:
                raise AssertionError("onego stopped:\n" + log())
            text = log()
            return "password for all" in text and text
        text = wait_for("onego to start", ready, timeout=300)
        cls.base = re.search(r"listening on (http://[^/ ]+)/", text).group(1)
        cls.password = re.search(r"password for all: (\S+)\)", text).group(1)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.smtp.stop()
        cls.gateway.shutdown()
        cls.log.close()
        cls.work.cleanup()

    def session(self, username):
        s = requests.Session()
        r = s.post(f"{self.base}/api/v1/session", json={"username": username, "password": self.password}, timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        s.headers["X-CSRF-Token"] = r.json()["csrf"]
        return s

    def intake(self, operator, content):
        started = time.time()
        r = operator.post(f"{self.base}/api/v1/tickets", json={
            "channel": "phone", "kind": "complaint", "category": "CG01", "content": content,
            "lat": 35.23, "lon": 115.42, "address": "中华路12号", "name": "王明", "phone": CALLER, "notify": True,
        }, timeout=30)
        self.assertEqual(r.status_code, 201, r.text)
        return r.json()["ticket"], time.time() - started

    def dispatch(self, dispatcher, ticket):
        started = time.time()
        r = dispatcher.post(f"{self.base}/api/v1/tickets/{ticket['id']}/commands",
                            json={"command": "dispatch", "lead": "urban"}, timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        return time.time() - started

    def mails_about(self, number):
        return [m for m in self.mailbox.all() if number in str(m["msg"]["Subject"])]

    def sms_about(self, number):
        with Gateway.lock:
            return [m for m in Gateway.received if m["params"].get("number") == number]

    def test_1_a_request_texts_the_caller_and_mails_the_department_in_readable_chinese(self):
        operator, dispatcher = self.session("operator1"), self.session("dispatcher")
        ticket, _ = self.intake(operator, "中华路路口有流动摊贩占道经营，影响通行")
        number = ticket["number"]
        sms = wait_for("the caller's SMS", lambda: self.sms_about(number))
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms[0]["phone"], CALLER)
        self.assertEqual(sms[0]["template"], "ONEGO_TICKET_RECEIVED")
        self.assertIn(f"编号{number}", sms[0]["text"])
        self.assertEqual(sms[0]["segments"], 1)
        self.assertEqual(sms[0]["message_id"].split("-")[:2], ["onego", "outbox"])
        self.assertEqual(Gateway.refused, [], "every SMS request carries a valid signature")

        self.dispatch(dispatcher, ticket)
        mails = wait_for("the department's e-mail", lambda: self.mails_about(number))
        self.assertEqual(len(mails), 1)
        m = mails[0]
        self.assertEqual(m["to"], ["urban1@example.com"])
        # The subject travels RFC 2047-encoded and decodes to the Chinese text; the body decodes too.
        raw_subject = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", m["raw"], re.M).group(1)
        self.assertIn(b"=?utf-8?", raw_subject.lower())
        self.assertTrue(all(b < 0x80 for b in m["raw"]), "headers and body are 7-bit on the wire")
        self.assertTrue(str(m["msg"]["Subject"]).startswith(f"【派单】{number} "), m["msg"]["Subject"])
        self.assertIn("请按时签收办理", m["msg"].get_content())
        self.assertIn("一次办好", str(m["msg"]["From"]))
        self.assertRegex(m["msg"]["Message-ID"], r"^<onego-outbox-\d+@")

    def test_2_an_smtp_outage_slows_no_command_and_loses_no_message(self):
        operator, dispatcher = self.session("operator1"), self.session("dispatcher")
        self.smtp.stop()
        numbers, slowest = [], 0.0
        try:
            for n in range(3):
                ticket, took = self.intake(operator, f"人民路第{n + 1}处流动摊贩占道经营")
                slowest = max(slowest, took, self.dispatch(dispatcher, ticket))
                numbers.append(ticket["number"])
            self.assertLess(slowest, 2.0, "a command never waits for the mail server")
            # While the server is down the messages wait and their failed attempts are recorded.
            admin = self.session("admin")

            def failed_attempts():
                text = admin.get(f"{self.base}/metrics", timeout=30).text
                v = re.search(r"^onego_outbox_retries_total (\d+)", text, re.M)
                return v and int(v.group(1)) >= 3
            wait_for("failed attempts while the SMTP server is down", failed_attempts, timeout=30)
            self.assertEqual([n for n in numbers if self.mails_about(n)], [])
        finally:
            self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
            self.smtp.start()
            type(self).smtp = self.smtp
        for n in numbers:
            wait_for(f"the e-mail about {n} after the server came back", lambda n=n: self.mails_about(n), timeout=90)
        time.sleep(3)  # Time for a wrong second delivery to show up.
        for n in numbers:
            self.assertEqual(len(self.mails_about(n)), 1, f"exactly one e-mail about {n}")
            self.assertEqual(len(self.sms_about(n)), 1, f"exactly one SMS about {n}")
        ids = [m["msg"]["Message-ID"] for m in self.mailbox.all()]
        self.assertEqual(len(ids), len(set(ids)), "no Message-ID arrived twice")

    def test_3_a_person_chooses_channels_and_a_bad_address_is_refused_where_entered(self):
        me = self.session("urban1")
        r = me.put(f"{self.base}/api/v1/me/contact", json={"email": "urban 1@example", "mobile": "1234", "by_email": True, "by_sms": True}, timeout=30)
        self.assertEqual(r.status_code, 422, r.text)
        fields = {f["field"] for f in r.json()["fields"]}
        self.assertEqual(fields, {"email", "mobile"})
        self.assertEqual(me.get(f"{self.base}/api/v1/me/contact", timeout=30).json()["email"], "urban1@example.com", "nothing changed")
        r = me.put(f"{self.base}/api/v1/me/contact", json={"email": "urban1@example.com", "mobile": "", "by_email": False, "by_sms": False}, timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.json()["email_available"] and r.json()["sms_available"])
        operator, dispatcher = self.session("operator1"), self.session("dispatcher")
        ticket, _ = self.intake(operator, "和平路夜市摊贩占道经营")
        self.dispatch(dispatcher, ticket)
        wait_for("the caller's SMS", lambda: self.sms_about(ticket["number"]))
        time.sleep(3)
        self.assertEqual(self.mails_about(ticket["number"]), [], "no e-mail to a person who turned it off")
        # Back on, in English: the English template arrives.
        r = me.put(f"{self.base}/api/v1/me/contact", json={"email": "urban1@example.com", "by_email": True, "lang": "en"}, timeout=30)
        self.assertEqual((r.status_code, r.json()["lang"]), (200, "en"), r.text)
        ticket, _ = self.intake(operator, "建设路夜市摊贩占道经营")
        self.dispatch(dispatcher, ticket)
        mail = wait_for("the English e-mail", lambda: self.mails_about(ticket["number"]))[0]["msg"]
        self.assertTrue(str(mail["Subject"]).startswith(f"[Dispatched] {ticket['number']}"), mail["Subject"])
        self.assertIn("sign for it in time", mail.get_content())

    def test_4_notify_test_sends_one_message_and_says_what_the_server_answered(self):
        run = subprocess.run([ONEGO, "notify", "test", "--channel", "email", "--to", "ops@example.com", "--smtp", self.smtp_url],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("250", run.stdout)
        self.assertTrue(any(m["to"] == ["ops@example.com"] for m in self.mailbox.all()))
        run = subprocess.run([ONEGO, "notify", "test", "--channel", "sms", "--to", "13800138000",
                              "--sms-webhook", self.gateway_url, "--sms-secret", SECRET],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("request id gw-", run.stdout)
        for bad in (["--channel", "sms", "--to", "1234", "--sms-webhook", self.gateway_url, "--sms-secret", SECRET],
                    ["--channel", "email", "--to", "not-an-address", "--smtp", self.smtp_url],
                    ["--channel", "sms", "--to", "13800138000", "--sms-webhook", self.gateway_url, "--sms-secret", "a-wrong-secret-0123456789"],
                    ["--channel", "email", "--to", "ops@example.com", "--smtp", f"smtp://127.0.0.1:{free_port()}?tls=none"]):
            run = subprocess.run([ONEGO, "notify", "test", *bad], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(run.returncode, 0, bad)
            self.assertTrue(run.stderr.strip(), bad)

    def test_5_tls_to_servers_signed_by_an_intranet_ca_trusted_with_tls_ca(self):
        # A private CA and a server certificate for 127.0.0.1, as a government intranet would have.
        d = self.work.name
        openssl = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=onego test intranet CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1")
        with open(os.path.join(d, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        ca = os.path.join(d, "ca.pem")

        def notify(*args):
            return subprocess.run([ONEGO, "notify", "test", *args], capture_output=True, text=True, timeout=60)

        box = Mailbox()
        starttls_port, implicit_port = free_port(), free_port()
        starttls = Controller(box, hostname="127.0.0.1", port=starttls_port, tls_context=ctx, require_starttls=True)
        implicit = Controller(box, hostname="127.0.0.1", port=implicit_port, ssl_context=ctx)
        starttls.start()
        implicit.start()
        gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
        gateway.socket = ctx.wrap_socket(gateway.socket, server_side=True)
        threading.Thread(target=gateway.serve_forever, daemon=True).start()
        https = f"https://127.0.0.1:{gateway.server_address[1]}/sms"
        try:
            for url, to in ((f"smtp://127.0.0.1:{starttls_port}?tls=starttls", "starttls@example.com"),
                            (f"smtps://127.0.0.1:{implicit_port}", "implicit@example.com")):
                run = notify("--channel", "email", "--to", to, "--smtp", url)
                self.assertNotEqual(run.returncode, 0, "a certificate of an unknown CA is refused")
                run = notify("--channel", "email", "--to", to, "--smtp", url, "--tls-ca", ca)
                self.assertEqual(run.returncode, 0, run.stderr)
                got = [m for m in box.all() if m["to"] == [to]]
                self.assertEqual(len(got), 1, to)
                self.assertIn("测试", str(got[0]["msg"]["Subject"]))
            run = notify("--channel", "sms", "--to", "13800138001", "--sms-webhook", https, "--sms-secret", SECRET)
            self.assertNotEqual(run.returncode, 0, "the gateway's certificate is not trusted without --tls-ca")
            run = notify("--channel", "sms", "--to", "13800138001", "--sms-webhook", https, "--sms-secret", SECRET,
                         "--tls-ca", ca)
            self.assertEqual(run.returncode, 0, run.stderr)
            with Gateway.lock:
                self.assertTrue(any(m["phone"] == "13800138001" for m in Gateway.received))
            run = notify("--channel", "sms", "--to", "13800138001", "--sms-webhook", https, "--sms-secret", SECRET,
                         "--tls-ca", os.path.join(d, "san.ext"))
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("CA certificate", run.stderr)
        finally:
            starttls.stop()
            implicit.stop()
            gateway.shutdown()


if __name__ == "__main__":
    unittest.main()
