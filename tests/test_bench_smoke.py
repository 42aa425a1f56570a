"""The benchmarks still run (small mode) and print their figures: the site's bytes beside stock
Material, the submission load beside its baseline, the province-scale timings, the province's
roll-up. Speed itself is never asserted: the figures are for people to read (docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys

from checklist_app import REPO_ROOT


def test_the_site_benchmark_runs_and_prints_the_ratio_to_stock_material():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "site_bench.py")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^ratio /: ours/stock = \d+\.\d\d \(ours \d+ B, stock \d+ B", result.stdout, re.M), result.stdout
    assert re.search(r"^site build \(mkdocs build\): ours \d+\.\d\d s", result.stdout, re.M)
    assert "references another host" not in result.stdout


def run_bench(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / name)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_load_benchmark_runs_the_app_and_the_baseline_and_loses_nothing():
    out = run_bench("load_bench.py")
    assert re.search(r"^baseline \(durable insert only\):$", out, re.M), out
    assert re.search(r"^app \(checklist serve\):$", out, re.M), out
    assert len(re.findall(r"^  throughput: \d+\.\d req/s$", out, re.M)) == 2, out
    assert len(re.findall(r"^  p99: \d+\.\d ms", out, re.M)) == 2, out
    assert re.search(r"^  ratio: \d+\.\d\d of the baseline's throughput$", out, re.M), out
    assert re.search(r"^  server CPU per request: \d+\.\d\d × the baseline's$", out, re.M), out
    for target in ("throughput ≥ 0.7 × the baseline's", "p99 ≤ 120 ms", "server CPU ≤ 1.2 ms per request"):
        assert re.search(rf"^  {re.escape(target)}: .+, (met|not met)$", out, re.M), out
    assert len(re.findall(r"^  rows lost: 0 \(of [1-9]\d* acknowledged; integrity_check ok\)$", out, re.M)) == 2, out
    assert len(re.findall(r"^  errors: 0$", out, re.M)) == 2, out


def test_the_province_benchmark_times_the_dashboard_with_and_without_inspections_unsigned_list_snapshot_and_xlsx():
    out = run_bench("province_bench.py")
    assert re.search(
        r"^dashboard \(GET /bureau/, 500 schools\): \d+ ms median first view after a write \(slowest \d+ ms; "
        r"5 views, each after one write: 2 declarations, 3 pledges\); \d+ ms median repeat view",
        out,
        re.M,
    ), out
    assert re.search(r"^generate: .*, of which storage.recompute_derived \d+\.\d s$", out, re.M), out
    assert re.search(
        r"^inspections: [1-9]\d* \(\d+ findings; 20 through storage.record_inspection, the rest bulk-inserted\) .*"
        r"standings: 核查相符 [1-9]\d*; 核查不符 [1-9]\d*; 待复查 [1-9]\d*; [1-9]\d* overdue rectifications; "
        r"the verb's standings kept by the bulk path$",
        out,
        re.M,
    ), out
    assert re.search(
        r"^dashboard with inspections \(GET /bureau/, 500 schools, [1-9]\d* inspections\): \d+ ms median first view "
        r"after a write \(slowest \d+ ms; 5 views, each after one write: 3 declarations, 2 pledges\); \d+ ms median "
        r"repeat view",
        out,
        re.M,
    ), out
    assert re.search(
        r"^dashboard with/without inspections: first view after a write \d+\.\d\d×, repeat view \d+\.\d\d×$", out, re.M
    ), out
    assert re.search(
        r"^未签名单 \(GET /school/staff/, school \w+, \d+ roster rows, 5 unsigned\): \d+\.\d ms", out, re.M
    ), out
    assert re.search(r"^snapshot: \d+ MB in \d+\.\d\d s = \d+ MB/s", out, re.M), out
    assert re.search(r"^xlsx: 10000 pledges .* in \d+\.\d s .*peak RSS \d+ MB", out, re.M), out


def test_the_upload_benchmark_refuses_every_oversized_file_and_prints_time_and_memory():
    out = run_bench("upload_bench.py")
    lines = re.findall(
        r"^(xlsx|csv) .*\(\d+ KB\): refused \(status 400\) in \d+\.\d\d s, peak memory \d+\.\d MB "
        r"\(\+\d+\.\d MB for the upload\), page \d+ KB$",
        out,
        re.M,
    )
    assert len(lines) == 4, out
    assert "NOT refused" not in out
    assert len(re.findall(r"^  says: .*没有导入任何数据", out, re.M)) == 4, out  # each page says why


def test_the_national_benchmark_answers_the_national_question_from_parquet_with_the_right_totals():
    out = run_bench("national_bench.py")
    assert re.search(r"^generated: 62 counties in 31 provinces, 500 schools, 18,000 staff rows", out, re.M), out
    assert re.search(r"^national question .+: min \d+ ms, median \d+ ms \(5 runs\)$", out, re.M), out
    assert re.search(r"^peak RSS: \d+ MiB$", out, re.M), out
    assert re.search(
        r"^totals: schools 500, ready 400, staff 18,000, unsigned 1,800; match the generated totals$", out, re.M
    ), out


def test_the_rollup_benchmark_takes_in_every_county_download_with_every_row_once_and_times_the_console():
    out = run_bench("rollup_bench.py")
    assert re.search(r"^made: 5 county downloads, \d+ MB in all", out, re.M), out
    assert re.search(
        r"^rollup add: 5 county downloads \(\d+ rows\) in \d+\.\d s \(\d+\.\d s with the child's start\)", out, re.M
    ), out
    assert re.search(r"^peak RSS: \d+ MiB$", out, re.M), out
    assert re.search(r"^roll-up database: \d+ MB$", out, re.M), out
    assert re.search(
        r"^check: schools 500, pledges 20000, roster \d+, declarations 1500; every table, and every county, "
        r"matches the sums of the inputs$",
        out,
        re.M,
    ), out
    views = r"\d+ ms median, slowest \d+ ms \(5 views\); page \d+ KB — target < 300 ms: (met|NOT met)$"
    assert re.search(
        rf"^province dashboard \(GET /bureau/, 5 counties, 500 schools\): \d+ ms the first view in the process; {views}",
        out,
        re.M,
    ), out
    assert re.search(
        rf"^county page \(GET /bureau/county/220105, 100 schools\): \d+ ms the first view; {views}", out, re.M
    ), out
    assert re.search(
        rf"^township page \(GET /bureau/county/220105/township/\w+, [1-9]\d* schools\): \d+ ms the first view; {views}",
        out,
        re.M,
    ), out
    assert re.search(
        r"^rollup add of a newer download: county 220105 replaced \(4001 pledges, one more\) in \d+\.\d s "
        r"\(\d+\.\d s with the child's start\); its rows are the newer file's$",
        out,
        re.M,
    ), out
    assert re.search(
        rf"^province dashboard after a county was replaced \(GET /bureau/\): \d+ ms the first view after the add; {views}",
        out,
        re.M,
    ), out
