"""The scale-out benchmark's arithmetic and its summary line (no timings are asserted)."""

from __future__ import annotations

from benchmarks import scaleout


def test_the_national_estimate_is_the_national_request_count_over_the_measured_rate():
    assert scaleout.national_hours(100.0) == round(600_000 / 100 / 3600, 2)
    assert scaleout.national_hours(None) is None


def test_the_summary_line_reports_speed_ups_bytes_and_the_recrawl_ratio():
    report = {
        "sites": 10,
        "w1": {"pages": 110, "pps": 10.0, "speedup": 1.0, "bytes": 1000, "national_hours": 16.7},
        "w2": {"pps": 19.0, "speedup": 1.9},
        "w4": {"pps": 36.0, "speedup": 3.6, "vs_scrapy_bench": 0.4, "national_hours": 4.6},
        "recrawl": {"bytes": 20},
        "scrapy_bench": {"pps": 90.0},
        "national_hours_8_workers_extrapolated": 2.1,
    }
    line = scaleout.bench_line(report)
    assert line.startswith("scaleout_bench: sites=10 pages=110 w1_pps=10.0 w2_pps=19.0")
    assert "speedup_w4=3.6" in line and "w4_vs_bench=0.4" in line
    assert "first_bytes=1000 recrawl_bytes=20 recrawl_ratio=0.02" in line
    assert line.endswith("national_h_w8=2.1")
