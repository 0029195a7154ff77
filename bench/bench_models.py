"""The bench's real-size models: PyTorch modules with random dense weights,
exported to ONNX on demand and cached (never committed).

usage: bench_models.py OUT_DIR NAME BATCH     (Debian's python3 and torch)

writes OUT_DIR/NAME-bBATCH/{model.onnx, weights.pt, input_K.npy,
output_K.npy}: the outputs are PyTorch's, the reference every engine is
checked against. The torch and torch-compile peers rebuild the module with
torch_module("NAME-bBATCH:OUT_DIR/NAME-bBATCH/weights.pt") and load the
weights, so that every engine runs the same network; for a zoo model the
spec is "zoo:ZOO_DIR:NAME:BATCH" (test/models/make_zoo.py's module).

ResNet-50 and MobileNetV2 follow torchvision's architectures (224x224,
1000 classes); "bert" is a BERT-base-size encoder (12 layers, hidden 768,
12 heads, feed-forward 3072, sequence 128, token and position embeddings
of a 30522-token vocabulary); "lstm_lm" a 2-layer LSTM language model
(vocabulary 10000, hidden 1024, 64 steps); "dcgan" DCGAN's 64x64
generator (100-dim noise, 64 base channels).
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REAL = ["resnet50", "mobilenet_v2", "bert", "lstm_lm", "dcgan"]
OPSET = 17


# -- ResNet-50 (torchvision's bottleneck layout) -------------------------


class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        width, out = planes, planes * 4
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.down = None
        if stride != 1 or inplanes != out:
            self.down = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False),
                                      nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet50(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        layers, inplanes = [], 64
        for planes, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for b in range(blocks):
                layers.append(Bottleneck(inplanes, planes, stride if b == 0 else 1))
                inplanes = planes * 4
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# -- MobileNetV2 (torchvision's inverted residuals) -----------------------


def conv_bn(cin, cout, kernel, stride, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden),
                   conv_bn(hidden, cout, 1, 1, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        layers, cin = [conv_bn(3, 32, 3, 2)], 32
        for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                              (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                              (6, 320, 1, 1)]:
            for r in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if r == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn(cin, 1280, 1, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(1280, classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


# -- BERT-base-size encoder -------------------------------------------------


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads, self.d_head = heads, d // heads
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out = nn.Linear(d, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.d_head).transpose(1, 2)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.d_head)
        attn = torch.matmul(F.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, d)
        x = self.norm1(x + self.out(attn))
        return self.norm2(x + self.ff2(F.gelu(self.ff1(x))))


class BertEncoder(nn.Module):
    def __init__(self, vocab=30522, d=768, layers=12, heads=12, ff=3072, seq=128):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.norm = nn.LayerNorm(d)
        self.layers = nn.Sequential(*[EncoderLayer(d, heads, ff) for _ in range(layers)])

    def forward(self, tokens):
        return self.layers(self.norm(self.tokens(tokens) + self.positions))


# -- LSTM language model and DCGAN ------------------------------------------


class LstmLm(nn.Module):
    def __init__(self, vocab=10000, hidden=1024):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        y, _ = self.lstm(self.embed(tokens))
        return self.head(y)


class Dcgan(nn.Module):
    def __init__(self, nz=100, ngf=64):
        super().__init__()

        def up(cin, cout, stride, pad):
            return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False),
                    nn.BatchNorm2d(cout), nn.ReLU()]
        self.net = nn.Sequential(*up(nz, ngf * 8, 1, 0), *up(ngf * 8, ngf * 4, 2, 1),
                                 *up(ngf * 4, ngf * 2, 2, 1), *up(ngf * 2, ngf, 2, 1),
                                 nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z)


def make(name, batch, rng):
    """(module, input names, inputs) with random weights and inputs."""
    if name == "resnet50":
        return ResNet50(), ["image"], [rng.standard_normal((batch, 3, 224, 224), np.float32)]
    if name == "mobilenet_v2":
        return MobileNetV2(), ["image"], [rng.standard_normal((batch, 3, 224, 224), np.float32)]
    if name == "bert":
        return BertEncoder(), ["tokens"], [rng.integers(0, 30522, (batch, 128), dtype=np.int64)]
    if name == "lstm_lm":
        return LstmLm(), ["tokens"], [rng.integers(0, 10000, (batch, 64), dtype=np.int64)]
    if name == "dcgan":
        return Dcgan(), ["noise"], [rng.standard_normal((batch, 100, 1, 1), np.float32)]
    raise SystemExit(f"bench_models: unknown model {name}")


def randomize(module, generator):
    """Random dense weights: every parameter drawn again, scaled by its fan
    in so that activations stay in range, and batch-norm statistics that
    are not the identity."""
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(max(fan_in, 1)))
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            if isinstance(m, nn.LayerNorm):
                m.weight.fill_(1.0)
                m.bias.zero_()


def torch_module(spec):
    """The module of a spec "NAME-bBATCH:WEIGHTS.pt" or
    "zoo:ZOO_DIR:NAME:BATCH", with its weights."""
    if spec.startswith("zoo:"):
        _, zoo, name, batch = spec.split(":")
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "test", "models"))
        import make_zoo
        torch.manual_seed(0)
        if name == "mnist_cnn":
            module = make_zoo.MnistCnn()
        else:
            module = make_zoo.zoo_entries(int(batch), np.random.default_rng(0))[name]()[0]
        weights = os.path.join(zoo, name, "weights.pt")
        if os.path.exists(weights):
            module.load_state_dict(torch.load(weights))
        return module
    label, weights = spec.split(":", 1)
    name = label.rsplit("-b", 1)[0]
    module = make(name, 1, np.random.default_rng(0))[0]
    module.load_state_dict(torch.load(weights))
    return module


def main():
    out_dir, name, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    folder = os.path.join(out_dir, f"{name}-b{batch}")
    if os.path.exists(os.path.join(folder, ".done")):
        return
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(1)
    module, input_names, inputs = make(name, batch, rng)
    randomize(module, torch.Generator().manual_seed(2))
    module.eval()
    tensors = tuple(torch.from_numpy(a) for a in inputs)
    with torch.no_grad():
        outputs = module(*tensors)
    outputs = (outputs,) if isinstance(outputs, torch.Tensor) else outputs
    torch.onnx.export(module, tensors, os.path.join(folder, "model.onnx"),
                      input_names=input_names,
                      output_names=[f"output_{k}" for k in range(len(outputs))],
                      opset_version=OPSET, do_constant_folding=True)
    torch.save(module.state_dict(), os.path.join(folder, "weights.pt"))
    for k, a in enumerate(inputs):
        np.save(os.path.join(folder, f"input_{k}.npy"), a)
    for k, t in enumerate(outputs):
        np.save(os.path.join(folder, f"output_{k}.npy"), t.numpy())
    open(os.path.join(folder, ".done"), "w").close()
    print(f"{name} b{batch}: {sum(p.numel() for p in module.parameters())} parameters", flush=True)


if __name__ == "__main__":
    main()
