"""Issue 8, root cause 1: unbounded parsing.

Every YAML input (a scenario, each file it extends, a --set value) is read by one
capped reader: at most 1 MiB per file (never reading more than that + 1 bytes),
at most 100,000 values with aliases expanded, no alias inside what it refers
to, at most 50 levels of nesting, at most 20 files in an extends chain. Each bad
input exits 2 with one ``Error:`` line naming the file, the rule and the value,
and no traceback.

The alias bombs run in a subprocess under an address-space cap (RLIMIT_AS), so
a regression fails with a MemoryError instead of eating the shared machine. No
test asserts a duration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsim.cli import main
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import MAX_EXTENDS_DEPTH, load_scenario
from leadsim.scenarios.safe_yaml import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    load_yaml_text,
)

ROOT = Path(__file__).resolve().parents[1]

#: Address-space cap for the bomb subprocesses: enough to import leadsim, far too
#: little to expand 10^9 values.
MEMORY_CAP_BYTES = 1024 * 2**20

GOOD = """\
name: good
calendar: {start: 2026-01-05}
sources:
  - {name: web_form, volume: {per_day: 10}}
teams:
  - {name: sdr, headcount: 3}
contact:
  base: {web_form: 0.3}
conversion:
  qualify: {web_form: 0.4}
  close: {web_form: 0.3}
"""


def billion_laughs(levels: int = 9, key: str = "lol") -> str:
    """The classic alias bomb: 9 levels of 9 aliases each, 9^9 values, ~0.5 KB of text."""
    lines = [f'{key}0: &{key}0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*{key}{i - 1}"] * 9)
        lines.append(f"{key}{i}: &{key}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def mapping_bomb(levels: int = 9) -> str:
    """An alias bomb built from mappings (merge keys and plain aliases)."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    for i in range(1, levels):
        items = ", ".join(f"k{j}: *m{i - 1}" for j in range(9))
        lines.append(f"m{i}: &m{i} {{<<: *m{i - 1}, {items}}}")
    return "\n".join(lines) + "\n"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_error(result: Result, *fragments: str) -> None:
    """Exit 2, exactly one 'Error:' line on stderr with every fragment, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def capped_leadsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter under the memory cap."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP_BYTES}, {MEMORY_CAP_BYTES}))
        from leadsim.cli import main
        sys.argv = ["leadsim", *sys.argv[1:]]
        main()
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def assert_refused(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


# ---------------------------------------------------------------- alias bombs


def test_billion_laughs_is_refused_under_a_memory_cap(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    assert bomb.stat().st_size < 1024  # well under a kilobyte of text
    proc = capped_leadsim("validate", str(bomb), cwd=tmp_path)
    assert_refused(proc, str(bomb), f"more than {MAX_NODES:,} values once aliases are expanded")


def test_billion_laughs_as_an_extended_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(billion_laughs(), encoding="utf-8")
    whatif = tmp_path / "whatif.yaml"
    whatif.write_text("extends: bomb.yaml\nname: w\n", encoding="utf-8")
    proc = capped_leadsim("validate", str(whatif), cwd=tmp_path)
    assert_refused(proc, "bomb.yaml", "aliases are expanded")


def test_mapping_and_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "mbomb.yaml"
    bomb.write_text(mapping_bomb(), encoding="utf-8")
    proc = capped_leadsim("validate", str(bomb), cwd=tmp_path)
    assert_refused(proc, str(bomb), "aliases are expanded")


def test_alias_bomb_in_a_set_value_is_refused(tmp_path: Path) -> None:
    value = "{" + ", ".join(line.replace(": ", ": ", 1) for line in billion_laughs().splitlines()) + "}"
    proc = capped_leadsim("validate", "baseline", "--set", f"teams.sdr.headcount={value}", cwd=tmp_path)
    assert_refused(proc, "teams.sdr.headcount", "--set value is not valid YAML", "aliases are expanded")


def test_alias_cycle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    assert_one_error(invoke("validate", str(path)), f"{path}:1:", "a cycle", "'*a'")


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    text = GOOD.replace("  - {name: sdr, headcount: 3}",
                        "  - &t {name: sdr, headcount: 3}\n  - {<<: *t, name: closers}")
    path = tmp_path / "anchors.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    assert [t.name for t in scenario.teams] == ["sdr", "closers"]
    assert scenario.teams[1].headcount == 3


def test_node_limit_counts_expanded_values() -> None:
    # Just under the limit passes; just over it is refused, aliases or not.
    load_yaml_text("[" + ",".join(["1"] * (MAX_NODES - 1)) + "]", None)
    with pytest.raises(ScenarioError, match="more than 100,000 values"):
        load_yaml_text("[" + ",".join(["1"] * MAX_NODES) + "]", None)
    with pytest.raises(ScenarioError, match="aliases are expanded"):
        load_yaml_text("a: &a [" + ",".join(["1"] * 400) + "]\nb: [" + ",".join(["*a"] * 300) + "]", "x.yaml")


# ---------------------------------------------------------------- nesting depth


@pytest.mark.parametrize("style", ["flow_list", "flow_map", "block_map"])
def test_deep_nesting_is_refused_without_recursion_error(tmp_path: Path, style: str) -> None:
    depth = 500
    if style == "flow_list":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    elif style == "flow_map":
        text = "a: " + "{b: " * depth + "1" + "}" * depth + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "1\n"
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", str(path))
    assert_one_error(result, str(path), f"nesting deeper than {MAX_DEPTH} levels")
    assert "RecursionError" not in result.output


def test_depth_limit_is_exact() -> None:
    load_yaml_text("[" * MAX_DEPTH + "]" * MAX_DEPTH, None)
    with pytest.raises(ScenarioError, match="nesting deeper than 50 levels") as info:
        load_yaml_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "d.yaml")
    assert info.value.problems[0].line == 1


def test_deep_set_value_is_refused() -> None:
    value = "[" * 300 + "]" * 300
    assert_one_error(invoke("validate", "baseline", "--set", f"teams.sdr.headcount={value}"),
                     "teams.sdr.headcount", "nesting deeper than 50 levels")


# ---------------------------------------------------------------- file size


def test_dev_zero_as_scenario_is_refused() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    assert_one_error(invoke("validate", "/dev/zero"), "/dev/zero",
                     f"larger than {MAX_FILE_BYTES:,} bytes")


def test_dev_zero_as_extends_is_refused(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    path = tmp_path / "z.yaml"
    path.write_text(GOOD + "extends: /dev/zero\n", encoding="utf-8")
    assert_one_error(invoke("validate", str(path)), "/dev/zero", "larger than 1,048,576 bytes (1 MiB")


def test_dev_zero_is_refused_before_simulating(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    assert_one_error(invoke("run", "/dev/zero", "--out", str(tmp_path / "r")), "/dev/zero")
    assert not (tmp_path / "r").exists()


def test_file_at_the_limit_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    body = GOOD + "# "
    pad = MAX_FILE_BYTES - len(body.encode()) - 1
    path = tmp_path / "big.yaml"
    path.write_text(body + "x" * pad + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_scenario(path).name == "good"
    path.write_text(body + "x" * (pad + 1) + "\n", encoding="utf-8")
    assert_one_error(invoke("validate", str(path)), str(path), "larger than 1,048,576 bytes")


def test_directory_and_binary_files_are_refused(tmp_path: Path) -> None:
    assert_one_error(invoke("validate", str(tmp_path)), str(tmp_path), "cannot read scenario file")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00name: x\n")
    assert_one_error(invoke("validate", str(binary)), "not UTF-8")


# ---------------------------------------------------------------- extends chains


def test_long_extends_chain_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s0.yaml").write_text(GOOD, encoding="utf-8")
    for i in range(1, MAX_EXTENDS_DEPTH + 3):
        (tmp_path / f"s{i}.yaml").write_text(f"extends: s{i - 1}.yaml\n", encoding="utf-8")
    ok = load_scenario(tmp_path / f"s{MAX_EXTENDS_DEPTH}.yaml")
    assert ok.name == "good"
    assert_one_error(invoke("validate", str(tmp_path / f"s{MAX_EXTENDS_DEPTH + 2}.yaml")),
                     "extends", f"more than {MAX_EXTENDS_DEPTH} files extend one another")


# ---------------------------------------------------------------- the limits change nothing else

_scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text("abc:-_ 0123456789", max_size=8))
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5)
                          | st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), inner, max_size=5),
                          max_leaves=40)


@settings(max_examples=150, deadline=None)
@given(_documents)
def test_documents_within_the_limits_load_as_plain_safe_yaml(data: object) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    assert load_yaml_text(text, "x.yaml")[0] == yaml.safe_load(text)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, MAX_DEPTH), st.sampled_from(["[", "{a: "]))
def test_any_depth_up_to_the_limit_is_read(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    inner = "" if opener == "[" else "1"
    data = load_yaml_text(opener * depth + inner + closer * depth, None)[0]
    for _ in range(depth - 1):
        data = data[0] if isinstance(data, list) else data["a"]
    assert data in ([], {"a": 1})


def _depth(x: object) -> int:
    if isinstance(x, dict):
        return 1 + max((_depth(v) for v in x.values()), default=0)
    if isinstance(x, list):
        return 1 + max((_depth(v) for v in x), default=0)
    return 0


def _values(x: object) -> int:
    if isinstance(x, dict):
        return 1 + sum(1 + _values(v) for v in x.values())
    if isinstance(x, list):
        return 1 + sum(_values(v) for v in x)
    return 1


def test_bundled_scenarios_are_far_inside_the_limits_as_documented() -> None:
    from leadsim.scenarios.loader import LIBRARY, bundled_scenarios
    from leadsim.scenarios.safe_yaml import load_yaml_file

    docs = " ".join((ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8").split())
    assert "The bundled scenarios are at most 6 KB" in docs
    assert "The bundled scenarios have at most 500 values" in docs
    assert "the bundled scenarios nest at most 7 deep" in docs
    for name in bundled_scenarios():
        path = LIBRARY / f"{name}.yaml"
        data = load_yaml_file(path)[0]
        assert path.stat().st_size <= 6 * 1024, name
        assert _values(data) <= 500, name
        assert _depth(data) <= 7, name
