"""One training job: the loop over epochs, batches, packing of grid points, checkpoints, progress
lines and the NetCDF files it writes."""
