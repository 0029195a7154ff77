//===- DataMovement.cpp - ONNX constants, shapes and data movement --------===//
//
// Shape computations fold to constants as they are imported (every shape is
// static), so Reshape, Expand, Tile, Range and friends see constant inputs.
//
//===----------------------------------------------------------------------===//

#include "NodeContext.h"

#include "mlir/IR/Verifier.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Constants and shape queries
//===----------------------------------------------------------------------===//

static LogicalResult importConstant(NodeContext &ctx) {
  Builder &b = ctx.builder();
  ElementsAttr value;
  if (ctx.hasAttr("value")) {
    auto tensor = ctx.getTensor("value");
    if (failed(tensor))
      return failure();
    value = *tensor;
  } else if (ctx.hasAttr("value_float")) {
    auto f = ctx.getFloat("value_float", 0);
    if (failed(f))
      return failure();
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), *f);
  } else if (ctx.hasAttr("value_floats")) {
    auto fs = ctx.getFloats("value_floats");
    if (failed(fs))
      return failure();
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)fs->size()}, b.getF32Type()),
        ArrayRef<float>(*fs));
  } else if (ctx.hasAttr("value_int")) {
    auto i = ctx.getInt("value_int", 0);
    if (failed(i))
      return failure();
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), *i);
  } else if (ctx.hasAttr("value_ints")) {
    auto is = ctx.getInts("value_ints");
    if (failed(is))
      return failure();
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)is->size()}, b.getI64Type()),
        ArrayRef<int64_t>(*is));
  } else if (ctx.hasAttr("sparse_value") || ctx.hasAttr("value_string") ||
             ctx.hasAttr("value_strings")) {
    return ctx.unsupported("sparse and string constants");
  } else {
    return ctx.emitError() << "Constant has no value attribute";
  }
  ctx.setOutput(0, ctx.constant(value));
  return success();
}

static LogicalResult importConstantOfShape(NodeContext &ctx) {
  auto shape = ctx.requireInts(0, "input");
  auto value = ctx.getTensor("value");
  if (failed(shape) || failed(value))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.emitError()
             << "input 'input' has a negative dim (" << d << ")";
  Attribute fill;
  Type element = ctx.builder().getF32Type();
  if (*value) {
    if (value->getNumElements() != 1)
      return ctx.emitError() << "attribute 'value' must hold one element";
    auto dense = llvm::dyn_cast<DenseElementsAttr>(*value);
    if (!dense)
      return ctx.emitError() << "attribute 'value' must be a small tensor";
    element = dense.getElementType();
    fill = *dense.getValues<Attribute>().begin();
  } else {
    fill = ctx.builder().getF32FloatAttr(0.0f);
  }
  auto type = RankedTensorType::get(*shape, element);
  ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(type, fill)));
  return success();
}

static LogicalResult importShape(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto start = ctx.getInt("start", 0);
  if (failed(x) || failed(start))
    return failure();
  ArrayRef<int64_t> shape = NodeContext::typeOf(*x).getShape();
  int64_t rank = shape.size();
  auto end = ctx.getInt("end", rank);
  if (failed(end))
    return failure();
  // Out-of-range start/end clamp, as ONNX specifies.
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t lo = clampIndex(*start), hi = std::max(lo, clampIndex(*end));
  SmallVector<int64_t> dims(shape.begin() + lo, shape.begin() + hi);
  ctx.setOutput(0, ctx.constantI64(dims, {(int64_t)dims.size()}));
  return success();
}

static LogicalResult importSize(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  if (failed(x))
    return failure();
  ctx.setOutput(
      0, ctx.constantI64({NodeContext::typeOf(*x).getNumElements()}, {}));
  return success();
}

static LogicalResult importRange(NodeContext &ctx) {
  auto start = ctx.requireFloats(0, "start");
  auto limit = ctx.requireFloats(1, "limit");
  auto delta = ctx.requireFloats(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return ctx.emitError() << "inputs 'start', 'limit' and 'delta' must be "
                              "scalars";
  double s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
  if (d == 0)
    return ctx.emitError() << "input 'delta' is zero";
  if (!(std::abs(s) < 9e18 && std::abs(l) < 9e18 && std::abs(d) < 9e18))
    return ctx.unsupported("a Range whose inputs are infinite, NaN or "
                           "beyond 9e18");
  double steps = std::ceil((l - s) / d);
  if (!(steps < 1e8))
    return ctx.unsupported("a Range of more than 1e8 elements");
  int64_t count = std::max<int64_t>(0, (int64_t)steps);
  Type element =
      NodeContext::typeOf(*ctx.required(0, "start")).getElementType();
  auto type = RankedTensorType::get({count}, element);
  if (llvm::isa<FloatType>(element)) {
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < count; ++i) {
      APFloat v(s + i * d);
      bool lost;
      v.convert(llvm::cast<FloatType>(element).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      values.push_back(v);
    }
    ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(type, values)));
  } else {
    SmallVector<APInt> values;
    unsigned width = element.getIntOrFloatBitWidth();
    for (int64_t i = 0; i < count; ++i)
      values.push_back(APInt(
          width, (uint64_t)(int64_t)s + (uint64_t)i * (uint64_t)(int64_t)d,
          /*isSigned=*/false, /*implicitTrunc=*/true));
    ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(type, values)));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

static LogicalResult importReshape(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto allowZero = ctx.getInt("allowzero", 0);
  if (failed(x) || failed(allowZero))
    return failure();
  auto type = NodeContext::typeOf(*x);
  // Before opset 5 the shape is an attribute, from then on an input.
  auto requested =
      ctx.opset < 5 ? ctx.getInts("shape") : ctx.requireInts(1, "shape");
  if (failed(requested))
    return failure();
  // 0 copies the input dim (unless allowzero), -1 is inferred.
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == 0 && !*allowZero) {
      if ((int64_t)i >= type.getRank())
        return ctx.emitError() << "shape dim " << i
                               << " is 0 (copy the input dim), but the input "
                                  "has rank "
                               << type.getRank();
      d = type.getDimSize(i);
    }
    if (d == -1) {
      if (inferred >= 0)
        return ctx.emitError() << "shape has more than one -1";
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return ctx.emitError()
             << "shape dim " << i << " is negative (" << d << ")";
    shape.push_back(d);
    if (d > kMaxElements || __builtin_mul_overflow(known, d, &known) ||
        known > kMaxElements)
      return ctx.emitError() << "shape has too many elements";
  }
  if (inferred >= 0) {
    if (known == 0 || type.getNumElements() % known != 0)
      return ctx.emitError()
             << "cannot reshape " << type << " to "
             << "a shape with " << known << " elements besides the -1";
    shape[inferred] = type.getNumElements() / known;
  }
  return ctx.setResult(ctx.reshape(*x, shape));
}

static LogicalResult importFlatten(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto axisAttr = ctx.getInt("axis", 1);
  if (failed(x) || failed(axisAttr))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  // Flatten accepts axis == rank.
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis > rank)
    return ctx.emitError() << "attribute 'axis' is " << *axisAttr
                           << ", outside [" << -rank << ", " << rank << "]";
  ArrayRef<int64_t> dims = type.getShape();
  return ctx.setResult(ctx.reshape(
      *x, {product(dims.take_front(axis)), product(dims.drop_front(axis))}));
}

static LogicalResult importSqueeze(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto axes = ctx.attrOrInputInts("axes", 1, 13);
  if (failed(x) || failed(axes))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  SmallVector<bool> drop(rank, false);
  if (axes->empty()) {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = type.getDimSize(d) == 1;
  }
  for (int64_t a : *axes) {
    auto axis = ctx.normalizeAxis(a, rank, "axes");
    if (failed(axis))
      return failure();
    if (type.getDimSize(*axis) != 1)
      return ctx.emitError() << "cannot squeeze dim " << *axis << " of size "
                             << type.getDimSize(*axis);
    drop[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(type.getDimSize(d));
  return ctx.setResult(ctx.reshape(*x, shape));
}

static LogicalResult importUnsqueeze(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto axes = ctx.attrOrInputInts("axes", 1, 13);
  if (failed(x) || failed(axes))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    auto axis = ctx.normalizeAxis(a, rank, "axes");
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return ctx.emitError() << "attribute 'axes' repeats " << *axis;
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : type.getDimSize(next++));
  return ctx.setResult(ctx.reshape(*x, shape));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

static LogicalResult importTranspose(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto perm = ctx.getInts("perm");
  if (failed(x) || failed(perm))
    return failure();
  int64_t rank = NodeContext::typeOf(*x).getRank();
  if (!ctx.hasAttr("perm"))
    for (int64_t d = rank - 1; d >= 0; --d)
      perm->push_back(d);
  for (int64_t &p : *perm) {
    auto axis = ctx.normalizeAxis(p, rank, "perm");
    if (failed(axis))
      return failure();
    p = *axis;
  }
  return ctx.setResult(ctx.transpose(*x, *perm));
}

static LogicalResult importConcat(NodeContext &ctx) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    auto v = ctx.required(i, "inputs");
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return ctx.emitError() << "expected at least one input";
  auto axisAttr = ctx.getInt("axis", 1);
  if (failed(axisAttr))
    return failure();
  if (!ctx.hasAttr("axis") && ctx.opset >= 4)
    return ctx.emitError() << "attribute 'axis' is required";
  auto axis =
      ctx.normalizeAxis(*axisAttr, NodeContext::typeOf(inputs[0]).getRank());
  if (failed(axis))
    return failure();
  return ctx.setResult(
      ctx.create<ConcatOp>(inputs, {ctx.named("axis", ctx.i64(*axis))}));
}

static LogicalResult importSplit(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto axisAttr = ctx.getInt("axis", 0);
  auto numOutputsAttr = ctx.getInt("num_outputs", 0);
  if (failed(x) || failed(axisAttr) || failed(numOutputsAttr))
    return failure();
  auto type = NodeContext::typeOf(*x);
  auto axis = ctx.normalizeAxis(*axisAttr, type.getRank());
  if (failed(axis))
    return failure();
  int64_t size = type.getDimSize(*axis);
  auto split = ctx.attrOrInputInts("split", 1, 13);
  if (failed(split))
    return failure();
  SmallVector<int64_t> sizes = *split;
  int64_t outputs = ctx.numOutputs();
  if (sizes.empty()) {
    // Equal parts; with num_outputs (opset 18) the last part may be smaller.
    if (*numOutputsAttr > 0)
      outputs = *numOutputsAttr;
    if (outputs <= 0)
      return ctx.emitError() << "expected at least one output";
    int64_t part = ctx.hasAttr("num_outputs") ? (size + outputs - 1) / outputs
                                              : size / outputs;
    if (!ctx.hasAttr("num_outputs") && size % outputs != 0)
      return ctx.emitError() << "cannot split dim of size " << size << " into "
                             << outputs << " equal parts";
    for (int64_t i = 0; i < outputs; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(part, size - i * part)));
  }
  if ((int64_t)sizes.size() != ctx.numOutputs())
    return ctx.emitError() << "split gives " << sizes.size() << " parts for "
                           << ctx.numOutputs() << " outputs";
  SmallVector<Type> resultTypes;
  for (int64_t s : sizes) {
    if (s < 0)
      return ctx.emitError() << "split sizes must be non-negative";
    SmallVector<int64_t> shape(type.getShape());
    shape[*axis] = s;
    resultTypes.push_back(type.clone(shape));
  }
  OperationState state(ctx.loc, SplitOp::getOperationName());
  state.addOperands(*x);
  state.addAttribute("axis", ctx.i64(*axis));
  state.addTypes(resultTypes);
  Operation *op = ctx.builder().create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    ctx.setOutput(i, op->getResult(i));
  return success();
}

static LogicalResult importSlice(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  if (failed(x))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    auto s = ctx.getInts("starts"), e = ctx.getInts("ends"),
         a = ctx.getInts("axes");
    if (failed(s) || failed(e) || failed(a))
      return failure();
    starts = *s;
    ends = *e;
    axes = *a;
  } else {
    auto s = ctx.requireInts(1, "starts"), e = ctx.requireInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    auto a = ctx.attrOrInputInts("axes", 3, 10);
    if (failed(a))
      return failure();
    axes = *a;
    if (ctx.hasInput(4)) {
      auto st = ctx.requireInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ctx.emitError() << "'starts', 'ends', 'axes' and 'steps' must have "
                              "the same length";
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1),
      shape(type.getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = ctx.normalizeAxis(axes[i], rank, "axes");
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return ctx.emitError() << "axis " << *axis << " is sliced twice";
    seen[*axis] = true;
    int64_t dim = type.getDimSize(*axis), step = steps[i];
    if (step == 0)
      return ctx.emitError() << "slice step is zero";
    // Dims are at most 2^40, so any larger step takes one element at most;
    // clamping keeps -step and the count below inside int64.
    step = std::clamp<int64_t>(step, -(int64_t(1) << 62), int64_t(1) << 62);
    // ONNX clamping: starts/ends may be negative or out of range.
    int64_t start =
        starts[i] < 0 ? std::max<int64_t>(starts[i] + dim, 0) : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    int64_t count;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
    }
    offsets[*axis] = count > 0 ? start : 0;
    strides[*axis] = step;
    shape[*axis] = count;
  }
  return ctx.setResult(
      ctx.createTyped<SliceOp>(type.clone(shape), *x,
                               {ctx.named("offsets", ctx.i64s(offsets)),
                                ctx.named("strides", ctx.i64s(strides))}));
}

/// Gather and GatherElements: data, indices and an axis into data.
template <typename OpT>
static LogicalResult importGatherLike(NodeContext &ctx) {
  auto data = ctx.required(0, "data");
  auto indices = ctx.required(1, "indices");
  auto axisAttr = ctx.getInt("axis", 0);
  if (failed(data) || failed(indices) || failed(axisAttr))
    return failure();
  auto axis =
      ctx.normalizeAxis(*axisAttr, NodeContext::typeOf(*data).getRank());
  if (failed(axis))
    return failure();
  return ctx.setResult(
      ctx.create<OpT>({*data, *indices}, {ctx.named("axis", ctx.i64(*axis))}));
}

static LogicalResult importExpand(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto shape = ctx.requireInts(1, "shape");
  if (failed(x) || failed(shape))
    return failure();
  auto type = NodeContext::typeOf(*x);
  // Expand broadcasts both ways: a 1 in `shape` keeps the input's dim.
  SmallVector<int64_t> target;
  int64_t rank = std::max<int64_t>(type.getRank(), shape->size());
  for (int64_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - type.getRank()
                    ? 1
                    : type.getDimSize(i - (rank - type.getRank()));
    int64_t b = i < rank - (int64_t)shape->size()
                    ? 1
                    : (*shape)[i - (rank - shape->size())];
    if (b < 0)
      return ctx.emitError() << "shape dim " << i << " is negative";
    if (a != b && a != 1 && b != 1)
      return ctx.emitError() << "cannot expand " << type << " to shape dim "
                             << b << " at " << i;
    target.push_back(a == 1 ? b : a);
  }
  return ctx.setResult(ctx.createTyped<ExpandOp>(type.clone(target), *x));
}

static LogicalResult importTile(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto repeats = ctx.requireInts(1, "repeats");
  if (failed(x) || failed(repeats))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  if ((int64_t)repeats->size() != rank)
    return ctx.emitError() << "input 'repeats' has " << repeats->size()
                           << " values for an input of rank " << rank;
  // tile = reshape(expand(reshape(x, [1, d0, 1, d1, ...]), [r0, d0, ...]))
  SmallVector<int64_t> interleaved, expanded, tiled;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t r = (*repeats)[d];
    if (r < 0)
      return ctx.emitError() << "input 'repeats' must be non-negative";
    if (r > kMaxElements || exceedsMaxElements({r, type.getDimSize(d)}))
      return ctx.emitError() << "input 'repeats' makes too many elements";
    interleaved.append({1, type.getDimSize(d)});
    expanded.append({r, type.getDimSize(d)});
    tiled.push_back(r * type.getDimSize(d));
  }
  auto spread = ctx.reshape(*x, interleaved);
  if (failed(spread))
    return failure();
  auto copies = ctx.createTyped<ExpandOp>(type.clone(expanded), *spread);
  if (failed(copies))
    return failure();
  return ctx.setResult(ctx.reshape(*copies, tiled));
}

static LogicalResult importPad(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto modeName = ctx.getString("mode", "constant");
  if (failed(x) || failed(modeName))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> pads;
  double value = 0.0;
  Value valueInput; // a constant_value computed at run time
  if (ctx.opset < 11) {
    auto p = ctx.getInts(ctx.opset < 2 ? "paddings" : "pads");
    auto v = ctx.getFloat("value", 0.0f);
    if (failed(p) || failed(v))
      return failure();
    pads = *p;
    value = *v;
  } else {
    auto p = ctx.requireInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (ctx.hasInput(2)) {
      auto v = ctx.scalarInput(2, "constant_value");
      if (failed(v))
        return failure();
      if (v->constant)
        value = *v->constant;
      else
        valueInput = v->runtime;
    }
    if (ctx.hasInput(3)) {
      // Pads for the listed axes only.
      auto axes = ctx.requireInts(3, "axes");
      if (failed(axes))
        return failure();
      if (pads.size() != 2 * axes->size())
        return ctx.emitError() << "input 'pads' must hold 2 values per axis";
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, a] : llvm::enumerate(*axes)) {
        auto axis = ctx.normalizeAxis(a, rank, "axes");
        if (failed(axis))
          return failure();
        full[*axis] = pads[i];
        full[*axis + rank] = pads[i + axes->size()];
      }
      pads = full;
    }
  }
  if ((int64_t)pads.size() != 2 * rank)
    return ctx.emitError() << "pads hold " << pads.size()
                           << " values, expected " << 2 * rank;
  if (failed(ctx.checkRange("input 'pads'", pads, -kMaxElements, kMaxElements)))
    return failure();
  PadMode mode;
  if (*modeName == "constant")
    mode = PadMode::constant;
  else if (*modeName == "reflect")
    mode = PadMode::reflect;
  else if (*modeName == "edge")
    mode = PadMode::edge;
  else if (*modeName == "wrap")
    mode = PadMode::wrap;
  else
    return ctx.emitError() << "attribute 'mode' must be constant, reflect, "
                              "edge or wrap, got '"
                           << *modeName << "'";
  auto pad = [&](Value source, double fill) {
    return ctx.create<PadOp>(
        source, {ctx.named("mode", PadModeAttr::get(ctx.context(), mode)),
                 ctx.named("pads", ctx.i64s(pads)),
                 ctx.named("value", ctx.builder().getF64FloatAttr(fill))});
  };
  auto padded = pad(*x, value);
  if (failed(padded) || !valueInput || mode != PadMode::constant)
    return ctx.setResult(padded);
  // A fill value computed at run time goes on the border: per padded axis
  // a constant row of booleans (true outside the input's extent), shaped to
  // broadcast along the other axes, or-ed together.
  auto outType = NodeContext::typeOf(*padded);
  Value border;
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t begin = pads[axis], end = pads[axis + rank];
    if (begin <= 0 && end <= 0)
      continue;
    int64_t size = outType.getDimSize(axis), extent = type.getDimSize(axis);
    SmallVector<bool> outside;
    for (int64_t i = 0; i < size; ++i)
      outside.push_back(i - begin < 0 || i - begin >= extent);
    SmallVector<int64_t> shape(rank, 1);
    shape[axis] = size;
    Value row = ctx.constant(DenseElementsAttr::get(
        RankedTensorType::get(shape, ctx.builder().getI1Type()), outside));
    if (!border) {
      border = row;
      continue;
    }
    auto both = ctx.binary(BinaryKind::logical_or, border, row);
    if (failed(both))
      return failure();
    border = *both;
  }
  if (!border)
    return ctx.setResult(padded);
  return ctx.setResult(ctx.create<WhereOp>({border, valueInput, *padded}));
}

/// Trilu: keeps the upper (j >= i + k) or lower (j <= i + k) triangle of
/// the last two dims. With a constant k the mask is a constant; with k
/// computed at run time (a graph input, say) it compares a constant table
/// of j - i with k.
static LogicalResult importTrilu(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto upper = ctx.getInt("upper", 1);
  if (failed(x) || failed(upper))
    return failure();
  auto type = NodeContext::typeOf(*x);
  if (type.getRank() < 2)
    return ctx.emitError() << "expected an input of rank 2 or more";
  int64_t k = 0;
  Value kValue;
  if (ctx.hasInput(1)) {
    auto given = ctx.scalarInput(1, "k");
    if (failed(given))
      return failure();
    if (given->constant)
      k = (int64_t)*given->constant;
    else
      kValue = given->runtime;
  }
  int64_t rows = type.getDimSize(type.getRank() - 2),
          cols = type.getDimSize(type.getRank() - 1);
  Value mask;
  if (!kValue) {
    SmallVector<bool> keep;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        keep.push_back(*upper ? j >= i + k : j <= i + k);
    auto maskType =
        RankedTensorType::get({rows, cols}, ctx.builder().getI1Type());
    mask = ctx.constant(DenseElementsAttr::get(maskType, keep));
  } else {
    SmallVector<int64_t> offsets;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        offsets.push_back(j - i);
    Type i64 = ctx.builder().getI64Type();
    Value table = ctx.constant(DenseElementsAttr::get(
        RankedTensorType::get({rows, cols}, i64), ArrayRef(offsets)));
    auto wide = ctx.cast(kValue, i64);
    if (failed(wide))
      return failure();
    auto compared = ctx.create<CompareOp>(
        {table, *wide},
        {ctx.named("predicate",
                   ComparePredicateAttr::get(ctx.context(),
                                             *upper ? ComparePredicate::ge
                                                    : ComparePredicate::le))});
    if (failed(compared))
      return failure();
    mask = *compared;
  }
  return ctx.setResult(
      ctx.create<WhereOp>({mask, *x, ctx.scalar(0, type.getElementType())}));
}

void kiln::onnx_frontend::registerDataMovementOps(HandlerTable &table) {
  table["Constant"] = importConstant;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Shape"] = importShape;
  table["Size"] = importSize;
  table["Range"] = importRange;
  table["Reshape"] = importReshape;
  table["Flatten"] = importFlatten;
  table["Squeeze"] = importSqueeze;
  table["Unsqueeze"] = importUnsqueeze;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Split"] = importSplit;
  table["Slice"] = importSlice;
  table["Gather"] = importGatherLike<GatherOp>;
  table["GatherElements"] = importGatherLike<GatherElementsOp>;
  table["Expand"] = importExpand;
  table["Tile"] = importTile;
  table["Pad"] = importPad;
  table["Trilu"] = importTrilu;
}
