import json

import pyarrow.parquet as pq
import typer
from event_rows import call, table
from typer.testing import CliRunner

from cli.audit import register
from eventlog import iter_envelopes

pytest_plugins = ["pytester"]


def _app():
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # keep "audit" a subcommand
    return app


def _rows(slow=0, n=100):
    return [call(i, at=i * 30, number=f"+1212555{i:04d}", agent_after_start=2.5 if i < slow else 0.8) for i in range(n)]


def test_cli_text_json_and_exit_codes(tmp_path):
    good, bad = tmp_path / "good.parquet", tmp_path / "bad.parquet"
    pq.write_table(table(_rows(3)), good)
    pq.write_table(table(_rows(4)), bad)
    runner = CliRunner()
    r = runner.invoke(_app(), ["audit", str(good), "--jurisdiction", "UK"])
    assert r.exit_code == 0 and "abandonment_rate" in r.output and "PASS" in r.output
    r = runner.invoke(_app(), ["audit", str(bad), "--jurisdiction", "UK", "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["passed"] is False and data["rules"][0]["measured"] == 0.04
    assert runner.invoke(_app(), ["audit", str(bad), "-j", "US"]).exit_code == 0  # the US clock starts later


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    runner = CliRunner()
    r = runner.invoke(_app(), ["audit", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "missing.jsonl" in r.output and "Traceback" not in r.output
    r = runner.invoke(_app(), ["audit", str(tmp_path / "missing.jsonl"), "-j", "Mars"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    path = tmp_path / "trunc.jsonl"
    lines = [json.dumps(e, default=str) for e in iter_envelopes(table(_rows(0, 10)))]
    path.write_text("\n".join(lines) + "\n" + lines[0][:30])
    r = runner.invoke(_app(), ["audit", str(path), "-j", "US"])
    assert r.exit_code == 2 and f"{path}:11" in r.output and "Traceback" not in r.output
    assert "abandonment_rate" in r.output  # the valid part is still audited
    g = tmp_path / "garbage.parquet"
    g.write_text("nope")
    r = runner.invoke(_app(), ["audit", str(g)])
    assert r.exit_code == 2 and "garbage.parquet" in r.output and len(r.output.strip().splitlines()) == 1


def test_pytest_plugin_fixture_and_assertion(pytester, tmp_path):
    good, bad = tmp_path / "good.parquet", tmp_path / "bad.parquet"
    pq.write_table(table(_rows(3)), good)
    pq.write_table(table(_rows(4)), bad)
    pytester.makepyfile(
        f"""
        from compliance import assert_compliant

        def test_good(compliance_audit):
            assert compliance_audit({str(good)!r}, "UK").passed
            assert_compliant({str(good)!r}, "UK")

        def test_bad():
            assert_compliant({str(bad)!r}, "UK")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*abandonment_rate: 4.00% (limit 3%)*"])
