"""Writes Kiln's Keras fixtures: for each model a folder under
test/models/keras holding the model file(s), one input set (input_K.npy)
and Keras' own outputs on it (output_K.npy).

Run it through make_keras_zoo.sh, which makes the venv with the pinned
Keras, TensorFlow and tf-keras. `--dialect keras3` (Keras 3: `model.keras`
and the legacy `model.h5` it writes) and `--dialect tf2` (tf.keras 2 via
tf-keras: `model.h5` in the Keras 2 config dialect, into `<name>/tf2`) are
separate runs, since one process holds one Keras.

usage: make_keras_zoo.py --dialect keras3|tf2 [--out DIR] [--keras-only]
                         [NAME ...]
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np

BATCH = 2
SEED = 1234


def load_keras(dialect):
    if dialect == "tf2":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as keras
    else:
        import keras
    return keras


def rng(name):
    """A generator seeded by the name, the same in every run."""
    return np.random.default_rng(sum(map(ord, name)) * 7919 + SEED)


def images(r, shape, low=0.0, high=1.0):
    return r.uniform(low, high, size=(BATCH, *shape)).astype(np.float32)


def padded_ids(r, length, vocab, lengths):
    """Token ids 1..vocab-1, padded with 0 at the end to each length."""
    ids = r.integers(1, vocab, size=(BATCH, length)).astype(np.int32)
    for b, n in enumerate(lengths):
        ids[b, n:] = 0
    return ids


def randomize_bn(model, r):
    """Non-trivial moving statistics (and gamma/beta) for every BN."""
    for layer in iter_layers(model):
        if type(layer).__name__ == "BatchNormalization":
            weights = layer.get_weights()
            names = [v.name for v in layer.weights]
            out = []
            for name, w in zip(names, weights):
                if "moving_variance" in name:
                    out.append(r.uniform(0.5, 2.0, w.shape).astype(np.float32))
                elif "moving_mean" in name:
                    out.append(r.normal(0, 0.5, w.shape).astype(np.float32))
                elif "gamma" in name:
                    out.append(r.uniform(0.5, 1.5, w.shape).astype(np.float32))
                else:
                    out.append(r.normal(0, 0.2, w.shape).astype(np.float32))
            layer.set_weights(out)


def randomize_biases(model, r):
    """Non-zero biases, so that a dropped bias shows."""
    for layer in iter_layers(model):
        for v in layer.weights:
            if v.name.split("/")[-1].split(":")[0] == "bias":
                v.assign(r.normal(0, 0.1, v.shape).astype(np.float32))


def iter_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from iter_layers(layer)
        for attr in ("layer", "forward_layer", "backward_layer"):
            inner = getattr(layer, attr, None)
            if inner is not None and inner is not layer:
                yield inner


# ---------------------------------------------------------------------------
# The models. Each takes (keras, dialect) and returns (model, [inputs]).
# ---------------------------------------------------------------------------


def cnn(k, d):
    """Keras' MNIST CNN."""
    L = k.layers
    m = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dense(10, activation="softmax"),
    ])
    return m, [images(rng("cnn"), (28, 28, 1))]


def embedding_input(k, d, length):
    return k.Input((length,), dtype="int32", name="tokens")


def rnn(cell):
    def build(k, d):
        L = k.layers
        vocab, length = 60, 50
        m = k.Sequential([
            embedding_input(k, d, length),
            L.Embedding(vocab, 16),
            getattr(L, cell)(24, return_sequences=True),
            L.Dense(5, activation="softmax"),
        ])
        r = rng(cell)
        return m, [r.integers(0, vocab, (BATCH, length)).astype(np.int32)]
    return build


def bilstm_mask(k, d):
    """Bidirectional LSTM over a masked (padded at the end) sequence."""
    L = k.layers
    vocab, length = 40, 12
    m = k.Sequential([
        embedding_input(k, d, length),
        L.Embedding(vocab, 8, mask_zero=True),
        L.Bidirectional(L.LSTM(10, return_sequences=True)),
        L.Dense(4),
    ])
    return m, [padded_ids(rng("bilstm"), length, vocab, [12, 7])]


def gru_mask(k, d):
    """GRU over a masked sequence, last state and all steps."""
    L = k.layers
    vocab, length = 40, 10
    ids = embedding_input(k, d, length)
    e = L.Embedding(vocab, 8, mask_zero=True)(ids)
    seq = L.GRU(6, return_sequences=True)(e)
    last = L.LSTM(5)(e)
    m = k.Model(ids, [seq, last])
    return m, [padded_ids(rng("grumask"), length, vocab, [10, 4])]


def sequence_open(k, d):
    """Token ids of any length (Input((None,))): a bidirectional GRU, then
    self-attention with a residual and a layer norm, a tag per token."""
    L = k.layers
    vocab = 60
    ids = k.Input((None,), dtype="int32", name="tokens")
    e = L.Embedding(vocab, 16)(ids)
    h = L.Bidirectional(L.GRU(8, return_sequences=True))(e)
    a = L.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    h = L.LayerNormalization()(L.Add()([h, a]))
    m = k.Model(ids, L.Dense(5)(h))
    return m, [rng("sequence").integers(0, vocab, (BATCH, 9)).astype(np.int32)]


def text_pooling(k, d):
    """A text classifier over token ids of any length (Input((None,))):
    the averages and maxima of the embedded tokens over the sequence
    (GlobalAveragePooling1D, GlobalMaxPooling1D), attention pooling (a
    softmax over the sequence weighting the tokens), and the average of the
    non-padding tokens only (Embedding(mask_zero=True))."""
    L = k.layers
    vocab = 50
    ids = k.Input((None,), dtype="int32", name="tokens")
    h = L.Dense(12, activation="tanh")(L.Embedding(vocab, 8)(ids))
    weights = L.Softmax(axis=1)(L.Dense(1)(h))
    attended = L.GlobalAveragePooling1D()(L.Multiply()([h, weights]))
    pooled = L.Concatenate()([L.GlobalAveragePooling1D()(h),
                              L.GlobalMaxPooling1D()(h), attended])
    masked = L.GlobalAveragePooling1D()(L.Embedding(vocab, 6,
                                                    mask_zero=True)(ids))
    m = k.Model(ids, [L.Dense(3)(pooled), masked])
    return m, [padded_ids(rng("text"), 11, vocab, [11, 6])]


def text_cnn(k, d):
    """A convolutional text classifier over token ids of any length:
    Conv1D over the embedded tokens (`same`, then `causal` with a
    dilation), the maximum over the sequence, a Dense."""
    L = k.layers
    vocab = 40
    ids = k.Input((None,), dtype="int32", name="tokens")
    h = L.Conv1D(10, 3, padding="same", activation="relu")(
        L.Embedding(vocab, 8)(ids))
    h = L.Conv1D(6, 2, padding="causal", dilation_rate=2)(h)
    m = k.Model(ids, L.Dense(2)(L.GlobalMaxPooling1D()(h)))
    return m, [rng("textcnn").integers(0, vocab, (BATCH, 13)).astype(np.int32)]


def vae(k, d):
    """The convolutional VAE: Model(x, decoder(encoder(x)))."""
    L = k.layers
    encoder = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(32, activation="tanh"),
    ], name="encoder")
    decoder = k.Sequential([
        k.Input((32,)),
        L.Dense(64 * 4 * 4, activation="tanh"),
        L.Reshape((4, 4, 64)),
        L.Conv2DTranspose(64, (3, 3), strides=1, padding="same"),
        L.Conv2DTranspose(32, (3, 3), strides=2, padding="same"),
        L.Conv2DTranspose(1, (3, 3), strides=2, padding="same"),
    ], name="decoder")
    x = k.Input((28, 28, 1), name="image")
    m = k.Model(x, decoder(encoder(x)), name="vae")
    return m, [images(rng("vae"), (28, 28, 1))]


def gan_generator(k, d):
    """The GAN generator's structure at a fixture-sized width (the bench
    builds the full-size one)."""
    L = k.layers
    layers = [k.Input((100,)), L.Dense(32, activation="relu"),
              L.BatchNormalization(momentum=0.8), L.LeakyReLU()]
    for units in (64, 128, 4 * 4 * 32):
        layers += [L.Dense(units), L.BatchNormalization(momentum=0.8),
                   L.LeakyReLU()]
    layers.append(L.Reshape((4, 4, 32)))
    for filters in (16, 8):
        layers += [L.Conv2DTranspose(filters, (4, 4), strides=2,
                                     padding="same"),
                   L.BatchNormalization(momentum=0.8), L.LeakyReLU()]
    layers.append(L.Conv2DTranspose(3, (4, 4), strides=2, padding="same"))
    m = k.Sequential(layers)
    r = rng("gen")
    return m, [r.normal(0, 1, (BATCH, 100)).astype(np.float32)]


def gan_discriminator(k, d):
    """The GAN discriminator at half width."""
    L = k.layers
    m = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(32, (4, 4), strides=2, padding="same"),
        L.LeakyReLU(),
        L.Dropout(0.3),
        L.Conv2D(64, (4, 4), strides=2, padding="same"),
        L.LeakyReLU(),
        L.Dropout(0.3),
        L.Flatten(),
        L.Dense(1, activation="sigmoid"),
    ])
    return m, [images(rng("disc"), (28, 28, 1), -1, 1)]


def transformer(k, d):
    """A transformer encoder block over padded tokens: the padding mask
    reaches the attention (Embedding(mask_zero=True))."""
    L = k.layers
    vocab, length, dim = 50, 10, 16
    ids = embedding_input(k, d, length)
    x = L.Embedding(vocab, dim, mask_zero=True)(ids)
    a = L.MultiHeadAttention(num_heads=4, key_dim=4)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, a]))
    f = L.Dense(32, activation="gelu")(x)
    f = L.Dense(dim)(f)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, f]))
    pooled = L.GlobalAveragePooling1D()(x)
    out = L.Dense(3, activation="softmax")(pooled)
    m = k.Model(ids, [out, x])
    return m, [padded_ids(rng("transformer"), length, vocab, [10, 6])]


def attention_masks(k, d):
    """MultiHeadAttention with an explicit attention_mask and with a causal
    mask, cross-attention with a separate key, and the Attention layer."""
    L = k.layers
    q = k.Input((6, 8), name="query")
    v = k.Input((5, 8), name="value")
    mask = k.Input((6, 5), name="mask")
    a = L.MultiHeadAttention(2, 3, value_dim=5)(q, v, v, attention_mask=mask)
    c = L.MultiHeadAttention(2, 4)(q, q, use_causal_mask=True)
    s = L.Attention(use_scale=True)([q, v])
    m = k.Model([q, v, mask], [a, c, s])
    r = rng("attn")
    mk = (r.uniform(size=(BATCH, 6, 5)) > 0.3).astype(np.float32)
    mk[:, :, 0] = 1
    return m, [r.normal(size=(BATCH, 6, 8)).astype(np.float32),
               r.normal(size=(BATCH, 5, 8)).astype(np.float32), mk]


def distmult(k, d):
    """DistMult: sum(h * r * t) over embedding lookups."""
    L = k.layers
    h = k.Input((1,), dtype="int32", name="head")
    rel = k.Input((1,), dtype="int32", name="relation")
    t = k.Input((1,), dtype="int32", name="tail")
    ent = L.Embedding(30, 12, name="entities")
    rels = L.Embedding(5, 12, name="relations")
    hr = L.Multiply()([L.Flatten()(ent(h)), L.Flatten()(rels(rel))])
    score = L.Dot(axes=1)([hr, L.Flatten()(ent(t))])
    m = k.Model([h, rel, t], score)
    r = rng("distmult")
    return m, [r.integers(0, 30, (BATCH, 1)).astype(np.int32),
               r.integers(0, 5, (BATCH, 1)).astype(np.int32),
               r.integers(0, 30, (BATCH, 1)).astype(np.int32)]


def transe(k, d):
    """TransE: -||h + r - t||, the norm from Keras ops (Keras 3 only)."""
    L = k.layers
    ops = k.ops
    h = k.Input((1,), dtype="int32", name="head")
    rel = k.Input((1,), dtype="int32", name="relation")
    t = k.Input((1,), dtype="int32", name="tail")
    ent = L.Embedding(30, 12, name="entities")
    rels = L.Embedding(5, 12, name="relations")
    diff = L.Subtract()([L.Add()([ent(h), rels(rel)]), ent(t)])
    score = ops.negative(ops.sqrt(ops.sum(ops.square(diff), axis=-1)))
    m = k.Model([h, rel, t], score)
    r = rng("transe")
    return m, [r.integers(0, 30, (BATCH, 1)).astype(np.int32),
               r.integers(0, 5, (BATCH, 1)).astype(np.int32),
               r.integers(0, 30, (BATCH, 1)).astype(np.int32)]


ACTIVATIONS = ["relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax",
               "log_softmax", "softplus", "softsign", "selu", "elu", "gelu",
               "silu", "swish", "hard_silu", "mish", "exponential", "linear",
               "leaky_relu"]
TF2_ACTIVATIONS = ["relu", "sigmoid", "hard_sigmoid", "tanh", "softmax",
                   "softplus", "softsign", "selu", "elu", "gelu", "swish",
                   "exponential", "linear"]


def activations(k, d):
    """Every built-in activation string, one Activation layer each, plus
    the activation layers with their options."""
    L = k.layers
    x = k.Input((4, 6), name="x")
    names = ACTIVATIONS if d == "keras3" else TF2_ACTIVATIONS
    outs = [L.Activation(n, name=f"act_{n}")(x) for n in names]
    outs.append(L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(x))
    outs.append(L.ReLU(max_value=1.5)(x))
    outs.append(L.LeakyReLU()(x))
    outs.append(L.PReLU(shared_axes=[1])(x))
    outs.append(L.ELU(alpha=0.7)(x))
    outs.append(L.Softmax(axis=1)(x))
    m = k.Model(x, outs)
    for layer in m.layers:
        if type(layer).__name__ == "PReLU":
            w = layer.get_weights()[0]
            layer.set_weights([rng("prelu").uniform(0.05, 0.5, w.shape)
                               .astype(np.float32)])
    return m, [rng("act").normal(0, 2, (BATCH, 4, 6)).astype(np.float32)]


def convolutions(k, d):
    """Convolution options: strides, dilation, groups, same/valid/causal,
    depthwise, separable, transposed with output_padding,
    and 1-D and 3-D ones."""
    L = k.layers
    img = k.Input((9, 10, 4), name="image")
    seq = k.Input((11, 3), name="sequence")
    vol = k.Input((5, 6, 4, 2), name="volume")
    a = L.Conv2D(6, (3, 2), strides=(2, 1), padding="same", use_bias=True,
                 activation="tanh")(img)
    b = L.Conv2D(4, 3, dilation_rate=2, groups=2, padding="valid")(img)
    c = L.Conv2D(5, 3, padding="same")(L.Permute((2, 1, 3))(img))
    e = L.DepthwiseConv2D(3, depth_multiplier=2, strides=2,
                          padding="same")(img)
    f = L.SeparableConv2D(7, 3, depth_multiplier=2, activation="relu")(img)
    g = L.Conv2DTranspose(3, 3, strides=2, padding="valid",
                          output_padding=1)(img)
    h = L.Conv2DTranspose(3, 5, strides=3, padding="same")(img)
    i = L.Conv1D(4, 3, padding="causal", dilation_rate=2)(seq)
    j = L.Conv1D(4, 4, strides=2, padding="same")(seq)
    v = L.Conv3D(3, (2, 3, 2), padding="same")(vol)
    m = k.Model([img, seq, vol], [a, b, c, e, f, g, h, i, j, v])
    r = rng("conv")
    return m, [r.normal(size=(BATCH, 9, 10, 4)).astype(np.float32),
               r.normal(size=(BATCH, 11, 3)).astype(np.float32),
               r.normal(size=(BATCH, 5, 6, 4, 2)).astype(np.float32)]


def pooling_reshape(k, d):
    """Pooling (same/valid, averages without the padded cells), global
    pooling with keepdims, padding, cropping, upsampling, Flatten, Reshape,
    Permute, RepeatVector, Concatenate and BN on another axis."""
    L = k.layers
    img = k.Input((7, 9, 3), name="image")
    vec = k.Input((5,), name="vector")
    p1 = L.MaxPooling2D(3, strides=2, padding="same")(img)
    p2 = L.AveragePooling2D(3, strides=2, padding="same")(img)
    p3 = L.AveragePooling2D(2)(img)
    g1 = L.GlobalAveragePooling2D(keepdims=True)(img)
    g2 = L.GlobalMaxPooling2D()(img)
    z = L.ZeroPadding2D(((1, 2), (0, 1)))(img)
    cr = L.Cropping2D(((1, 0), (2, 3)))(img)
    u1 = L.UpSampling2D(2)(img)
    u2 = L.UpSampling2D((2, 3), interpolation="bilinear")(img)
    cat = L.Concatenate(axis=-1)([L.Conv2D(2, 1)(img), L.Conv2D(3, 1)(img)])
    flat = L.Flatten()(L.Conv2D(2, 3)(img))
    dense = L.Dense(4)(flat)
    rs = L.Reshape((3, -1))(L.Flatten()(img))
    pm = L.Permute((2, 1))(rs)
    rv = L.RepeatVector(3)(vec)
    bn = L.BatchNormalization(axis=1)(img)
    pool1 = L.MaxPooling1D(2)(rs)
    gap1 = L.GlobalAveragePooling1D()(rs)
    m = k.Model([img, vec], [p1, p2, p3, g1, g2, z, cr, u1, u2, cat, dense,
                             pm, rv, bn, pool1, gap1])
    r = rng("pool")
    return m, [r.normal(size=(BATCH, 7, 9, 3)).astype(np.float32),
               r.normal(size=(BATCH, 5)).astype(np.float32)]


def normalization(k, d):
    """BatchNormalization (channels-last, center/scale off), layer and unit
    normalization, Rescaling and Normalization, the merges."""
    L = k.layers
    img = k.Input((5, 5, 4), name="image")
    x = k.Input((3, 8), name="x")
    y = k.Input((3, 8), name="y")
    b1 = L.BatchNormalization()(L.Conv2D(4, 3)(img))
    b2 = L.BatchNormalization(center=False, scale=False, epsilon=0.01)(img)
    ln = L.LayerNormalization(axis=[1, 2])(x)
    ln2 = L.LayerNormalization(center=False)(x)
    outs = [b1, b2, ln, ln2]
    if d == "keras3":
        outs.append(L.UnitNormalization()(x))
    outs.append(L.Rescaling(1 / 127.5, offset=-1)(img))
    outs.append(L.Normalization(mean=[1.0, 2.0, 3.0, 4.0],
                                variance=[1.0, 4.0, 0.25, 2.0])(img))
    for merge in ("Add", "Subtract", "Multiply", "Average", "Maximum",
                  "Minimum"):
        outs.append(getattr(L, merge)()([x, y]))
    outs.append(L.Concatenate(axis=1)([x, y]))
    outs.append(L.Dot(axes=(2, 2))([x, y]))
    outs.append(L.Dot(axes=2, normalize=True)([x, y]))
    m = k.Model([img, x, y], outs)
    r = rng("norm")
    return m, [r.normal(size=(BATCH, 5, 5, 4)).astype(np.float32),
               r.normal(size=(BATCH, 3, 8)).astype(np.float32),
               r.normal(size=(BATCH, 3, 8)).astype(np.float32)]


def recurrent(k, d):
    """Recurrent options: SimpleRNN, GRU with reset_after false,
    go_backwards, return_state, Bidirectional merge modes, TimeDistributed,
    time_major-free stacks."""
    L = k.layers
    x = k.Input((7, 5), name="x")
    a = L.SimpleRNN(4, return_sequences=True, activation="relu")(x)
    b = L.GRU(3, reset_after=False, return_sequences=True)(x)
    c, ch = L.GRU(4, go_backwards=True, return_state=True)(x)
    dseq, dh, dc = L.LSTM(3, return_sequences=True, return_state=True,
                          go_backwards=True)(x)
    e = L.Bidirectional(L.GRU(3), merge_mode="sum")(x)
    f = L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave")(x)
    g = L.Bidirectional(L.SimpleRNN(2), merge_mode="mul")(x)
    h = L.Bidirectional(L.LSTM(2), merge_mode=None)(x)
    t = L.TimeDistributed(L.Dense(3, activation="relu"))(x)
    l2 = L.LSTM(3, recurrent_activation="hard_sigmoid")(x)
    outs = [a, b, c, ch, dseq, dh, dc, e, f, g, *h, t, l2]
    if d == "tf2":
        # tf.keras' time_major reads dim 0 as time and dim 1 as batch.
        outs.append(L.GRU(3, time_major=True, return_sequences=True)(x))
    m = k.Model(x, outs)
    return m, [rng("rec").normal(size=(BATCH, 7, 5)).astype(np.float32)]


def channels_first(k, d):
    """channels_first convolutions, pooling, batch norm and global pooling
    (TensorFlow runs these only on GPUs: written with the JAX backend)."""
    L = k.layers
    x = k.Input((3, 9, 8), name="image")
    y = L.Conv2D(4, 3, padding="same", data_format="channels_first",
                 activation="relu")(x)
    y = L.MaxPooling2D(2, data_format="channels_first")(y)
    y = L.BatchNormalization(axis=1)(y)
    z = L.AveragePooling2D(2, padding="same", data_format="channels_first")(y)
    t = L.Conv2DTranspose(2, 3, strides=2, data_format="channels_first")(y)
    g = L.GlobalAveragePooling2D(data_format="channels_first")(y)
    m = k.Model(x, [y, z, t, g])
    return m, [rng("cf").normal(size=(BATCH, 3, 9, 8)).astype(np.float32)]


MODELS = {
    "cnn": (cnn, True),
    "gru": (rnn("GRU"), True),
    "lstm": (rnn("LSTM"), True),
    "bilstm_mask": (bilstm_mask, True),
    "gru_mask": (gru_mask, True),
    "sequence_open": (sequence_open, False),
    "text_pooling": (text_pooling, False),
    "text_cnn": (text_cnn, False),
    "vae": (vae, True),
    "gan_generator": (gan_generator, True),
    "gan_discriminator": (gan_discriminator, True),
    "transformer": (transformer, True),
    "attention": (attention_masks, True),
    "distmult": (distmult, True),
    "transe": (transe, False),
    "activations": (activations, True),
    "convolutions": (convolutions, False),
    "pooling_reshape": (pooling_reshape, False),
    "normalization": (normalization, True),
    "recurrent": (recurrent, True),
    "channels_first": (channels_first, False),
}


def input_names(model):
    """The names of the model's InputLayers, as the config holds them."""
    config = model.get_config()
    if "input_layers" in config:
        refs = config["input_layers"]
        if refs and isinstance(refs[0], str):
            refs = [refs]
        return [ref[0] for ref in refs]
    first = config["layers"][0]
    return [first["config"]["name"]]


def as_list(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialect", choices=["keras3", "tf2"],
                        required=True)
    parser.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "keras"))
    parser.add_argument("--keras-only", action="store_true",
                        help="write model.keras only (no legacy .h5)")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    k = load_keras(args.dialect)
    backend = k.backend.backend()
    for name in args.names or MODELS:
        if name == "channels_first" and backend != "jax":
            continue
        build, in_tf2 = MODELS[name]
        if args.dialect == "tf2" and not in_tf2:
            continue
        # Fresh layer names (input_layer, dense, ...) whatever ran before.
        k.backend.clear_session()
        k.utils.set_random_seed(SEED)
        model, inputs = build(k, args.dialect)
        r = rng(name + "-weights")
        randomize_bn(model, r)
        randomize_biases(model, r)
        folder = os.path.join(args.out, name)
        if args.dialect == "tf2":
            folder = os.path.join(folder, "tf2")
        os.makedirs(folder, exist_ok=True)
        for f in os.listdir(folder):
            if f.endswith((".npy", ".keras", ".h5")):
                os.remove(os.path.join(folder, f))
        if args.dialect == "keras3":
            model.save(os.path.join(folder, "model.keras"))
        if not args.keras_only:
            model.save(os.path.join(folder, "model.h5"))
        outputs = as_list(model(inputs if len(inputs) > 1 else inputs[0],
                                training=False))
        for i, x in enumerate(inputs):
            np.save(os.path.join(folder, f"input_{i}.npy"), x)
        for i, y in enumerate(outputs):
            np.save(os.path.join(folder, f"output_{i}.npy"),
                    np.asarray(y, dtype=np.float32))
        with open(os.path.join(folder, "inputs.json"), "w") as f:
            json.dump({"inputs": input_names(model),
                       "version": k.__version__}, f)
            f.write("\n")
        print(f"{args.dialect} {name}: {len(inputs)} inputs, "
              f"{len(outputs)} outputs")


if __name__ == "__main__":
    main()
