"""Terraform expressions as the configuration reader evaluates them, and hostile configurations:
bad HCL, reference cycles, fan-out, nesting, size."""

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_analyzer.cli import main
from iam_analyzer.collect.iac import read_paths
from iam_analyzer.collect.iac.tf_expr import UNKNOWN, Evaluator, Scope
from iam_analyzer.collect.iac.tf_hcl import HclError, parse_bytes

from ...paths import DATA

SHOP = DATA / "iac" / "tfconfig" / "shop"
SHOP_MAIN = (SHOP / "main.tf").read_text()


def ev(expr: str, names: dict | None = None):
    body = parse_bytes(f"x = {expr}\n".encode(), "t.tf")
    notes = []
    e = Evaluator(lambda f, ln, what: notes.append(what))
    value = e.eval(body.attrs["x"].expr, Scope(lambda root, steps, line: (UNKNOWN, 0), "t.tf", names or {}))
    return value, notes


@pytest.mark.parametrize("expr,want", [
    ('"a-${1 + 2}-b"', "a-3-b"),
    ('"tab\\there \\"q\\" $${literal} %%{x}"', 'tab\there "q" ${literal} %{x}'),
    ('format("%s-%d-%q", "a", 7, "b")', 'a-7-"b"'),
    ('join(",", ["a", "b"], ["c"])', "a,b,c"),
    ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
    ('merge({a = 1, b = 2}, {b = 3})', {"a": 1, "b": 3}),
    ('lookup({a = "x"}, "b", "dflt")', "dflt"),
    ('true && !false ? "yes" : "no"', "yes"),
    ('[for k, v in {a = 1, b = 2} : "${k}=${v}" if v > 1]', ["b=2"]),
    ('{for s in ["x", "y"] : s => upper(s)}', {"x": "X", "y": "Y"}),
    ('[{id = 1}, {id = 2}][*].id', [1, 2]),
    ('"%{ for x in ["a", "b"] }${x};%{ endfor }"', "a;b;"),
    ('"%{ if false }no%{ else }yes%{ endif }"', "yes"),
    ('jsondecode("{\\"a\\": [1]}").a[0]', 1),
    ('yamldecode("a:\\n  b: [x, y]\\n").a.b[1]', "y"),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('(2 + 3) * -2', -10),
])
def test_expressions_evaluate_as_terraform_does(expr, want):
    assert ev(expr)[0] == want


def test_heredocs_keep_their_text_and_the_indented_form_strips_the_margin():
    body = parse_bytes(b'a = <<EOT\n  {"k": "${1}"}\nEOT\nb = <<-EOT\n    line1\n      line2\n    EOT\n', "t.tf")
    e = Evaluator(lambda *a: None)
    s = Scope(lambda root, steps, line: (UNKNOWN, 0), "t.tf")
    assert e.eval(body.attrs["a"].expr, s) == '  {"k": "1"}\n'
    assert e.eval(body.attrs["b"].expr, s) == "line1\n  line2\n"


def test_unknown_values_stay_unknown_and_read_as_a_wildcard_inside_strings():
    assert ev("var.x")[0] is UNKNOWN
    assert ev('"arn:aws:s3:::${var.bucket}/*"')[0] == "arn:aws:s3:::*/*"
    assert ev('join("-", ["a", var.x])')[0] == "a-*"
    assert ev("concat(var.x, [1])")[0] is UNKNOWN
    value, notes = ev('var.flag ? "a" : "b"')
    assert value == "a" and "read as true" in notes[0]  # taken as true, and said so
    value, notes = ev('regex("a+", "aaa")')
    assert value is UNKNOWN and "not evaluated offline" in notes[0]


def test_a_heredoc_closer_with_trailing_spaces_parses_and_bad_hcl_names_the_line():
    body = parse_bytes(b'a = <<EOF\nx\nEOF   \nb = 1\n', "t.tf")
    assert set(body.attrs) == {"a", "b"}
    with pytest.raises(HclError) as e:
        parse_bytes(b'resource "x" "y" {\n  a = 1\n  b = \n}\n', "t.tf")
    assert str(e.value).startswith("line 3: invalid HCL")
    with pytest.raises(HclError) as e:  # the place, never the text (it may hold a secret)
        parse_bytes(b'password = "hunter2\n', "t.tf")
    assert "hunter2" not in str(e.value) and "invalid HCL" in str(e.value)
    with pytest.raises(HclError) as e:
        parse_bytes(b'a = "\xff"\n', "t.tf")
    assert "not UTF-8" in str(e.value)


def test_a_file_that_does_not_parse_is_named_with_its_line_and_the_module_is_still_read(tmp_path):
    (tmp_path / "good.tf").write_text('resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
                                      '  role = "arn:aws:iam::123456789012:role/r"\n}\n')
    (tmp_path / "bad.tf").write_text('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = \n}\n')
    r = read_paths([tmp_path])
    errors = [e for i in r.inputs for e in i.errors]
    assert errors == [f"{tmp_path / 'bad.tf'}: line 3: invalid HCL (column 3)"]
    assert r.ok and [f.name for f in r.snapshot.functions()] == ["f"]


def test_cycles_fan_out_nesting_and_size_are_bounded_and_listed(tmp_path):
    deep = "(" * 3000 + "1" + ")" * 3000
    (tmp_path / "main.tf").write_text(f'''
locals {{
  a    = "x-${{local.b}}"
  b    = "y-${{local.a}}"
  big  = [for i in range(100000000) : i]
  deep = {deep}
  kb   = join("", [for i in range(1000) : "x"])
  mb   = join("", [for i in range(1000) : local.kb])
  many = [for i in range(10000) : "${{local.mb}}${{i}}"]
}}
resource "aws_sqs_queue" "q" {{
  count = 100000
  name  = "q${{count.index}}"
}}
resource "aws_iam_role" "s" {{
  name               = aws_iam_role.t.name
  assume_role_policy = "{{}}"
  description        = "${{local.a}} ${{length(local.big)}} ${{local.deep}} ${{length(local.many)}}"
}}
resource "aws_iam_role" "t" {{
  name               = aws_iam_role.s.name
  assume_role_policy = "{{}}"
}}
resource "aws_lambda_function" "f" {{
  function_name = "f"
  role          = aws_iam_role.s.arn
}}
''')
    start = time.perf_counter()
    r = read_paths([tmp_path])
    assert time.perf_counter() - start < 30  # bounded; not a timing target
    assert r.ok and [f.name for f in r.snapshot.functions()] == ["f"]
    what = sorted(u.what for u in r.unresolved)
    for part in ("local.a: reference cycle", "range() of 100000000 numbers", "nested too deeply",
                 "over the 1000 read per resource", "aws_iam_role.s.name: reference cycle", "size limit"):
        assert any(part in w for w in what), part
    assert all(u.path == str(tmp_path / "main.tf") and u.line for u in r.unresolved)


_JUNK = st.sampled_from(["{", "}", "${", '"', "<<EOF\n", "\nEOF  \n", "(", ")", "[", "]", "=", ",", "...", "%{",
                         "for x in", "? :", "\x00", "\xff", "module.", "var.", "local.", "\n", "jsonencode(", "#"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(cut=st.integers(min_value=0, max_value=len(SHOP_MAIN)), at=st.integers(min_value=0, max_value=len(SHOP_MAIN)),
       junk=st.lists(_JUNK, max_size=6))
def test_a_mutated_configuration_never_gives_a_traceback(cut, at, junk):
    """The shop's main.tf truncated and with junk inserted, through the command line: exit 0, 1
    or 2, never 3 or a traceback; a refused file is named; the module's other files are still read."""
    text = SHOP_MAIN[:at] + "".join(junk) + SHOP_MAIN[at:]
    text = text[:max(cut, at)]
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "shop"
        shutil.copytree(SHOP, root)
        (root / "main.tf").write_bytes(text.encode("utf-8", "surrogateescape"))
        r = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
        assert r.exit_code in (0, 1, 2), r.output
        assert not (r.exception and not isinstance(r.exception, SystemExit)), repr(r.exception)
        assert "Traceback" not in r.stderr
        if "invalid HCL" in r.stderr:
            assert str(root / "main.tf") in r.stderr
        if r.exit_code != 2:  # reports.tf still gives its function, whatever main.tf became
            assert json.loads(r.stdout)["summary"]["functions"] >= 1
