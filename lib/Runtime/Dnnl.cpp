//===- Dnnl.cpp - oneDNN primitives of dnnl-backend models ----------------===//
//
// A model compiled with the dnnl backend defines the program of its oneDNN
// primitives (kiln_model_dnnl_program, see kiln/Runtime/ABI.h) and the
// addresses of their constant operands (kiln_model_dnnl_constants).
// kiln_dnnl_create builds every primitive once per model instance, with
// its constant weights reordered to the layout the primitive prefers and a
// user-managed scratchpad that lives in the run's arena; kiln_dnnl_execute,
// which the model calls in place of each op, only executes. The two
// directions of a bidirectional recurrent layer are two primitives that
// run side by side.
//
// An op has variants: its primitive for the whole team and for one thread
// (oneDNN fixes a primitive's thread count when it creates it, and a small
// op runs faster on one thread than on two), and, for an op that computes
// each sample on its own (a convolution, a pooling, a product with
// constant weights...), split by samples: each thread of the team runs a
// one-thread primitive on its share of the batch, in the cache of its own
// core, which the next op's parallel loop, split the same way, reads from
// (and a Winograd convolution, which oneDNN's own threading scales poorly,
// scales as its samples do). The first runs time the variants and keep the
// fastest (see State); the others are then released.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/ABI.h"
#include "kiln/Runtime/PackedMatMul.h"
#include "kiln/Runtime/Parallel.h"

#include <dnnl.hpp>
#include <dnnl_debug.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

// Weak: in a binary whose block of samples uses oneDNN and whose model for
// one sample does not, the model has no program.
extern "C" {
__attribute__((weak)) extern const int64_t kiln_model_dnnl_program[];
__attribute__((weak)) void kiln_model_dnnl_constants(uintptr_t *pointers);
}

namespace {

using dnnl::memory;
using Dims = memory::dims;
using kiln::runtime::alignUp;
using kiln::runtime::ThreadsScope;

using kiln::abi::DnnlPrimitive;
using Record = kiln::abi::DnnlRecord;
using Operand = kiln::abi::DnnlOperand;

/// Row-major strides of `dims`.
Dims denseStrides(const Dims &dims) {
  Dims strides(dims.size(), 1);
  for (int64_t i = (int64_t)dims.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<int64_t>(dims[i + 1], 1);
  return strides;
}

/// The product of every dim but the last: the rows of a matrix product's
/// operand whose leading dims are flattened.
int64_t leadingRows(const Dims &dims) {
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < dims.size(); ++i)
    rows *= dims[i];
  return rows;
}

memory::desc plain(const Dims &dims) {
  return memory::desc(dims, memory::data_type::f32, denseStrides(dims));
}

/// oneDNN's nC[D][H]W{8,16}c for [N, C, spatial...] dims.
memory::desc blocked(const Dims &dims, int64_t block) {
  using tag = memory::format_tag;
  static const tag tags[2][3] = {{tag::aBc8b, tag::aBcd8b, tag::aBcde8b},
                                 {tag::aBc16b, tag::aBcd16b, tag::aBcde16b}};
  return memory::desc(dims, memory::data_type::f32,
                      tags[block == 16][dims.size() - 3]);
}

memory::desc anyLayout(const Dims &dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

/// An operand the model passes at each run: its argument, its layout, the
/// index of its pointer among the call's and a byte offset from it.
struct RunOperand {
  int arg;
  memory::desc layout;
  size_t pointer, offset;
  /// In a variant split by samples, the bytes of one sample (its share
  /// starts that many bytes times its first sample further on).
  size_t sampleBytes = 0;
  /// A buffer of the variant's own in the run's scratchpad, `offset`
  /// bytes into it, rather than one the model passes.
  bool inScratchpad = false;
};

/// A primitive, ready to execute: its constant operands in the layouts it
/// wants, the operands the model passes at each run, and where its
/// scratchpad starts in the run's.
struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, memory> fixed;
  std::vector<RunOperand> perRun;
  memory::desc scratchpad;
  uint64_t scratchpadOffset = 0;
  /// In a variant split by samples, the samples it computes.
  int64_t samples = 0;
  /// GELU (erf) applied by Kiln to the step's destination, of this many
  /// values, once the primitive has run (0: none): on AVX-512, a product's
  /// GELU in place of oneDNN's post-op, which takes twice as long.
  int64_t geluAfter = 0;

  /// The arguments of the step's calls on one thread: the constant
  /// operands, and a memory object per operand of the run and for the
  /// scratchpad (empty without one) whose buffers each call sets, rather
  /// than new memory objects and a new map per call.
  struct Arguments {
    std::thread::id thread;
    std::unordered_map<int, memory> map;
    std::vector<memory> perRun;
    memory scratchpad;
  };
  /// The calling thread's arguments, made on its first call (threads that
  /// run the same model at once each have their own).
  Arguments &arguments(const dnnl::engine &engine) {
    std::thread::id self = std::this_thread::get_id();
    std::lock_guard<std::mutex> lock(*argumentsMutex);
    for (const auto &a : threadArguments)
      if (a->thread == self)
        return *a;
    auto a = std::make_unique<Arguments>();
    a->thread = self;
    a->map = fixed;
    for (const RunOperand &operand : perRun) {
      memory m(operand.layout, engine, nullptr);
      a->map.emplace(operand.arg, m);
      a->perRun.push_back(m);
    }
    if (scratchpad.get_size() > 0) {
      a->scratchpad = memory(scratchpad, engine, nullptr);
      a->map.emplace(DNNL_ARG_SCRATCHPAD, a->scratchpad);
    }
    threadArguments.push_back(std::move(a));
    return *threadArguments.back();
  }

private:
  std::unique_ptr<std::mutex> argumentsMutex = std::make_unique<std::mutex>();
  std::vector<std::unique_ptr<Arguments>> threadArguments;
};

/// One way to run an op: its primitives (one, or the two directions of a
/// bidirectional recurrent layer), created for one thread or the team.
struct Variant {
  std::vector<Step> parts;
  bool oneThread = false;
  /// A convolution computed channels-last: `parts` run one after the
  /// other (reorders into the scratchpad, the convolution, a reorder
  /// back).
  bool channelsLast = false;
  /// Split by samples over `threads` threads: `parts` holds a primitive
  /// per share size, and thread t's scratchpad starts t * scratchpadStride
  /// bytes further on.
  bool split = false;
  int64_t threads = 1, batch = 0;
  uint64_t scratchpadStride = 0;
  /// A matrix product on Kiln's packed kernel (PackedMatMul.h) instead of
  /// a primitive: `rows` rows of the source (pointer `source`) times the
  /// packed weights into the destination (pointer `destination`).
  std::shared_ptr<const kiln::runtime::PackedWeights> packed;
  kiln::runtime::PackedActivation activation =
      kiln::runtime::PackedActivation::None;
  float alpha = 0, beta = 0;
  /// Adds to the destination (the residual it holds).
  bool accumulate = false;
  int64_t rows = 0;
  size_t source = 0, destination = 0;
  /// With `packed`, a 2-d convolution of blocked (nChw16c) source and
  /// destination instead: per image, a product of its output pixels by
  /// the packed weights, rows of K = the window's taps times the channels
  /// in the order (tap row, tap column, channel). A 1x1 window at unit
  /// stride without padding reads the source in place; any other gathers
  /// each output pixel's window (zeros in the padding) into a dense
  /// [pixels, K] matrix at the start of the run's scratchpad.
  struct Convolution {
    int64_t batch = 0, channels = 0, height = 0, width = 0, outChannels = 0,
            outHeight = 0, outWidth = 0;
    int64_t kernel[2] = {1, 1}, strides[2] = {1, 1}, dilations[2] = {1, 1},
            pads[2] = {0, 0};
    bool gather = false;
  };
  std::optional<Convolution> convolution;
  /// With `packed`, a 2-d transposed convolution of blocked (nChw16c)
  /// source and destination instead, a chunk of images at a time: their
  /// input pixels gathered into dense rows of channels, times the packed
  /// weights (each pixel's contribution to every output position of its
  /// window, [pixels, taps x output channels]), each block of rows' products
  /// added to the output as they are made (packedMatMulScatter); a team
  /// sharing a chunk stores the products, then sums each output pixel's
  /// (transposedConvolutionSum). A chunk takes a region of the scratchpad
  /// (`region`), one per thread of up to `threads`.
  ///
  /// Near the edges some of a pixel's taps land outside the output (a
  /// 4x4 window at stride 2 over a 4x4 map: 23% of the products): the
  /// pixels are grouped by the taps that land (`classes`, the pixels of
  /// each in `pixels` from its `first`), the rows of a chunk ordered by
  /// group, and each block of rows computes only the panels its groups
  /// need.
  struct Deconvolution {
    kiln::runtime::TransposedWindow window;
    int64_t batch = 0, channels = 0, imagesPerChunk = 1;
    int64_t threads = 1;
    /// Where the parts of a region start, in bytes from it (the gathered
    /// rows at 0), and its size: the products (none unless the batch has
    /// fewer images than the team has threads, when the team shares a
    /// chunk), each row's place in the output (offset, y, x), each pixel's
    /// row and each block of rows' panels.
    struct Region {
      uint64_t products = 0, rowOffset = 0, rowY = 0, rowX = 0, rowOf = 0,
               blockPanels = 0, bytes = 0;
    } region;
    /// The floats from a row of products to the next.
    int64_t productStride = 0;
    struct PixelClass {
      int64_t first = 0, count = 0;
      /// Bit p: the class's taps need panel p (all ones beyond 64 panels,
      /// which the product then computes whole).
      uint64_t panels = 0;
    };
    std::vector<PixelClass> classes;
    std::vector<int32_t> pixels;
    /// Whether blocks of rows skip panels (no more than 64 panels).
    bool skipPanels = false;
    /// The taps in the order of the product's columns (tapOrder[slot] is
    /// the tap in slot), and each tap's slot: taps that land for the same
    /// classes of pixels side by side, so that a panel (of several taps
    /// when there are fewer than 64 output channels) is skipped whole.
    std::vector<int32_t> tapOrder, tapSlot;
    /// Per vector of 16 columns of the product (of its whole panels):
    /// where its tap's contributions go from an input pixel's (ScatterLayout).
    std::vector<int64_t> vectorOffset;
    std::vector<int32_t> vectorY, vectorX;
  };
  std::optional<Deconvolution> deconvolution;
};

/// An op's variants and the choice among them. The first call of each
/// variant warms it (code, scratchpad and caches), the next kTrials calls
/// of each, in turn, are timed; the fastest by its quickest call is
/// proposed if it beats the default (the team's, the first variant) by
/// kMargin. The proposal runs the calls made on the team, the one-thread
/// variant those made with one thread (or inside a parallel region).
struct Op {
  static constexpr int32_t kTrials = 3;
  static constexpr double kMargin = 0.9;
  std::vector<std::shared_ptr<Variant>> variants;
  /// Set with `decided`, and again when the state settles.
  std::atomic<Variant *> chosen{nullptr}, single{nullptr};
  std::atomic<bool> decided{false};
  std::mutex mutex;
  int32_t calls = 0;
  std::vector<int64_t> bestNs;

  /// The one-thread variant (not split) in the layout of `of`, or `of`.
  Variant *oneThreadOf(const Variant &of) const {
    if (of.oneThread && !of.split)
      return const_cast<Variant *>(&of);
    for (const auto &v : variants)
      if (v && v->oneThread && !v->split && v->channelsLast == of.channelsLast)
        return v.get();
    return const_cast<Variant *>(&of);
  }
  /// The team's variant, the first, which a split one falls back to (and
  /// which is released once the state settles on another that is not).
  Variant *team() const { return variants[0].get(); }
};

std::atomic<uint64_t> nextSerial{1};

struct State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  /// Per record, its op.
  std::vector<std::unique_ptr<Op>> ops;
  uint64_t scratchpadBytes = 0;
  int64_t created = 0, weightReorders = 0, weightsShared = 0,
          slicedReorders = 0;
  /// The products on packed weights, and the weights this instance packed
  /// (by their constant and bias), which an instance sharing with it
  /// takes rather than packing them again.
  int64_t packedProducts = 0, packedConvolutions = 0, packedDeconvolutions = 0;
  /// The convolutions marked for Winograd's minimal filtering that it
  /// computes, and those left to direct kernels: for their few tiles
  /// (winogradPays()) and for the memory their weights would take
  /// (Builder::winogradBudget).
  int64_t winograd = 0, winogradFewTiles = 0, winogradOverBudget = 0;
  std::vector<std::tuple<const void *, const void *,
                         std::shared_ptr<const kiln::runtime::PackedWeights>>>
      packed;
  /// The team size of the thread that loaded the model.
  int loadThreads = omp_get_max_threads();
  /// The weights this instance reordered: the constant and the layout
  /// wanted. A second instance of the model (its block of samples) looks
  /// here before reordering the same weights again.
  std::vector<std::tuple<const void *, int, memory::desc, memory>> reordered;

  /// The choice of variants, in three phases: each op times its variants
  /// and proposes one (Choosing); whole runs then alternate between the
  /// proposals and the defaults (Comparing), since an op's variant also
  /// changes the next op's time (a one-thread op leaves its output in one
  /// core's cache, a team op reads it from there), and the faster of the
  /// two, by the median of kCompareRuns runs each, stays (Settled): the
  /// proposals if they are faster by kCompareMargin. Then the variants no
  /// call runs any more are released, once no run that began before is
  /// still going.
  enum Phase : int { Choosing, Comparing, Settled };
  static constexpr int32_t kCompareRuns = 10;
  static constexpr double kCompareMargin = 0.97;
  std::atomic<int> phase{Choosing};
  std::mutex runMutex;
  /// Ops that have variants and have not proposed one yet.
  int64_t undecided = 0;
  int32_t compared = 0;
  std::vector<int64_t> proposedNs, defaultNs;
  bool settledOnDefaults = false, releasePending = false;
  /// Runs that began before the state settled and have not ended.
  int64_t inFlight = 0;
  const State *sharesWith = nullptr;
  /// Tells instances apart for the threads' stream caches.
  uint64_t serial = nextSerial++;
  /// One stream per thread that runs this instance: runs on several threads
  /// share the primitives, never a stream.
  std::mutex mutex;
  std::map<std::thread::id, std::unique_ptr<dnnl::stream>> streams;

  dnnl::stream &stream() {
    thread_local uint64_t cachedSerial = 0;
    thread_local dnnl::stream *cached = nullptr;
    if (cachedSerial == serial)
      return *cached;
    std::lock_guard<std::mutex> lock(mutex);
    auto &slot = streams[std::this_thread::get_id()];
    if (!slot)
      slot = std::make_unique<dnnl::stream>(engine);
    cachedSerial = serial;
    cached = slot.get();
    return *cached;
  }
};

/// Builds the steps of `state` from the model's program.
class Builder {
public:
  /// With `variants` false, each op has its default variant only.
  /// `constantBytes`: the bytes of the model's constants, which bound
  /// those of the weights that channels-last variants reorder, what a
  /// variant adds to the scratchpad and what Winograd's transformed
  /// weights add to the originals.
  Builder(State &state, const std::vector<uintptr_t> &constants, bool variants,
          bool packed, uint64_t constantBytes)
      : state(state), constants(constants), variants(variants), packed(packed),
        channelsLastBudget(
            std::max<uint64_t>(kMinChannelsLastBudget, constantBytes / 20)),
        variantBytes(std::max<uint64_t>(kMinVariantBytes, constantBytes / 10)),
        winogradBudget(
            std::max<uint64_t>(kMinWinogradBudget, constantBytes / 10)),
        constantBytes(constantBytes) {}

  /// Adds the op of `record` with its variants; throws dnnl::error or
  /// returns a message.
  std::string add(const Record &record) {
    this->record = &record;
    auto op = std::make_unique<Op>();
    if (!packed || (!addPacked(*op) && !addPackedConvolution(*op) &&
                    !addPackedDeconvolution(*op))) {
      std::string error = addPrimitives(*op);
      if (!error.empty())
        return error;
    }
    op->bestNs.assign(op->variants.size(), INT64_MAX);
    if (op->variants.size() == 1) {
      op->chosen = op->variants[0].get();
      op->single = op->variants[0].get();
      op->decided.store(true, std::memory_order_release);
    } else {
      ++state.undecided;
    }
    state.ops.push_back(std::move(op));
    return "";
  }

private:
  /// Adds the oneDNN variants of the record's op: the team's default,
  /// then those it may be timed against; a message when the default
  /// cannot be built.
  std::string addPrimitives(Op &op) {
    // The default first: on the team.
    convWeights = memory::desc();
    teamWeights.reset();
    std::string error = addVariant(op, /*oneThread=*/false);
    if (!error.empty())
      return error;
    if (convWeights)
      teamWeights = convWeights;
    state.created += op.variants[0]->parts.size();
    // The parts of a bidirectional layer already run on a thread each.
    if (variants && omp_get_max_threads() > 1 &&
        op.variants[0]->parts.size() == 1) {
      error = addVariant(op, /*oneThread=*/true);
      if (error == kUnshared)
        error.clear();
      else if (!error.empty())
        return error;
      else if (splittable())
        addSplit(op);
    }
    if (variants && channelsLastCandidate()) {
      addChannelsLast(op, /*oneThread=*/false);
      if (omp_get_max_threads() > 1)
        addChannelsLast(op, /*oneThread=*/true);
    }
    return "";
  }

  /// What build() returns for a variant that cannot share the first
  /// variant's Winograd weights: the op goes without it.
  static constexpr const char *kUnshared = "unshared Winograd weights";
  /// What build() returns for a channels-last variant that oneDNN would
  /// not compute with its brgemm kernels: the op goes without it.
  static constexpr const char *kNoBrgemm = "no channels-last brgemm kernel";
  /// The channels-last variants' own weights, which the model holds beside
  /// the default's until the choice is made, take at most a twentieth of
  /// the model's constants (half of the 10% over weights and workspace
  /// that a run's peak may take) or this many bytes: the first
  /// convolutions in the program's order get variants until they would
  /// take more. (With a tenth, ResNet-50 at batch 8 held a copy of 9 MiB
  /// for its strided 3x3 convolution of 512 channels, never chosen.)
  static constexpr uint64_t kMinChannelsLastBudget = 1 << 20;
  /// What Winograd's transformed weights hold beyond the originals (16/9
  /// to 4 times their size) takes at most a tenth of the model's
  /// constants (the peak's 10% over weights and workspace), or this many
  /// bytes, which keep the speed of models of few MiB (a 128-channel
  /// layer's take 1.7 MiB more over 8 images, and run 1.8 times as fast):
  /// the first convolutions in the program's order, whose outputs are the
  /// largest in the usual network and gain the most for their weights,
  /// compute by Winograd until the next would take more. ResNet-50 at
  /// batch 8 held 41 MiB more for its 3x3 layers of 64 to 256 channels,
  /// of which the 256-channel ones took 7 MiB each for 3 ms of a 244 ms
  /// run (at batch 1, 1.8 MiB each for 0.45 ms of 31 ms).
  static constexpr uint64_t kMinWinogradBudget = uint64_t(8) << 20;
  /// The input channels below which a convolution gets no channels-last
  /// variant. On the bench's models, the first convolutions of images (1
  /// or 3 channels in: MobileNet-V2's, ResNet-50's, the DCGAN
  /// discriminator's, MNIST's, the VAE's) were never faster channels-last
  /// at batch 1, 8 or 16, while the brgemm kernels oneDNN generates for
  /// them took 1.6-2.4 MiB of the peak resident set (MobileNet-V2 at batch
  /// 1: 25.6 MiB in all); the DCGAN discriminator's convolution of 32
  /// channels in is the one that wins.
  static constexpr int64_t kChannelsLastMinInputs = 16;
  /// The longest output row of a convolution with a channels-last
  /// variant. Timed by the first runs, 1 and 2 threads, three loads each,
  /// a strided convolution then a 1x1: 4x4 windows of 64 channels in to
  /// 128 at 4x4 chose channels-last every time, at 8x8 two times of
  /// three on one thread; 3x3 windows of 64 to 256 channels to rows of
  /// 28, 14 or 7 pixels (ResNet-50's strided ones) and 4x4 ones of 32
  /// channels to 8x8 never did, while ResNet-50's variants held 2.8 MiB
  /// of weights until the choice.
  static constexpr int64_t kChannelsLastMaxRow = 8;
  /// What a variant may add to the run's scratchpad, which every run
  /// holds whichever variants are chosen: a tenth of the model's constants
  /// or this many bytes. A channels-last variant's input and output take
  /// at most that (the variant wins on maps of few pixels per row, whose
  /// activations are small; the first convolution of an ImageNet network
  /// at batch 8 would take 29 MiB), and so does a split variant's
  /// scratchpad beyond the default's (MNIST's 3x3 convolutions at batch
  /// 16, split over 2 threads: 6 MiB more, and runs 1.2 times as fast;
  /// ResNet-50's last ones at batch 8: 42 MiB more, and never faster).
  static constexpr uint64_t kMinVariantBytes = 16 << 20;

  /// The products that run on Kiln's packed kernel rather than oneDNN's
  /// matmul: at least this many multiply-adds, and 64 columns and 64 rows
  /// of weights. On the bench's AVX-512 machine, oneDNN's brgemm matmul
  /// computes [128, 768] x [768, 768] at 190 GFLOP/s on one core with its
  /// weights in cache and 168 with them in memory, as a model's are (each
  /// read once per run); the packed kernel at 200 and 185 (its prefetches
  /// hide most of the wait).
  static constexpr int64_t kPackedMinWork = int64_t(1) << 22;

  /// Puts the record's op on the packed kernel (PackedMatMul.h) when it is
  /// a product of a source of any rows by constant 2-d weights, with at
  /// most a constant bias and an activation the kernel applies (none,
  /// relu, GELU); false leaves it to oneDNN.
  bool addPacked(Op &op) {
    using kiln::runtime::PackedActivation;
    if (DnnlPrimitive(record->kind) != DnnlPrimitive::MatMul ||
        !kiln::runtime::packedMatMulAvailable())
      return false;
    kiln::abi::DnnlMatMulParams p;
    if (!decode(p) || !expect(2 + (p.hasBias ? 1 : 0)) || p.transSrc ||
        isConstant(0) || !isConstant(1) || (p.hasBias && !isConstant(2)) ||
        record->operands[0].layout || record->operands[output()].layout)
      return false;
    std::optional<PackedActivation> activation =
        packedActivation(p.activation, /*gelu=*/true, /*clip=*/false);
    if (!activation)
      return false;
    const Dims &source = dims(0), &weights = dims(1), &result = dims(output());
    if (weights.size() != 2 || source.empty() || result.empty())
      return false;
    // Stored [N, K] when transposed.
    int64_t k = p.transWeights ? weights[1] : weights[0];
    int64_t n = p.transWeights ? weights[0] : weights[1];
    int64_t rows = leadingRows(source);
    if (source.back() != k || result.back() != n ||
        leadingRows(result) != rows || k < 64 || n < 64 || rows < 1 ||
        rows * n * k < kPackedMinWork)
      return false;
    // One bias per column.
    if (p.hasBias &&
        (dims(2).empty() || dims(2).back() != n || leadingRows(dims(2)) != 1))
      return false;
    Variant &variant = addPackedVariant(
        op, k, n, p.hasBias, *activation, p.activation, p.sum,
        [&](const float *data, const float *bias) {
          return kiln::runtime::PackedWeights::pack(
              data, k, n, p.transWeights ? 1 : n, p.transWeights ? k : 1, bias);
        });
    variant.rows = rows;
    ++state.packedProducts;
    return true;
  }

  /// The activation of `activation` the packed kernel applies (GELU with
  /// `gelu`, clip with `clip`), if it applies it.
  static std::optional<kiln::runtime::PackedActivation>
  packedActivation(const kiln::abi::DnnlActivation &activation, bool gelu,
                   bool clip) {
    using kiln::abi::DnnlEltwise;
    using kiln::runtime::PackedActivation;
    switch (activation.eltwise) {
    case DnnlEltwise::None:
      return PackedActivation::None;
    case DnnlEltwise::Relu:
      return PackedActivation::Relu;
    case DnnlEltwise::GeluErf:
      if (gelu)
        return PackedActivation::GeluErf;
      return std::nullopt;
    case DnnlEltwise::Clip:
      if (clip)
        return PackedActivation::Clip;
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }

  /// Adds to `op` a variant on the packed kernel of the record's constant
  /// weights (operand 1, [k, n] once packed) and bias (operand 2, with
  /// `hasBias`), from its source (operand 0) into its destination, ending
  /// with `activation` (its alpha and beta from `params`): the weights
  /// packed by `pack(weights, bias)` (or shared with an instance that
  /// packed the same), the originals' pages released.
  template <typename Pack>
  Variant &addPackedVariant(Op &op, int64_t k, int64_t n, bool hasBias,
                            kiln::runtime::PackedActivation activation,
                            const kiln::abi::DnnlActivation &params, bool sum,
                            Pack pack) {
    const float *data = (const float *)constants[record->operands[1].constant];
    const float *bias =
        hasBias ? (const float *)constants[record->operands[2].constant]
                : nullptr;
    std::shared_ptr<const kiln::runtime::PackedWeights> packedWeights;
    const State *owners[] = {&state, state.sharesWith};
    for (const State *owner : owners)
      if (owner && !packedWeights)
        for (const auto &[constant, biasOf, done] : owner->packed)
          if (constant == data && biasOf == bias && done->k == k &&
              done->n == n) {
            packedWeights = done;
            state.weightsShared += owner != &state;
          }
    if (!packedWeights) {
      std::shared_ptr<const kiln::runtime::PackedWeights> made =
          pack(data, bias);
      if (!made)
        throw std::bad_alloc();
      releasePages(data, size_t(k * n) * sizeof(float));
      packedWeights = made;
      state.packed.emplace_back(data, bias, packedWeights);
    }
    auto variant = std::make_shared<Variant>();
    variant->packed = std::move(packedWeights);
    variant->activation = activation;
    variant->alpha = params.alpha;
    variant->beta = params.beta;
    variant->accumulate = sum;
    variant->source = pointerOf(0);
    variant->destination = pointerOf(output());
    op.variants.push_back(variant);
    return *variant;
  }

  /// The convolutions that run on Kiln's packed kernel rather than
  /// oneDNN's: at most this many output pixels in all (two 7x7 images),
  /// weights of at least kPackedConvMinWeights floats, read from memory at
  /// each run (the model's constants exceed the L2 cache), and whole panels
  /// of 64 output channels. On the bench's
  /// AVX-512 machine, one thread, weights from memory: ResNet-50's last
  /// 3x3 convolutions at batch 1 (512 channels, 7x7) take 1.5 ms on the
  /// packed kernel against 1.9-2.0 ms in oneDNN's direct and Winograd
  /// kernels, its 1x1 ones of 2048 -> 512 0.65 against 0.70 ms,
  /// MobileNet-V2's 1x1 of 320 -> 1280 0.25 against 0.32 ms and of 160 ->
  /// 960 94 against 108 us; at 14x14 (196 pixels) oneDNN's are as fast or
  /// faster, and so are they on 960 -> 160 (a half panel of 32 columns).
  /// A convolution marked for Winograd whose weights fit the L2 cache stays
  /// with oneDNN, whose Winograd kernel does 2.25-4 times fewer
  /// multiply-adds on weights that the cache keeps between runs: a 3x3 of
  /// 128 -> 128 channels at 7x7 (576 KiB of weights, 1 MiB of L2, one
  /// thread) takes 42 us there against 63 on the packed kernel.
  static constexpr int64_t kPackedConvMaxPixels = 128;
  static constexpr int64_t kPackedConvMinWeights = 128 * 1024;

  /// Reads the record's 2-d window into `into` (a Variant::Convolution or
  /// a TransposedWindow, whose fields of these names it sets: the source's
  /// extent, the result's channels and extent, the window's kernel,
  /// strides, dilations and leading pads); its taps, or 0 when the
  /// record's operands or window are not 2-d or the window is malformed.
  template <typename Window>
  int64_t readWindow2d(const kiln::abi::DnnlWindow &w, Window &into) const {
    const Dims &source = dims(0), &weights = dims(1), &result = dims(output());
    if (source.size() != 4 || weights.size() != 4 || result.size() != 4 ||
        w.strides.size() != 2 || w.dilations.size() != 2 ||
        w.padBegin.size() != 2 || w.padEnd.size() != 2)
      return 0;
    into.height = source[2];
    into.width = source[3];
    into.outChannels = result[1];
    into.outHeight = result[2];
    into.outWidth = result[3];
    int64_t taps = 1;
    for (int i = 0; i < 2; ++i) {
      into.kernel[i] = weights[2 + i];
      into.strides[i] = w.strides[i];
      into.dilations[i] = w.dilations[i];
      into.pads[i] = w.padBegin[i];
      taps *= into.kernel[i];
      if (into.kernel[i] < 1 || into.strides[i] < 1 || into.dilations[i] < 1 ||
          into.pads[i] < 0 || w.padEnd[i] < 0)
        return 0;
    }
    return taps;
  }

  /// The calling core's L2 cache (2 MiB when the system does not say).
  static uint64_t l2Bytes() {
    static const uint64_t bytes = [] {
      long size = sysconf(_SC_LEVEL2_CACHE_SIZE);
      return size > 0 ? uint64_t(size) : uint64_t(2) << 20;
    }();
    return bytes;
  }

  /// Puts the record's op on the packed kernel when it is a 2-d
  /// convolution of one group with constant weights, blocked source and
  /// destination of whole blocks of 16 channels (of 64 for the
  /// destination), few output pixels and large weights, at most a
  /// constant bias, a sum and an activation the kernel applies (none,
  /// relu, clip); false leaves it to oneDNN.
  bool addPackedConvolution(Op &op) {
    using kiln::runtime::PackedActivation;
    if (DnnlPrimitive(record->kind) != DnnlPrimitive::Conv ||
        !kiln::runtime::packedMatMulAvailable())
      return false;
    kiln::abi::DnnlConvParams p;
    if (!decode(p) || !expect(2 + (p.hasBias ? 1 : 0)) || p.groups != 1 ||
        !isConstant(1) || (p.hasBias && !isConstant(2)) || isConstant(0) ||
        record->operands[0].layout != 16 ||
        record->operands[output()].layout != 16)
      return false;
    std::optional<PackedActivation> activation =
        packedActivation(p.activation, /*gelu=*/false, /*clip=*/true);
    if (!activation)
      return false;
    const kiln::abi::DnnlWindow &w = p.window;
    Variant::Convolution conv;
    int64_t taps = readWindow2d(w, conv);
    if (taps == 0)
      return false;
    const Dims &source = dims(0), &weights = dims(1), &result = dims(output());
    conv.batch = source[0];
    conv.channels = source[1];
    for (int i = 0; i < 2; ++i) {
      // The output extent the window gives, as the record says.
      int64_t in = source[2 + i], out = result[2 + i];
      int64_t span = (conv.kernel[i] - 1) * conv.dilations[i] + 1;
      if (out != (in + conv.pads[i] + w.padEnd[i] - span) / conv.strides[i] + 1)
        return false;
    }
    int64_t k = conv.channels * taps, n = conv.outChannels;
    if (result[0] != conv.batch || weights[0] != n ||
        weights[1] != conv.channels || conv.channels % 16 != 0 || n % 64 != 0 ||
        conv.batch * conv.outHeight * conv.outWidth > kPackedConvMaxPixels ||
        k * n < kPackedConvMinWeights || constantBytes <= l2Bytes() ||
        (p.winograd && uint64_t(k * n) * sizeof(float) <= l2Bytes()))
      return false;
    if (p.hasBias &&
        (dims(2).empty() || dims(2).back() != n || leadingRows(dims(2)) != 1))
      return false;
    conv.gather = taps != 1 || conv.strides[0] != 1 || conv.strides[1] != 1 ||
                  conv.pads[0] != 0 || conv.pads[1] != 0 || w.padEnd[0] != 0 ||
                  w.padEnd[1] != 0;
    Variant &variant =
        addPackedVariant(op, k, n, p.hasBias, *activation, p.activation, p.sum,
                         [&](const float *data, const float *bias) {
                           return kiln::runtime::PackedWeights::packConvolution(
                               data, n, conv.channels, taps, bias);
                         });
    variant.convolution = conv;
    if (conv.gather)
      state.scratchpadBytes = std::max<uint64_t>(
          state.scratchpadBytes,
          uint64_t(conv.outHeight * conv.outWidth * k) * sizeof(float));
    ++state.packedConvolutions;
    return true;
  }

  /// A chunk of images of a transposed convolution on the packed kernel
  /// has products of at most this many bytes (an image's, when larger),
  /// which a team's sums read back from the L2 cache; and an image's
  /// products take at most kPackedDeconvMaxImageBytes (larger ones stay
  /// with oneDNN, whose kernels need no such buffer).
  static constexpr uint64_t kPackedDeconvChunkBytes = 512 << 10;
  static constexpr uint64_t kPackedDeconvMaxImageBytes = 4 << 20;
  /// The fewest input channels (the product's K) of a transposed
  /// convolution on the packed kernel: each block of 6 rows adds its 24
  /// vectors to the output once its K steps are done, which over 64
  /// channels costs more than oneDNN's kernel saves (DCGAN-generator's 64
  /// -> 32 channels at 8x8, batch 16, one thread: 320-330 us against 303;
  /// its 128 -> 64 at 4x4: 245-255 against 322).
  static constexpr int64_t kPackedDeconvMinChannels = 128;

  /// Puts the record's op on the packed kernel when it is a 2-d transposed
  /// convolution of one group with constant weights, blocked source and
  /// destination of whole blocks of 16 channels, and no bias (the compiler
  /// adds a transposed convolution's bias in generated code)
  /// (Variant::Deconvolution); false leaves it to oneDNN. oneDNN 2.6
  /// computes a transposed convolution as the backward pass of a direct
  /// convolution: on DCGAN's 4x4 windows at stride 2 it reaches 70-80% of
  /// the FMA peak, the packed kernel's product over 90% (the sums add a
  /// few percent).
  bool addPackedDeconvolution(Op &op) {
    if (DnnlPrimitive(record->kind) != DnnlPrimitive::Deconv ||
        !kiln::runtime::packedMatMulAvailable())
      return false;
    kiln::abi::DnnlConvParams p;
    if (!decode(p) || p.hasBias || !expect(2) || p.groups != 1 ||
        !isConstant(1) || isConstant(0) || record->operands[0].layout != 16 ||
        record->operands[output()].layout != 16)
      return false;
    Variant::Deconvolution deconv;
    kiln::runtime::TransposedWindow &window = deconv.window;
    int64_t taps = readWindow2d(p.window, window);
    if (taps == 0)
      return false;
    const Dims &source = dims(0), &weights = dims(1), &result = dims(output());
    deconv.batch = source[0];
    deconv.channels = source[1];
    int64_t k = deconv.channels, n = taps * window.outChannels;
    int64_t plane = window.height * window.width;
    if (result[0] != deconv.batch || weights[0] != k ||
        weights[1] != window.outChannels || k < kPackedDeconvMinChannels ||
        k % 16 != 0 || window.outChannels % 16 != 0 || deconv.batch < 1 ||
        plane < 1 ||
        uint64_t(plane * n) * sizeof(float) > kPackedDeconvMaxImageBytes)
      return false;
    deconv.imagesPerChunk = std::clamp<int64_t>(
        kPackedDeconvChunkBytes / (uint64_t(plane * n) * sizeof(float)), 1,
        deconv.batch);
    classifyPixels(deconv, n);
    // Rows of products a cache line longer than the taps' columns: the
    // sums read each output pixel's contributions from several rows,
    // which would otherwise often be a multiple of 4 KiB apart (the same
    // L1 set).
    deconv.productStride = n + 16;
    deconv.threads = std::max(state.loadThreads, 1);
    uint64_t rows = deconv.imagesPerChunk * plane, at = 0;
    auto part = [&](uint64_t bytes) {
      uint64_t here = at;
      at += alignUp(bytes);
      return here;
    };
    Variant::Deconvolution::Region &region = deconv.region;
    part(rows * k * sizeof(float));
    region.products = part(deconv.batch < deconv.threads
                               ? rows * deconv.productStride * sizeof(float)
                               : 0);
    region.rowOffset = part(rows * sizeof(int64_t));
    region.rowY = part(rows * sizeof(int32_t));
    region.rowX = part(rows * sizeof(int32_t));
    region.rowOf = part(rows * sizeof(int32_t));
    region.blockPanels =
        part((rows + kiln::runtime::kPackedBlockRows - 1) /
             kiln::runtime::kPackedBlockRows * sizeof(uint64_t));
    region.bytes = at;
    Variant &variant = addPackedVariant(
        op, k, n, /*hasBias=*/false, kiln::runtime::PackedActivation::None,
        p.activation, /*sum=*/false, [&](const float *data, const float *) {
          return kiln::runtime::PackedWeights::packTransposedConvolution(
              data, k, window.outChannels, taps, deconv.tapOrder.data());
        });
    state.scratchpadBytes = std::max<uint64_t>(
        state.scratchpadBytes, uint64_t(deconv.threads) * deconv.region.bytes);
    variant.deconvolution = std::move(deconv);
    ++state.packedDeconvolutions;
    // Its one-thread variant, timed against the team's: a small one
    // (a generator's first layers at batch 1) can be faster on one.
    if (variants && omp_get_max_threads() > 1) {
      auto one = std::make_shared<Variant>();
      one->oneThread = true;
      one->packed = variant.packed;
      one->source = variant.source;
      one->destination = variant.destination;
      one->deconvolution = variant.deconvolution;
      op.variants.push_back(std::move(one));
    }
    return true;
  }

  /// Groups the input pixels of `deconv` by the taps of theirs that land
  /// in the output (Variant::Deconvolution), its product having `n`
  /// columns (tap, output channel).
  static void classifyPixels(Variant::Deconvolution &deconv, int64_t n) {
    const kiln::runtime::TransposedWindow &w = deconv.window;
    // Bit t: tap t of the axis lands in the output from input i.
    auto landing = [&](int axis, int64_t i) {
      uint64_t bits = 0;
      int64_t extent = axis == 0 ? w.outHeight : w.outWidth;
      for (int64_t t = 0; t < w.kernel[axis] && t < 64; ++t) {
        int64_t o = i * w.strides[axis] - w.pads[axis] + t * w.dilations[axis];
        if (o >= 0 && o < extent)
          bits |= uint64_t(1) << t;
      }
      return bits;
    };
    int64_t panels = (n + kiln::runtime::PackedWeights::kPanel - 1) /
                     kiln::runtime::PackedWeights::kPanel;
    bool skip = panels <= 64 && w.kernel[0] <= 64 && w.kernel[1] <= 64;
    deconv.skipPanels = skip;
    std::map<std::pair<uint64_t, uint64_t>, std::vector<int32_t>> groups;
    for (int64_t y = 0; y < w.height; ++y)
      for (int64_t x = 0; x < w.width; ++x)
        groups[{landing(0, y), landing(1, x)}].push_back(
            int32_t(y * w.width + x));
    // Each tap's classes (where it lands), and the taps ordered by them.
    int64_t kw = w.kernel[1], taps = w.kernel[0] * kw;
    auto lands = [&](const std::pair<uint64_t, uint64_t> &key, int64_t tap) {
      return (tap / kw < 64 && tap % kw < 64 && (key.first >> (tap / kw) & 1) &&
              (key.second >> (tap % kw) & 1));
    };
    std::vector<std::vector<bool>> landsFor(taps);
    for (int64_t tap = 0; tap < taps; ++tap)
      for (const auto &group : groups)
        landsFor[tap].push_back(lands(group.first, tap));
    deconv.tapOrder.resize(taps);
    for (int64_t tap = 0; tap < taps; ++tap)
      deconv.tapOrder[tap] = (int32_t)tap;
    std::stable_sort(
        deconv.tapOrder.begin(), deconv.tapOrder.end(),
        [&](int32_t a, int32_t b) { return landsFor[a] > landsFor[b]; });
    deconv.tapSlot.resize(taps);
    for (int64_t slot = 0; slot < taps; ++slot)
      deconv.tapSlot[deconv.tapOrder[slot]] = (int32_t)slot;
    int64_t vectors = (n + kiln::runtime::PackedWeights::kPanel - 1) /
                      kiln::runtime::PackedWeights::kPanel *
                      (kiln::runtime::PackedWeights::kPanel / 16);
    deconv.vectorOffset.assign(vectors, 0);
    deconv.vectorY.assign(vectors, 0);
    deconv.vectorX.assign(vectors, 0);
    for (int64_t j = 0; j < vectors && 16 * j < n; ++j) {
      int64_t tap = deconv.tapOrder[16 * j / w.outChannels];
      int64_t block = 16 * j % w.outChannels / 16;
      deconv.vectorY[j] = int32_t(tap / kw * w.dilations[0]);
      deconv.vectorX[j] = int32_t(tap % kw * w.dilations[1]);
      deconv.vectorOffset[j] =
          (deconv.vectorY[j] * w.outWidth + deconv.vectorX[j] +
           block * w.outHeight * w.outWidth) *
          16;
    }
    for (const auto &[key, members] : groups) {
      Variant::Deconvolution::PixelClass c;
      c.first = (int64_t)deconv.pixels.size();
      c.count = (int64_t)members.size();
      c.panels = ~uint64_t(0);
      if (skip) {
        c.panels = 0;
        for (int64_t column = 0; column < n; ++column)
          if (lands(key, deconv.tapOrder[column / w.outChannels]))
            c.panels |= uint64_t(1)
                        << (column / kiln::runtime::PackedWeights::kPanel);
      }
      deconv.pixels.insert(deconv.pixels.end(), members.begin(), members.end());
      deconv.classes.push_back(c);
    }
  }

  /// Whether the record's op may get a channels-last variant: a
  /// convolution of one group with constant weights, a window wider than
  /// one element, kChannelsLastMinInputs input channels or more, output
  /// rows of at most kChannelsLastMaxRow and weights its default does not
  /// transform (Winograd's are up to 4 times the originals, and a variant
  /// holds a copy of its own until the choice is made). oneDNN computes such a
  /// convolution on blocked channels (nChw16c) with direct kernels that block
  /// the output row, which leaves registers idle on rows of a few pixels, and
  /// channels-last (nhwc) with brgemm kernels that block channels: 1.1 to
  /// 1.5 times faster on strided 3x3 and 4x4 windows, though the variant
  /// pays a reorder of its input and output.
  bool channelsLastCandidate() const {
    if (DnnlPrimitive(record->kind) != DnnlPrimitive::Conv)
      return false;
    kiln::abi::DnnlConvParams p;
    if (!decode(p) || p.groups != 1 || !isConstant(1) || isConstant(0) ||
        record->outputs != 1 || dims(0).size() < 3 || dims(0).size() > 5)
      return false;
    if (teamWeights && teamWeights->data.format_kind == dnnl_format_kind_wino)
      return false;
    const Dims &w = dims(1);
    if (std::none_of(w.begin() + 2, w.end(), [](int64_t k) { return k > 1; }))
      return false;
    if (w[1] < kChannelsLastMinInputs ||
        dims(output()).back() > kChannelsLastMaxRow)
      return false;
    return desc(1).get_size() <= channelsLastBudget &&
           desc(0).get_size() + desc(output()).get_size() <= variantBytes;
  }

  /// Adds the channels-last variant of a convolution (for one thread or
  /// the team), when oneDNN computes it with brgemm kernels.
  void addChannelsLast(Op &op, bool oneThread) {
    channelsLast = true;
    std::string error;
    try {
      error = addVariant(op, oneThread);
    } catch (const dnnl::error &) {
      error = kNoBrgemm;
    }
    channelsLast = false;
    if (!error.empty())
      return;
    op.variants.back()->channelsLast = true;
    if (!oneThread)
      channelsLastBudget -= desc(1).get_size();
  }

  /// Builds the record's primitives into `step` (and `parts`) with the
  /// calling thread's team set to `threads`.
  std::string buildFor(int threads) {
    step = Step();
    parts.clear();
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    ThreadsScope scope(threads);
    return build(attr);
  }

  /// Builds a variant of the record's op: its primitives created for one
  /// thread or the team.
  std::string addVariant(Op &op, bool oneThread) {
    // Created when the loading thread's team has one thread, it is a
    // one-thread variant too.
    oneThread |= omp_get_max_threads() == 1;
    std::string error = buildFor(oneThread ? 1 : omp_get_max_threads());
    if (!error.empty())
      return error;
    parts.push_back(std::move(step));
    auto variant = std::make_shared<Variant>();
    variant->parts = std::move(parts);
    variant->oneThread = oneThread;
    state.scratchpadBytes =
        std::max(state.scratchpadBytes, scratchpadOf(variant->parts));
    op.variants.push_back(std::move(variant));
    return "";
  }

  /// Whether the record's op computes each sample on its own, from its
  /// first input and into its output, both with the samples outermost
  /// (the other inputs constants): it can be split by samples.
  bool splittable() const {
    const Record &r = *record;
    switch (DnnlPrimitive(r.kind)) {
    case DnnlPrimitive::Conv:
    case DnnlPrimitive::Deconv:
    case DnnlPrimitive::Pool:
    case DnnlPrimitive::BatchNorm:
    case DnnlPrimitive::LRN:
    case DnnlPrimitive::Reorder:
      break;
    case DnnlPrimitive::MatMul: {
      // Rows of a 2-d source stored transposed are not contiguous, and
      // weights with a batch of their own would be split too.
      kiln::abi::DnnlMatMulParams p;
      if (!decode(p) || (p.transSrc && dims(0).size() < 3) ||
          (dims(1).size() >= 3 && dims(1)[0] != 1))
        return false;
      break;
    }
    default:
      return false;
    }
    if (r.outputs != 1 || r.inputs < 1 || isConstant(0))
      return false;
    for (int64_t i = 1; i < r.inputs; ++i)
      if (!isConstant(i))
        return false;
    const Dims &in = dims(0), &out = dims(output());
    return in.size() >= 2 && out.size() >= 2 && in[0] == out[0] && in[0] >= 2;
  }

  /// Builds the variant of the record's op split by samples over the
  /// team: a one-thread primitive per size of the threads' shares. An op
  /// that oneDNN cannot create for a share simply has no such variant.
  void addSplit(Op &op) {
    const Record *whole = record;
    try {
      trySplit(op);
    } catch (const dnnl::error &) {
    }
    // trySplit builds each share from a copy of the record.
    record = whole;
    splitSamples = 0;
  }

  void trySplit(Op &op) {
    int64_t threads = omp_get_max_threads();
    int64_t batch = dims(0)[0];
    threads = std::min(threads, batch);
    const Record *whole = record;
    auto variant = std::make_shared<Variant>();
    variant->oneThread = true;
    variant->split = true;
    variant->threads = threads;
    variant->batch = batch;
    for (int64_t t = 0; t < threads; ++t) {
      int64_t share = batch * (t + 1) / threads - batch * t / threads;
      bool known = false;
      for (const Step &step : variant->parts)
        known |= step.samples == share;
      if (known)
        continue;
      Record part = *whole;
      part.operands[0].dims[0] = share;
      part.operands[whole->inputs].dims[0] = share;
      record = &part;
      splitSamples = share;
      if (!buildFor(1).empty())
        return;
      step.samples = share;
      variant->scratchpadStride = std::max<uint64_t>(
          variant->scratchpadStride, alignUp(step.scratchpad.get_size()));
      variant->parts.push_back(std::move(step));
    }
    // Every run holds the scratchpad that the largest variant needs: a
    // split one may take at most variantBytes more than the default
    // (oneDNN's Winograd kernels take about as much for a share of the
    // samples as for all of them, so that a split takes the threads times
    // as much).
    uint64_t bytes = variant->scratchpadStride * threads;
    if (bytes > scratchpadOf(op.team()->parts) + variantBytes)
      return;
    state.scratchpadBytes = std::max(state.scratchpadBytes, bytes);
    op.variants.push_back(std::move(variant));
  }

  const Dims &dims(size_t i) const { return record->operands[i].dims; }
  /// The layout of operand `i`'s own buffer.
  memory::desc desc(size_t i) const {
    const Operand &operand = record->operands[i];
    return operand.layout ? blocked(operand.dims, operand.layout)
                          : plain(operand.dims);
  }
  bool isConstant(size_t i) const { return record->operands[i].constant >= 0; }
  size_t output() const { return record->inputs; }
  /// The index of operand `i`'s pointer among those the call passes: one
  /// per operand that is not a constant, in order.
  size_t pointerOf(size_t i) const {
    size_t index = 0;
    for (size_t j = 0; j < i; ++j)
      index += !isConstant(j);
    return index;
  }
  /// Binds the run-time operand `i` to `arg` in layout `given`, at `offset`
  /// bytes from its pointer.
  void bindRun(size_t i, int arg, const memory::desc &given,
               size_t offset = 0) {
    step.perRun.push_back({arg, given, pointerOf(i), offset,
                           splitSamples ? given.get_size() / splitSamples : 0});
  }
  /// Binds operand `i` (a constant or not) to `arg` as `given` at `offset`
  /// bytes into it, in that layout.
  void bindSlice(size_t i, int arg, const memory::desc &given, size_t offset) {
    bind(i, arg, given, given, offset);
  }

  /// Asks the kernel to reclaim the whole pages of [data, data + bytes), a
  /// constant just reordered into a copy of its own: the weights' pages
  /// are mapped from the executable, the library or the weights file, so
  /// reclaiming them drops the original from the resident set (a later
  /// read maps it again), while anonymous memory, which has nowhere to go
  /// without swap, stays as it is (MADV_PAGEOUT never discards data).
  static void releasePages(const void *data, size_t bytes) {
#ifdef MADV_PAGEOUT
    static const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t begin = ((uintptr_t)data + page - 1) / page * page;
    uintptr_t end = ((uintptr_t)data + bytes) / page * page;
    if (end > begin)
      (void)madvise((void *)begin, end - begin, MADV_PAGEOUT);
#else
    (void)data;
    (void)bytes;
#endif
  }

  /// Constants of more than this many bytes are reordered a slice at a
  /// time.
  static constexpr size_t kReorderSliceBytes = size_t(1) << 20;

  /// Reorders the constant at `data` (layout `given`) into `target` a
  /// slice of about kReorderSliceBytes at a time along the outermost dim
  /// of `given`, each slice's pages given back once it is copied: at most
  /// a slice of the original is resident beside the copy, where a single
  /// reorder holds both whole (an image generator's 8 MiB layer made the
  /// load's peak). False when the layouts do not allow it (a constant of
  /// one slice, a layout other than plain or blocked, a dim of `wanted`
  /// blocked by more than the slice); nothing is done then.
  bool reorderInSlices(const memory::desc &given, void *data, memory &target) {
    const memory::desc wanted = target.get_desc();
    const dnnl_memory_desc_t &from = given.data, &to = wanted.data;
    size_t bytes = given.get_size();
    if (bytes <= kReorderSliceBytes || from.format_kind != dnnl_blocked ||
        to.format_kind != dnnl_blocked ||
        from.format_desc.blocking.inner_nblks != 0 || from.ndims < 1)
      return false;
    // The outermost dim of the plain original, and how the copy blocks it.
    int outer = 0;
    for (int d = 1; d < from.ndims; ++d)
      if (from.format_desc.blocking.strides[d] >
          from.format_desc.blocking.strides[outer])
        outer = d;
    int64_t block = 1;
    for (int b = 0; b < to.format_desc.blocking.inner_nblks; ++b)
      if (to.format_desc.blocking.inner_idxs[b] == outer)
        block *= to.format_desc.blocking.inner_blks[b];
    int64_t extent = from.dims[outer];
    size_t rowBytes =
        size_t(from.format_desc.blocking.strides[outer]) * sizeof(float);
    if (extent < 2 || rowBytes == 0 ||
        from.format_desc.blocking.strides[outer] * extent * sizeof(float) !=
            bytes)
      return false;
    int64_t rows = std::max<int64_t>(
        block, int64_t(kReorderSliceBytes / rowBytes) / block * block);
    if (rows >= extent)
      return false;
    // The copy's padding (blocks past the dims) is zeros, as a whole
    // reorder leaves it.
    std::memset(target.get_data_handle(), 0, wanted.get_size());
    dnnl::stream stream(state.engine);
    Dims sliceDims(given.dims()), offsets(sliceDims.size(), 0);
    try {
      for (int64_t first = 0; first < extent; first += rows) {
        sliceDims[outer] = std::min(rows, extent - first);
        offsets[outer] = first;
        memory part(given.submemory_desc(sliceDims, offsets), state.engine,
                    data);
        memory into(wanted.submemory_desc(sliceDims, offsets), state.engine,
                    target.get_data_handle());
        dnnl::reorder(part, into).execute(stream, part, into);
        stream.wait();
        releasePages((char *)data + first * rowBytes,
                     size_t(sliceDims[outer]) * rowBytes);
      }
    } catch (const dnnl::error &) {
      // A slice oneDNN cannot describe or reorder: the caller reorders the
      // whole (given back pages are mapped again as it reads them).
      return false;
    }
    return true;
  }

  /// Binds operand `i` (from `offset` bytes into it) to `arg` in layout
  /// `wanted`; `given` is the layout of the operand's own buffer. Constants
  /// are reordered here, once.
  void bind(size_t i, int arg, const memory::desc &given,
            const memory::desc &wanted, size_t offset = 0) {
    if (!isConstant(i)) {
      bindRun(i, arg, given, offset);
      return;
    }
    void *data = (char *)constants[record->operands[i].constant] + offset;
    memory source(given, state.engine, data);
    if (wanted == given) {
      step.fixed[arg] = source;
      return;
    }
    if (reuse(data, arg, wanted))
      return;
    memory target(wanted, state.engine);
    if (reorderInSlices(given, data, target)) {
      ++state.slicedReorders;
    } else {
      dnnl::stream stream(state.engine);
      dnnl::reorder(source, target).execute(stream, source, target);
      stream.wait();
      releasePages(data, given.get_size());
    }
    ++state.weightReorders;
    state.reordered.emplace_back(data, arg, wanted, target);
    step.fixed[arg] = target;
  }
  void bind(size_t i, int arg) { bind(i, arg, desc(i), desc(i)); }

  /// Binds the weights already reordered from the constant `key` for `arg`
  /// in the layout `wanted`, by this instance or the one it shares with;
  /// false when there are none.
  bool reuse(const void *key, int arg, const memory::desc &wanted) {
    const State *owners[] = {&state, state.sharesWith};
    for (const State *owner : owners) {
      if (!owner)
        continue;
      for (const auto &[constant, argument, layout, done] : owner->reordered)
        if (constant == key && argument == arg && layout == wanted) {
          step.fixed[arg] = done;
          state.weightsShared += owner != &state;
          return true;
        }
    }
    return false;
  }

  /// finish() for a primitive of one input and one output, both passed at
  /// run time.
  template <typename Primitive>
  void finishUnary(const typename Primitive::primitive_desc &pd) {
    bind(0, DNNL_ARG_SRC);
    bind(output(), DNNL_ARG_DST);
    finish<Primitive>(pd);
  }

  template <typename Primitive>
  void finish(const typename Primitive::primitive_desc &pd) {
    step.primitive = Primitive(pd);
    step.scratchpad = pd.scratchpad_desc();
    // Parts that run side by side take consecutive scratchpads.
    if (!parts.empty()) {
      const Step &last = parts.back();
      step.scratchpadOffset =
          alignUp(last.scratchpadOffset + last.scratchpad.get_size());
    }
  }

  /// The scratchpad that `parts` take, one after the other.
  static uint64_t scratchpadOf(const std::vector<Step> &parts) {
    uint64_t bytes = 0;
    for (const Step &part : parts)
      bytes = std::max<uint64_t>(bytes, part.scratchpadOffset +
                                            part.scratchpad.get_size());
    return bytes;
  }

  /// A window's dims as oneDNN counts them (dilations from 0).
  struct Window {
    Dims kernel, strides, dilations, padBegin, padEnd;
    explicit Window(const kiln::abi::DnnlWindow &w)
        : kernel(w.kernel), strides(w.strides), dilations(w.dilations),
          padBegin(w.padBegin), padEnd(w.padEnd) {
      for (auto &d : dilations)
        d -= 1;
    }
  };

  /// Appends an activation as an eltwise post-op; false for an unknown
  /// one.
  static bool appendEltwise(dnnl::post_ops &ops,
                            const kiln::abi::DnnlActivation &activation) {
    using kiln::abi::DnnlEltwise;
    static const dnnl::algorithm algorithms[] = {
        dnnl::algorithm::eltwise_relu,     dnnl::algorithm::eltwise_clip,
        dnnl::algorithm::eltwise_logistic, dnnl::algorithm::eltwise_tanh,
        dnnl::algorithm::eltwise_gelu_erf, dnnl::algorithm::eltwise_gelu_tanh,
        dnnl::algorithm::eltwise_swish,    dnnl::algorithm::eltwise_hardswish,
        dnnl::algorithm::eltwise_elu};
    auto code = (int64_t)activation.eltwise;
    if (activation.eltwise == DnnlEltwise::None)
      return true;
    if (code < 1 || code > (int64_t)DnnlEltwise::Last)
      return false;
    ops.append_eltwise(1.0f, algorithms[code - 1], activation.alpha,
                       activation.beta);
    return true;
  }

  /// Decodes the record's parameters into `params`; false when they are
  /// malformed.
  template <typename Params> bool decode(Params &params) const {
    kiln::abi::ParamReader reader(record->params, record->fparams);
    if constexpr (std::is_same_v<Params, kiln::abi::DnnlConvParams>)
      return params.decode(DnnlPrimitive(record->kind), reader);
    else
      return params.decode(reader);
  }

  /// Whether the record has `inputs` inputs and `outputs` outputs.
  bool expect(int64_t inputs, int64_t outputs = 1) const {
    return record->inputs == inputs && record->outputs == outputs;
  }

  static constexpr auto inference = dnnl::prop_kind::forward_inference;

  std::string build(const dnnl::primitive_attr &attr) {
    switch (DnnlPrimitive(record->kind)) {
    case DnnlPrimitive::Conv:
    case DnnlPrimitive::Deconv:
      return buildConvolution(attr);
    case DnnlPrimitive::MatMul:
      return buildMatMul(attr);
    case DnnlPrimitive::Pool:
      return buildPool(attr);
    case DnnlPrimitive::BatchNorm:
      return buildBatchNorm(attr);
    case DnnlPrimitive::LayerNorm:
      return buildLayerNorm(attr);
    case DnnlPrimitive::Softmax:
    case DnnlPrimitive::LogSoftmax:
      return buildSoftmax(attr);
    case DnnlPrimitive::LRN:
      return buildLRN(attr);
    case DnnlPrimitive::Reorder:
      return buildReorder(attr);
    case DnnlPrimitive::RNN:
    case DnnlPrimitive::GRU:
    case DnnlPrimitive::LSTM:
      return buildRecurrent(attr);
    }
    return "unknown primitive kind " + std::to_string(record->kind);
  }

  /// Convolution and deconvolution; see abi::DnnlConvParams.
  std::string buildConvolution(const dnnl::primitive_attr &attr) {
    bool isConv = DnnlPrimitive(record->kind) == DnnlPrimitive::Conv;
    kiln::abi::DnnlConvParams p;
    if (!decode(p))
      return "malformed record";
    if (!expect(2 + (p.hasBias ? 1 : 0)))
      return "malformed record";
    Window w(p.window);
    int64_t groups = p.groups;
    // Convolutions end with their post-ops: a sum (the output holds the
    // residual) and an eltwise.
    dnnl::primitive_attr convAttr = attr;
    if (isConv) {
      dnnl::post_ops ops;
      if (p.sum)
        ops.append_sum(1.0f);
      if (!appendEltwise(ops, p.activation))
        return "unknown eltwise post-op";
      convAttr.set_post_ops(ops);
    }
    memory::desc src = desc(0), dst = desc(output());
    memory::desc given = plain(dims(1));
    Dims wdims = dims(1);
    if (!isConv) {
      // ONNX stores [C, M/group, K...]; oneDNN counts [(G,) OC, IC, K...].
      Dims onnx = dims(1), strides = denseStrides(onnx);
      int64_t icg = onnx[0] / std::max<int64_t>(groups, 1), ocg = onnx[1];
      Dims spatial(onnx.begin() + 2, onnx.end());
      Dims spatialStrides(strides.begin() + 2, strides.end());
      if (groups > 1) {
        wdims = {groups, ocg, icg};
        strides = {icg * strides[0], strides[1], strides[0]};
      } else {
        wdims = {ocg, icg};
        strides = {strides[1], strides[0]};
      }
      wdims.insert(wdims.end(), spatial.begin(), spatial.end());
      strides.insert(strides.end(), spatialStrides.begin(),
                     spatialStrides.end());
      given = memory::desc(wdims, memory::data_type::f32, strides);
    }
    memory::desc weights = isConstant(1) ? anyLayout(wdims) : given;
    memory::desc bias = p.hasBias ? plain(dims(2)) : memory::desc();
    if (isConv) {
      auto convolution = [&](dnnl::algorithm algorithm) {
        return dnnl::convolution_forward::primitive_desc(
            dnnl::convolution_forward::desc(inference, algorithm, src, weights,
                                            bias, dst, w.strides, w.dilations,
                                            w.padBegin, w.padEnd),
            convAttr, state.engine);
      };
      if (channelsLast) {
        src = channelsLastLayout(dims(0));
        dst = channelsLastLayout(dims(output()));
        auto pd = convolution(dnnl::algorithm::convolution_direct);
        if (std::string(pd.impl_info_str()).rfind("brg", 0) != 0)
          return kNoBrgemm;
        chainChannelsLast(pd, given, p.hasBias, p.sum);
        return "";
      }
      dnnl::convolution_forward::primitive_desc pd;
      // A variant after the first takes the weights the first reordered
      // or none: oneDNN's Winograd kernels for one thread and for the
      // team may tile their transformed weights differently, and a second
      // copy of them (up to 4 times the originals) would cost more memory
      // than the variant saves time. It computes directly where the first
      // does.
      if (p.winograd && isConstant(1) &&
          (!teamWeights ||
           teamWeights->data.format_kind == dnnl_format_kind_wino)) {
        if (teamWeights) {
          weights = *teamWeights;
          try {
            pd = convolution(dnnl::algorithm::convolution_winograd);
          } catch (const dnnl::error &) {
            return kUnshared;
          }
        } else {
          try {
            pd = convolution(dnnl::algorithm::convolution_winograd);
            size_t bytes = pd.weights_desc().get_size();
            uint64_t extra =
                bytes > given.get_size() ? bytes - given.get_size() : 0;
            if (!winogradPays(bytes)) {
              pd = {};
              ++state.winogradFewTiles;
            } else if (extra > winogradBudget) {
              pd = {};
              ++state.winogradOverBudget;
            } else {
              winogradBudget -= extra;
              ++state.winograd;
            }
          } catch (const dnnl::error &) {
            // No Winograd kernel for these operands or this machine.
          }
        }
      }
      if (!pd)
        pd = convolution(dnnl::algorithm::convolution_direct);
      convWeights = pd.weights_desc();
      bindConvolution(pd.weights_desc(), given, p.hasBias);
      finish<dnnl::convolution_forward>(pd);
    } else {
      dnnl::deconvolution_forward::desc d(
          inference, dnnl::algorithm::deconvolution_direct, src, weights, bias,
          dst, w.strides, w.dilations, w.padBegin, w.padEnd);
      dnnl::deconvolution_forward::primitive_desc pd(d, attr, state.engine);
      bindConvolution(pd.weights_desc(), given, p.hasBias);
      finish<dnnl::deconvolution_forward>(pd);
    }
    return "";
  }

  /// Whether a convolution marked for Winograd (the record's) gains
  /// enough from it to hold its transformed weights, `bytes`, 4 times the
  /// originals for oneDNN's F(4x4, 3x3). Its kernel reads them again for
  /// about every image when an image has at most 2x2 tiles: on an output
  /// smaller than 8x8 over fewer than 12 images, with weights beyond a
  /// quarter of the L3 cache, they stream from memory and the direct
  /// kernel is about as fast. Measured on the bench's AVX-512 machine
  /// (32 MiB of L3), four such 3x3 layers with relu, Winograd against
  /// direct, one thread / two: 512 channels at 7x7 over 4 images 0.74 /
  /// 0.72 times as fast, over 8 1.00 / 1.06, over 12 1.44 / 1.28; 384
  /// channels at 7x7 over 8 1.06 / 0.86; 256 channels (9 MiB transformed)
  /// 1.18 / 1.08, 128 channels 1.80 / 1.72; at 8x8 or 14x14 over 1 to 8
  /// images 1.26 to 2.4. ResNet-50's two 7x7 layers of 512 channels over
  /// 8 images hold 56 MiB more in Winograd's weights for 2 ms of 244.
  bool winogradPays(size_t bytes) const {
    const Dims &result = dims(output());
    if (result.size() != 4)
      return true;
    int64_t images = result[0], height = result[2], width = result[3];
    bool fewTiles = height <= 8 && width <= 8 && height * width < 64;
    return !(fewTiles && images < 12 && bytes > l3Bytes() / 4);
  }

  /// The L3 cache the calling core shares, as Linux describes it (glibc's
  /// sysconf gives the whole processor's on AMD's parts of several core
  /// complexes: 384 MiB where a core shares 32); 32 MiB when it does not.
  static uint64_t l3Bytes() {
    static const uint64_t bytes = [] {
      for (int index = 0; index < 8; ++index) {
        std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" +
                          std::to_string(index) + "/";
        std::ifstream level(dir + "level"), size(dir + "size");
        int l = 0;
        uint64_t kib = 0;
        std::string unit;
        if (!(level >> l))
          break;
        if (l == 3 && (size >> kib >> unit) && kib > 0 && unit == "K")
          return kib << 10;
      }
      return uint64_t(32) << 20;
    }();
    return bytes;
  }

  /// Whether oneDNN runs AVX-512 (core) kernels on this machine.
  static bool hasAvx512() {
    static const bool avx512 = [] {
      auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
      auto core = static_cast<unsigned>(dnnl_cpu_isa_avx512_core);
      return (isa & core) == core;
    }();
    return avx512;
  }

  /// The widest product (columns of its constant weights) whose weights
  /// are held row-major rather than in oneDNN's blocked layout.
  static constexpr int64_t kRowMajorMaxColumns = 64;

  /// Matrix product with an optional bias and activation; see
  /// abi::DnnlMatMulParams.
  std::string buildMatMul(const dnnl::primitive_attr &attr) {
    kiln::abi::DnnlMatMulParams p;
    if (!decode(p) || !expect(2 + (p.hasBias ? 1 : 0)))
      return "malformed record";
    // The post-ops: the sum (the destination holds a residual the product
    // adds to) and the activation of a fused product.
    dnnl::primitive_attr matmulAttr = attr;
    bool ownGelu = p.activation.eltwise == kiln::abi::DnnlEltwise::GeluErf &&
                   packed && kiln::runtime::packedMatMulAvailable();
    if (p.sum ||
        (p.activation.eltwise != kiln::abi::DnnlEltwise::None && !ownGelu)) {
      dnnl::post_ops ops;
      if (p.sum)
        ops.append_sum(1.0f);
      if (!ownGelu && !appendEltwise(ops, p.activation))
        return "unknown eltwise post-op";
      matmulAttr.set_post_ops(ops);
    }
    // A transposed operand is stored with its last two dims swapped.
    auto transposed = [&](size_t i, bool swap) {
      Dims d = dims(i), strides = denseStrides(d);
      if (swap && d.size() >= 2) {
        std::swap(d[d.size() - 1], d[d.size() - 2]);
        std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
      }
      return memory::desc(d, memory::data_type::f32, strides);
    };
    memory::desc src = transposed(0, p.transSrc),
                 given = transposed(1, p.transWeights);
    memory::desc weights = isConstant(1) ? anyLayout(given.dims()) : given;
    // Without AVX-512, oneDNN 2.6 lays constant weights out row-major
    // ([K, N]) when left to choose, where its gemm-based matmul runs a
    // wide product at half speed: [128, 768] x [768, 3072] took 13.8 ms on
    // one core in row-major weights and 7.0 ms in column-major ones. Those
    // are reordered once at load; narrower or small products keep oneDNN's
    // choice (column-major is slower for [16, 9216] x [9216, 128]). With
    // AVX-512 it chooses a blocked layout (BA16a64b) for its brgemm kernels,
    // 10-15% faster than column-major ([64, 1024] x [1024, 10000]: 12.3
    // against 13.9 ms on one core).
    if (isConstant(1) && given.dims().size() == 2 && !hasAvx512()) {
      int64_t k = given.dims()[0], n = given.dims()[1];
      int64_t m = leadingRows(src.dims());
      if (n >= 2 * k && m * n * k >= (int64_t(1) << 22))
        weights = memory::desc(given.dims(), memory::data_type::f32,
                               memory::format_tag::ba);
    }
    memory::desc bias = p.hasBias ? plain(dims(2)) : memory::desc();
    memory::desc dst = plain(dims(output()));
    auto product = [&](const memory::desc &layout) {
      return dnnl::matmul::primitive_desc(
          p.hasBias ? dnnl::matmul::desc(src, layout, bias, dst)
                    : dnnl::matmul::desc(src, layout, dst),
          matmulAttr, state.engine);
    };
    dnnl::matmul::primitive_desc pd = product(weights);
    // oneDNN's blocked layout for AVX-512 pads the columns to a multiple
    // of 64: a product of 16 columns held its weights 4 times over. Up to
    // 64 columns the row-major layout runs as fast (brgemm kernels read
    // it in place; [16, 3136] x [3136, 16]: 7.5 against 7.6 us on one
    // core), and is taken when the blocked one would be larger; wider
    // products keep the blocked layout, which runs faster ([1, 1024] x
    // [1024, 100]: 4.8 against 5.6 us).
    if (isConstant(1) && given.dims().size() == 2 &&
        given.dims()[1] <= kRowMajorMaxColumns &&
        pd.weights_desc().get_size() > given.get_size()) {
      try {
        pd = product(memory::desc(given.dims(), memory::data_type::f32,
                                  memory::format_tag::ab));
      } catch (const dnnl::error &) {
        // Keep the blocked layout.
      }
    }
    bind(0, DNNL_ARG_SRC, src, src);
    bind(1, DNNL_ARG_WEIGHTS, given, pd.weights_desc());
    if (p.hasBias)
      bind(2, DNNL_ARG_BIAS);
    bind(output(), DNNL_ARG_DST);
    if (ownGelu)
      step.geluAfter = (int64_t)(dst.get_size() / sizeof(float));
    finish<dnnl::matmul>(pd);
    return "";
  }

  /// Max and average pooling; see abi::DnnlPoolParams.
  std::string buildPool(const dnnl::primitive_attr &attr) {
    using kiln::abi::DnnlPoolAlgorithm;
    kiln::abi::DnnlPoolParams p;
    if (!decode(p) || !expect(1))
      return "malformed record";
    Window w(p.window);
    auto algorithm = p.algorithm == DnnlPoolAlgorithm::Max
                         ? dnnl::algorithm::pooling_max
                     : p.algorithm == DnnlPoolAlgorithm::AvgIncludePadding
                         ? dnnl::algorithm::pooling_avg_include_padding
                         : dnnl::algorithm::pooling_avg_exclude_padding;
    dnnl::pooling_v2_forward::desc d(inference, algorithm, desc(0),
                                     desc(output()), w.strides, w.kernel,
                                     w.dilations, w.padBegin, w.padEnd);
    dnnl::pooling_v2_forward::primitive_desc pd(d, attr, state.engine);
    finishUnary<dnnl::pooling_v2_forward>(pd);
    return "";
  }

  /// Inference batch normalization; see abi::DnnlBatchNormParams.
  std::string buildBatchNorm(const dnnl::primitive_attr &attr) {
    kiln::abi::DnnlBatchNormParams p;
    if (!decode(p) || !expect(5))
      return "malformed record";
    auto flags = dnnl::normalization_flags::use_global_stats |
                 dnnl::normalization_flags::use_scale |
                 dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::desc d(inference, desc(0), p.epsilon,
                                              flags);
    dnnl::batch_normalization_forward::primitive_desc pd(d, attr, state.engine);
    const int args[] = {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
                        DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
    for (size_t i = 0; i < 5; ++i)
      bind(i, args[i]);
    bind(output(), DNNL_ARG_DST);
    finish<dnnl::batch_normalization_forward>(pd);
    return "";
  }

  /// Layer normalization over the inner dim; see abi::DnnlLayerNormParams.
  std::string buildLayerNorm(const dnnl::primitive_attr &attr) {
    kiln::abi::DnnlLayerNormParams p;
    if (!decode(p) || !expect(2 + (p.hasShift ? 1 : 0)))
      return "malformed record";
    auto flags = dnnl::normalization_flags::use_scale;
    if (p.hasShift)
      flags = flags | dnnl::normalization_flags::use_shift;
    dnnl::layer_normalization_forward::desc d(inference, plain(dims(0)),
                                              p.epsilon, flags);
    dnnl::layer_normalization_forward::primitive_desc pd(d, attr, state.engine);
    bind(0, DNNL_ARG_SRC);
    bind(1, DNNL_ARG_SCALE);
    if (p.hasShift)
      bind(2, DNNL_ARG_SHIFT);
    bind(output(), DNNL_ARG_DST);
    finish<dnnl::layer_normalization_forward>(pd);
    return "";
  }

  /// Softmax and log-softmax; see abi::DnnlSoftmaxParams.
  std::string buildSoftmax(const dnnl::primitive_attr &attr) {
    kiln::abi::DnnlSoftmaxParams p;
    if (!decode(p) || !expect(1))
      return "malformed record";
    auto algorithm = DnnlPrimitive(record->kind) == DnnlPrimitive::Softmax
                         ? dnnl::algorithm::softmax_accurate
                         : dnnl::algorithm::softmax_log;
    dnnl::softmax_v2_forward::desc d(inference, algorithm, plain(dims(0)),
                                     plain(dims(output())), (int)p.axis);
    dnnl::softmax_v2_forward::primitive_desc pd(d, attr, state.engine);
    finishUnary<dnnl::softmax_v2_forward>(pd);
    return "";
  }

  /// Local response normalization; see abi::DnnlLRNParams.
  std::string buildLRN(const dnnl::primitive_attr &attr) {
    kiln::abi::DnnlLRNParams p;
    if (!decode(p) || !expect(1))
      return "malformed record";
    dnnl::lrn_forward::desc d(inference, dnnl::algorithm::lrn_across_channels,
                              desc(0), p.size, p.alpha, p.beta, p.bias);
    dnnl::lrn_forward::primitive_desc pd(d, attr, state.engine);
    finishUnary<dnnl::lrn_forward>(pd);
    return "";
  }

  /// A layout conversion (dense and blocked); no parameters.
  std::string buildReorder(const dnnl::primitive_attr &attr) {
    if (!expect(1))
      return "malformed record";
    dnnl::reorder::primitive_desc pd(state.engine, desc(0), state.engine,
                                     desc(output()), attr);
    finishUnary<dnnl::reorder>(pd);
    return "";
  }

  /// Stores `data` (a temporary in oneDNN's plain layout `given`, converted
  /// from the constant `key`) as the constant argument `arg` in the layout
  /// `wanted`.
  void bindConverted(int arg, const memory::desc &given, float *data,
                     const memory::desc &wanted, const void *key) {
    if (key && reuse(key, arg, wanted))
      return;
    memory source(given, state.engine, data);
    memory target(wanted, state.engine);
    dnnl::stream stream(state.engine);
    dnnl::reorder(source, target).execute(stream, source, target);
    stream.wait();
    ++state.weightReorders;
    if (key)
      state.reordered.emplace_back(key, arg, wanted, target);
    step.fixed[arg] = target;
  }

  /// Vanilla RNN, GRU and LSTM layers. ONNX's W [D, G*H, I], R [D, G*H, H]
  /// and B [D, 2*G*H] become oneDNN's ldigo weights and ldgo bias (W and R
  /// biases summed; kept apart for the linear-before-reset GRU's hidden
  /// gate), gates in oneDNN's order: LSTM i, f, c, o from ONNX's i, o, f,
  /// c; GRU and RNN keep theirs.
  std::string buildRecurrent(const dnnl::primitive_attr &attr) {
    using kiln::abi::DnnlDirection;
    const Record &r = *record;
    DnnlPrimitive kind = DnnlPrimitive(r.kind);
    bool isLSTM = kind == DnnlPrimitive::LSTM;
    kiln::abi::DnnlRecurrentParams p;
    if (!decode(p) ||
        !expect(4 + (p.hasH0 ? 1 : 0) + (p.hasC0 ? 1 : 0), isLSTM ? 3 : 2))
      return "malformed record";
    for (size_t i = 1; i < 4; ++i)
      if (!isConstant(i))
        return "recurrent weights must be constants";
    int64_t in = dims(0)[2];
    int64_t dirs = dims(1)[0], hidden = p.hidden;
    bool lbr = kind == DnnlPrimitive::GRU && p.linearBeforeReset;
    int64_t gates = isLSTM ? 4 : kind == DnnlPrimitive::GRU ? 3 : 1;
    if (dims(1) != Dims{dirs, gates * hidden, in} ||
        dims(2) != Dims{dirs, gates * hidden, hidden} ||
        dims(3) != Dims{dirs, 2 * gates * hidden})
      return "recurrent weights of unexpected shapes";
    auto direction = p.direction == DnnlDirection::Forward
                         ? dnnl::rnn_direction::unidirectional_left2right
                     : p.direction == DnnlDirection::Reverse
                         ? dnnl::rnn_direction::unidirectional_right2left
                         : dnnl::rnn_direction::bidirectional_concat;
    // oneDNN gate g reads ONNX gate order[g].
    std::vector<int64_t> order(gates);
    for (int64_t g = 0; g < gates; ++g)
      order[g] = g;
    if (isLSTM)
      order = {0, 2, 3, 1};
    auto weights = [&](size_t i, int64_t inner) {
      const float *onnx =
          (const float *)constants[record->operands[i].constant];
      std::vector<float> out(dirs * inner * gates * hidden);
      for (int64_t d = 0; d < dirs; ++d)
        for (int64_t k = 0; k < inner; ++k)
          for (int64_t g = 0; g < gates; ++g)
            for (int64_t h = 0; h < hidden; ++h)
              out[((d * inner + k) * gates + g) * hidden + h] =
                  onnx[(d * gates * hidden + order[g] * hidden + h) * inner +
                       k];
      return out;
    };
    std::vector<float> layer = weights(1, in), iter = weights(2, hidden);
    int64_t biasGates = gates + (lbr ? 1 : 0);
    std::vector<float> bias(dirs * biasGates * hidden);
    const float *onnxBias =
        (const float *)constants[record->operands[3].constant];
    for (int64_t d = 0; d < dirs; ++d) {
      const float *wb = onnxBias + d * 2 * gates * hidden;
      const float *rb = wb + gates * hidden;
      for (int64_t g = 0; g < gates; ++g)
        for (int64_t h = 0; h < hidden; ++h) {
          int64_t from = order[g] * hidden + h;
          bool apart = lbr && g == gates - 1;
          bias[(d * biasGates + g) * hidden + h] =
              wb[from] + (apart ? 0.0f : rb[from]);
          if (apart)
            bias[(d * biasGates + gates) * hidden + h] = rb[from];
        }
    }
    size_t at = 4;
    size_t h0 = 0, c0 = 0;
    if (p.hasH0)
      h0 = at++;
    if (p.hasC0)
      c0 = at++;
    const Dims &outDims = dims(output());
    int64_t steps = outDims[0], batch = outDims[1];
    auto inference = dnnl::prop_kind::forward_inference;
    // Builds the primitive of directions [first, first + count) as one
    // step: the whole layer, or one direction of a bidirectional one
    // (which reads its slices of the weights, states and output).
    auto buildPart = [&](int64_t first, int64_t count,
                         dnnl::rnn_direction partDirection) {
      bool part = count != dirs;
      Dims layerDims = {1, count, in, gates, hidden};
      Dims iterDims = {1, count, hidden, gates, hidden};
      Dims biasDims = {1, count, biasGates, hidden};
      Dims stateDims = {1, count, batch, hidden};
      size_t stateOffset = first * batch * hidden * sizeof(float);
      memory::desc srcLayer = desc(0);
      memory::desc dstLayer =
          part ? memory::desc({steps, batch, hidden}, memory::data_type::f32,
                              Dims{batch * dirs * hidden, dirs * hidden, 1})
               : desc(output());
      memory::desc stateDesc = plain(stateDims);
      memory::desc srcIter = h0 ? stateDesc : memory::desc();
      memory::desc srcIterC = c0 ? stateDesc : memory::desc();
      memory::desc dstIterC = isLSTM ? stateDesc : memory::desc();
      memory::desc anyLayer = anyLayout(layerDims),
                   anyIter = anyLayout(iterDims);
      memory::desc biasDesc = plain(biasDims);
      // The converted weights hold the directions one after the other.
      float *partLayer = layer.data() + first * in * gates * hidden;
      float *partIter = iter.data() + first * hidden * gates * hidden;
      float *partBias = bias.data() + first * biasGates * hidden;
      auto finishRecurrent = [&](const auto &pd, auto primitive) {
        bind(0, DNNL_ARG_SRC_LAYER);
        // Keyed by the constants they come from (W, R and B), plus the
        // first direction.
        auto key = [&](size_t i) -> const void * {
          return (const char *)constants[record->operands[i].constant] + first;
        };
        bindConverted(DNNL_ARG_WEIGHTS_LAYER, plain(layerDims), partLayer,
                      pd.weights_layer_desc(), key(1));
        bindConverted(DNNL_ARG_WEIGHTS_ITER, plain(iterDims), partIter,
                      pd.weights_iter_desc(), key(2));
        bindConverted(DNNL_ARG_BIAS, plain(biasDims), partBias, pd.bias_desc(),
                      key(3));
        if (h0)
          bindSlice(h0, DNNL_ARG_SRC_ITER, stateDesc, stateOffset);
        if (c0)
          bindSlice(c0, DNNL_ARG_SRC_ITER_C, stateDesc, stateOffset);
        bindSlice(output(), DNNL_ARG_DST_LAYER, dstLayer,
                  part ? first * hidden * sizeof(float) : 0);
        bindSlice(output() + 1, DNNL_ARG_DST_ITER, stateDesc, stateOffset);
        if (isLSTM)
          bindSlice(output() + 2, DNNL_ARG_DST_ITER_C, stateDesc, stateOffset);
        finish<decltype(primitive)>(pd);
      };
      if (isLSTM) {
        dnnl::lstm_forward::desc d(inference, partDirection, srcLayer, srcIter,
                                   srcIterC, anyLayer, anyIter, biasDesc,
                                   dstLayer, stateDesc, dstIterC);
        finishRecurrent(
            dnnl::lstm_forward::primitive_desc(d, attr, this->state.engine),
            dnnl::lstm_forward());
      } else if (lbr) {
        dnnl::lbr_gru_forward::desc d(inference, partDirection, srcLayer,
                                      srcIter, anyLayer, anyIter, biasDesc,
                                      dstLayer, stateDesc);
        finishRecurrent(
            dnnl::lbr_gru_forward::primitive_desc(d, attr, this->state.engine),
            dnnl::lbr_gru_forward());
      } else if (kind == DnnlPrimitive::GRU) {
        dnnl::gru_forward::desc d(inference, partDirection, srcLayer, srcIter,
                                  anyLayer, anyIter, biasDesc, dstLayer,
                                  stateDesc);
        finishRecurrent(
            dnnl::gru_forward::primitive_desc(d, attr, this->state.engine),
            dnnl::gru_forward());
      } else {
        static const dnnl::algorithm activations[] = {
            dnnl::algorithm::eltwise_tanh, dnnl::algorithm::eltwise_relu,
            dnnl::algorithm::eltwise_logistic};
        dnnl::vanilla_rnn_forward::desc d(
            inference, activations[(int64_t)p.activation], partDirection,
            srcLayer, srcIter, anyLayer, anyIter, biasDesc, dstLayer,
            stateDesc);
        finishRecurrent(dnnl::vanilla_rnn_forward::primitive_desc(
                            d, attr, this->state.engine),
                        dnnl::vanilla_rnn_forward());
      }
    };
    // The two directions of a bidirectional layer are independent: they
    // become two primitives, which run side by side on two threads.
    if (dirs == 2 && direction == dnnl::rnn_direction::bidirectional_concat) {
      buildPart(0, 1, dnnl::rnn_direction::unidirectional_left2right);
      parts.push_back(std::move(step));
      step = Step();
      buildPart(1, 1, dnnl::rnn_direction::unidirectional_right2left);
    } else {
      buildPart(0, dirs, direction);
    }
    return "";
  }

  /// oneDNN's channels-last layout (nwc, nhwc, ndhwc) for [N, C,
  /// spatial...] dims.
  static memory::desc channelsLastLayout(const Dims &dims) {
    using tag = memory::format_tag;
    static const tag tags[] = {tag::acb, tag::acdb, tag::acdeb};
    return memory::desc(dims, memory::data_type::f32, tags[dims.size() - 3]);
  }

  /// Binds `arg` to a buffer of layout `given` at `offset` bytes into the
  /// run's scratchpad.
  void bindScratch(int arg, const memory::desc &given, size_t offset) {
    RunOperand operand{arg, given, 0, offset};
    operand.inScratchpad = true;
    step.perRun.push_back(operand);
  }

  /// Builds the steps of the channels-last variant of a convolution (`pd`
  /// takes and makes nhwc): a reorder of the input into the scratchpad
  /// (and of the output when it holds the residual a sum post-op adds),
  /// the convolution there, and a reorder of its result into the output.
  /// The steps run one after the other and share the scratchpad that
  /// follows the two buffers.
  void chainChannelsLast(const dnnl::convolution_forward::primitive_desc &pd,
                         const memory::desc &given, bool hasBias, bool sum) {
    // Reorders without the convolution's post-ops.
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    memory::desc in = pd.src_desc(), out = pd.dst_desc();
    uint64_t inBytes = alignUp(in.get_size());
    uint64_t work = inBytes + alignUp(out.get_size());
    auto done = [&](dnnl::primitive primitive, const memory::desc &scratch) {
      step.primitive = primitive;
      step.scratchpad = scratch;
      step.scratchpadOffset = work;
    };
    auto reorderStep = [&](const memory::desc &from, const memory::desc &to) {
      dnnl::reorder::primitive_desc rpd(state.engine, from, state.engine, to,
                                        attr);
      done(dnnl::reorder(rpd), rpd.scratchpad_desc());
      parts.push_back(std::move(step));
      step = Step();
    };
    bindRun(0, DNNL_ARG_FROM, desc(0));
    bindScratch(DNNL_ARG_TO, in, 0);
    reorderStep(desc(0), in);
    if (sum) {
      bindRun(output(), DNNL_ARG_FROM, desc(output()));
      bindScratch(DNNL_ARG_TO, out, inBytes);
      reorderStep(desc(output()), out);
    }
    bindScratch(DNNL_ARG_SRC, in, 0);
    bind(1, DNNL_ARG_WEIGHTS, given, pd.weights_desc());
    if (hasBias)
      bind(2, DNNL_ARG_BIAS);
    bindScratch(DNNL_ARG_DST, out, inBytes);
    done(dnnl::convolution_forward(pd), pd.scratchpad_desc());
    parts.push_back(std::move(step));
    step = Step();
    // The last step stays in `step`, which addVariant appends.
    bindScratch(DNNL_ARG_FROM, out, inBytes);
    bindRun(output(), DNNL_ARG_TO, desc(output()));
    dnnl::reorder::primitive_desc rpd(state.engine, out, state.engine,
                                      desc(output()), attr);
    done(dnnl::reorder(rpd), rpd.scratchpad_desc());
  }

  void bindConvolution(const memory::desc &wanted, const memory::desc &given,
                       bool hasBias) {
    bind(0, DNNL_ARG_SRC);
    bind(1, DNNL_ARG_WEIGHTS, given, wanted);
    if (hasBias)
      bind(2, DNNL_ARG_BIAS);
    bind(output(), DNNL_ARG_DST);
  }

  State &state;
  const std::vector<uintptr_t> &constants;
  bool variants, packed;
  const Record *record = nullptr;
  /// The primitive being built, and those of the same variant built
  /// before.
  Step step;
  std::vector<Step> parts;
  /// The samples of a share of a split variant being built, or 0.
  int64_t splitSamples = 0;
  /// Whether the variant being built is a convolution's channels-last one.
  bool channelsLast = false;
  /// What the weights of channels-last variants may still take.
  uint64_t channelsLastBudget;
  /// What a variant may add to the run's scratchpad.
  uint64_t variantBytes;
  /// What Winograd's transformed weights may still add to the originals.
  uint64_t winogradBudget;
  /// The bytes of the model's constants.
  uint64_t constantBytes;
  /// The weights layout of the convolution just built, and that of the
  /// op's first variant while its others are built.
  memory::desc convWeights;
  std::optional<memory::desc> teamWeights;
};

/// Whether `variant` can run on the calling thread's team: one split by
/// samples needs the team it was made for.
bool runnable(const Variant &variant) {
  return !variant.split ||
         (omp_get_max_threads() == variant.threads && !omp_in_parallel());
}

/// Runs a convolution on the packed kernel (Variant::convolution) on
/// `threads` threads.
void runPackedConvolution(const Variant &variant, const uintptr_t *pointers,
                          int threads) {
  using kiln::runtime::PackedLayout;
  const Variant::Convolution &conv = *variant.convolution;
  const auto *source = (const float *)pointers[variant.source];
  auto *destination = (float *)pointers[variant.destination];
  int64_t plane = conv.height * conv.width,
          outPlane = conv.outHeight * conv.outWidth;
  int64_t blocks = conv.channels / 16, k = variant.packed->k;
  auto *gathered = (float *)kiln::runtime::currentScratchpad();
  for (int64_t image = 0; image < conv.batch; ++image) {
    const float *in = source + image * conv.channels * plane;
    float *out = destination + image * conv.outChannels * outPlane;
    PackedLayout from{16, plane * 16};
    if (conv.gather) {
      // Row p of `gathered`: output pixel p's window, (tap, channel).
#pragma omp parallel for num_threads(threads) if (threads > 1)
      for (int64_t y = 0; y < conv.outHeight; ++y)
        for (int64_t x = 0; x < conv.outWidth; ++x) {
          float *row = gathered + (y * conv.outWidth + x) * k;
          for (int64_t ky = 0; ky < conv.kernel[0]; ++ky) {
            int64_t iy =
                y * conv.strides[0] - conv.pads[0] + ky * conv.dilations[0];
            for (int64_t kx = 0; kx < conv.kernel[1];
                 ++kx, row += conv.channels) {
              int64_t ix =
                  x * conv.strides[1] - conv.pads[1] + kx * conv.dilations[1];
              if (iy < 0 || iy >= conv.height || ix < 0 || ix >= conv.width) {
                std::memset(row, 0, conv.channels * sizeof(float));
                continue;
              }
              const float *pixel = in + (iy * conv.width + ix) * 16;
              for (int64_t b = 0; b < blocks; ++b)
                std::memcpy(row + b * 16, pixel + b * plane * 16,
                            16 * sizeof(float));
            }
          }
        }
      in = gathered;
      from = {k, 16};
    }
    kiln::runtime::packedMatMul(*variant.packed, in, from, outPlane, out,
                                {16, outPlane * 16}, variant.activation,
                                variant.alpha, variant.beta, threads,
                                variant.accumulate);
  }
}

/// Runs a transposed convolution on the packed kernel
/// (Variant::deconvolution) on `threads` threads.
void runPackedDeconvolution(const Variant &variant, const uintptr_t *pointers,
                            int threads) {
  using kiln::runtime::kPackedBlockRows;
  const Variant::Deconvolution &deconv = *variant.deconvolution;
  const kiln::runtime::TransposedWindow &window = deconv.window;
  const auto *source = (const float *)pointers[variant.source];
  auto *destination = (float *)pointers[variant.destination];
  int64_t plane = window.height * window.width,
          outPlane = window.outHeight * window.outWidth;
  int64_t channels = deconv.channels, n = deconv.productStride;
  int64_t blocks = channels / 16;
  auto *scratchpad = (char *)kiln::runtime::currentScratchpad();
  threads = (int)std::clamp<int64_t>(threads, 1, deconv.threads);
  // With as many chunks as threads, each thread computes whole chunks in
  // a region of its own; with fewer, the team shares each chunk's steps.
  // Chunks as even as they can be, and a multiple of the threads.
  int64_t chunks =
      (deconv.batch + deconv.imagesPerChunk - 1) / deconv.imagesPerChunk;
  if (deconv.batch >= threads)
    chunks = std::min(deconv.batch, (chunks + threads - 1) / threads * threads);
  int64_t perChunk = (deconv.batch + chunks - 1) / chunks;
  chunks = (deconv.batch + perChunk - 1) / perChunk;
  int64_t imageSize = window.outChannels * outPlane;
  // A chunk on one thread adds each block of rows' products to the output
  // as they are made (packedMatMulScatter); a team computes the products
  // by panels, then sums each output pixel's (transposedConvolutionSum).
  auto chunk = [&](int64_t index, char *region, int team) {
    int64_t first = index * perChunk;
    int64_t images = std::min(perChunk, deconv.batch - first);
    int64_t rows = images * plane;
    // The parts of the region (for the chunk size the build made room for,
    // which perChunk does not exceed).
    const Variant::Deconvolution::Region &parts = deconv.region;
    auto *gathered = (float *)region;
    auto *products = (float *)(region + parts.products);
    auto *rowOffset = (int64_t *)(region + parts.rowOffset);
    auto *rowY = (int32_t *)(region + parts.rowY);
    auto *rowX = (int32_t *)(region + parts.rowX);
    auto *rowOf = (int32_t *)(region + parts.rowOf);
    auto *blockPanels =
        deconv.skipPanels ? (uint64_t *)(region + parts.blockPanels) : nullptr;
    if (blockPanels)
      std::memset(blockPanels, 0,
                  (rows + kPackedBlockRows - 1) / kPackedBlockRows *
                      sizeof(uint64_t));
    // Rows by pixel class, then image: row r holds its pixel's channels.
    int64_t row = 0;
    for (const auto &pixelClass : deconv.classes)
      for (int64_t i = 0; i < images; ++i) {
        const float *in = source + (first + i) * channels * plane;
        for (int64_t j = 0; j < pixelClass.count; ++j, ++row) {
          int32_t p = deconv.pixels[pixelClass.first + j];
          rowOf[i * plane + p] = (int32_t)row;
          rowY[row] =
              int32_t(p / window.width * window.strides[0] - window.pads[0]);
          rowX[row] =
              int32_t(p % window.width * window.strides[1] - window.pads[1]);
          rowOffset[row] =
              i * imageSize + (rowY[row] * window.outWidth + rowX[row]) * 16;
          if (blockPanels)
            blockPanels[row / kPackedBlockRows] |= pixelClass.panels;
          float *to = gathered + row * channels;
          for (int64_t b = 0; b < blocks; ++b)
            std::memcpy(to + b * 16, in + (b * plane + p) * 16,
                        16 * sizeof(float));
        }
      }
    float *out = destination + first * imageSize;
    if (team <= 1) {
      std::memset(out, 0, images * imageSize * sizeof(float));
      kiln::runtime::ScatterLayout scatter;
      scatter.out = out;
      scatter.height = window.outHeight;
      scatter.width = window.outWidth;
      scatter.rowOffset = rowOffset;
      scatter.rowY = rowY;
      scatter.rowX = rowX;
      scatter.vectorOffset = deconv.vectorOffset.data();
      scatter.vectorY = deconv.vectorY.data();
      scatter.vectorX = deconv.vectorX.data();
      kiln::runtime::packedMatMulScatter(*variant.packed, gathered,
                                         {channels, 16}, rows, scatter,
                                         blockPanels);
      return;
    }
    kiln::runtime::packedMatMul(*variant.packed, gathered, {channels, 16}, rows,
                                products, {n, 16},
                                kiln::runtime::PackedActivation::None, 0.0f,
                                0.0f, team, /*accumulate=*/false, blockPanels);
    for (int64_t i = 0; i < images; ++i) {
#pragma omp parallel num_threads(team)
      {
        int64_t t = omp_get_thread_num(), size = omp_get_num_threads();
        kiln::runtime::transposedConvolutionSum(
            products, n, rowOf + i * plane, deconv.tapSlot.data(), window,
            out + i * imageSize, window.outHeight * t / size,
            window.outHeight * (t + 1) / size);
      }
    }
  };
  if (threads > 1 && chunks >= threads) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int64_t index = 0; index < chunks; ++index)
      chunk(index, scratchpad + omp_get_thread_num() * deconv.region.bytes, 1);
    return;
  }
  for (int64_t index = 0; index < chunks; ++index)
    chunk(index, scratchpad, threads);
}

/// Executes the parts of `variant` with the run's operands.
void runVariant(State &state, Variant &variant, const uintptr_t *pointers) {
  if (variant.packed) {
    // On the calling thread's team, or alone inside a parallel region
    // or as the one-thread variant.
    int threads =
        omp_in_parallel() || variant.oneThread ? 1 : omp_get_max_threads();
    if (variant.convolution) {
      runPackedConvolution(variant, pointers, threads);
      return;
    }
    if (variant.deconvolution) {
      runPackedDeconvolution(variant, pointers, threads);
      return;
    }
    kiln::runtime::packedMatMul(
        *variant.packed, (const float *)pointers[variant.source], variant.rows,
        (float *)pointers[variant.destination], variant.activation,
        variant.alpha, threads, variant.accumulate);
    return;
  }
  // Per calling thread: read here, not on the threads of the parts.
  char *scratchpad = (char *)kiln::runtime::currentScratchpad();
  // Runs `step` on samples from `first` (split variants), its scratchpad
  // `extra` bytes further on.
  auto run = [&](Step &step, int64_t first = 0, uint64_t extra = 0) {
    dnnl::stream &stream = state.stream();
    Step::Arguments &args = step.arguments(state.engine);
    for (size_t i = 0; i < step.perRun.size(); ++i) {
      const RunOperand &operand = step.perRun[i];
      char *base = operand.inScratchpad ? scratchpad + extra
                                        : (char *)pointers[operand.pointer] +
                                              first * operand.sampleBytes;
      args.perRun[i].set_data_handle(base + operand.offset);
    }
    if (args.scratchpad)
      args.scratchpad.set_data_handle(scratchpad + step.scratchpadOffset +
                                      extra);
    step.primitive.execute(stream, args.map);
    stream.wait();
    if (step.geluAfter)
      kiln::runtime::geluErfInPlace(
          (float *)args.map.at(DNNL_ARG_DST).get_data_handle(), step.geluAfter,
          omp_in_parallel() || variant.oneThread ? 1 : omp_get_max_threads());
  };
  std::vector<Step> &parts = variant.parts;
  if (variant.split) {
    // Thread t computes the samples a static split gives it.
    int64_t threads = variant.threads, batch = variant.batch;
#pragma omp parallel num_threads(threads)
    for (int64_t t = omp_get_thread_num(); t < threads;
         t += omp_get_num_threads()) {
      int64_t first = batch * t / threads;
      int64_t share = batch * (t + 1) / threads - first;
      for (Step &step : parts)
        if (step.samples == share) {
          run(step, first, t * variant.scratchpadStride);
          break;
        }
    }
    return;
  }
  if (variant.oneThread && omp_get_max_threads() > 1) {
    // Primitives that take their thread count at run time follow it.
    ThreadsScope one(1);
    for (Step &step : parts)
      run(step);
    return;
  }
  if (variant.channelsLast) {
    for (Step &step : parts)
      run(step);
    return;
  }
  // Independent parts (the directions of a recurrent layer) run on a
  // thread each, with oneDNN on one thread inside each.
  int64_t threads = std::min<int64_t>(omp_get_max_threads(), parts.size());
  if (threads > 1 && !omp_in_parallel()) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (size_t i = 0; i < parts.size(); ++i)
      run(parts[i]);
    return;
  }
  for (Step &step : parts)
    run(step);
}

/// Releases the variants no call runs any more, with the weights only
/// they hold (with state.runMutex held and no run going): each op keeps
/// its choice, its one-thread variant and, when its choice is split by
/// samples (which needs the team it was made for), the team's.
void release(State &state) {
  std::vector<dnnl_memory_t> kept, released;
  for (auto &op : state.ops) {
    if (op->variants.size() < 2)
      continue;
    Variant *chosen = op->chosen.load(), *single = op->single.load();
    Variant *fallback = chosen->split ? op->team() : chosen;
    for (auto &v : op->variants) {
      if (!v)
        continue;
      bool keep = v.get() == chosen || v.get() == single || v.get() == fallback;
      for (Step &step : v->parts)
        for (auto &[arg, value] : step.fixed)
          (keep ? kept : released).push_back(value.get());
      if (!keep)
        v.reset(); // the team's too: only a split choice falls back to it
    }
  }
  std::sort(kept.begin(), kept.end());
  std::sort(released.begin(), released.end());
  auto in = [](const std::vector<dnnl_memory_t> &list, dnnl_memory_t m) {
    return std::binary_search(list.begin(), list.end(), m);
  };
  auto &list = state.reordered;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const auto &entry) {
                              dnnl_memory_t m = std::get<3>(entry).get();
                              return in(released, m) && !in(kept, m);
                            }),
             list.end());
  state.releasePending = false;
}

/// Ends the choice (with state.runMutex held): the proposals stay, or
/// every op goes back to its default.
void settle(State &state, bool defaults) {
  state.settledOnDefaults = defaults;
  if (defaults)
    for (auto &op : state.ops) {
      op->chosen = op->team();
      op->single = op->oneThreadOf(*op->team());
    }
  state.releasePending = true;
  state.phase.store(State::Settled, std::memory_order_release);
  if (state.inFlight == 0)
    release(state);
}

/// Proposes the fastest variant of `op` (with op.mutex held); the last
/// op to propose starts the comparison of whole runs.
void propose(State &state, Op &op) {
  size_t best = 0;
  for (size_t i = 1; i < op.variants.size(); ++i)
    if (op.bestNs[i] < op.bestNs[best])
      best = i;
  if (op.bestNs[best] > Op::kMargin * op.bestNs[0])
    best = 0;
  Variant &winner = *op.variants[best];
  op.chosen = &winner;
  op.single = op.oneThreadOf(winner);
  op.decided.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(state.runMutex);
  if (--state.undecided > 0)
    return;
  bool changed = false;
  for (auto &each : state.ops)
    changed |= each->chosen.load() != each->team();
  if (changed)
    state.phase.store(State::Comparing, std::memory_order_release);
  else
    settle(state, /*defaults=*/true);
}

/// The run in progress on this thread: whether it runs the defaults
/// (while comparing), whether its time counts, and whether it began
/// before the state settled.
struct RunMode {
  bool defaults = false, timed = false, counted = false;
};
thread_local RunMode runMode;

/// The variant of a call to `op`, which has made its choice: the chosen
/// one on the team, its one-thread variant otherwise; the team's and its
/// one-thread variant in a run of the defaults while comparing.
Variant *decidedVariant(const State &state, const Op &op, bool team) {
  if (runMode.defaults &&
      state.phase.load(std::memory_order_acquire) == State::Comparing)
    return team ? op.team() : op.oneThreadOf(*op.team());
  return team ? op.chosen.load() : op.single.load();
}

void report(char *error, size_t size, const std::string &message) {
  if (error && size > 0)
    std::snprintf(error, size, "%s", message.c_str());
}

/// Whether the environment leaves the setting `name` on: anything but 0.
bool notTurnedOff(const char *name) {
  const char *setting = std::getenv(name);
  return !setting || std::strcmp(setting, "0") != 0;
}

} // namespace

extern "C" {

void *kiln_dnnl_create_program(const int64_t *program,
                               void (*constantsOf)(uintptr_t *),
                               const void *sharesWith, char *error,
                               size_t error_size, uint64_t *scratchpad_bytes) {
  std::vector<Record> records;
  if (!kiln::abi::readDnnlProgram(program, records)) {
    report(error, error_size, "the model's oneDNN program is malformed");
    return nullptr;
  }
  int64_t constantCount = 0;
  for (const Record &record : records)
    for (const Operand &operand : record.operands)
      constantCount = std::max(constantCount, operand.constant + 1);
  std::vector<uintptr_t> constants(std::max<int64_t>(constantCount, 1));
  constantsOf(constants.data());

  auto state = std::make_unique<State>();
  state->sharesWith = (const State *)sharesWith;
  // KILN_DNNL_VARIANTS=0: no variants to choose from, so that every run
  // computes the same bits from the first (as with one variant per op).
  bool variants = notTurnedOff("KILN_DNNL_VARIANTS");
  // KILN_DNNL_PACKED=0: every product on oneDNN's matmul, with its own
  // GELU.
  bool packed = notTurnedOff("KILN_DNNL_PACKED");
  std::vector<uint64_t> constantSizes(constants.size(), 0);
  for (const Record &record : records)
    for (const Operand &operand : record.operands)
      if (operand.constant >= 0) {
        uint64_t bytes = sizeof(float);
        for (int64_t d : operand.dims)
          bytes = d <= 0 ? 0 : std::min<uint64_t>(bytes * d, UINT64_MAX / 4096);
        uint64_t &size = constantSizes[operand.constant];
        size = std::max(size, bytes);
      }
  uint64_t constantBytes = 0;
  for (uint64_t bytes : constantSizes)
    constantBytes += bytes;
  Builder builder(*state, constants, variants, packed, constantBytes);
  for (size_t i = 0; i < records.size(); ++i) {
    std::string message;
    try {
      message = builder.add(records[i]);
    } catch (const dnnl::error &e) {
      message = std::string(e.what()) + " (" + dnnl_status2str(e.status) + ")";
    } catch (const std::bad_alloc &) {
      message = "out of memory";
    }
    if (!message.empty()) {
      report(error, error_size,
             "oneDNN cannot create primitive " + std::to_string(i) + " (" +
                 std::string(kiln::abi::dnnlPrimitiveName(records[i].kind)) +
                 "): " + message);
      return nullptr;
    }
  }
  *scratchpad_bytes = state->scratchpadBytes;
  if (state->undecided == 0)
    state->phase.store(State::Settled, std::memory_order_release);
  return state.release();
}

void *kiln_dnnl_create(char *error, size_t error_size,
                       uint64_t *scratchpad_bytes) {
  if (!kiln_model_dnnl_program || !kiln_model_dnnl_constants) {
    *scratchpad_bytes = 0;
    auto *state = new State();
    state->phase.store(State::Settled, std::memory_order_release);
    return state;
  }
  return kiln_dnnl_create_program(kiln_model_dnnl_program,
                                  kiln_model_dnnl_constants, nullptr, error,
                                  error_size, scratchpad_bytes);
}

void kiln_dnnl_destroy(void *state) { delete (State *)state; }

void kiln_dnnl_describe(const void *handle, char *text, size_t size) {
  State &state = *(State *)handle;
  std::string line =
      "oneDNN: " + std::to_string(state.created) + " primitives created and " +
      std::to_string(state.weightReorders) + " weights reordered";
  if (state.slicedReorders)
    line += " (" + std::to_string(state.slicedReorders) + " a slice at a time)";
  if (state.weightsShared)
    line += " (" + std::to_string(state.weightsShared) +
            " more shared with the model for one sample)";
  line += " when the model was loaded";
  int64_t declined = state.winogradFewTiles + state.winogradOverBudget;
  if (state.winograd || declined) {
    line += "; " + std::to_string(state.winograd) + " of " +
            std::to_string(state.winograd + declined) +
            " 3x3 convolutions by Winograd's minimal filtering";
    // Why the others compute directly.
    std::string reasons;
    auto reason = [&](int64_t n, const char *why) {
      if (n)
        reasons += (reasons.empty() ? " (" : ", ") + std::to_string(n) +
                   (reasons.empty() ? " direct " : " ") + why;
    };
    reason(state.winogradFewTiles, "for their few tiles");
    reason(state.winogradOverBudget,
           "for the memory of their transformed weights");
    if (!reasons.empty())
      line += reasons + ")";
  }
  std::vector<std::string> onPacked;
  auto count = [&](int64_t n, const char *one, const char *many) {
    if (n)
      onPacked.push_back(std::to_string(n) + " " + (n == 1 ? one : many));
  };
  count(state.packedProducts, "matrix product", "matrix products");
  count(state.packedConvolutions, "convolution", "convolutions");
  count(state.packedDeconvolutions, "transposed convolution",
        "transposed convolutions");
  for (size_t i = 0; i < onPacked.size(); ++i)
    line += (i == 0                     ? "; "
             : i + 1 == onPacked.size() ? " and "
                                        : ", ") +
            onPacked[i];
  if (!onPacked.empty())
    line += " on Kiln's packed kernel";
  // The choices timed so far.
  int64_t timed = 0, oneThread = 0, split = 0, channelsLast = 0, pending = 0;
  for (auto &op : state.ops) {
    std::lock_guard<std::mutex> lock(op->mutex);
    if (op->variants.size() < 2)
      continue;
    if (!op->decided.load(std::memory_order_acquire)) {
      ++pending;
      continue;
    }
    ++timed;
    const Variant &chosen = *op->chosen.load();
    oneThread += chosen.oneThread && !chosen.split && state.loadThreads > 1;
    split += chosen.split;
    channelsLast += chosen.channelsLast;
  }
  int phase = state.phase.load(std::memory_order_acquire);
  if (timed && !pending && phase == State::Settled && state.settledOnDefaults &&
      !state.proposedNs.empty())
    line += "; the variants timed on the first runs made whole runs no "
            "faster: every op keeps its default";
  else if (timed && state.loadThreads == 1)
    line += "; chosen by timing the first runs: of " + std::to_string(timed) +
            (timed == 1 ? " convolution, " : " convolutions, ") +
            std::to_string(channelsLast) + " computed channels-last";
  else if (timed)
    line += "; chosen by timing the first runs: of " + std::to_string(timed) +
            (timed == 1 ? " op, " : " ops, ") + std::to_string(oneThread) +
            " on one thread, " + std::to_string(split) +
            " split by samples over the threads and " +
            std::to_string(channelsLast) + " computed channels-last";
  if (pending)
    line += "; " + std::to_string(pending) + " ops still being timed";
  else if (phase == State::Comparing)
    line += "; whole runs still being compared with the defaults";
  std::snprintf(text, size, "%s", line.c_str());
}

void kiln_dnnl_execute(int32_t id, const uintptr_t *pointers) {
  State &state = *(State *)kiln::runtime::currentBackendState();
  Op &op = *state.ops[id];
  // On the team unless the run has one thread (of a model loaded with
  // more) or is inside a parallel region (where oneDNN runs on the
  // calling thread).
  bool team = !omp_in_parallel() &&
              (omp_get_max_threads() > 1 || state.loadThreads == 1);
  if (op.decided.load(std::memory_order_acquire)) {
    Variant *variant = decidedVariant(state, op, team);
    runVariant(state, runnable(*variant) ? *variant : *op.team(), pointers);
    return;
  }
  // Choosing: the variant of this call.
  Variant *variant = nullptr;
  int32_t index = -1;
  bool timed = false;
  {
    std::lock_guard<std::mutex> lock(op.mutex);
    if (op.decided.load(std::memory_order_relaxed)) {
      variant = decidedVariant(state, op, team);
    } else if (!team) {
      // Not a trial: the one-thread variant of the default.
      variant = op.oneThreadOf(*op.team());
    } else {
      int32_t count = (int32_t)op.variants.size();
      int32_t call = op.calls++;
      index = call % count;
      timed = call >= count;
      variant = op.variants[index].get();
    }
  }
  // Calls that warm a variant count as trials too: the choice is not made.
  if (index >= 0)
    kiln::runtime::noteTrial();
  if (!runnable(*variant)) {
    runVariant(state, *op.team(), pointers);
    return;
  }
  if (!timed) {
    runVariant(state, *variant, pointers);
    return;
  }
  auto start = std::chrono::steady_clock::now();
  runVariant(state, *variant, pointers);
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
  std::lock_guard<std::mutex> lock(op.mutex);
  op.bestNs[index] = std::min(op.bestNs[index], ns);
  if (op.calls >= (int32_t)op.variants.size() * (1 + Op::kTrials) &&
      !op.decided.load(std::memory_order_relaxed))
    propose(state, op);
}

void kiln_dnnl_run_begin(void *handle) {
  State &state = *(State *)handle;
  runMode = RunMode();
  if (state.phase.load(std::memory_order_acquire) == State::Settled)
    return;
  std::lock_guard<std::mutex> lock(state.runMutex);
  if (state.phase.load(std::memory_order_relaxed) == State::Settled)
    return;
  runMode.counted = true;
  ++state.inFlight;
  // Comparing: runs alternate between the proposals and the defaults, the
  // first of each untimed; runs inside a parallel region (samples side by
  // side) run the proposals and are not timed.
  if (state.phase.load(std::memory_order_relaxed) != State::Comparing ||
      omp_in_parallel())
    return;
  int32_t run = state.compared++;
  kiln::runtime::noteTrial();
  runMode.defaults = run % 2 == 1;
  runMode.timed = run >= 2;
}

bool kiln_dnnl_settled(const void *handle) {
  return ((const State *)handle)->phase.load(std::memory_order_acquire) ==
         State::Settled;
}

void kiln_dnnl_run_end(void *handle, int64_t ns) {
  State &state = *(State *)handle;
  RunMode mode = runMode;
  runMode = RunMode();
  if (!mode.counted)
    return;
  std::lock_guard<std::mutex> lock(state.runMutex);
  --state.inFlight;
  if (mode.timed &&
      state.phase.load(std::memory_order_relaxed) == State::Comparing) {
    (mode.defaults ? state.defaultNs : state.proposedNs).push_back(ns);
    if (state.defaultNs.size() >= State::kCompareRuns &&
        state.proposedNs.size() >= State::kCompareRuns) {
      auto median = [](std::vector<int64_t> &v) {
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
      };
      int64_t defaults = median(state.defaultNs);
      int64_t proposed = median(state.proposedNs);
      settle(state, proposed > State::kCompareMargin * defaults);
    }
  }
  if (state.releasePending && state.inFlight == 0)
    release(state);
}

} // extern "C"
