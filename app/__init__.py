"""CNN Explorer's web app: the HTTP API over the NumPy engine, and the pages that use it."""

import os

# A request runs the model on one small image: BLAS threads only contend with the server's own
# worker threads (and any training run on the machine), which made a forward pass 20x slower.
# Set before NumPy is first imported; an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
