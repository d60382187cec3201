"""Physics terms: each module returns UFL expressions/forms for its fields; ``solver.problem``
collects and solves them. No geometry and no PETSc options in here."""
