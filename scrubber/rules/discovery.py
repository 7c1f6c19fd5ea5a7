"""Finding rule packs through the ``scrubber.rules`` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points

from scrubber.errors import RulePackError as RulePackError
from scrubber.rules.rule import RulePack

ENTRY_POINT_GROUP = "scrubber.rules"


def discover_packs() -> tuple[RulePack, ...]:
    """Every installed pack, sorted by name; the image-guidance pack is always
    included (also when the distribution's metadata is not installed)."""
    packs: dict[str, RulePack] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not isinstance(loaded, RulePack):
            raise RulePackError(
                f"entry point {entry.name!r} ({entry.value}) is not a rule pack "
                "(needs name, version and rules)"
            )
        packs[loaded.name] = loaded
    if "image-guidance" not in packs:
        from scrubber.rules.image_guidance import pack

        packs[pack.name] = pack
    return tuple(packs[name] for name in sorted(packs))
