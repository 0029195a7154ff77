"""One peer engine on one model, as a worker process of bench/run.py.

usage: peers.py ENGINE MODEL.onnx THREADS WORK [INPUT.npy ...]
       [--torch ZOO_OR_BENCH_SPEC]

ENGINE is one of ort, openvino, iree, tvm, torch, torch-compile. The worker
compiles the model the way the engine's users do (IREE's and TVM's
compiled modules are kept in WORK for the next thread count), runs it once, writes its
outputs to WORK/ENGINE-output-K.npy and prints one JSON line
{"compile_s": ..., "first_run_us": ..., "outputs": [...]}. Then, for every line "N" on stdin,
it times N runs and prints {"samples_us": [...]}; for a line "threads T"
(engines in IN_PLACE only) it prepares the model again at T threads in the
same process and prints a first line again; on "quit" (or end of
input) it prints {"rss_kib": peak resident memory} and ends. Any failure
prints {"error": "one line"} instead.

Each engine runs in f32 on the CPU with THREADS threads, set its
documented way:
  ort            CPU execution provider, all graph optimizations,
                 intra_op_num_threads, sequential execution
  openvino       compile_model(..., "CPU") with the latency hint,
                 INFERENCE_NUM_THREADS, INFERENCE_PRECISION_HINT=f32
  iree           iree-import-onnx, iree.compiler for llvm-cpu on the host
                 CPU, the local-task driver with THREADS workers
  tvm            the Relax ONNX frontend, tvm.compile for llvm on the host
                 CPU with its default pipeline, TVM_NUM_THREADS
  torch          PyTorch eager on the model's own module, set_num_threads
  torch-compile  the same through torch.compile (Inductor, default mode)
"""

import gc
import json
import os
import subprocess
import sys
import time

import numpy as np


def peak_rss_kib():
    """This process's peak resident memory in KiB: the VmHWM of its own
    address space. (getrusage's ru_maxrss starts from the parent's peak at
    fork and survives exec, so a worker of a large parent would report the
    parent's.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def say(obj):
    print(json.dumps(obj), flush=True)


def one_line(error):
    text = f"{type(error).__name__}: {error}".strip().splitlines()
    # The most telling line: the last that is not a traceback frame.
    lines = [l.strip() for l in text if l.strip() and not l.strip().startswith(("File ", "^"))]
    return (lines[-1] if lines else "failed")[:300]


# -- engines: each returns (run, outputs_now) ------------------------------


def prepare_ort(model, threads, inputs, work, extra):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    feeds = {i.name: a for i, a in zip(session.get_inputs(), inputs)}
    return lambda: session.run(None, feeds)


def prepare_openvino(model, threads, inputs, work, extra):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model), "CPU", {
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": "f32",
    })
    request = compiled.create_infer_request()

    def run():
        results = request.infer(inputs, share_inputs=True)
        return [results[o] for o in compiled.outputs]
    return run


def prepare_iree(model, threads, inputs, work, extra):
    import iree.compiler as compiler
    import iree.runtime as runtime
    # Compiled once per model: the thread count is the runtime's.
    cached = os.path.join(work, "iree-model.vmfb")
    if os.path.exists(cached):
        with open(cached, "rb") as f:
            vmfb = f.read()
    else:
        imported = os.path.join(work, "iree-model.mlir")
        tool = os.path.join(os.path.dirname(sys.executable), "iree-import-onnx")
        out = subprocess.run([tool, model, "-o", imported], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("iree-import-onnx: " +
                               (out.stderr.strip().splitlines() or ["failed"])[-1])
        vmfb = compiler.compile_file(imported, target_backends=["llvm-cpu"],
                                     extra_args=["--iree-llvmcpu-target-cpu=host"])
        with open(cached + ".tmp", "wb") as f:
            f.write(vmfb)
        os.replace(cached + ".tmp", cached)
    runtime.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    config = runtime.Config("local-task")
    context = runtime.SystemContext(config=config)
    vm_module = runtime.VmModule.copy_buffer(context.instance, vmfb)
    context.add_vm_module(vm_module)
    bound = context.modules[vm_module.name]
    # The module's one exported function (not its $async twin).
    names = [f for f in vm_module.function_names
             if not f.endswith("$async") and not f.startswith("__")]
    if not names:
        raise RuntimeError("iree: the module exports no function")
    function = bound[names[0]]
    device_inputs = [runtime.asdevicearray(config.device, a) for a in inputs]

    def run():
        result = function(*device_inputs)
        results = result if isinstance(result, (tuple, list)) else [result]
        return [np.asarray(r) for r in results]
    return run


def prepare_tvm(model, threads, inputs, work, extra):
    # TVM's thread pool reads TVM_NUM_THREADS when it starts.
    import onnx
    import tvm
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx
    # Compiled once per model (exported as a library): the thread count is
    # the runtime's.
    cached = os.path.join(work, "tvm-model.so")
    if os.path.exists(cached):
        executable = tvm.runtime.load_module(cached)
    else:
        proto = onnx.load(model)
        shapes = {i.name: a.shape for i, a in zip(proto.graph.input, inputs)}
        module = from_onnx(proto, shape_dict=shapes, keep_params_in_input=False)
        cpu = tvm.target.codegen.llvm_get_system_cpu()
        executable = tvm.compile(module, target=tvm.target.Target({"kind": "llvm", "mcpu": cpu}))
        executable.export_library(cached + ".tmp.so")
        os.replace(cached + ".tmp.so", cached)
    machine = relax.VirtualMachine(executable, tvm.cpu())
    device_inputs = [tvm.runtime.tensor(a) for a in inputs]
    main = machine["main"]

    def run():
        result = main(*device_inputs)
        results = list(result) if isinstance(result, (tuple, list)) or \
            type(result).__name__ in ("Array", "Tuple") else [result]
        return [r.numpy() for r in results]
    return run


def prepare_torch(model, threads, inputs, work, extra, compiled=False):
    import torch
    torch.set_num_threads(threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_models
    module = bench_models.torch_module(extra)
    module.eval()
    tensors = [torch.from_numpy(a) for a in inputs]
    if compiled:
        torch._dynamo.reset()  # a second thread count compiles again
        module = torch.compile(module)

    def run():
        with torch.no_grad():
            result = module(*tensors)
        results = result if isinstance(result, (tuple, list)) else [result]
        return [r.numpy() for r in results]
    return run


# Engines whose thread count can change in the same process, their
# documented way: a new ONNX Runtime session, a new OpenVINO compiled model,
# torch.set_num_threads (torch.compile compiles again: Inductor builds its
# thread count into its kernels). IREE's task driver and TVM's thread pool
# take theirs when they start, so their workers start again.
IN_PLACE = ("ort", "openvino", "torch", "torch-compile")

ENGINES = {
    "ort": prepare_ort,
    "openvino": prepare_openvino,
    "iree": prepare_iree,
    "tvm": prepare_tvm,
    "torch": prepare_torch,
    "torch-compile": lambda *a: prepare_torch(*a, compiled=True),
}


def main():
    args = sys.argv[1:]
    extra = None
    if "--torch" in args:
        i = args.index("--torch")
        extra = args[i + 1]
        del args[i:i + 2]
    engine, model, threads, work, *paths = args
    os.makedirs(work, exist_ok=True)
    try:
        inputs = [np.load(p) for p in paths]
    except Exception as error:  # reported as one line
        say({"error": one_line(error)})
        return
    run = prepare(engine, model, int(threads), work, inputs, extra)
    if run is None:
        return
    for line in sys.stdin:
        line = line.strip()
        if line == "quit":
            break
        if line.startswith("threads "):
            run = None  # the old session's memory goes before the new one's
            gc.collect()
            run = prepare(engine, model, int(line.split()[1]), work, inputs, extra)
            if run is None:
                return
            continue
        samples = []
        try:
            for _ in range(int(line)):
                start = time.perf_counter()
                run()
                samples.append((time.perf_counter() - start) * 1e6)
        except Exception as error:
            say({"error": one_line(error)})
            return
        say({"samples_us": samples})
    say({"rss_kib": peak_rss_kib()})


def prepare(engine, model, threads, work, inputs, extra):
    """Compiles and runs the model once at `threads` threads, writes its
    outputs and says so; returns its run function, or None after saying
    what failed."""
    try:
        start = time.perf_counter()
        run = ENGINES[engine](model, threads, inputs, work, extra)
        first = time.perf_counter()
        outputs = [np.asarray(o) for o in run()]  # the first run completes the compile
        end = time.perf_counter()
        compile_s, first_run_us = end - start, (end - first) * 1e6
        written = []
        for k, out in enumerate(outputs):
            path = os.path.join(work, f"{engine}-output-{k}.npy")
            np.save(path, out)
            written.append(path)
    except Exception as error:  # reported as one line
        say({"error": one_line(error)})
        return None
    say({"compile_s": compile_s, "first_run_us": first_run_us, "outputs": written})
    return run

if __name__ == "__main__":
    main()
