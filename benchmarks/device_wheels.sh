#!/usr/bin/env bash
# The wheels the GPU machine lacks (Python 3.12 there; no TensorFlow, Keras
# or netCDF4): keras and netCDF4 at pyproject.toml's pins, their own needs
# at the versions this project runs with, into .whl/ (ignored by git), for
# the device scripts beside this one to install.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
for pkg in keras==3.15.1 namex==0.1.0 optree==0.20.0 netcdf4==1.7.5.1.post1 cftime==1.6.6.1 certifi==2026.5.20; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$pkg"
done
ls .whl
