"""Compile-once cache for the small forms the metrics and projections assemble every step.

``dolfinx.fem.form`` costs tens of milliseconds even when FFCx finds the compiled module in its
cache (signature hashing, module lookup); metrics evaluated every step would spend most of the
run there. UFL expressions hash and compare structurally, so a cache keyed by the integrand
returns the compiled form for any structurally identical expression.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import solver.petsc_env  # noqa: F401  (before dolfinx)

from dolfinx import fem


class FormCache:
    def __init__(self, entity_maps: list | None = None):
        self.entity_maps = entity_maps
        self._forms: dict = {}

    def get(self, key: Hashable, build: Callable[[], object]):
        """The compiled form for ``key``, built by ``build()`` (a UFL form) on first use."""
        form = self._forms.get(key)
        if form is None:
            form = fem.form(build(), entity_maps=self.entity_maps)
            self._forms[key] = form
        return form
