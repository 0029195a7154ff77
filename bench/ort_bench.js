// Times ONNX Runtime (onnxruntime-node, CPU) on one model.
//
// usage: node ort_bench.js MODEL.onnx THREADS RUNS INPUT.npy...
// Prints one JSON line: {"samples_us": [...]} (one entry per timed run,
// after one warm-up run). Inputs are bound to the graph's inputs in order.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

const DTYPES = {
  "<f4": ["float32", Float32Array], "<f8": ["float64", Float64Array],
  "<i8": ["int64", BigInt64Array], "<i4": ["int32", Int32Array],
  "|b1": ["bool", Uint8Array], "|u1": ["uint8", Uint8Array],
};

function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes.toString("latin1", 1, 6) !== "NUMPY")
    throw new Error(`${path}: not a .npy file`);
  const headerLength = bytes[6] === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = bytes[6] === 1 ? 10 : 12;
  const header = bytes.toString("latin1", start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1]
    .split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  if (!(descr in DTYPES) || /'fortran_order':\s*True/.test(header))
    throw new Error(`${path}: unsupported array (${descr})`);
  const [type, Array] = DTYPES[descr];
  const data = bytes.subarray(start + headerLength);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return new ort.Tensor(type, new Array(copy.buffer), shape);
}

async function main() {
  const [model, threads, runs, ...inputs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    executionMode: "sequential", graphOptimizationLevel: "all",
  });
  const feeds = {};
  session.inputNames.forEach((name, i) => { feeds[name] = readNpy(inputs[i]); });
  await session.run(feeds);
  const samples = [];
  for (let i = 0; i < Number(runs); ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  console.log(JSON.stringify({ samples_us: samples }));
}

main().catch((error) => { console.error(`ort_bench: ${error.message}`); process.exit(1); });
