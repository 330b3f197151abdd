"""The trainers: many small ReLU networks trained at once, on a CPU (the C++ kernel, numpy's BLAS)
or through Keras (TensorFlow, JAX), and the one setting that chooses the path."""
