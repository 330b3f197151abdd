"""The one training-path setting: its values, its aliases' old meanings,
errors naming the variable, and where a GPU could be."""

import pytest

from empirical_size.engine import cpu_kernel, path_setting
from empirical_size.engine.path_setting import TrainingPath, resolve


def test_the_setting_and_make_trainers_path():
    assert resolve(environ={}) == TrainingPath("auto", arch="native")
    assert resolve(environ={"EMPIRICAL_SIZE_PATH": "kernel:x86-64-v3"}) == TrainingPath("kernel", arch="x86-64-v3")
    assert resolve(environ={"EMPIRICAL_SIZE_PATH": "fused:interpret:16,2,1"}).tiling == "interpret:16,2,1"
    assert resolve("graph", environ={"EMPIRICAL_SIZE_PATH": "kernel"}).kind == "graph"  # the argument wins
    assert path_setting.ARCHES == ("native", *cpu_kernel.VARIANTS)
    for bad, named in (("threads", "no path"), ("kernel:x86-64-v9", "no kernel build"), ("graph:2", "graph takes no option"), ("fused:64,1", "a fused tiling")):
        with pytest.raises(ValueError, match=f"EMPIRICAL_SIZE_PATH='{bad}': {named}"):
            resolve(environ={"EMPIRICAL_SIZE_PATH": bad})


def test_the_old_variables_keep_their_meanings_as_aliases():
    # EMPIRICAL_SIZE_CPU_KERNEL: on auto only; a GPU keeps its loop either way
    assert resolve(environ={"EMPIRICAL_SIZE_CPU_KERNEL": "0"}) == TrainingPath("auto", arch="native", kernel="never")
    assert resolve(environ={"EMPIRICAL_SIZE_CPU_KERNEL": "1"}).kernel == "required"
    assert not resolve(environ={"EMPIRICAL_SIZE_CPU_KERNEL": "0"}).kernel_allowed  # E1's measures: numpy
    # with 0, the fused tiling is still taken under JAX
    assert resolve(environ={"EMPIRICAL_SIZE_CPU_KERNEL": "0", "EMPIRICAL_SIZE_FUSED": "1"}).tiling == "1"
    # EMPIRICAL_SIZE_CPU_ARCH: the kernel's build on auto and kernel, ignored (and unchecked) on Keras' loops
    assert resolve(environ={"EMPIRICAL_SIZE_CPU_ARCH": "x86-64", "EMPIRICAL_SIZE_PATH": "kernel"}).arch == "x86-64"
    assert resolve(environ={"EMPIRICAL_SIZE_CPU_ARCH": "bad", "EMPIRICAL_SIZE_PATH": "graph"}).kind == "graph"
    for name, value in (("EMPIRICAL_SIZE_CPU_KERNEL", "yes"), ("EMPIRICAL_SIZE_CPU_ARCH", "x86-64-v9"), ("EMPIRICAL_SIZE_FUSED", "garbage")):
        with pytest.raises(ValueError, match=name):
            resolve(environ={name: value})


def test_a_gpu_is_possible_only_where_a_device_can_be_opened(tmp_path):
    dev = tmp_path / "dev"
    dev.mkdir()
    assert not path_setting.gpu_possible({}, dev)  # no device file: the CPU, no backend asked
    (dev / "nvidia0").write_text("")
    assert path_setting.gpu_possible({}, dev)
    assert not path_setting.gpu_possible({"CUDA_VISIBLE_DEVICES": ""}, dev)
    assert not path_setting.gpu_possible({"SLURM_JOB_ID": "7"}, dev)  # a SLURM job given no GPU on a GPU node
    assert path_setting.gpu_possible({"SLURM_JOB_ID": "7", "SLURM_JOB_GPUS": "0"}, dev)
    (dev / "nvidia0").chmod(0)
    import os

    if os.geteuid() != 0:  # root opens anything
        assert not path_setting.gpu_possible({}, dev)


def test_auto_chooses_the_cpu_path_by_width_and_the_crossover_comes_from_a_timing_table():
    from empirical_size.engine.trainer import BLAS_FROM_WIDTH, cpu_path_for, crossover_width

    assert resolve(environ={"EMPIRICAL_SIZE_PATH": "blas"}) == TrainingPath("blas", arch="native")
    assert cpu_path_for([3, 64, 64, 1]) == "kernel" and cpu_path_for([1, 500, 500, 500, 500, 1]) == "blas"
    assert cpu_path_for([1, BLAS_FROM_WIDTH - 1, 1]) == "kernel" and cpu_path_for([1, BLAS_FROM_WIDTH, 1]) == "blas"
    assert cpu_path_for([1, 128, 1], from_width=100) == "blas"
    # (width, kernel's seconds, BLAS trainer's seconds) at one shape each: the BLAS trainer wins from 256 on
    table = [(32, 1.0, 3.0), (64, 1.0, 2.0), (128, 1.0, 1.2), (256, 2.0, 1.5), (500, 8.0, 4.0)]
    assert crossover_width(table) == 256
    assert crossover_width([(32, 1.0, 0.5), (64, 1.0, 2.0), (500, 8.0, 4.0)]) == 500  # a win below a loss does not count
    assert crossover_width([(64, 1.0, 2.0), (500, 4.0, 8.0)]) is None  # the kernel wins everywhere


def test_make_trainer_takes_the_blas_trainer_for_wide_networks_on_auto(monkeypatch):
    from empirical_size.engine import trainer as trainers

    if cpu_kernel.choose() is None:
        pytest.skip("auto takes the backend's own loop on this CPU (no kernel)")
    monkeypatch.delenv(path_setting.SETTING, raising=False)
    monkeypatch.setattr(trainers, "_on_gpu", lambda: False)
    assert trainers.make_trainer([3, 64, 1], 2).gradient_path == cpu_kernel.NAME
    wide = trainers.make_trainer([1, trainers.BLAS_FROM_WIDTH, 1], 2)
    assert wide.gradient_path == "numpy BLAS" and wide.kernel_arch == "native"  # its update: the kernel's
    assert trainers.make_trainer([3, 64, 1], 2, path="blas").gradient_path == "numpy BLAS"
