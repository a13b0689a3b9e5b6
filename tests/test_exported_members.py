from __future__ import annotations

import sharekit


def test_all_is_exactly_what_is_exported() -> None:
    public = {name for name in vars(sharekit) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(sharekit, name)).__name__ == "module"}
    assert set(sharekit.__all__) - {"__version__"} == public - modules
    assert sharekit.__all__ == sorted(sharekit.__all__)
    for name in set(sharekit.__all__) - {"__version__"}:
        assert getattr(sharekit, name).__module__.startswith("sharekit.")
