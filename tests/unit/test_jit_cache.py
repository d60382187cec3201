"""solver/jit_cache.py: a form whose compiled module FFCx has loaded once is loaded again from
the in-process memo, without FFCx's listing of its disk cache (~50 ms per form with a large
cache), and the memoised module gives the same assembled value."""

from __future__ import annotations

import importlib.machinery

import solver.petsc_env  # noqa: F401  (before dolfinx; installs the memo)

import pytest
import ufl
from dolfinx import fem, mesh
from mpi4py import MPI

from solver import jit_cache


def _value(msh):
    x = ufl.SpatialCoordinate(msh)
    # an integrand unlikely to exist in any other test: its own compiled module
    return fem.assemble_scalar(fem.form((x[0] ** 3 * x[1] + 0.123456789) * ufl.dx(domain=msh)))


def test_second_load_of_a_compiled_form_does_not_list_the_cache(monkeypatch):
    from ffcx.codegeneration import jit

    assert jit_cache.install() is True
    assert getattr(jit.get_cached_module, "_ssbx_memo", False)
    msh = mesh.create_unit_square(MPI.COMM_SELF, 2, 2)
    first = _value(msh)
    second = _value(msh)  # compiled on the first call: a disk-cache hit, now memoised

    def no_listing(*args, **kwargs):
        raise AssertionError("FFCx listed its disk cache for a memoised module")

    monkeypatch.setattr(importlib.machinery, "FileFinder", no_listing)
    third = _value(mesh.create_unit_square(MPI.COMM_SELF, 3, 3))  # another mesh, same code
    exact = 1.0 / 8.0 + 0.123456789  # ∫∫ x³ y dx dy over the unit square + the constant
    assert first == pytest.approx(exact, rel=1e-12)
    assert second == first and third == pytest.approx(exact, rel=1e-12)


def test_install_is_idempotent():
    from ffcx.codegeneration import jit

    before = jit.get_cached_module
    assert jit_cache.install() is True
    assert jit.get_cached_module is before
