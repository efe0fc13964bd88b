"""Named parameter sets in model files (``[presets.NAME]``): the seed paper's
set against the paper's own table (../shared/docs/paper.md, copied below as
the independent reference), overrides, the round trip through a spec (worker
processes, the homogeneous system), hostile preset tables, and the CLI."""

import pytest

import bifurc as bf
from bifurc import Model, ModelDefinitionError
from bifurc.cli import main
from bifurc.errors import ParameterError
from bifurc.msf import homogeneous_model

#: the table of ../shared/docs/paper.md (their I_ext^I is I_i; g_e = g_i = 1)
PAPER_TABLE = {"tau_e": 8, "tau_i": 8, "tau_se": 1, "tau_si": 5, "eta_e": -5, "eta_i": -5,
               "delta_e": 1, "delta_i": 1, "J_ee": 5, "J_ei": 13, "J_ie": 13, "J_ii": 5,
               "I_i": 0, "g_e": 1, "g_i": 1}


def test_the_seed_papers_preset_is_its_table():
    ei = bf.load_model("ei")
    preset = ei.presets["delicado2025"]
    assert "2512.03907" in preset.source
    p = ei.parameters(preset="delicado2025")
    for name, value in PAPER_TABLE.items():
        assert p[name] == value, name
    assert ei.parameters(preset="delicado2025", I_e=13.0)["I_e"] == 13.0  # overrides win
    assert ei.parameters()["tau_e"] == 10.0  # the defaults stay the defaults


def test_presets_travel_with_the_spec_and_the_homogeneous_system():
    ei = bf.load_model("ei")
    again = Model.from_spec(ei.to_spec())
    assert again.presets == ei.presets
    hom = homogeneous_model(ei)
    p = hom.parameters(preset="delicado2025", eps=9.0)
    assert p["J_ei"] == 13.0 and p["eps"] == 9.0
    assert "preset delicado2025" in ei.describe()


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ParameterError, match="no preset 'nope'.*delicado2025"):
        bf.load_model("ei").parameters(preset="nope")


def spec_with(presets):
    return {"name": "m", "states": {"x": 0.0},
            "parameters": {"a": {"default": 1.0, "bounds": "(0, inf)"}, "b": 2.0},
            "equations": {"x": "-a*x + b"}, "presets": presets}


@pytest.mark.parametrize("presets, message", [
    ({"p": {"values": {"a": "__import__('os').system('true')"}}}, "is not a number"),
    ({"p": {"values": {"a": 0.0}}}, "preset `p`.*a"),          # outside (0, inf)
    ({"p": {"values": {"c": 1.0}}}, "preset `p`.*unknown parameter 'c'"),
    ({"p": {"values": {"a": True}}}, "is not a number"),
    ({"p": {"a": 1.0}}, "must be a table with `values`"),
    ({"p": {"values": {"a": 2.0}, "code": "x"}}, "unknown key"),
    ({"p": {"values": [1.0]}}, "must be a table mapping"),
    ({"1p": {"values": {"a": 2.0}}}, "preset name '1p' is not valid"),
    ({"p": {"values": {"a": 2.0}, "source": ["x"]}}, "must be text"),
])
def test_hostile_or_wrong_presets_are_refused_when_the_file_is_read(presets, message, tmp_path):
    with pytest.raises(ModelDefinitionError, match=message):
        Model.from_spec(spec_with(presets))
    marker = tmp_path / "ran"
    assert not marker.exists()


def test_preset_from_a_toml_file(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('name = "m"\nstates = { x = 0.0 }\nequations = { x = "-a*x" }\n'
                    '[parameters]\na = { default = 1.0 }\n'
                    '[presets.slow]\nsource = "a test"\nvalues = { a = 0.25 }\n')
    model = bf.load_model(path)
    assert model.parameters(preset="slow")["a"] == 0.25
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text().replace("0.25", '"0.25"'))
    with pytest.raises(ModelDefinitionError, match="bad.toml.*is not a number"):
        bf.load_model(bad)


def test_a_parameter_may_not_be_called_preset():
    with pytest.raises(ModelDefinitionError, match="reserved"):
        Model.from_spec({"name": "m", "states": {"x": 0.0}, "parameters": {"preset": 1.0},
                         "equations": {"x": "-preset*x"}})


def test_cli_preset(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["simulate", "ei", "--preset", "delicado2025", "--set", "I_e=13",
                 "--duration", "50", "--out", str(out)]) == 0
    import json
    saved = json.loads((out / "summary.json").read_text())
    assert saved["parameters"]["tau_se"] == 1.0 and saved["parameters"]["I_e"] == 13.0
    assert main(["simulate", "ei", "--preset", "nope", "--out", str(out)]) == 2
    assert "no such preset (presets: delicado2025)" in capsys.readouterr().err
    assert main(["show", "ei"]) == 0
    assert "--preset delicado2025" in capsys.readouterr().out
