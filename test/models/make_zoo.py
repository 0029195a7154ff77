"""Builds Kiln's model zoo: PyTorch modules of the model families Kiln must
compile, exported to ONNX with one input set and PyTorch's outputs.

usage: /usr/bin/python3 test/models/make_zoo.py [--out DIR] [--batch N]
                                                [--only NAME,...]

Needs Debian's python3-torch, python3-onnx, python3-numpy and python3-pil
with fonts-dejavu-core (the MNIST classifier is trained on rendered digits).
For each model NAME it writes DIR/NAME/model.onnx, DIR/NAME/input_K.npy (in
the order of the graph's inputs) and DIR/NAME/output_K.npy (PyTorch's
outputs, in the order of the graph's outputs). With the defaults (DIR is
this script's folder, batch 2) it regenerates the committed files byte for
byte; --batch re-exports the models at another batch size (the benchmark
does this). It also writes examples/mnist_cnn.onnx and examples/digit7.npy
for ./scripts/demo.sh.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# ---------------------------------------------------------------- models --

class MnistCnn(nn.Module):
    """Keras' MNIST example: Conv32-ReLU-Pool, Conv64-ReLU-Pool, Conv64-ReLU,
    Dense64-ReLU, Dense10-softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.fc1 = nn.Linear(64 * 3 * 3, 64)
        self.fc2 = nn.Linear(64, 10)

    def logits(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


class ResNetBlock(nn.Module):
    """A stem convolution, then a basic residual block with batch norm and a
    projection shortcut, global average pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.shortcut = nn.Conv2d(16, 32, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.shortcut_bn(self.shortcut(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class GruClassifier(nn.Module):
    """Embedding + GRU; the last hidden state classifies the sequence."""

    def __init__(self, vocab=500, embed=32, hidden=64, classes=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):
        _, h = self.gru(self.embed(tokens))
        return self.fc(h[-1])


class LstmTagger(nn.Module):
    """Embedding + two-layer bidirectional LSTM; a tag per token."""

    def __init__(self, vocab=500, embed=32, hidden=48, tags=9):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=2, bidirectional=True,
                            batch_first=True)
        self.fc = nn.Linear(2 * hidden, tags)

    def forward(self, tokens):
        y, _ = self.lstm(self.embed(tokens))
        return F.log_softmax(self.fc(y), dim=-1)


class ConvVae(nn.Module):
    """Convolutional VAE on 28x28 images; the noise of the reparameterization
    is an input so that the model is deterministic."""

    def __init__(self, latent=16):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 32, 4, stride=2, padding=1)
        self.enc2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
        self.mu = nn.Linear(64 * 7 * 7, latent)
        self.logvar = nn.Linear(64 * 7 * 7, latent)
        self.dec_fc = nn.Linear(latent, 64 * 7 * 7)
        self.dec1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.dec2 = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)

    def forward(self, x, eps):
        h = F.relu(self.enc2(F.relu(self.enc1(x))))
        h = torch.flatten(h, 1)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        d = F.relu(self.dec_fc(z)).view(-1, 64, 7, 7)
        recon = torch.sigmoid(self.dec2(F.relu(self.dec1(d))))
        return recon, mu, logvar


class DcganGenerator(nn.Module):
    """DCGAN generator: latent vector to a 3x32x32 image."""

    def __init__(self, latent=32, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent, width * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width * 4), nn.ReLU(),
            nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width * 2), nn.ReLU(),
            nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width), nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class DcganDiscriminator(nn.Module):
    """DCGAN discriminator: strided convolutions, LeakyReLU, dropout, dense
    + sigmoid."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Conv2d(width * 2, width * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width * 4), nn.LeakyReLU(0.2))
        self.fc = nn.Linear(width * 4 * 4 * 4, 1)

    def forward(self, image):
        return torch.sigmoid(self.fc(torch.flatten(self.net(image), 1)))


class HandAttentionEncoder(nn.Module):
    """A transformer encoder block written out: multi-head scaled dot-product
    attention with a key padding mask, residuals, layer norm and a GELU
    feed-forward."""

    def __init__(self, d_model=64, heads=4, ff=128):
        super().__init__()
        self.heads, self.d_head = heads, d_model // heads
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, ff)
        self.ff2 = nn.Linear(ff, d_model)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.d_head).transpose(1, 2)

    def forward(self, x, padding_mask):
        b, s, d = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) / (self.d_head ** 0.5)
        scores = scores.masked_fill(padding_mask[:, None, None, :], -1e9)
        attn = torch.matmul(F.softmax(scores, dim=-1), v)
        attn = attn.transpose(1, 2).reshape(b, s, d)
        x = self.norm1(x + self.out(attn))
        return self.norm2(x + self.ff2(F.gelu(self.ff1(x))))


class TorchAttentionEncoder(nn.Module):
    """The same block on nn.MultiheadAttention."""

    def __init__(self, d_model=64, heads=4, ff=128):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, ff)
        self.ff2 = nn.Linear(ff, d_model)

    def forward(self, x, padding_mask):
        a, _ = self.attn(x, x, x, key_padding_mask=padding_mask,
                         need_weights=False)
        x = self.norm1(x + a)
        return self.norm2(x + self.ff2(F.gelu(self.ff1(x))))


class PositionalTagger(nn.Module):
    """Token and learned position embeddings (positions from arange over the
    sequence length, as exporters write Range), one nn.TransformerEncoderLayer,
    a tag per token. Positions up to 256."""

    def __init__(self, vocab=300, d_model=32, heads=4, ff=64, positions=256,
                 tags=6):
        super().__init__()
        self.token = nn.Embedding(vocab, d_model)
        self.position = nn.Embedding(positions, d_model)
        self.encoder = nn.TransformerEncoderLayer(
            d_model, heads, ff, dropout=0.0, batch_first=True)
        self.tags = nn.Linear(d_model, tags)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.token(tokens) + self.position(positions)[None]
        return self.tags(self.encoder(x))


class TransE(nn.Module):
    """TransE: score(h, r, t) = -||e_h + w_r - e_t||_2."""

    def __init__(self, entities=1000, relations=50, dim=64):
        super().__init__()
        self.entity = nn.Embedding(entities, dim)
        self.relation = nn.Embedding(relations, dim)

    def forward(self, head, relation, tail):
        d = self.entity(head) + self.relation(relation) - self.entity(tail)
        return -torch.sqrt(torch.sum(d * d, dim=-1))


class DistMult(nn.Module):
    """DistMult: score(h, r, t) = sum(e_h * w_r * e_t)."""

    def __init__(self, entities=1000, relations=50, dim=64):
        super().__init__()
        self.entity = nn.Embedding(entities, dim)
        self.relation = nn.Embedding(relations, dim)

    def forward(self, head, relation, tail):
        return torch.sum(self.entity(head) * self.relation(relation) *
                         self.entity(tail), dim=-1)


# ------------------------------------------------------- training MNIST --

def render_digits(count, generator):
    """Digits 0-9 drawn in DejaVu fonts with random size, slant, rotation,
    position and stroke width, as 28x28 images in [0, 1] like MNIST."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
    fonts_dir = "/usr/share/fonts/truetype/dejavu"
    faces = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf",
             "DejaVuSansMono.ttf", "DejaVuSans-Oblique.ttf",
             "DejaVuSerif-Bold.ttf"]
    fonts = {}
    images = np.zeros((count, 1, 28, 28), np.float32)
    labels = generator.integers(0, 10, count)
    for i in range(count):
        face = faces[generator.integers(len(faces))]
        size = int(generator.integers(30, 44))
        if (face, size) not in fonts:
            fonts[(face, size)] = ImageFont.truetype(
                os.path.join(fonts_dir, face), size)
        canvas = Image.new("L", (64, 64), 0)
        draw = ImageDraw.Draw(canvas)
        draw.text((32, 32), str(labels[i]), fill=255, anchor="mm",
                  font=fonts[(face, size)],
                  stroke_width=int(generator.integers(0, 3)), stroke_fill=255)
        canvas = canvas.rotate(float(generator.uniform(-15, 15)),
                               resample=Image.BILINEAR)
        dx, dy = generator.integers(-3, 4, 2)
        canvas = canvas.resize((28, 28), Image.BILINEAR,
                               box=(dx + 6, dy + 6, dx + 58, dy + 58))
        canvas = canvas.filter(ImageFilter.GaussianBlur(0.5))
        images[i, 0] = np.asarray(canvas, np.float32) / 255.0
    return images, labels


def train_mnist(model):
    generator = np.random.default_rng(7)
    images, labels = render_digits(12000, generator)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for epoch in range(3):
        order = torch.from_numpy(generator.permutation(len(x)))
        for start in range(0, len(x), 100):
            batch = order[start:start + 100]
            loss = F.cross_entropy(model.logits(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    test_images, test_labels = render_digits(1000, generator)
    model.eval()
    with torch.no_grad():
        predicted = model.logits(torch.from_numpy(test_images)).argmax(1).numpy()
    accuracy = float((predicted == test_labels).mean())
    print(f"mnist_cnn: accuracy on 1000 new rendered digits {accuracy:.3f}")
    sample = test_images[np.flatnonzero(test_labels == 7)[0]][None]
    return sample


# ------------------------------------------------------------- building --

def randomize_batch_norms(model, generator):
    """Gives every batch norm running statistics and an affine transform far
    from the identity, so that the tests see them."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.from_numpy(
                generator.normal(0, 0.5, n).astype(np.float32)))
            module.running_var.copy_(torch.from_numpy(
                generator.uniform(0.5, 2.0, n).astype(np.float32)))
            module.weight.data.copy_(torch.from_numpy(
                generator.uniform(0.5, 1.5, n).astype(np.float32)))
            module.bias.data.copy_(torch.from_numpy(
                generator.normal(0, 0.2, n).astype(np.float32)))


def padding_mask(batch, seq):
    """Sequence b of the batch has its last (b % 3) * 2 positions padded."""
    mask = np.zeros((batch, seq), bool)
    for b in range(batch):
        pad = (b % 3) * 2
        if pad:
            mask[b, seq - pad:] = True
    return mask


def zoo_entries(batch, generator, seq=16, length=None):
    """name -> a function building (module, input names, inputs, output
    names) for that model, drawing inputs from `generator`. The sequences
    of the recurrent models have 12 (GRU) and 10 (LSTM) positions, those of
    the attention models `seq`; `length` sets all four."""
    def normal(*shape):
        return generator.normal(0, 1, shape).astype(np.float32)

    def tokens(vocab, *shape):
        return generator.integers(0, vocab, shape).astype(np.int64)

    def triples():
        n = batch * 4
        return [tokens(1000, n), tokens(50, n), tokens(1000, n)]

    return {
        "resnet_block": lambda: (
            ResNetBlock(), ["image"], [normal(batch, 3, 32, 32)], ["logits"]),
        "gru_classifier": lambda: (
            GruClassifier(), ["tokens"], [tokens(500, batch, length or 12)],
            ["logits"]),
        "lstm_tagger": lambda: (
            LstmTagger(), ["tokens"], [tokens(500, batch, length or 10)],
            ["tag_log_probs"]),
        "conv_vae": lambda: (
            ConvVae(), ["image", "noise"],
            [generator.uniform(0, 1, (batch, 1, 28, 28)).astype(np.float32),
             normal(batch, 16)], ["reconstruction", "mu", "log_variance"]),
        "dcgan_generator": lambda: (
            DcganGenerator(), ["latent"], [normal(batch, 32, 1, 1)], ["image"]),
        "dcgan_discriminator": lambda: (
            DcganDiscriminator(), ["image"], [np.tanh(normal(batch, 3, 32, 32))],
            ["real_probability"]),
        "attention_encoder": lambda: (
            HandAttentionEncoder(), ["x", "padding_mask"],
            [normal(batch, length or seq, 64),
             padding_mask(batch, length or seq)], ["y"]),
        "mha_encoder": lambda: (
            TorchAttentionEncoder(), ["x", "padding_mask"],
            [normal(batch, length or seq, 64),
             padding_mask(batch, length or seq)], ["y"]),
        "transe": lambda: (
            TransE(), ["head", "relation", "tail"], triples(), ["score"]),
        "distmult": lambda: (
            DistMult(), ["head", "relation", "tail"], triples(), ["score"]),
    }


SAVE_WEIGHTS = False


def export(name, model, input_names, inputs, output_names, out_dir):
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    tensors = tuple(torch.from_numpy(a) for a in inputs)
    with torch.no_grad():
        outputs = model(*tensors)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    torch.onnx.export(model, tensors, os.path.join(folder, "model.onnx"),
                      input_names=input_names, output_names=output_names,
                      opset_version=OPSET, do_constant_folding=True)
    for k, a in enumerate(inputs):
        np.save(os.path.join(folder, f"input_{k}.npy"), a)
    for k, t in enumerate(outputs):
        np.save(os.path.join(folder, f"output_{k}.npy"), t.numpy())
    if SAVE_WEIGHTS:
        torch.save(model.state_dict(), os.path.join(folder, "weights.pt"))
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")


# The open dims of the dynamic zoo: each input's axes by name. The batch
# (for the scorers, the number of triples) everywhere; the sequence length
# of the recurrent and attention models too.
DYNAMIC_AXES = {
    "gru_classifier": {"tokens": {0: "batch", 1: "seq"}},
    "lstm_tagger": {"tokens": {0: "batch", 1: "seq"}},
    "attention_encoder": {"x": {0: "batch", 1: "seq"},
                          "padding_mask": {0: "batch", 1: "seq"}},
    "mha_encoder": {"x": {0: "batch", 1: "seq"},
                    "padding_mask": {0: "batch", 1: "seq"}},
    "positional_tagger": {"tokens": {0: "batch", 1: "seq"}},
    "transe": {n: {0: "triples"} for n in ("head", "relation", "tail")},
    "distmult": {n: {0: "triples"} for n in ("head", "relation", "tail")},
}
DYNAMIC_BATCHES = (1, 3, 16)
# The sequence lengths the recurrent and attention models are also run at
# (batch 3): input_K_b3_sL.npy, output_K_b3_sL.npy.
DYNAMIC_LENGTHS = (7, 40, 97)
SEQUENCE_MODELS = ("gru_classifier", "lstm_tagger", "attention_encoder",
                   "mha_encoder", "positional_tagger")


def export_dynamic(name, make, out_dir):
    """Exports `name` with open dims, then saves PyTorch's outputs for the
    inputs of each batch size in DYNAMIC_BATCHES (input_K_bN.npy,
    output_K_bN.npy). `make(batch)` gives the module, input and output
    names and the inputs for `batch` samples (4 triples per sample for the
    scorers)."""
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    model, input_names, inputs, output_names = make(2)
    model.eval()
    axes = dict(DYNAMIC_AXES.get(name, {n: {0: "batch"} for n in input_names}))
    # Outputs hold the samples on their first axis, except the tagger's,
    # which holds them on its first too ([batch, seq, tags]).
    first = next(iter(axes.values()))[0]
    for out in output_names:
        axes[out] = {0: first}
    if name in ("lstm_tagger", "attention_encoder", "mha_encoder",
                "positional_tagger"):
        for out in output_names:
            axes[out] = {0: "batch", 1: "seq"}
    tensors = tuple(torch.from_numpy(a) for a in inputs)
    torch.onnx.export(model, tensors, os.path.join(folder, "model.onnx"),
                      input_names=input_names, output_names=output_names,
                      opset_version=OPSET, do_constant_folding=True,
                      dynamic_axes=axes)
    with open(os.path.join(folder, "inputs.json"), "w") as f:
        json.dump({"inputs": input_names}, f)
        f.write("\n")
    # The inputs and PyTorch's outputs of each batch size (suffix _bN) and,
    # for the sequence models, of each length at batch 3 (_b3_sL).
    runs = [(f"_b{batch}", make(batch)) for batch in DYNAMIC_BATCHES]
    runs += [(f"_b3_s{length}", make(3, length))
             for length in (DYNAMIC_LENGTHS if name in SEQUENCE_MODELS
                            else ())]
    for suffix, (_, _, inputs, _) in runs:
        with torch.no_grad():
            outputs = model(*(torch.from_numpy(a) for a in inputs))
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        for k, a in enumerate(inputs):
            np.save(os.path.join(folder, f"input_{k}{suffix}.npy"), a)
        for k, t in enumerate(outputs):
            np.save(os.path.join(folder, f"output_{k}{suffix}.npy"),
                    t.numpy())
    print(f"{name}: dynamic, batches {DYNAMIC_BATCHES}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--seq", type=int, default=16,
                        help="sequence length of the attention models")
    parser.add_argument("--dynamic", action="store_true",
                        help="export with open dims into DIR (default: "
                        "dynamic/) and save outputs at batches 1, 3, 16")
    parser.add_argument("--save-weights", action="store_true",
                        help="also save each module's weights as weights.pt "
                        "(for the bench's PyTorch peers)")
    args = parser.parse_args()
    global SAVE_WEIGHTS
    SAVE_WEIGHTS = args.save_weights
    only = set(filter(None, args.only.split(",")))
    if args.dynamic:
        return main_dynamic(args, only)

    torch.set_num_threads(1)
    # Each model's weights come from its own seed, so --only does not change
    # them.
    if not only or "mnist_cnn" in only:
        torch.manual_seed(1)
        mnist = MnistCnn()
        sample = train_mnist(mnist)
        generator = np.random.default_rng(11)
        images = np.concatenate(
            [sample, generator.uniform(0, 1, (args.batch - 1, 1, 28, 28))
             .astype(np.float32)]) if args.batch > 1 else sample
        export("mnist_cnn", mnist, ["image"], [images], ["probabilities"],
               args.out)
        if args.out == HERE and args.batch == 2:
            # The demo's model takes one image: the rendered 7.
            examples = os.path.join(ROOT, "examples")
            torch.onnx.export(mnist, (torch.from_numpy(sample),),
                              os.path.join(examples, "mnist_cnn.onnx"),
                              input_names=["image"],
                              output_names=["probabilities"],
                              opset_version=OPSET, do_constant_folding=True)
            np.save(os.path.join(examples, "digit7.npy"), sample)

    names = list(zoo_entries(args.batch, None))
    for seed, name in enumerate(names, start=100):
        if only and name not in only:
            continue
        torch.manual_seed(seed)
        generator = np.random.default_rng(seed)
        model, input_names, inputs, output_names = \
            zoo_entries(args.batch, generator, args.seq)[name]()
        randomize_batch_norms(model, generator)
        export(name, model, input_names, inputs, output_names, args.out)
    return 0


def main_dynamic(args, only):
    torch.set_num_threads(1)
    out = args.out if args.out != HERE else os.path.join(HERE, "dynamic")
    if not only or "mnist_cnn" in only:
        torch.manual_seed(1)
        mnist = MnistCnn()
        train_mnist(mnist)

        def make_mnist(batch):
            generator = np.random.default_rng(11 + batch)
            images = generator.uniform(0, 1, (batch, 1, 28, 28))
            return mnist, ["image"], [images.astype(np.float32)], \
                ["probabilities"]
        export_dynamic("mnist_cnn", make_mnist, out)
    names = list(zoo_entries(2, None))
    for seed, name in enumerate(names, start=100):
        if only and name not in only:
            continue
        torch.manual_seed(seed)
        generator = np.random.default_rng(seed)
        model, _, _, _ = zoo_entries(2, generator, args.seq)[name]()
        randomize_batch_norms(model, generator)

        def make(batch, length=None, model=model, name=name, seed=seed):
            g = np.random.default_rng(seed * 100 + batch + (length or 0))
            _, input_names, inputs, output_names = \
                zoo_entries(batch, g, args.seq, length)[name]()
            return model, input_names, inputs, output_names
        export_dynamic(name, make, out)
    # Dynamic only: a transformer whose positions come from the length.
    if not only or "positional_tagger" in only:
        torch.manual_seed(200)
        tagger = PositionalTagger()

        def make_tagger(batch, length=None):
            generator = np.random.default_rng(20000 + batch + (length or 0))
            tokens = generator.integers(0, 300, (batch, length or 12))
            return tagger, ["tokens"], [tokens.astype(np.int64)], \
                ["tag_logits"]
        export_dynamic("positional_tagger", make_tagger, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
