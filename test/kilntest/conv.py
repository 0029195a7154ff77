"""NumPy references of ONNX's Conv and ConvTranspose (2-d, NCHW, square
pads and strides), in the precision of their arguments."""

import numpy as np


def conv(x, w, b=None, pads=0, stride=1, dilation=1, groups=1):
    """Conv: x [N, C, H, W], w [M, C / groups, kh, kw]."""
    x = np.pad(x, ((0, 0), (0, 0), (pads, pads), (pads, pads)))
    m, per_group, kh, kw = w.shape
    oh = (x.shape[2] - (kh - 1) * dilation - 1) // stride + 1
    ow = (x.shape[3] - (kw - 1) * dilation - 1) // stride + 1
    y = np.zeros((x.shape[0], m, oh, ow))
    out_group = m // groups
    for g in range(groups):
        xg = x[:, g * per_group:(g + 1) * per_group]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dilation:i * dilation + (oh - 1) * stride + 1:stride,
                           j * dilation:j * dilation + (ow - 1) * stride + 1:stride]
                y[:, g * out_group:(g + 1) * out_group] += np.einsum(
                    "nchw,mc->nmhw", patch,
                    w[g * out_group:(g + 1) * out_group, :, i, j],
                    optimize=True)
    return y if b is None else y + b[None, :, None, None]


def conv_transpose(x, w, b=None, pads=0, stride=1):
    """ConvTranspose without groups: x [N, C, H, W], w [C, M, kh, kw]."""
    n, _, h, width = x.shape
    _, m, kh, kw = w.shape
    full = np.zeros((n, m, (h - 1) * stride + kh, (width - 1) * stride + kw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + (h - 1) * stride + 1:stride,
                 j:j + (width - 1) * stride + 1:stride] += np.einsum(
                     "nchw,cm->nmhw", x, w[:, :, i, j])
    y = full[:, :, pads:full.shape[2] - pads, pads:full.shape[3] - pads]
    return y if b is None else y + b[None, :, None, None]
