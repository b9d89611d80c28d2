"""onego's Open311 GeoReport v2 endpoint, read through a real client library (georeport, PyPI) in both
JSON and XML, and written to with plain HTTP as the specification describes (georeport has no POST).

Runs against a server started by tests/open311/run (ONEGO_OPEN311 = the v2 root, ONEGO_OPEN311_KEY)."""

import os
import unittest
from datetime import datetime, timedelta, timezone

import requests
import xmltodict
from georeport import GeoReport

ROOT = os.environ["ONEGO_OPEN311"]
KEY = os.environ["ONEGO_OPEN311_KEY"]
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def post(fmt="json", files=None, **fields):
    return requests.post(f"{ROOT}/requests.{fmt}", data=fields, files=files, timeout=30)


def noise(**extra):
    fields = {
        "api_key": KEY,
        "service_code": "HB01",
        "lat": "35.23",
        "long": "115.42",
        "address_string": "中华路12号",
        "description": "工地夜间施工噪音扰民，晚上十一点以后还在打桩",
        "attribute[source]": "construction",
        "attribute[when][]": ["night", "evening"],
        "attribute[last_heard]": "2026-11-21T23:30:00+08:00",
        "first_name": "明",
        "last_name": "王",
        "phone": "13905301234",
        "email": "wang@example.com",
        "device_id": "device-42",
    }
    fields.update(extra)
    return post(**fields)


class Open311(unittest.TestCase):
    json = GeoReport(ROOT, output_format="json")
    xml = GeoReport(ROOT, output_format="xml")

    def test_discovery_names_the_v2_endpoint_in_both_formats(self):
        d = requests.get(f"{ROOT}/discovery.json", timeout=30).json()
        self.assertEqual(d["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2")
        self.assertEqual(d["endpoints"][0]["url"], ROOT)
        x = xmltodict.parse(requests.get(f"{ROOT}/discovery.xml", timeout=30).content)
        self.assertIn("text/xml", x["discovery"]["endpoints"]["endpoint"]["formats"]["format"])

    def test_the_service_list_is_typed_and_the_same_in_json_and_xml(self):
        services = self.json.get_service_list()
        codes = [s["service_code"] for s in services]
        self.assertIn("CG01", codes)
        noise_service = next(s for s in services if s["service_code"] == "HB01")
        self.assertIs(noise_service["metadata"], True, "metadata is a JSON boolean")
        self.assertEqual(noise_service["type"], "realtime")
        self.assertEqual(noise_service["group"], "环境保护")
        xml_services = self.xml.get_service_list()
        self.assertEqual([s["service_code"] for s in xml_services], codes)
        self.assertEqual(next(s for s in xml_services if s["service_code"] == "HB01")["metadata"], "true")

    def test_service_definitions_use_all_six_attribute_datatypes(self):
        types = {}
        for code in ["CG03", "HB01", "SW01", "JT01", "WY01", "LD01"]:
            d = self.json.get_service_definition(code)
            self.assertEqual(d["service_code"], code)
            for a in d["attributes"]:
                types[a["datatype"]] = a
                self.assertIsInstance(a["required"], bool)
                self.assertIsInstance(a["variable"], bool)
                self.assertIsInstance(a["order"], int)
        self.assertEqual(
            sorted(types),
            sorted(["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]),
        )
        self.assertEqual(
            [v["key"] for v in types["multivaluelist"]["values"]], ["day", "evening", "night"]
        )
        x = self.xml.get_service_definition("HB01")
        self.assertEqual(x["attributes"]["attribute"][0]["code"], "source")
        with self.assertRaises(requests.HTTPError) as e:
            self.json.get_service_definition("NOPE")
        self.assertEqual(e.exception.response.status_code, 404)

    def test_a_request_posted_with_a_key_is_read_back_without_the_reporters_details(self):
        r = noise()
        self.assertEqual(r.status_code, 201, r.text)
        created = r.json()
        self.assertIsInstance(created, list)
        rid = created[0]["service_request_id"]
        self.assertIsInstance(rid, str)
        self.assertTrue(rid.startswith("R"))

        one = self.json.get_service_request(rid)
        self.assertEqual(one["service_request_id"], rid)
        self.assertEqual(one["status"], "open")
        self.assertEqual(one["service_code"], "HB01")
        self.assertIsInstance(one["lat"], float)
        self.assertIsInstance(one["long"], float)
        self.assertAlmostEqual(one["lat"], 35.23)
        self.assertIn("待派单", one["status_notes"])
        expected = datetime.fromisoformat(one["expected_datetime"])
        requested = datetime.fromisoformat(one["requested_datetime"])
        self.assertGreater(expected, requested, "expected_datetime comes from the SLA")
        raw = requests.get(f"{ROOT}/requests/{rid}.json", timeout=30).text
        for secret in ["13905301234", "wang@example.com", "device-42", "王明", "明"]:
            self.assertNotIn(secret, raw, "reporter details never appear in GET")

        xml_one = self.xml.get_service_request(rid)
        self.assertEqual(xml_one["service_request_id"], rid)
        self.assertEqual(xml_one["status"], "open")

        token = requests.get(f"{ROOT}/tokens/{created[0]['token']}.json", timeout=30).json()
        self.assertEqual(token[0]["service_request_id"], rid)

    def test_a_multipart_request_keeps_its_photo_as_media_url(self):
        fields = {
            "api_key": KEY,
            "service_code": "CG03",
            "lat": "35.24",
            "long": "115.36",
            "description": "井盖破损，晚上很危险",
            "attribute[facility]": "manhole",
            "attribute[count]": "2",
        }
        r = post(files={"media": ("manhole.png", PNG, "image/png")}, **fields)
        self.assertEqual(r.status_code, 201, r.text)
        rid = r.json()[0]["service_request_id"]
        one = self.json.get_service_request(rid)
        self.assertTrue(one["media_url"].startswith(ROOT + "/media/"), one)
        photo = requests.get(one["media_url"], timeout=30)
        self.assertEqual(photo.status_code, 200)
        self.assertEqual(photo.content, PNG)

    def test_errors_follow_the_specification_and_change_nothing(self):
        before = len(self.json.get_service_requests(service_code="HB01"))
        r = noise(api_key="")
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()[0]["code"], 403)
        self.assertIn("api_key", r.json()[0]["description"])
        r = noise(api_key="wrong")
        self.assertEqual(r.status_code, 403)
        r = post(fmt="xml", api_key="wrong", service_code="HB01")
        self.assertEqual(r.status_code, 403)
        err = xmltodict.parse(r.content)["errors"]["error"]
        self.assertEqual(err["code"], "403")
        r = noise(service_code="NOPE")
        self.assertEqual(r.status_code, 400)
        r = noise(**{"attribute[source]": "aliens"})
        self.assertEqual(r.status_code, 400)
        self.assertIn("source", r.json()[0]["description"])
        r = noise(lat="", long="", address_string="")
        self.assertEqual(r.status_code, 400)
        r = post(
            files={"media": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")},
            api_key=KEY, service_code="CG03", lat="35.24", long="115.36", description="井盖破损",
            **{"attribute[facility]": "manhole"},
        )
        self.assertEqual(r.status_code, 400)
        self.assertEqual(len(self.json.get_service_requests(service_code="HB01")), before)
        with self.assertRaises(requests.HTTPError) as e:
            self.json.get_service_request("R00000000000000000000")
        self.assertEqual(e.exception.response.status_code, 404)
        r = requests.get(f"{ROOT}/requests.json?start_date=yesterday", timeout=30)
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.json()[0]["code"], 400)

    def test_request_lists_filter_by_status_code_dates_and_page(self):
        self.assertEqual(noise().status_code, 201)
        open_noise = self.json.get_service_requests(service_code="HB01", status="open")
        self.assertTrue(open_noise)
        self.assertTrue(all(r["service_code"] == "HB01" and r["status"] == "open" for r in open_noise))
        closed = self.json.get_service_requests(status="closed")
        self.assertTrue(closed, "the demo city has closed requests from recent weeks")
        self.assertTrue(all(r["status"] == "closed" for r in closed))
        self.assertIn("已办结", closed[0]["status_notes"])
        self.assertTrue(closed[0]["agency_responsible"] or closed[0]["status_notes"])

        now = datetime.now(timezone.utc)
        recent = self.json.get_service_requests(
            start_date=(now - timedelta(days=2)).isoformat(timespec="seconds"),
            end_date=(now + timedelta(minutes=5)).isoformat(timespec="seconds"),
        )
        for r in recent:
            self.assertGreaterEqual(datetime.fromisoformat(r["requested_datetime"]), now - timedelta(days=2))

        page1 = requests.get(f"{ROOT}/requests.json", params={"page_size": 3, "page": 1}, timeout=30).json()
        page2 = requests.get(f"{ROOT}/requests.json", params={"page_size": 3, "page": 2}, timeout=30).json()
        self.assertEqual(len(page1), 3)
        self.assertFalse({r["service_request_id"] for r in page1} & {r["service_request_id"] for r in page2})

        mark = (now - timedelta(seconds=5)).isoformat(timespec="seconds")
        r = noise()
        rid = r.json()[0]["service_request_id"]
        updated = requests.get(f"{ROOT}/requests.json", params={"updated_after": mark}, timeout=30).json()
        self.assertIn(rid, [u["service_request_id"] for u in updated])

        both = self.xml.get_service_requests(service_request_id=f"{rid},{page1[0]['service_request_id']}")
        self.assertEqual(len(both), 2)


if __name__ == "__main__":
    unittest.main()
