# -*- Python -*-
# lit configuration of Kiln's IR-in, IR-out tests.

import os
import sys

import lit.formats

config.name = "Kiln"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")
config.excludes = ["Inputs", "Unit", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py"]

# kiln tools first, then lit's companions (FileCheck, not, split-file).
config.environment["PATH"] = os.pathsep.join(
    [config.kiln_tools_dir, config.llvm_tools_dir,
     config.environment.get("PATH", os.environ.get("PATH", ""))])
# Python scripts import the shared helpers as the kilntest package.
config.environment["PYTHONPATH"] = config.test_source_root
config.substitutions.append(("%kiln_src_root", config.kiln_src_root))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%cc", config.kiln_test_cc))


def cpu_has(flags):
    try:
        with open("/proc/cpuinfo") as f:
            present = next((line.split(":", 1)[1].split() for line in f
                            if line.startswith("flags")), [])
    except OSError:
        return False
    return all(flag in present for flag in flags)


# The FileCheck prefix of checks that hold for oneDNN's kernels on this
# machine: AVX512 (its avx512_core kernels) or NOAVX512; tests of those
# kernels alone say REQUIRES: avx512.
avx512 = cpu_has(["avx512f", "avx512bw", "avx512vl", "avx512dq"])
config.substitutions.append(("%dnnl_isa", "AVX512" if avx512 else "NOAVX512"))
if avx512:
    config.available_features.add("avx512")
