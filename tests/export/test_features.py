"""One column schema for every split of a Hugging Face export (bdsl/export/features.py)."""

import pytest

from bdsl.export import features
from bdsl.export.hf_folder import HINTS


def test_types_merge_across_records():
    cols = features.infer([
        {"a": None, "b": 1, "m": [{"role": "user", "content": "x"}], "l": []},
        {"a": "s", "b": 2.5, "m": [{"role": "assistant", "content": "y", "train": True}],
         "l": [3]},
    ])
    assert cols == {"a": "string", "b": "float64",
                    "m": ("list", ("struct", {"role": "string", "content": "string",
                                              "train": "bool"})),
                    "l": ("list", "int64")}


def test_empty_columns_take_their_hinted_type():
    cols = features.infer([{"judge_scores": [], "session": None}], HINTS)
    assert cols["judge_scores"] == ("list", ("struct", {"metric": "string",
                                                        "score": "float64"}))
    assert cols["session"] == "int64"
    assert features.infer([{"x": None, "y": []}]) == {"x": "string", "y": ("list", "string")}


def test_card_features_and_arrow_schema_agree():
    cols = {"s": "int64", "m": ("list", ("struct", {"role": "string"})),
            "l": ("list", "string"), "st": ("struct", {"k": "bool"})}
    assert features.card_features(cols) == [
        {"name": "s", "dtype": "int64"},
        {"name": "m", "list": [{"name": "role", "dtype": "string"}]},
        {"name": "l", "sequence": "string"},
        {"name": "st", "struct": [{"name": "k", "dtype": "bool"}]}]
    pa = pytest.importorskip("pyarrow")
    schema = features.arrow_schema(cols)
    assert schema.field("m").type == pa.list_(pa.struct([("role", pa.string())]))
    datasets = pytest.importorskip("datasets")
    parsed = datasets.Features._from_yaml_list(features.card_features(cols))
    assert parsed.arrow_schema.field("m").type == schema.field("m").type


def test_a_column_with_two_shapes_is_a_bug_not_a_guess():
    with pytest.raises(TypeError, match="both"):
        features.infer([{"a": "x"}, {"a": [1]}])
