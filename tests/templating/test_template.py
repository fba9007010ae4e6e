"""The template subset against the semantics documented for Go's text/template.

Expected outputs are written from the package documentation (there is no Go toolchain here):
each case names the rule it checks.
"""

from __future__ import annotations

import pytest

from nanoping.templating import Template, TemplateExecError, TemplateSyntaxError

DATA = {
    "node": {
        "id": "n-1",
        "numeric_id": 2,
        "ip": "100.65.254.2",
        "carriers": [
            {"numeric_id": 0, "address": {"ip": "10.0.0.2", "port": 3425}},
            {"numeric_id": 1, "interface": "eth1"},
        ],
    },
    "nodes": [{"id": "a", "ip": "100.65.254.1"}, {"id": "b", "ip": "100.65.254.2"}],
    "parameters": {"z": 1, "a": "x", "m": "y", "ratio": 0.5, "million": 1e6, "null": None},
    "empty": [],
    "flag": False,
    "count": 3,
}


def render(text: str, data: object = DATA) -> str:
    return Template.parse(text, name="t").render(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Text and fields
        ("plain text", "plain text"),
        ("{{ .node.ip }}", "100.65.254.2"),
        ("{{.node.numeric_id}}", "2"),
        ("{{ . | len }}", "6"),
        ("{{ $.node.id }}", "n-1"),
        # Trim markers: "{{- " trims all preceding white space, " -}}" all following
        ("a \n\t {{- .node.id -}} \n b", "an-1b"),
        ("a {{- .node.id }} b", "an-1 b"),
        ("{{ 3 }} {{- 4 }}", "34"),
        ("{{-3}}", "-3"),
        # Comments, with and without trimming
        ("a{{/* a comment */}}b", "ab"),
        ("a {{- /* multi\nline */ -}} b", "ab"),
        # Literals
        ('{{ "quoted\\tstring" }}', "quoted\tstring"),
        ("{{ `raw \\n` }}", "raw \\n"),
        ("{{ 'a' }}", "97"),
        ("{{ 1.5 }} {{ 0x10 }} {{ true }} {{ false }}", "1.5 16 true false"),
        # Floats print as Go's %v does
        ("{{ .parameters.ratio }} {{ .parameters.million }}", "0.5 1e+06"),
        # Missing keys: Go's default prints <no value>; inside a call it is nil
        (
            "{{ .nope }}|{{ .nope.deeper }}|{{ .parameters.null }}",
            "<no value>|<no value>|<no value>",
        ),
        ("{{ print .nope }}", "<nil>"),
        ("{{ if .nope }}yes{{ else }}no{{ end }}", "no"),
        ('{{ eq .nope "x" }}', "false"),
        # Variables and their scope
        ("{{ $x := .node.id }}{{ $x }}", "n-1"),
        ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
        ("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"),
        # Pipelines: the previous value becomes the last argument
        ('{{ .node.id | printf "%s/%s" "id" }}', "id/n-1"),
        ('{{ "a" | print "b" | print "c" }}', "cba"),
        ("{{ (len .nodes) }}", "2"),
        ("{{ (index .nodes 1).ip }}", "100.65.254.2"),
        # if / else if / else
        ("{{ if eq .node.numeric_id 1 }}one{{ else if eq .node.numeric_id 2 }}two{{ end }}", "two"),
        ("{{ if .flag }}a{{ else if .empty }}b{{ else }}c{{ end }}", "c"),
        ("{{ if .count }}{{ . | len }}{{ end }}", "6"),
        # Truth: empty list, zero, empty string and false are false
        ("{{ if .empty }}t{{ else }}f{{ end }}{{ if 0 }}t{{ else }}f{{ end }}", "ff"),
        ('{{ if "" }}t{{ else }}f{{ end }}{{ if .node }}t{{ end }}', "ft"),
        # Comparisons
        ('{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }}', "true true true"),
        ('{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge "b" "a" }}', "true true false true"),
        ("{{ eq .node.numeric_id 2.0 }}", "true"),
        # and / or return the deciding operand, not a bool
        ('{{ and 1 "x" }} {{ and 0 "x" }} {{ or 0 "" }} {{ or 0 "y" }}', "x 0  y"),
        ("{{ and .flag .nope.deeper }}", "false"),
        ("{{ not .flag }} {{ not 1 }}", "true false"),
        # range over lists, maps (sorted keys), ints, with else
        ("{{ range .nodes }}[{{ .id }}]{{ end }}", "[a][b]"),
        (
            "{{ range $i, $n := .nodes }}{{ $i }}={{ $n.ip }};{{ end }}",
            "0=100.65.254.1;1=100.65.254.2;",
        ),
        ("{{ range $v := .nodes }}{{ $v.id }}{{ end }}", "ab"),
        ("{{ range $k, $v := .parameters }}{{ $k }},{{ end }}", "a,m,million,null,ratio,z,"),
        ("{{ range .empty }}x{{ else }}none{{ end }}", "none"),
        ("{{ range .nope }}x{{ else }}none{{ end }}", "none"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ('{{ range .nodes }}{{ if eq .id "a" }}{{ continue }}{{ end }}{{ .id }}{{ end }}', "b"),
        ("{{ range .nodes }}{{ .id }}{{ break }}{{ end }}", "a"),
        (
            "{{ range .node.carriers }}{{ if .address }}{{ .address.ip }}:{{ .address.port }}{{ else }}{{ .interface }}{{ end }} {{ end }}",
            "10.0.0.2:3425 eth1 ",
        ),
        # with / else
        ("{{ with .node.carriers }}{{ len . }}{{ end }}", "2"),
        ("{{ with .empty }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ with $c := index .node.carriers 0 }}{{ $c.address.port }}{{ end }}", "3425"),
        # index, len, print family
        ('{{ index .node.carriers 0 "address" "port" }}', "3425"),
        ('{{ index .parameters "missing" }}', "<no value>"),
        ('{{ len "héllo" }}', "6"),
        ('{{ print 1 2 "a" 3 }}', "1 2a3"),
        ("{{ println 1 2 }}", "1 2\n"),
        (
            '{{ printf "%05d|%-3s|%q|%x|%v|%t" 42 "a" "b" 255 .nodes true }}',
            '00042|a  |"b"|ff|[map[id:a ip:100.65.254.1] map[id:b ip:100.65.254.2]]|true',
        ),
        ('{{ printf "%d %s" "x" }}', "%!d(string=x) %!s(MISSING)"),
    ],
)
def test_renders_as_go_does(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("{{ .a ", 1, 1, "unclosed action"),
        ("ok\n{{ if .a }}x", 2, 1, "{{if}} has no {{end}}"),
        ("{{ end }}", 1, 1, "unexpected {{end}}"),
        ("line1\n  {{ nosuch 1 }}", 2, 6, 'function "nosuch" not defined'),
        ("{{ $x }}", 1, 4, 'undefined variable "$x"'),
        ("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}", 1, 39, 'undefined variable "$y"'),
        ("{{ $z = 1 }}", 1, 1, 'undefined variable "$z"'),
        ("{{ break }}", 1, 4, "{{break}} outside {{range}}"),
        ("{{/* open", 1, 1, "unclosed comment"),
        ("{{/* c */ x}}", 1, 1, "comment ends before closing delimiter"),
        ('{{ "abc }}', 1, 4, "unterminated quoted string"),
        ("{{ (1 }}", 1, 4, "unclosed left paren"),
        ('{{ define "x" }}{{ end }}', 1, 4, "{{define}} is not supported"),
        ("{{ if }}{{ end }}", 1, 1, "missing value for if"),
        ("{{ }}", 1, 1, "missing value for command"),
        ("{{ .a | }}", 1, 1, "missing value for command"),
        ("{{ if 1 }}{{ else }}{{ else }}{{ end }}", 1, 21, "expected {{end}} to close {{if}}"),
        ("{{ 1 # }}", 1, 6, "unexpected '#' in command"),
    ],
)
def test_parse_errors_name_line_and_column(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        Template.parse(text, name="bp")
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"bp:{line}:{column}: ")


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("x\n {{ .node.ip.more }}", 2, 5, "can't evaluate field more in type string"),
        ('{{ eq 1 "a" }}', 1, 4, "error calling eq: incompatible types for comparison"),
        ("{{ lt true false }}", 1, 4, "error calling lt: invalid type for comparison"),
        ("{{ eq .nodes .nodes }}", 1, 4, "non-comparable type"),
        ("{{ index .nodes 5 }}", 1, 4, "error calling index: index out of range: 5"),
        ("{{ len 3 }}", 1, 4, "error calling len: len of type int"),
        ("{{ range .node.ip }}{{ end }}", 1, 10, "range can't iterate over 100.65.254.2"),
        ("{{ .node.id | .node.ip }}", 1, 15, "can't give argument to non-function .node.ip"),
        ("{{ nil }}", 1, 4, "nil is not a command"),
    ],
)
def test_exec_errors_name_line_and_column(text: str, line: int, column: int, message: str) -> None:
    template = Template.parse(text, name="bp")
    with pytest.raises(TemplateExecError) as caught:
        template.render(DATA)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.message


def test_missing_key_can_be_an_error_instead() -> None:
    template = Template.parse("a\n{{ .node.nope }}", name="bp")
    with pytest.raises(TemplateExecError, match=r"bp:2:4: map has no entry for key 'nope'"):
        template.render(DATA, missing_key_error=True)


def test_output_is_bounded() -> None:
    template = Template.parse("{{ range 100 }}0123456789{{ end }}")
    assert len(template.render({})) == 1000
    with pytest.raises(TemplateExecError, match="output exceeds 999 characters"):
        template.render({}, max_output=999)


def test_a_rendered_template_can_be_rendered_again_with_other_data() -> None:
    template = Template.parse("{{ $x := .v }}{{ $x }}")
    assert [template.render({"v": v}) for v in (1, "b")] == ["1", "b"]
