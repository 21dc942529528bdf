import pytest

from crawler.run import UnknownSpider, crawl_settings, run_spider, run_status


def test_settings_layer_project_then_run_then_overrides(tmp_path):
    settings = crawl_settings(tmp_path, 7, "practices", {"DOWNLOAD_DELAY": "0.05"}, resume=False)
    assert settings.getbool("ROBOTSTXT_OBEY") and not settings.getbool("COOKIES_ENABLED")
    assert settings.get("USER_AGENT").startswith("skinmapbot/0.1 (+https://")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.05
    assert settings.getint("SKINMAP_RUN_ID") == 7 and settings.get("SKINMAP_DATA_DIR") == str(
        tmp_path
    )
    assert settings.get("JOBDIR") is None


def test_resume_keeps_the_job_in_a_stable_directory(tmp_path):
    settings = crawl_settings(tmp_path, 7, "nppes", {}, resume=True)
    assert settings.get("JOBDIR") == str(tmp_path / "crawls" / "nppes-job")


def test_the_practice_crawl_resumes_from_its_page_journal_not_a_jobdir(tmp_path):
    settings = crawl_settings(tmp_path, 7, "practices", {}, resume=True)
    assert settings.get("JOBDIR") is None
    assert settings.get("SKINMAP_PAGE_JOURNAL") == str(
        tmp_path / "crawls" / "practices-job" / "pages.jsonl"
    )


def test_run_status_from_finish_reason():
    assert run_status("finished") == "finished"
    assert run_status("shutdown") == "interrupted"
    assert run_status("finished", fatal="CmsFormatError: no NPI") == "failed"
    assert run_status(None) == "failed"
    assert run_status("memusage_exceeded") == "failed"


def test_unknown_spiders_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(UnknownSpider):
        run_spider("facebook", tmp_path, {}, {})
    assert not (tmp_path / "store.sqlite3").exists()
