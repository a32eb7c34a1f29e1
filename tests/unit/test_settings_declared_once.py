"""Each setting is declared once, as a field of config.Settings, and README.md stays true to the declarations:
every variable is documented, and a table row that names a variable shows its default."""
import re
from dataclasses import MISSING, fields
from pathlib import Path

from config import SETTINGS, Settings, load_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def _tables(text: str | None = None) -> list[tuple[list[str], list[str]]]:
    """Every markdown table row of `text` (the README) as (its header's cells, its cells)."""
    rows, header = [], None
    for line in (README if text is None else text).splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
        elif not set(line) <= set("|-: "):
            rows.append((header, cells))
    return rows


def _configuration_section() -> str:
    return README.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]


def test_every_field_is_a_declared_setting_with_no_second_default():
    for field in fields(Settings):
        assert field.default is MISSING and field.default_factory is MISSING, field.name
        assert field.name in SETTINGS and SETTINGS[field.name].meaning, field.name


def test_each_variable_belongs_to_one_setting():
    names = [name for spec in SETTINGS.values() for name in spec.env]
    assert len(names) == len(set(names))


def test_every_variable_is_documented_in_the_readme():
    missing = [name for spec in SETTINGS.values() for name in spec.env if not re.search(rf"\b{name}\b", README)]
    assert not missing, f"not in README.md: {missing}"


def test_readme_tables_show_the_declared_defaults():
    by_variable = {name: spec for spec in SETTINGS.values() for name in spec.env}
    wrong = []
    for header, cells in _tables():
        if "default" not in header or len(cells) != len(header):
            continue
        default_cell = cells[header.index("default")]
        for name in NAME.findall(cells[0]):
            spec = by_variable.get(name)
            if spec and isinstance(spec.default, str) and spec.default and f"`{spec.default}`" not in default_cell:
                wrong.append(f"{name}: README says {default_cell!r}, config.py says {spec.default!r}")
    assert not wrong, wrong


def test_the_configuration_table_names_only_declared_variables():
    declared = {name for spec in SETTINGS.values() for name in spec.env}
    documented = {name for _header, cells in _tables(_configuration_section()) for name in NAME.findall(cells[0])}
    assert documented and documented <= declared, documented - declared


def test_the_declared_defaults_are_what_an_empty_environment_gives(tmp_path):
    settings = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    for name, spec in SETTINGS.items():
        if isinstance(spec.default, str) and not spec.fill and name != "demo":
            assert getattr(settings, name) == spec.parse(spec.env[0], spec.default), name
