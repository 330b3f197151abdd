#!/usr/bin/env bash
# The GPU measurements quoted in the README, as run on the device machine
# (JAX, no TensorFlow): the benchmark table at both float32 precisions and
# the estimate of the paper's E2 + E3. Keras, namex and optree travel as
# wheels in .whl/ (see the README); extra arguments go to the benchmark.
set -o pipefail
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
# The estimate starts a second JAX process to time a job's start: leave it room.
export XLA_PYTHON_CLIENT_MEM_FRACTION=0.4
out=${OUT:-.}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$out/bench.log"
python3 -c "import jax, keras; print('jax', jax.__version__, 'keras', keras.__version__, jax.devices())" 2>&1 | tee -a "$out/bench.log"
python3 -m empirical_size.tools.bench --backend jax --seconds 1 --precision float32 tensorfloat32 \
    --estimate config/paper.yaml "$@" 2>&1 | tee -a "$out/bench.log"
