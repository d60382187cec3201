"""Geometry configurations exercised by the domain tests (every family, every mode)."""

GEOMETRIES = [
    # (id, resolved-geometry dict: family/dim/axisymmetric + family keys (defaults otherwise))
    ("bilayer-flat-2d", {"family": "bilayer", "dim": 2, "axisymmetric": False}),
    (
        "bilayer-sin-2d",
        {"family": "bilayer", "dim": 2, "axisymmetric": False, "interface": "sinusoid"},
    ),
    (
        "bilayer-sin-axi",
        {"family": "bilayer", "dim": 2, "axisymmetric": True, "interface": "sinusoid"},
    ),
    (
        "bilayer-sin-3d",
        {"family": "bilayer", "dim": 3, "axisymmetric": False, "interface": "sinusoid"},
    ),
    ("rough-2d", {"family": "rough", "dim": 2, "axisymmetric": False}),
    ("rough-3d", {"family": "rough", "dim": 3, "axisymmetric": False}),
    ("stack-2d", {"family": "stack", "dim": 2, "axisymmetric": False}),
    ("stack-3d", {"family": "stack", "dim": 3, "axisymmetric": False}),
    ("stack-axi", {"family": "stack", "dim": 2, "axisymmetric": True}),
    ("composite-2d", {"family": "composite", "dim": 2, "axisymmetric": False}),
    ("composite-3d", {"family": "composite", "dim": 3, "axisymmetric": False}),
    ("asperity-axi", {"family": "asperity", "dim": 2, "axisymmetric": True}),
]
