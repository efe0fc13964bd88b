"""The documentation cannot go stale: the tutorial's code runs, the CLI
reference covers every command and option of the parser, and links between
the pages resolve."""

import re
from pathlib import Path

import numpy as np
import pytest

from bifurc.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_blocks(markdown: str) -> list[str]:
    """The ```python blocks of a markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_python_blocks_are_extracted_in_order():
    text = "a\n```python\nx = 1\n```\n```bash\nno\n```\n```python\ny = x\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x\n"]


def test_tutorial_runs(tmp_path, monkeypatch):
    """Every python block of docs/tutorial.md, in order, in one namespace, in an
    empty folder; the tutorial's own asserts check its claims."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = python_blocks((DOCS / "tutorial.md").read_text())
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "tutorial"}
    try:
        for number, block in enumerate(blocks, 1):
            code = compile(block, f"docs/tutorial.md, python block {number}", "exec")
            exec(code, namespace)
    finally:
        plt.close("all")
    for name in ("qif_sfa.toml", "timeseries.png", "diagram.png", "frequency.png",
                 "hopf_curve.png", "msf_map.png", "synchrony_boundary.png",
                 "results/branches.json", "results/branches.npz"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_readme_api_snippet_runs_as_written(tmp_path, monkeypatch):
    """The README's API block runs unchanged, and its printed claims hold: the
    Hopf frequencies and criticality against the independent ei oracle."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ei_reference import hopf_point

    pytest.importorskip("tvb_data")
    (block,) = [b for b in python_blocks((DOCS.parent / "README.md").read_text())
                if "import bifurc as bf" in b]
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    try:
        exec(compile(block, "README.md, API block", "exec"), namespace)
    finally:
        plt.close("all")
    eq = namespace["eq"]
    readme_hz = [float(x) for x in re.findall(r"H\d \((\d+\.\d) Hz\)", block)]
    assert len(readme_hz) == 2
    for label, claimed in zip(("H1", "H2"), readme_hz):
        point = eq[label]
        eta, eigenvalue = hopf_point(point.parameters["eta_e"] - 0.5,
                                     point.parameters["eta_e"] + 0.5)
        assert point.parameters["eta_e"] == pytest.approx(eta, abs=1e-7)
        assert round(1000 * abs(eigenvalue.imag) / (2 * np.pi), 1) == claimed
        assert point.data["l1"] < 0  # supercritical, as the comment says
    assert (tmp_path / "diagram.png").stat().st_size > 0
    assert (tmp_path / "run.npz").stat().st_size > 0
    assert namespace["net"].n_nodes == 66 and namespace["net"].labels[0] != "0"


def subcommands() -> dict:
    """{name: subparser} of `bifurc`."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return dict(action.choices)


def cli_sections() -> dict:
    """{command: text of its sections} of docs/cli.md: every `## \\`bifurc NAME`
    heading and the text up to the next `## ` heading (a command may have
    several sections, e.g. the two forms of `bifurc msf`)."""
    text = (DOCS / "cli.md").read_text()
    sections = {}
    for match in re.finditer(r"^## `bifurc (\S+?)[` ](.*?)(?=^## |\Z)", text, flags=re.S | re.M):
        sections[match.group(1)] = sections.get(match.group(1), "") + match.group(0)
    return sections


def test_cli_reference_documents_every_command_and_option():
    sections = cli_sections()
    commands = subcommands()
    missing = sorted(set(commands) - set(sections))
    assert not missing, f"docs/cli.md has no `## \\`bifurc NAME` section for {missing}"
    for name, sub in commands.items():
        options = [option for action in sub._actions for option in action.option_strings
                   if option not in ("-h", "--help")]
        undocumented = [option for option in options
                        if not re.search(re.escape(option) + r"(?![\w-])", sections[name])]
        assert not undocumented, f"docs/cli.md, `bifurc {name}`: undocumented {undocumented}"


def test_cli_reference_has_no_stale_commands():
    stale = sorted(set(cli_sections()) - set(subcommands()))
    assert not stale, f"docs/cli.md documents commands the parser lacks: {stale}"


def test_results_reference_documents_every_schema():
    """Every schema identifier the package writes ("bifurc.NAME/VERSION") is
    described in docs/results.md."""
    package = Path(__file__).resolve().parent.parent / "bifurc"
    schemas = set()
    for path in package.rglob("*.py"):
        schemas.update(re.findall(r"[\"'](bifurc\.[a-z-]+/\d+)[\"']", path.read_text()))
    assert {"bifurc.branches/1", "bifurc.trajectory/1"} <= schemas
    text = (DOCS / "results.md").read_text()
    missing = sorted(schema for schema in schemas if f"`{schema}`" not in text)
    assert not missing, f"docs/results.md does not describe the schemas {missing}"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def without_code(markdown: str) -> str:
    """The text outside fenced code blocks (where `# comment` lines are no headings
    and links are not links)."""
    return re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)


def anchors(path: Path) -> set:
    return {github_anchor(line.lstrip("#")) for line in without_code(path.read_text()).splitlines()
            if line.startswith("#")}


def test_github_anchor():
    assert github_anchor(" 1. The models: exact mean fields") == "1-the-models-exact-mean-fields"
    assert github_anchor(" `bifurc msf MODEL --eps E`") == "bifurc-msf-model---eps-e"


def test_anchors_ignore_comments_in_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n```bash\n# not a heading\n```\n## Real one\n")
    assert anchors(page) == {"title", "real-one"}


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_relative_links_resolve(page):
    """Links like [text](other.md#section) from a docs page point to files that
    exist and, with a #fragment into a markdown page, to a heading there."""
    path = DOCS / page
    text = without_code(path.read_text())
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(target)
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(target)
    assert not broken, f"docs/{page}: broken links {broken}"
