"""Listening histories (`wavehouse build --listens PATH`): recognising export files by their fields
(formats) and staging them for the dbt models that read, match and profile them (stage)."""

from .stage import Staged, holds_listens, pseudonym, stage_listens, staged_listens

__all__ = ["Staged", "holds_listens", "pseudonym", "stage_listens", "staged_listens"]
