"""A fake NPI Registry API v2.1 on loopback, built from the real dermatologist record.

State "DE", "Dermatology": every unsplit page is full (200 rows), so the spider must split by ZIP
prefix; each prefixed query answers one record. "Plastic Surgery" answers the Errors shape.
"Facial Plastic Surgery" repeats an NPI already seen plus a physical therapist (not a target).
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from crawler.extract.normalise import npi_is_valid


def make_npi(number: int) -> str:
    first9 = f"{number:09d}"
    return next(first9 + d for d in "0123456789" if npi_is_valid(first9 + d))


class FakeNpiApi:
    def __init__(self, dermatologist: dict, therapist: dict):
        self.requests: list[dict[str, str]] = []
        self.dermatologist = dermatologist
        self.therapist = therapist
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":
                    self.send_response(404)
                    self.end_headers()
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                api.requests.append(query)
                body = json.dumps(api.answer(query)).encode()
                self.send_response(200)  # the real API answers errors with 200 too
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _record(self, template: dict, npi: str) -> dict:
        record = copy.deepcopy(template)
        record["number"] = npi
        return record

    def answer(self, query: dict[str, str]) -> dict:
        taxonomy = query.get("taxonomy_description")
        skip = int(query.get("skip", "0"))
        if taxonomy == "Plastic Surgery":
            return {
                "Errors": [
                    {
                        "description": "No valid search criteria provided",
                        "field": "generic",
                        "number": "04",
                    }
                ]
            }
        if taxonomy == "Facial Plastic Surgery":
            results = [self._record(self.dermatologist, make_npi(100_000_000)),
                       self._record(self.therapist, make_npi(300_000_000))]  # fmt: skip
            return {"result_count": len(results), "results": results}
        if taxonomy != "Dermatology" or query.get("state") != "DE":
            return {"result_count": 0, "results": []}
        prefix = query.get("postal_code")
        if prefix:
            results = [
                self._record(self.dermatologist, make_npi(200_000_000 + int(prefix.rstrip("*"))))
            ]
        else:
            results = [
                self._record(self.dermatologist, make_npi(100_000_000 + skip + i))
                for i in range(200)
            ]
        return {"result_count": len(results), "results": results}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
