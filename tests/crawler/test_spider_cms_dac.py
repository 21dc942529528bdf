import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawler.crawl_helpers import crawl_runs, run_crawl, stored_observations

SAMPLE = "dac_ndf_2021_sample_386rows.csv"


@pytest.mark.slow
def test_a_local_file_is_streamed_into_one_observation_per_npi(tmp_path, realdata):
    code, stderr = run_crawl("cms", tmp_path, {"source": str(realdata / "cms_dac" / SAMPLE)})
    assert code == 0, stderr[-3000:]
    observations = stored_observations(tmp_path)
    assert len(observations) == 8
    assert {o.source for o in observations} == {"cms"}
    assert all(o.source_key == o.payload["npi"] for o in observations)
    [run] = crawl_runs(tmp_path)
    assert run.status == "finished" and run.stats["cms/practitioners"] == 8


@pytest.mark.slow
def test_a_url_is_downloaded_to_the_data_dir_and_removed_after(tmp_path, realdata):
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            requests.append((self.path, self.headers.get("User-Agent")))

    handler = functools.partial(Handler, directory=str(realdata / "cms_dac"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{SAMPLE}"
        code, stderr = run_crawl("cms", tmp_path, {"source": url})
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, stderr[-3000:]
    assert len(stored_observations(tmp_path)) == 8
    assert requests == [
        (f"/{SAMPLE}", "skinmapbot/0.1 (+https://github.com/skinmap/skinmap#crawling)")
    ]
    assert list((tmp_path / "crawls" / "downloads").iterdir()) == []


@pytest.mark.slow
def test_a_file_that_is_not_the_cms_layout_fails_the_run(tmp_path):
    bogus = tmp_path / "bogus.csv"
    bogus.write_text("name,city\nA,B\n")
    run_crawl("cms", tmp_path, {"source": str(bogus)})
    [run] = crawl_runs(tmp_path)
    assert run.status == "failed"
    assert "CmsFormatError" in run.stats["skinmap/fatal"]
    assert any("Doctors and Clinicians" in e for e in run.errors)


@pytest.mark.slow
def test_a_missing_file_fails_the_run(tmp_path):
    run_crawl("cms", tmp_path, {"source": str(tmp_path / "absent.csv")})
    [run] = crawl_runs(tmp_path)
    assert run.status == "failed"
