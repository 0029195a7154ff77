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
