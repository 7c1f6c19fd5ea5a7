"""Finding rule packs through the ``scrubber.rules`` entry-point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from scrubber.errors import RulePackError
from scrubber.rules.rule import RulePack

ENTRY_POINT_GROUP = "scrubber.rules"

__all__ = ["ENTRY_POINT_GROUP", "RulePackError", "discover_packs"]


def discover_packs() -> tuple[RulePack, ...]:
    """Every installed pack, sorted by name; the image-guidance pack is always
    included (also when the distribution's metadata is not installed).

    Raises :class:`RulePackError` when an entry point does not load a pack,
    or when two entry points give packs of the same name (naming both)."""
    packs: dict[str, tuple[RulePack, EntryPoint]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not isinstance(loaded, RulePack):
            raise RulePackError(
                f"entry point {_named(entry)} is not a rule pack "
                "(needs name, version, rules and codes)"
            )
        if loaded.name in packs:
            _, first = packs[loaded.name]
            if first.value == entry.value:
                continue  # one distribution seen twice on the path
            raise RulePackError(
                f"two entry points give a rule pack named {loaded.name!r}: "
                f"{_named(first)} and {_named(entry)}"
            )
        packs[loaded.name] = (loaded, entry)
    found = {name: pack for name, (pack, _) in packs.items()}
    if "image-guidance" not in found:
        from scrubber.rules.image_guidance import pack

        found[pack.name] = pack
    return tuple(found[name] for name in sorted(found))


def _named(entry: EntryPoint) -> str:
    """``'acme' (acme_rules:pack, from acme-rules 1.0)``."""
    dist = getattr(entry, "dist", None)
    origin = f", from {dist.name} {dist.version}" if dist is not None else ""
    return f"{entry.name!r} ({entry.value}{origin})"
