"""pvpython script for tests/cli/test_paraview.py (not a test module): opens every .pvd of a
run's fields/ with ParaView's own reader and prints, as one JSON line, per file the time steps,
the point and cell array names, the number of points and cells at the last step and the range
of each point array there.

    pvpython tests/paraview_probe.py RUN_DIR
"""

import glob
import json
import os
import sys

from paraview.simple import PVDReader, UpdatePipeline

run = sys.argv[1]
out = {}
for path in sorted(glob.glob(os.path.join(run, "fields", "*.pvd"))):
    name = os.path.basename(path)[:-4]
    r = PVDReader(FileName=path)
    times = list(r.TimestepValues) if r.TimestepValues else []
    UpdatePipeline(time=times[-1] if times else 0.0, proxy=r)
    info = r.GetDataInformation()
    out[name] = {
        "times": times,
        "point": sorted(r.PointData.keys()),
        "cell": sorted(r.CellData.keys()),
        "points": info.GetNumberOfPoints(),
        "cells": info.GetNumberOfCells(),
        "ranges": {k: list(r.PointData[k].GetRange()) for k in r.PointData.keys()},
    }
print("PROBE " + json.dumps(out))
