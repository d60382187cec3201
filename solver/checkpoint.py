"""Checkpoint and restart of a run: every piece of state a continuation needs, in one file that
is written atomically and read back on any number of MPI ranks.

What a checkpoint holds (:class:`StateRegistry`, filled by :func:`collect`):

* every ``dolfinx.fem.Function`` reachable from the model (the unknowns, their previous-step
  copies, the interface history — damage, dissipation, decohesion, maximum separation, stripped
  thickness, retention — and any field a physics module adds later: a new ``fem.Function``
  attribute is found without being listed);
* every ``dolfinx.fem.Constant`` reachable from the model (the cell voltage, time steps, block
  scales, load values);
* the plain Python attributes that a class lists in its ``CHECKPOINT_STATE`` tuple (counters,
  accumulated energies and charges, the last accepted current, ...): a physics or metrics class
  that keeps a number between steps names it there;
* what the caller adds as ``meta``: the stepper position (segment, progress in it, increment,
  cut-backs, step count, loads), the time-series rows so far, the case hash.

Partition independence: a function's values are stored under keys that do not depend on the
partition or the rank count: for a continuous (Lagrange) space one per dof, its coordinate (3
numbers: such dofs sit at distinct points); for a discontinuous one (the interface history,
DG on Γ_int) one per (cell, local dof) pair of the cells each rank owns, (cell midpoint, dof
coordinate). On restart every rank matches the keys of its dofs (owned and ghost) to the stored
ones (a k-d tree; a key farther than 1e-9 of the domain size from every stored one refuses the
checkpoint), so a run checkpointed on N ranks continues on M. The values themselves are copied
bit for bit.

File layout: ``<run>/checkpoint/checkpoint.npz`` (NumPy ``.npz``: per function space ``keys/<i>``
(n × 3 or n × 6 float64), per function ``f/<name>`` (n × block size), per constant ``c/<name>``, and
``meta``: UTF-8 JSON of the attributes and the caller's meta). It is written by rank 0 into
``.checkpoint.npz.tmp-<pid>``, flushed, fsync'ed and renamed over the previous one, so a kill
at any moment leaves the previous checkpoint or the new one, never a part.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
from dolfinx import fem
from dolfinx import mesh as dmesh
from mpi4py import MPI

FOLDER = "checkpoint"
FILE = "checkpoint.npz"
FORMAT = 1


def path_of(run_dir: str | os.PathLike) -> Path:
    """The checkpoint file of the run directory ``run_dir``."""
    return Path(run_dir) / FOLDER / FILE


def case_hash(case) -> str:
    """SHA-256 of the resolved case (its TOML text without the comment lines, which name the
    source file): a resumed run must be the same case."""
    text = "\n".join(ln for ln in case.to_toml().splitlines() if not ln.startswith("#"))
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------------ registry


@dataclass
class StateRegistry:
    """The state of a model, by stable names (attribute paths from the root object)."""

    functions: dict[str, fem.Function] = field(default_factory=dict)
    constants: dict[str, fem.Constant] = field(default_factory=dict)
    attributes: dict[str, tuple[object, str]] = field(default_factory=dict)

    def function(self, name: str, f: fem.Function) -> None:
        self.functions[name] = f

    def constant(self, name: str, c: fem.Constant) -> None:
        self.constants[name] = c

    def attribute(self, name: str, obj: object, attr: str) -> None:
        self.attributes[name] = (obj, attr)


def collect(root, name: str = "model") -> StateRegistry:
    """Walk ``root`` (an object of ssbx's own classes) through its attributes, lists, tuples and
    dicts, and register every ``fem.Function`` and ``fem.Constant`` met and the attributes each
    object's class lists in ``CHECKPOINT_STATE``. Objects of other packages (DOLFINx, UFL, PETSc)
    are not entered. Each object is registered once, under the first path that reaches it (the
    walk order is the attribute order, the same in every process that builds the same model)."""
    reg = StateRegistry()
    seen: set[int] = set()

    def walk(obj, path: str) -> None:
        if id(obj) in seen:
            return
        if isinstance(obj, fem.Function):
            seen.add(id(obj))
            reg.function(path, obj)
            return
        if isinstance(obj, fem.Constant):
            seen.add(id(obj))
            reg.constant(path, obj)
            return
        if isinstance(obj, list | tuple):
            seen.add(id(obj))
            for i, x in enumerate(obj):
                walk(x, f"{path}[{i}]")
            return
        if isinstance(obj, dict):
            seen.add(id(obj))
            for k, x in obj.items():
                walk(x, f"{path}[{k!r}]")
            return
        if not type(obj).__module__.startswith("solver") or not hasattr(obj, "__dict__"):
            return
        seen.add(id(obj))
        for attr in getattr(type(obj), "CHECKPOINT_STATE", ()):
            if hasattr(obj, attr):
                reg.attribute(f"{path}.{attr}", obj, attr)
        for k, x in list(vars(obj).items()):
            walk(x, f"{path}.{k}")

    walk(root, name)
    return reg


# ------------------------------------------------------------------------- JSON of attributes


def _encode(v):
    """JSON-safe, exact encoding of attribute values (floats round-trip through repr; tuples
    and dicts with non-string keys keep their types; NumPy scalars become Python ones)."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {"__dict__": [[_encode(k), _encode(x)] for k, x in v.items()]}
    raise TypeError(f"checkpoint: cannot store a {type(v).__name__} attribute")


def _decode(v):
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        if "__tuple__" in v:
            return tuple(_decode(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {_hashable(_decode(k)): _decode(x) for k, x in v["__dict__"]}
    return v


def _hashable(k):
    return tuple(_hashable(x) for x in k) if isinstance(k, list) else k


# ------------------------------------------------------------------------------- dof keys


def _continuous(V) -> bool:
    """Whether the dofs of ``V`` sit at distinct points (a continuous Lagrange space): then the
    dof coordinate alone is the key."""
    return not getattr(V.ufl_element(), "discontinuous", True)


def _space_keys(V, cells: np.ndarray, owned_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """(keys, dofs) of the dofs of ``V``: for a continuous space one key per dof, its coordinate
    (n × 3; the owned dofs with ``owned_only``, else every local one); otherwise one per (cell,
    local dof) pair of ``cells``, (cell midpoint, dof coordinate) (n × 6). dofs (n,): the local
    (unblocked) dof numbers."""
    if _continuous(V):
        im = V.dofmap.index_map
        n = im.size_local if owned_only else im.size_local + im.num_ghosts
        return V.tabulate_dof_coordinates()[:n].copy(), np.arange(n, dtype=np.int32)
    msh = V.mesh
    tdim = msh.topology.dim
    mid = dmesh.compute_midpoints(msh, tdim, cells)
    X = V.tabulate_dof_coordinates()
    dm = V.dofmap.list[cells]  # (ncells, ndofs per cell)
    nd = dm.shape[1]
    keys = np.empty((len(cells) * nd, 6))
    keys[:, :3] = np.repeat(mid, nd, axis=0)
    dofs = dm.reshape(-1)
    keys[:, 3:] = X[dofs]
    return keys, dofs


def _owned_cells(msh) -> np.ndarray:
    return np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)


def _local_cells(msh) -> np.ndarray:
    im = msh.topology.index_map(msh.topology.dim)
    return np.arange(im.size_local + im.num_ghosts, dtype=np.int32)


def _gather(comm: MPI.Comm, a: np.ndarray) -> np.ndarray | None:
    parts = comm.gather(a, root=0)
    return np.concatenate(parts) if comm.rank == 0 else None


# ------------------------------------------------------------------------------------- save


def save(path: str | os.PathLike, reg: StateRegistry, meta: dict, comm: MPI.Comm) -> dict:
    """Write the checkpoint of ``reg`` and ``meta`` to ``path`` (collective; rank 0 writes,
    atomically: temporary file, fsync, rename). Returns {"bytes", "seconds"} (on every rank).
    Raises ``OSError`` on rank 0 when the file cannot be written (e.g. ENOSPC: the previous
    checkpoint is kept); the other ranks then raise ``OSError`` too."""
    t0 = time.perf_counter()
    arrays: dict[str, np.ndarray] = {}
    spaces: dict[int, int] = {}
    fn_space: dict[str, int] = {}
    owned_dofs: dict[int, np.ndarray] = {}
    for name, f in reg.functions.items():
        V = f.function_space
        if id(V) not in spaces:
            spaces[id(V)] = len(spaces)
            keys, dofs = _space_keys(V, _owned_cells(V.mesh), owned_only=True)
            owned_dofs[id(V)] = dofs
            g = _gather(comm, keys)
            if g is not None:
                arrays[f"keys/{spaces[id(V)]}"] = g
        fn_space[name] = spaces[id(V)]
        bs = V.dofmap.index_map_bs
        dofs = owned_dofs[id(V)]
        vals = f.x.array.reshape(-1, bs)[dofs]
        g = _gather(comm, vals)
        if g is not None:
            arrays[f"f/{name}"] = g
    for name, c in reg.constants.items():
        arrays[f"c/{name}"] = np.array(c.value, dtype=float, copy=True)
    attrs = {name: _encode(getattr(obj, a)) for name, (obj, a) in reg.attributes.items()}
    err = None
    nbytes = 0
    if comm.rank == 0:
        doc = {
            "format": FORMAT,
            "mpi_size": comm.size,
            "function_spaces": fn_space,
            "attributes": attrs,
            "meta": meta,
        }
        arrays["meta"] = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
        try:
            nbytes = _write_atomic(Path(path), arrays)
        except OSError as e:
            err = (e.errno, e.strerror, str(path))
    err, nbytes = comm.bcast((err, nbytes), root=0)
    if err is not None:
        raise OSError(err[0], err[1], err[2])
    return {"bytes": nbytes, "seconds": comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)}


def _write_atomic(path: Path, arrays: dict) -> int:
    from solver.rundir import fsync_dir

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getbuffer()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return len(data)


# ------------------------------------------------------------------------------------- load


def read_meta(path: str | os.PathLike) -> dict:
    """The JSON document of a checkpoint file (format, mpi_size, attributes, meta) without its
    arrays. Raises ``OSError``/``ValueError``/``KeyError`` on an unreadable file."""
    with np.load(path) as data:
        return json.loads(bytes(data["meta"]).decode())


class CheckpointMismatch(ValueError):
    """The checkpoint does not fit the model (another case, mesh or ssbx version)."""


def load(path: str | os.PathLike, reg: StateRegistry, comm: MPI.Comm) -> dict:
    """Restore ``reg`` from the checkpoint ``path`` (collective; every rank reads the file) and
    return its ``meta``. Raises :class:`CheckpointMismatch` when a registered name is missing
    from the file or a dof key has no stored match (a different model)."""
    with np.load(path) as data:
        doc = json.loads(bytes(data["meta"]).decode())
        fn_space = doc["function_spaces"]
        missing = [n for n in reg.functions if n not in fn_space]
        missing += [n for n in reg.constants if f"c/{n}" not in data.files]
        missing += [n for n in reg.attributes if n not in doc["attributes"]]
        if missing:
            raise CheckpointMismatch(f"the checkpoint lacks {', '.join(missing[:3])}")
        trees: dict[int, tuple] = {}
        worst = 0.0
        for name, f in reg.functions.items():
            V = f.function_space
            i = fn_space[name]
            if i not in trees:
                from scipy.spatial import cKDTree

                stored = data[f"keys/{i}"]
                keys, dofs = _space_keys(V, _local_cells(V.mesh), owned_only=False)
                if stored.shape[1] != keys.shape[1]:
                    raise CheckpointMismatch(f"{name}: another kind of function space")
                scale = max(float(np.ptp(stored[:, -3:], axis=0).max(initial=0.0)), 1e-300)
                dist, idx = cKDTree(stored).query(keys) if len(stored) else (np.zeros(0), None)
                far = float(dist.max(initial=0.0)) / scale
                worst = max(worst, far)
                trees[i] = (idx, dofs)
            idx, dofs = trees[i]
            bs = V.dofmap.index_map_bs
            vals = data[f"f/{name}"]
            if vals.shape[1:] != (bs,):
                raise CheckpointMismatch(f"{name}: block size {vals.shape[1:]}, expected {bs}")
            arr = f.x.array.reshape(-1, bs)
            if idx is not None and len(dofs):
                arr[dofs] = vals[idx]
        worst = comm.allreduce(worst, op=MPI.MAX)
        if worst > 1e-9:
            raise CheckpointMismatch(
                f"a dof of the mesh is {worst:.2g} domain sizes from every stored one "
                "(another mesh)"
            )
        for name, c in reg.constants.items():
            c.value = data[f"c/{name}"]
    for name, (obj, a) in reg.attributes.items():
        setattr(obj, a, _decode(doc["attributes"][name]))
    return doc["meta"]
