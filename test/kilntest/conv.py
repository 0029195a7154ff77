"""NumPy references of ONNX's Conv (square pads and strides) and
ConvTranspose (any pads, strides, dilations, output padding and groups),
2-d, NCHW, in the precision of their arguments."""

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


def conv_transpose(x, w, b=None, pads=0, stride=1, dilation=1,
                   output_padding=0, groups=1):
    """ConvTranspose: x [N, C, H, W], w [C, M / groups, kh, kw]; `pads` an
    int or (top, left, bottom, right), `stride`, `dilation` and
    `output_padding` an int or (rows, columns). Each input pixel's window
    of the weights is added into the full output, which the pads crop."""
    def pair(v):
        return (v, v) if np.isscalar(v) else tuple(v)

    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    extra_h, extra_w = pair(output_padding)
    top, left, bottom, right = (pads,) * 4 if np.isscalar(pads) else pads
    n, c, h, width = x.shape
    _, per_group, kh, kw = w.shape
    full_h = (h - 1) * sh + (kh - 1) * dh + 1 + extra_h
    full_w = (width - 1) * sw + (kw - 1) * dw + 1 + extra_w
    full = np.zeros((n, per_group * groups, full_h, full_w))
    inputs = c // groups
    for g in range(groups):
        xg = x[:, g * inputs:(g + 1) * inputs]
        wg = w[g * inputs:(g + 1) * inputs]
        for i in range(kh):
            for j in range(kw):
                full[:, g * per_group:(g + 1) * per_group,
                     i * dh:i * dh + sh * h:sh,
                     j * dw:j * dw + sw * width:sw] += np.einsum(
                         "nchw,cm->nmhw", xg, wg[:, :, i, j])
    y = full[:, :, top:full_h - bottom, left:full_w - right]
    return y if b is None else y + b[None, :, None, None]
