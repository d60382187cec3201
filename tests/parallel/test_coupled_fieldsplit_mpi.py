"""The iterative coupled solver (``[solver] linear_solver = "iterative"``) on 2 ranks agrees with
the direct solve to 1e-8 per field after two galvanostatic steps (bordered Newton) of the
coupled bilayer with a debonded patch (tests/verification/test_coupled_fieldsplit.py)."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.verification.test_coupled_fieldsplit import check_agreement, compare

pytestmark = pytest.mark.mpi


def test_iterative_matches_direct_2d_mpi():
    assert MPI.COMM_WORLD.size >= 2
    check_agreement(*compare(2, 2e-6))
