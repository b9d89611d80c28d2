"""onego's certificates checked without onego: the seal with gmssl (PyPI), an SM2/SM3 implementation that
shares no code with onego's (RustCrypto), and the identifier's check character with the MOD 37,36 of
ISO/IEC 7064 written here. Run by tests/certificates/run (ONEGO_BIN = the onego binary)."""

import base64
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from gmssl import sm2

ONEGO = os.environ["ONEGO_BIN"]
SECRET = "the certificate test's key secret, 32+ characters"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod_37_36(text):
    """ISO/IEC 7064 MOD 37,36 (hybrid system, M = 36): the check character of `text`."""
    p = 36
    for ch in text:
        s = (p + ALPHABET.index(ch)) % 36 or 36
        p = (s * 2) % 37
    return ALPHABET[(37 - p) % 36]


def gmssl_verifies(doc, content=None):
    """Whether gmssl accepts the document's signature over its signed bytes (or over `content`)."""
    public = doc["public_key"]
    assert public.startswith("04") and len(public) == 130
    signed = base64.b64decode(doc["signed_content"]) if content is None else content
    verifier = sm2.CryptSM2(private_key="", public_key=public[2:])
    return verifier.verify_with_sm3(doc["signature"], signed)


def onego(*args, check=True):
    run = subprocess.run([ONEGO, *args], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "ONEGO_KEY_SECRET": SECRET})
    if check and run.returncode != 0:
        raise AssertionError(f"onego {' '.join(args)} failed:\n{run.stderr}")
    return run


class Certificates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.db = os.path.join(cls.work.name, "demo.sqlite")
        # The demo catalog (departments) comes with a demo server's first start; stop it once it is up.
        log = os.path.join(cls.work.name, "server.log")
        with open(log, "w") as out:
            # The same key secret as the commands below: the demo issues its certificates (and makes the
            # departments' keys) at this first start.
            server = subprocess.Popen([ONEGO, "serve", "--demo", "--demo-tickets", "0", "--db", cls.db,
                                       "--bind", "127.0.0.1:0"], stdout=out, stderr=subprocess.STDOUT,
                                      env={**os.environ, "ONEGO_KEY_SECRET": SECRET})
            try:
                deadline = time.time() + 300
                while time.time() < deadline:
                    with open(log, encoding="utf-8") as f:
                        if "password for all" in f.read():
                            break
                    if server.poll() is not None:
                        raise AssertionError("the demo server stopped")
                    time.sleep(0.5)
            finally:
                server.terminate()
                server.wait(timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.work.cleanup()

    def issue(self, **extra):
        args = {"--department": "market", "--issuer-code": "11370800MB28559184", "--type-name": "营业执照",
                "--type-code": "11100000000013338W011", "--holder-id": "91371700MA3C5X1B29",
                "--holder-name": "菏泽云帆科技有限公司", "--valid-until": "2046-03-01",
                "--data": json.dumps({"住所": "菏泽市牡丹区中华路1号", "法定代表人": "王明", "注册资本": "100万元"},
                                     ensure_ascii=False)}
        args.update(extra)
        flat = [x for kv in args.items() for x in kv]
        return json.loads(onego("cert", "issue", "--db", self.db, *flat).stdout)

    def test_gmssl_verifies_the_seal_and_refuses_a_changed_certificate(self):
        doc = self.issue()
        self.assertEqual((doc["signature_algorithm"], doc["sm2_user_id"]), ("SM2-SM3", "1234567812345678"))
        self.assertEqual(len(doc["signature"]), 128)
        self.assertTrue(gmssl_verifies(doc), "gmssl accepts onego's seal")
        signed = json.loads(base64.b64decode(doc["signed_content"]))
        self.assertEqual(signed["identifier"], doc["identifier"])
        self.assertEqual(signed["holder_name"], "菏泽云帆科技有限公司")
        self.assertEqual(signed["holder_code_type"], "001")
        # Any change to what was signed, or another certificate's signature: refused.
        changed = dict(signed, valid_until="2099-12-31")
        self.assertFalse(gmssl_verifies(doc, json.dumps(changed, ensure_ascii=False, separators=(",", ":")).encode()))
        other = self.issue(**{"--holder-name": "菏泽另一家公司"})
        self.assertTrue(gmssl_verifies(other))
        self.assertFalse(gmssl_verifies(dict(doc, signature=other["signature"])))
        self.assertEqual(other["public_key"], doc["public_key"], "one key per department until it is rotated")

    def test_the_identifier_checks_with_an_independent_mod_37_36(self):
        doc = self.issue()
        ident = doc["identifier"]
        m = re.fullmatch(r"1\.2\.156\.3005\.2\.([0-9A-Z]+)\.([0-9A-Z]+)\.([0-9A-Z]+)\.(\d{3})\.([0-9A-Z])", ident)
        self.assertIsNotNone(m, ident)
        self.assertEqual(mod_37_36("".join(m.groups()[:4])), m.group(5))
        self.assertEqual(m.group(2), "11370800MB28559184")
        self.assertEqual(onego("cert", "check-id", ident).stdout.strip(), "valid")
        # The identifiers of certificates issued elsewhere in China check here as in onego.
        for real in ["1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
                     "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9"]:
            parts = real.split(".")[5:]
            self.assertEqual(mod_37_36("".join(parts[:4])), parts[4])
            self.assertEqual(onego("cert", "check-id", real).returncode, 0)
        wrong = ident[:-1] + ("0" if ident[-1] != "0" else "1")
        run = onego("cert", "check-id", wrong, check=False)
        self.assertEqual(run.returncode, 1)
        self.assertIn("check character", run.stderr)

    def test_show_prints_the_same_signed_document_and_a_wrong_key_secret_issues_nothing(self):
        doc = self.issue()
        shown = json.loads(onego("cert", "show", "--db", self.db, doc["identifier"]).stdout)
        self.assertEqual(shown, doc)
        run = subprocess.run([ONEGO, "cert", "issue", "--db", self.db, "--department", "market",
                              "--issuer-code", "11370800MB28559184", "--type-name", "营业执照",
                              "--type-code", "11100000000013338W011", "--holder-id", "91371700MA3C5X1B29",
                              "--holder-name", "某公司"],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "ONEGO_KEY_SECRET": "a different key secret of 32+ characters"})
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("does not open", run.stderr)
        run = onego("cert", "issue", "--db", self.db, "--department", "market", "--issuer-code", "x",
                    "--type-name", "营业执照", "--type-code", "11100000000013338W011",
                    "--holder-id", "91371700MA3C5X1B29", "--holder-name", "某公司", check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("issuing body", run.stderr)

    def test_the_pdf_says_what_the_certificate_says_and_its_qr_code_leads_to_the_public_check(self):
        import pypdf
        import pypdfium2
        import zxingcpp
        doc = self.issue()
        out = os.path.join(self.work.name, "licence.pdf")
        onego("cert", "pdf", "--db", self.db, "--public-url", "https://zwfw.example.gov.cn",
              "--out", out, doc["identifier"])
        text = pypdf.PdfReader(out).pages[0].extract_text()
        compact = re.sub(r"\s+", "", text)
        for said in ["营业执照", "菏泽云帆科技有限公司", "91371700MA3C5X1B29", doc["identifier"], "2046年03月01日",
                     "菏泽市牡丹区中华路1号", "SM2", "1234567812345678"]:
            self.assertIn(said, compact, f"the PDF's text carries {said}")
        # The seal as printed is the document's own: the key and signature gmssl verifies above.
        self.assertIn(doc["public_key"], compact)
        self.assertIn(doc["signature"], compact)
        # The CJK font travels inside the PDF, cut down to the glyphs used.
        self.assertLess(os.path.getsize(out), 120_000)
        fonts = pypdf.PdfReader(out).pages[0]["/Resources"]["/Font"]
        descendant = fonts["/F1"].get_object()["/DescendantFonts"][0].get_object()
        self.assertIn("/FontFile2", descendant["/FontDescriptor"].get_object())
        # Drawn by PDFium and read by ZXing: the QR code is the public check's address.
        image = pypdfium2.PdfDocument(out)[0].render(scale=3).to_pil()
        codes = [c.text for c in zxingcpp.read_barcodes(image)]
        self.assertEqual(codes, [f"https://zwfw.example.gov.cn/verify/{doc['identifier']}"])


if __name__ == "__main__":
    unittest.main()
