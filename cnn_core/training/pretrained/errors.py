"""The one error for pretrained weights that are not there. Never replaced by random weights."""

from __future__ import annotations


class MissingWeightsError(FileNotFoundError):
    """ImageNet weights for ``base`` are missing: ``file`` names what is needed, ``how`` how to supply it."""

    def __init__(self, base: str, file: str, how: str) -> None:
        super().__init__(f"ImageNet weights for {base} are missing: {file}. To supply them: {how}")
        self.base = base
        self.file = file
        self.how = how
