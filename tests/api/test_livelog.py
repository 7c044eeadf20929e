"""The compressed live event log (api/livelog.py): what a tailer reads of a
growing file is whole lines only, the file is a standard zstd stream, and
it is far smaller than the JSON it holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pyarrow as pa
import pytest

from api import livelog


def _lines(n: int, start: int = 0) -> list[bytes]:
    return [
        json.dumps({"id": f"{i:08d}", "detail": {"eventType": "INITIATED", "n": i}}).encode()
        for i in range(start, start + n)
    ]


def test_tailer_sees_whole_frames_only(tmp_path):
    path = tmp_path / livelog.FILE_NAME
    w = livelog.LogWriter(path)
    for line in _lines(100):
        w.write_line(line)
    w.flush()
    for line in _lines(50, 100):
        w.write_line(line)  # buffered: not yet visible
    r = livelog.open_reader(tmp_path)
    assert r.read_lines(1000) == _lines(100)
    assert r.read_lines(1000) == []
    # Half a frame on disk (a writer caught mid-write) is not read...
    w.flush()
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 7])
    assert r.read_lines(1000) == []
    # ...until the rest arrives.
    path.write_bytes(whole)
    assert r.read_lines(30) == _lines(30, 100)
    assert r.read_lines(1000) == _lines(20, 130)
    r.close()
    w.close()


def test_file_is_a_standard_zstd_stream_and_small(tmp_path):
    path = tmp_path / livelog.FILE_NAME
    w = livelog.LogWriter(path)
    lines = _lines(20_000)
    for i, line in enumerate(lines):
        w.write_line(line)
        if i % 3000 == 0:
            w.flush()
    w.close()
    with pa.CompressedInputStream(pa.OSFile(str(path)), "zstd") as f:
        assert f.read().splitlines() == lines
    if shutil.which("zstd"):
        out = subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
        assert out.splitlines() == lines
    raw = sum(len(x) + 1 for x in lines)
    # Repetitive JSON compresses at least 5x (measured ~40x on real events).
    assert os.path.getsize(path) * 5 < raw


def test_plain_logs_of_older_runs_are_still_read(tmp_path):
    (tmp_path / livelog.PLAIN_NAME).write_bytes(b"\n".join(_lines(10)) + b"\n" + b'{"partial"')
    r = livelog.open_reader(tmp_path)
    assert r.read_lines(100) == _lines(10)
    assert b"".join(livelog.iterate_bytes(livelog.open_reader(tmp_path))).splitlines() == _lines(10)


def test_a_foreign_file_is_refused(tmp_path):
    (tmp_path / livelog.FILE_NAME).write_bytes(b"not a log at all, longer than a header")
    with pytest.raises(ValueError, match="not a framed event log"):
        livelog.open_reader(tmp_path).read_lines(1)
