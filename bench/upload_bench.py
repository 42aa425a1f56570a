"""Roster uploads that cost far more than they are worth, and what the app now spends on them.

The security review (issue 18) took a worker to 113 s and 4.4 GB with a 290 KB XLSX that unpacks
to 2,000,000 rows. This bench makes such files itself and uploads each, as a logged-in school,
through the app (Flask's test client, in a fresh process per file so each peak is its own):

- an XLSX of 2,000,000 rows (`--full`; 200,000 by default), a few hundred KB packed;
- the largest XLSX the size check lets through, read to its end by openpyxl (it has no
  <dimension> element), then row by row until the problems stop the reading;
- an XLSX of 200,000 rows whose parts say they are small (a lying zip header);
- a CSV just under the 4 MB upload limit (about 150,000 rows).

For each it prints the status, the time of the request, the process's peak resident memory and
how much of it the upload added. Target (issue 18): refused in under 2 s, under 100 MB.

    python bench/upload_bench.py            # the XLSX at 200,000 rows
    python bench/upload_bench.py --full     # the XLSX at 2,000,000 rows, as in the review
"""

from __future__ import annotations

import argparse
import io
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

TARGET_SECONDS, TARGET_MB = 2, 100
CSV_BYTES = 4 * 1024 * 1024 - 64 * 1024  # under the app's 4 MB request limit, with the form around it
LARGEST_PASSING_ROWS = 27_500  # unpacked just under the roster's bound (imports.XLSX_BYTES_*)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_rows(rows: int):
    """The sheet's XML in pieces: a header and `rows` rows alike (no row or cell references, as
    the format allows), so that the file packs to a few hundred KB as the review's did."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    yield f"<row>{_cell('姓名')}{_cell('手机号码')}{_cell('身份')}</row>"
    row = f"<row>{_cell('张老师')}<c><v>13812345678</v></c>{_cell('教师')}</row>"
    for _ in range(rows):
        yield row
    yield "</sheetData></worksheet>"


def make_xlsx(path: Path, rows: int, lying: bool = False) -> None:
    """A real XLSX of `rows` rows, written piece by piece (packed, it stays small: every row is
    alike). `lying` rewrites the sheet's stated unpacked size to a few KB, as an attacker
    would to get past a check of the sizes alone."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ):
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as sheet:
            batch = []
            for piece in sheet_rows(rows):
                batch.append(piece)
                if len(batch) >= 10_000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write("".join(batch).encode())
    if lying:
        _state_small_sizes(path)


def _state_small_sizes(path: Path) -> None:
    """Overwrite the sheet's unpacked size in its local header and central directory entry."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    small = (4096).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = small
    name = b"xl/worksheets/sheet1.xml"
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + length] == name:
            data[central + 24 : central + 28] = small
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def make_csv(path: Path, size: int) -> int:
    lines = ["姓名,手机号码,身份"]
    total, n = len(lines[0]) + 2, 0
    while total < size:
        n += 1
        line = f"张老师,{13_000_000_000 + n},教师"
        lines.append(line)
        total += len(line.encode()) + 2
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return n


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def upload_once(path: Path) -> dict:
    """In this (fresh) process: an app on a temporary database, a school logged in, one upload."""
    from checklist_app import create_app, storage
    from schemas import School

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE": f"{folder}/bench.db", "SECRET_KEY": "bench", "TESTING": True})
        db = storage.open_db(app.config["DATABASE"])
        storage.upsert_schools(db, [School(code="B01", name="示例小学", kind="小学", township="城关镇")])
        (issued,) = storage.issue_access_codes(db, ["B01"], actor="bench")
        client = app.test_client()
        token = CSRF_RE.search(client.get("/school/login").get_data(as_text=True)).group(1)
        login = {"csrf_token": token, "school_code": "B01", "access_code": issued["access_code"]}
        assert client.post("/school/login", data=login).status_code == 302
        token = CSRF_RE.search(client.get("/school/staff/").get_data(as_text=True)).group(1)
        body = path.read_bytes()
        before = peak_mb()
        started = time.perf_counter()
        response = client.post(
            "/school/staff/roster",
            data={"csrf_token": token, "roster": (io.BytesIO(body), path.name)},
            content_type="multipart/form-data",
        )
        seconds = time.perf_counter() - started
        page = response.get_data(as_text=True)
        said = re.search(r'class="error-message"><span class="visually-hidden">[^<]*</span>([^<]+)<', page)
        stored = db.execute("SELECT COUNT(*) FROM roster").fetchone()[0]
        db.close()
    return {
        "status": response.status_code,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "added_mb": peak_mb() - before,
        "page_kb": len(page.encode()) / 1024,
        "stored": stored,
        "said": said.group(1) if said else "",
    }


def measure(label: str, path: Path) -> bool:
    result = subprocess.run(
        [sys.executable, __file__, "--upload", str(path)], capture_output=True, text=True, timeout=900
    )
    if result.returncode:
        print(result.stdout + result.stderr)
        raise SystemExit(f"{label}: the upload process failed")
    r = json.loads(result.stdout.strip().splitlines()[-1])
    refused = r["status"] == 400 and r["stored"] == 0
    print(
        f"{label} ({path.stat().st_size // 1024} KB): {'refused' if refused else 'NOT refused'} "
        f"(status {r['status']}) in {r['seconds']:.2f} s, peak memory {r['peak_mb']:.1f} MB "
        f"(+{r['added_mb']:.1f} MB for the upload), page {r['page_kb']:.0f} KB"
    )
    print(f"  says: {r['said']}")
    within = refused and r["seconds"] < TARGET_SECONDS and r["peak_mb"] < TARGET_MB
    print(f"  target (refused, under {TARGET_SECONDS} s, under {TARGET_MB} MB): {'met' if within else 'missed'}")
    return refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the XLSX at 2,000,000 rows (as in the review)")
    parser.add_argument("--upload", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upload:
        print(json.dumps(upload_once(Path(args.upload))))
        return
    rows = 2_000_000 if args.full else 200_000
    refused = True
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        make_xlsx(folder / "roster.xlsx", rows)
        make_xlsx(folder / "largest.xlsx", LARGEST_PASSING_ROWS)
        make_xlsx(folder / "lying.xlsx", 200_000, lying=True)
        csv_rows = make_csv(folder / "roster.csv", CSV_BYTES)
        print(f"files made in {time.perf_counter() - started:.1f} s")
        refused &= measure(f"xlsx {rows} rows", folder / "roster.xlsx")
        refused &= measure(f"xlsx {LARGEST_PASSING_ROWS} rows, no dimension", folder / "largest.xlsx")
        refused &= measure("xlsx 200000 rows, sizes understated", folder / "lying.xlsx")
        refused &= measure(f"csv {csv_rows} rows", folder / "roster.csv")
    if not refused:
        raise SystemExit("an oversized upload was not refused")


if __name__ == "__main__":
    main()
