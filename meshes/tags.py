"""The one tag convention shared by every geometry family and by the solver.

Stacking axis: y in 2D (plane strain), z in 3D, z in axisymmetric (r, z) meshes (x = r, y = z).
From the bottom (coordinate 0) up: electrode | [coating] | electrolyte layer(s) |
[counter electrode] | [pad]. The electrode current collector is the bottom face; stack pressure is
applied on the top.
For the composite family the electrode is the set of active particles inside an electrolyte matrix.

Cell (volume/surface) tags
    ELECTRODE = 1        Ω_e: electrode (Li metal, cathode film, or active particles)
    ELECTROLYTE = 2      Ω_s: first (electrode-side) electrolyte layer
    COATING = 3          Ω_c: optional interlayer coating between electrode and electrolyte
    COUNTER = 4          counter electrode
    PAD = 5              Ω_p: compliant stack-pressure pad
    ELECTROLYTE_LAYER(k) = 20 + k for electrolyte layers k = 2, 3, ... (layer 1 is ELECTROLYTE)

Facet tags
    INTERFACE = 10       Γ_int: electrode | electrolyte (or electrode | coating). Contact law here.
    INTERFACE_COATING = 11  coating | electrolyte (second interface when a coating is present)
    BONDED = 12          electrolyte | electrolyte layer boundaries (perfectly bonded by default)
    COUNTER_INTERFACE = 13  electrolyte | counter electrode
    PAD_INTERFACE = 14   counter electrode (or top electrolyte) | pad
    BOTTOM = 101         y = 0 (2D) / z = 0 (3D): electrode current collector
    TOP = 102            top face: loading surface / counter collector
    LEFT = 103           x = 0 (in axisymmetric meshes: the symmetry axis r = 0)
    RIGHT = 104          x = W
    FRONT = 105          y = 0 (3D only)
    BACK = 106           y = D (3D only)
    FREE = 107           other traction-free outer surfaces (e.g. an asperity's flank)
"""

from __future__ import annotations

ELECTRODE = 1
ELECTROLYTE = 2
COATING = 3
COUNTER = 4
PAD = 5

INTERFACE = 10
INTERFACE_COATING = 11
BONDED = 12
COUNTER_INTERFACE = 13
PAD_INTERFACE = 14

BOTTOM = 101
TOP = 102
LEFT = 103
RIGHT = 104
FRONT = 105
BACK = 106
FREE = 107


def ELECTROLYTE_LAYER(k: int) -> int:  # noqa: N802 - reads like the constants
    """Cell tag of electrolyte layer ``k`` (1-based; layer 1 is :data:`ELECTROLYTE`)."""
    if k < 1:
        raise ValueError("electrolyte layer index k must be >= 1")
    return ELECTROLYTE if k == 1 else 20 + k


CELL_NAMES = {
    ELECTRODE: "electrode",
    ELECTROLYTE: "electrolyte",
    COATING: "coating",
    COUNTER: "counter",
    PAD: "pad",
}
FACET_NAMES = {
    INTERFACE: "interface",
    INTERFACE_COATING: "interface_coating",
    BONDED: "bonded",
    COUNTER_INTERFACE: "counter_interface",
    PAD_INTERFACE: "pad_interface",
    BOTTOM: "bottom",
    TOP: "top",
    LEFT: "left",
    RIGHT: "right",
    FRONT: "front",
    BACK: "back",
    FREE: "free",
}


def cell_name(tag: int) -> str:
    if tag in CELL_NAMES:
        return CELL_NAMES[tag]
    if tag > 20:
        return f"electrolyte_{tag - 20}"
    return f"cells_{tag}"


def facet_name(tag: int) -> str:
    return FACET_NAMES.get(tag, f"facets_{tag}")


def is_electrolyte(tag: int) -> bool:
    return tag == ELECTROLYTE or tag > 20
