//===- Module.cpp - kiln._core: the compiler and compiled models ----------===//
//
// The low-level half of the kiln package: compile a model into a shared
// library, load one and run it on buffers. kiln/__init__.py checks and
// converts the arrays and gives the API its shape; this module trusts it
// for dtypes and shapes, while the C API still checks every byte size.
//
//===----------------------------------------------------------------------===//

#include "Compiler.h"

#include "kiln/Runtime/KilnModel.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <chrono>
#include <dlfcn.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace nb = nanobind;

namespace {

/// The C API of one loaded library.
struct Api {
  decltype(&kiln_create) create;
  decltype(&kiln_create_threads) createThreads;
  decltype(&kiln_destroy) destroy;
  decltype(&kiln_num_inputs) numInputs;
  decltype(&kiln_num_outputs) numOutputs;
  decltype(&kiln_input_info) inputInfo;
  decltype(&kiln_output_info) outputInfo;
  decltype(&kiln_run) run;
  decltype(&kiln_dim_symbol) dimSymbol;
  decltype(&kiln_output_shapes) outputShapes;
  decltype(&kiln_set_threads) setThreads;
  decltype(&kiln_profile) profile;
  // Present in libraries of models with a sequence length that varies.
  decltype(&kiln_run_shaped) runShaped;
  decltype(&kiln_sequence_symbol) sequenceSymbol;
  decltype(&kiln_sequence_axis) sequenceAxis;
};

/// Holds the buffers of one call: a view of every array, released when
/// the call ends.
class Buffers {
public:
  Buffers(nb::handle arrays, bool writable, const char *kind) {
    nb::sequence sequence = nb::borrow<nb::sequence>(arrays);
    size_t count = nb::len(sequence);
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      nb::object array = sequence[i];
      Py_buffer view;
      int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
      if (PyObject_GetBuffer(array.ptr(), &view, flags) != 0) {
        PyErr_Clear();
        release();
        throw nb::type_error(("kiln: " + std::string(kind) + " " +
                              std::to_string(i) + " is not a C-contiguous" +
                              (writable ? " writable" : "") + " buffer")
                                 .c_str());
      }
      views.push_back(view);
      pointers.push_back(view.buf);
      bytes.push_back((size_t)view.len);
      dims.emplace_back(view.shape, view.shape + view.ndim);
    }
  }
  ~Buffers() { release(); }
  Buffers(const Buffers &) = delete;
  Buffers &operator=(const Buffers &) = delete;

  std::vector<void *> pointers;
  std::vector<size_t> bytes;
  std::vector<std::vector<int64_t>> dims;
  /// The dims of every buffer, as kiln_run_shaped takes them.
  std::vector<const int64_t *> dimPointers() const {
    std::vector<const int64_t *> result;
    for (const std::vector<int64_t> &d : dims)
      result.push_back(d.data());
    return result;
  }

private:
  void release() {
    for (Py_buffer &view : views)
      PyBuffer_Release(&view);
    views.clear();
  }
  std::vector<Py_buffer> views;
};

/// One input or output as the package sees it: name, ONNX dtype code, dims
/// (-1 on the open dim) and the bytes of one sample.
nb::tuple describe(const kiln_tensor_info &info) {
  nb::list dims;
  for (int d = 0; d < info.rank; ++d)
    dims.append(info.dims[d]);
  return nb::make_tuple(std::string(info.name), info.dtype, nb::tuple(dims),
                        info.bytes);
}

/// The message for a thread count outside the runtime's range.
const std::string kThreadsRange =
    "kiln: threads must be from 0 to " + std::to_string(KILN_MAX_THREADS);

class Library {
public:
  /// threads: the team the model is created for (0: the default).
  Library(const std::string &path, int threads) {
    if (threads < 0 || threads > KILN_MAX_THREADS)
      throw nb::value_error(kThreadsRange.c_str());
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      throw std::runtime_error("cannot load " + path + ": " +
                               (why ? why : "unknown error"));
    }
    std::string missing;
    auto find = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(handle, name));
      if (!fn && missing.empty())
        missing = name;
    };
    find(api.create, "kiln_create");
    find(api.destroy, "kiln_destroy");
    find(api.numInputs, "kiln_num_inputs");
    find(api.numOutputs, "kiln_num_outputs");
    find(api.inputInfo, "kiln_input_info");
    find(api.outputInfo, "kiln_output_info");
    find(api.run, "kiln_run");
    find(api.dimSymbol, "kiln_dim_symbol");
    find(api.outputShapes, "kiln_output_shapes");
    find(api.setThreads, "kiln_set_threads");
    find(api.profile, "kiln_profile");
    if (missing.empty()) {
      api.runShaped = reinterpret_cast<decltype(api.runShaped)>(
          dlsym(handle, "kiln_run_shaped"));
      api.sequenceSymbol = reinterpret_cast<decltype(api.sequenceSymbol)>(
          dlsym(handle, "kiln_sequence_symbol"));
      api.sequenceAxis = reinterpret_cast<decltype(api.sequenceAxis)>(
          dlsym(handle, "kiln_sequence_axis"));
      api.createThreads = reinterpret_cast<decltype(api.createThreads)>(
          dlsym(handle, "kiln_create_threads"));
    }
    if (!missing.empty()) {
      dlclose(handle);
      throw std::runtime_error(path +
                               " is not a model compiled by this version of "
                               "kilnc --emit=lib (it has no " +
                               missing + ")");
    }
    char error[1024] = "";
    // A library of an earlier kilnc has no kiln_create_threads: its team
    // is set for the runs only.
    model = api.createThreads ? api.createThreads(threads, error, sizeof error)
                              : api.create(error, sizeof error);
    if (!model) {
      dlclose(handle);
      throw std::runtime_error("cannot create the model of " + path + ": " +
                               error);
    }
    if (!api.createThreads)
      api.setThreads(model, threads);
  }
  ~Library() {
    if (model)
      api.destroy(model);
    if (handle)
      dlclose(handle);
  }
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;

  nb::list inputs() const { return describeAll(api.inputInfo); }
  nb::list outputs() const { return describeAll(api.outputInfo); }
  nb::object symbol() const {
    const char *name = api.dimSymbol(model);
    return name ? nb::object(nb::str(name)) : nb::none();
  }

  /// The name of the sequence length that varies at run time, or None.
  nb::object sequenceSymbol() const {
    const char *name = api.sequenceSymbol ? api.sequenceSymbol(model) : nullptr;
    return name ? nb::object(nb::str(name)) : nb::none();
  }
  /// For each input, then each output: (axis of the positions or -1,
  /// entries per position).
  nb::tuple sequenceAxes() const {
    nb::list inputs, outputs;
    for (int output = 0; output < 2; ++output) {
      size_t count = output ? api.numOutputs(model) : api.numInputs(model);
      for (size_t i = 0; i < count; ++i) {
        int64_t entries = 1;
        int axis = api.sequenceAxis
                       ? api.sequenceAxis(model, output, i, &entries)
                       : -1;
        (output ? outputs : inputs).append(nb::make_tuple(axis, entries));
      }
    }
    return nb::make_tuple(inputs, outputs);
  }

  /// The output dims for inputs of the dims given.
  nb::list outputShapes(const std::vector<std::vector<int64_t>> &dims) const {
    size_t numInputs = api.numInputs(model), numOutputs = api.numOutputs(model);
    if (dims.size() != numInputs)
      throw nb::value_error("kiln: wrong number of input shapes");
    std::vector<const int64_t *> in;
    kiln_tensor_info info;
    for (size_t i = 0; i < numInputs; ++i) {
      api.inputInfo(model, i, &info);
      if ((int)dims[i].size() != info.rank)
        throw nb::value_error("kiln: wrong rank of an input shape");
      in.push_back(dims[i].data());
    }
    std::vector<std::vector<int64_t>> out(numOutputs);
    std::vector<int64_t *> outPointers;
    for (size_t i = 0; i < numOutputs; ++i) {
      api.outputInfo(model, i, &info);
      out[i].resize(info.rank);
      outPointers.push_back(out[i].data());
    }
    char error[1024] = "";
    if (api.outputShapes(model, in.data(), outPointers.data(), error,
                         sizeof error) != 0)
      throw nb::value_error(error);
    nb::list shapes;
    for (const std::vector<int64_t> &shape : out) {
      nb::list dims;
      for (int64_t d : shape)
        dims.append(d);
      shapes.append(nb::tuple(dims));
    }
    return shapes;
  }

  /// Runs the model on the buffers of `inputs` into those of `outputs`,
  /// without the GIL.
  void run(nb::handle inputs, nb::handle outputs) const {
    Call call(*this, inputs, outputs);
    char error[1024] = "";
    int status;
    bool shaped = api.sequenceSymbol && api.sequenceSymbol(model);
    std::vector<const int64_t *> dims = call.in.dimPointers();
    {
      nb::gil_scoped_release release;
      status = shaped
                   ? api.runShaped(model, call.in.pointers.data(), dims.data(),
                                   call.out.pointers.data(),
                                   call.out.bytes.data(), error, sizeof error)
                   : api.run(model, call.in.pointers.data(),
                             call.in.bytes.data(), call.out.pointers.data(),
                             call.out.bytes.data(), error, sizeof error);
    }
    if (status != 0)
      throw std::runtime_error(std::string("kiln: ") + error);
  }

  /// kiln_profile: the mean time of a run and, per op, (node, op, calls,
  /// microseconds per run).
  nb::tuple profile(nb::handle inputs, nb::handle outputs, long runs) const {
    Call call(*this, inputs, outputs);
    struct Op {
      std::string node, op;
      long calls;
      double us;
    };
    std::vector<Op> ops;
    auto each = [](void *user, const char *node, const char *op, long calls,
                   double us) {
      static_cast<std::vector<Op> *>(user)->push_back({node, op, calls, us});
    };
    char error[1024] = "";
    double runUs = 0;
    int status;
    {
      nb::gil_scoped_release release;
      status = api.profile(model, call.in.pointers.data(), call.in.bytes.data(),
                           call.out.pointers.data(), call.out.bytes.data(),
                           runs, each, &ops, &runUs, error, sizeof error);
    }
    if (status != 0)
      throw std::runtime_error(std::string("kiln: ") + error);
    nb::list list;
    for (const Op &op : ops)
      list.append(nb::make_tuple(op.node, op.op, op.calls, op.us));
    return nb::make_tuple(runUs, list);
  }

  /// The median time of `runs` calls of kiln_run on the same buffers, in
  /// microseconds: what a C caller pays, for the bench's per-call overhead.
  double timeRuns(nb::handle inputs, nb::handle outputs, long runs) const {
    Call call(*this, inputs, outputs);
    if (runs < 1)
      throw nb::value_error("kiln: runs must be at least 1");
    std::vector<double> times;
    char error[1024] = "";
    {
      nb::gil_scoped_release release;
      using Clock = std::chrono::steady_clock;
      for (long r = 0; r < runs; ++r) {
        auto start = Clock::now();
        if (api.run(model, call.in.pointers.data(), call.in.bytes.data(),
                    call.out.pointers.data(), call.out.bytes.data(), error,
                    sizeof error) != 0)
          break;
        times.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start)
                .count());
      }
    }
    if ((long)times.size() != runs)
      throw std::runtime_error(std::string("kiln: ") + error);
    std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
    return times[runs / 2];
  }

  void setThreads(int threads) {
    if (api.setThreads(model, threads) != 0)
      throw nb::value_error(kThreadsRange.c_str());
  }

private:
  /// Every input's (or output's) description, from kiln_input_info (or
  /// kiln_output_info).
  nb::list describeAll(decltype(&kiln_input_info) infoOf) const {
    nb::list list;
    kiln_tensor_info info;
    for (size_t i = 0; infoOf(model, i, &info) == 0; ++i)
      list.append(describe(info));
    return list;
  }

  /// The buffers of one call: a view of every input and output array, one
  /// per input and output of the model.
  struct Call {
    Call(const Library &library, nb::handle inputs, nb::handle outputs)
        : in(inputs, /*writable=*/false, "input"),
          out(outputs, /*writable=*/true, "output") {
      if (in.pointers.size() != library.api.numInputs(library.model) ||
          out.pointers.size() != library.api.numOutputs(library.model))
        throw nb::value_error("kiln: wrong number of buffers");
    }
    Buffers in, out;
  };

  void *handle = nullptr;
  kiln_model *model = nullptr;
  Api api{};
};

/// kiln.compile's work: returns (ok, [(severity, location, text), ...]).
nb::tuple compile(const std::string &model, const std::string &output,
                  const std::string &backend, const std::string &weights,
                  const std::string &targetCPU, const std::string &runtimeDir,
                  bool fuse, bool openBatch, int64_t blockSamples,
                  int64_t dnnlMinWork, const std::vector<std::string> &shapes,
                  const std::vector<std::string> &binds) {
  kiln::python::CompileRequest request;
  request.model = model;
  request.output = output;
  request.backend = backend;
  request.weights = weights;
  request.targetCPU = targetCPU;
  request.runtimeDir = runtimeDir;
  request.fuse = fuse;
  request.openBatch = openBatch;
  request.blockSamples = blockSamples;
  request.dnnlMinWork = dnnlMinWork;
  request.shapes = shapes;
  request.binds = binds;
  std::vector<kiln::python::Message> messages;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = kiln::python::compileLibrary(request, messages);
  }
  nb::list list;
  for (const kiln::python::Message &m : messages)
    list.append(nb::make_tuple(m.severity, m.location, m.text));
  return nb::make_tuple(ok, list);
}

} // namespace

NB_MODULE(_core, m) {
  m.doc() = "Kiln's compiler and model loader (use the kiln package).";
  m.attr("MAX_THREADS") = KILN_MAX_THREADS;
  nb::class_<Library>(m, "Library")
      .def(nb::init<const std::string &, int>(), nb::arg("path"),
           nb::arg("threads") = 0)
      .def_prop_ro("inputs", &Library::inputs)
      .def_prop_ro("outputs", &Library::outputs)
      .def_prop_ro("symbol", &Library::symbol)
      .def_prop_ro("sequence_symbol", &Library::sequenceSymbol)
      .def_prop_ro("sequence_axes", &Library::sequenceAxes)
      .def("output_shapes", &Library::outputShapes, nb::arg("dims"))
      .def("run", &Library::run, nb::arg("inputs"), nb::arg("outputs"))
      .def("profile", &Library::profile, nb::arg("inputs"), nb::arg("outputs"),
           nb::arg("runs"))
      .def("time_runs", &Library::timeRuns, nb::arg("inputs"),
           nb::arg("outputs"), nb::arg("runs"))
      .def("set_threads", &Library::setThreads, nb::arg("threads"));
  m.def("compile", &compile, nb::arg("model"), nb::arg("output"),
        nb::arg("backend"), nb::arg("weights"), nb::arg("target_cpu"),
        nb::arg("runtime_dir"), nb::arg("fuse"), nb::arg("open_batch"),
        nb::arg("block_samples"), nb::arg("dnnl_min_work"), nb::arg("shapes"),
        nb::arg("binds"));
}
