from __future__ import annotations

from pathlib import Path

from sharekit.configdoc import configuration_markdown
from sharekit.settings import CustomNetwork, Settings, Site

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_configuration_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == configuration_markdown(), (
        "docs/configuration.md is stale: run `sharekit config-docs -o docs/configuration.md`"
    )


def test_every_field_is_described() -> None:
    text = configuration_markdown()
    for model in (Settings, Site, CustomNetwork):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
            assert f"`{name}`" in text
