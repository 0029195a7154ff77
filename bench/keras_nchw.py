"""Writes the Keras bench CNN's NCHW twin: the same layers in PyTorch
(test/models/make_zoo.py's MnistCnn) with the Keras weights copied in,
exported to ONNX at each batch size (WORK/cnn_nchw-bB.onnx, with NCHW
inputs WORK/cnn_nchw-bB-input_0.npy). Checks that the twin computes what
the Keras model computes. Runs in Debian's python3 (PyTorch, ONNX).

usage: keras_nchw.py WORK [--batches 1,16]
"""

import argparse
import os

import numpy as np
import torch

from make_zoo import MnistCnn, OPSET


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--batches", default="1,16")
    args = parser.parse_args()
    w = np.load(os.path.join(args.work, "cnn-weights.npz"))
    w = [w[f"arr_{i}"] for i in range(len(w.files))]
    model = MnistCnn().eval()
    with torch.no_grad():
        for conv, (k, b) in zip([model.conv1, model.conv2, model.conv3],
                                [(w[0], w[1]), (w[2], w[3]), (w[4], w[5])]):
            conv.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            conv.bias.copy_(torch.from_numpy(b))
        # Keras flattens (h, w, c), PyTorch (c, h, w).
        fc1 = w[6].reshape(3, 3, 64, 64).transpose(2, 0, 1, 3).reshape(576, 64)
        model.fc1.weight.copy_(torch.from_numpy(fc1.T.copy()))
        model.fc1.bias.copy_(torch.from_numpy(w[7]))
        model.fc2.weight.copy_(torch.from_numpy(w[8].T.copy()))
        model.fc2.bias.copy_(torch.from_numpy(w[9]))
    for batch in map(int, args.batches.split(",")):
        nhwc = np.load(os.path.join(args.work, f"cnn-b{batch}-input_0.npy"))
        nchw = np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))
        np.save(os.path.join(args.work, f"cnn_nchw-b{batch}-input_0.npy"), nchw)
        x = torch.from_numpy(nchw)
        torch.onnx.export(model, (x,), os.path.join(args.work,
                                                    f"cnn_nchw-b{batch}.onnx"),
                          input_names=["image"], output_names=["probabilities"],
                          opset_version=OPSET, do_constant_folding=True)
        with torch.no_grad():
            np.save(os.path.join(args.work, f"cnn_nchw-b{batch}-output.npy"),
                    model(x).numpy())


if __name__ == "__main__":
    main()
