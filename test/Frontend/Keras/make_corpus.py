"""Writes malformed and unsupported Keras model files into DIR, made from
the Keras fixtures (test/models/keras) with the standard library only: zip
entries rewritten, configs edited, files cut short.

usage: make_corpus.py FIXTURES_DIR OUT_DIR
"""

import copy
import io
import json
import os
import sys
import zipfile


def read_keras(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def with_config(entries, edit):
    config = json.loads(entries["config.json"])
    edit(config)
    out = dict(entries)
    out["config.json"] = json.dumps(config)
    return out


def layers_of(config):
    return config["config"]["layers"]


def main():
    fixtures, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    cnn = read_keras(os.path.join(fixtures, "cnn", "model.keras"))
    disc = read_keras(os.path.join(fixtures, "gan_discriminator",
                                   "model.keras"))
    func = read_keras(os.path.join(fixtures, "gru_mask", "model.keras"))
    cnn_h5 = open(os.path.join(fixtures, "cnn", "model.h5"), "rb").read()
    cnn_bytes = open(os.path.join(fixtures, "cnn", "model.keras"), "rb").read()

    def save(name, entries, **kw):
        write_zip(os.path.join(out, name), entries, **kw)

    def raw(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    # Containers.
    raw("truncated.keras", cnn_bytes[: len(cnn_bytes) // 2])
    raw("truncated.h5", cnn_h5[: len(cnn_h5) // 2])
    raw("header-only.h5", cnn_h5[:64])
    raw("garbage.keras", b"PK\x03\x04" + b"\x00" * 200)
    raw("not-a-model.keras", b"hello, world\n" * 10)
    raw("weights-only.h5", cnn["model.weights.h5"])
    traversal = dict(cnn)
    traversal["../outside.txt"] = b"x"
    save("traversal.keras", traversal)
    absolute = dict(cnn)
    absolute["/etc/kiln"] = b"x"
    save("absolute.keras", absolute)
    npz = {k: v for k, v in cnn.items() if k != "model.weights.h5"}
    npz["model.weights.npz"] = b"\x93NUMPY pickled"
    save("npz-weights.keras", npz)
    save("no-config.keras", {k: v for k, v in cnn.items()
                             if k != "config.json"})
    save("no-weights.keras", {k: v for k, v in cnn.items()
                              if k != "model.weights.h5"})
    # 100 MB of config that deflates to little: refused by its size.
    bomb = dict(cnn)
    bomb["config.json"] = b" " * (100 << 20)
    save("bomb.keras", bomb, compression=zipfile.ZIP_DEFLATED)
    bad_weights = dict(cnn)
    bad_weights["model.weights.h5"] = b"\x89HDF\r\n\x1a\n" + b"\xff" * 500
    save("bad-weights.keras", bad_weights)

    # Configs.
    bad_json = dict(cnn)
    bad_json["config.json"] = b'{"class_name": "Sequential", "config": {'
    save("bad-json.keras", bad_json)
    deep = dict(cnn)
    deep["config.json"] = b"[" * 100000 + b"]" * 100000
    save("deep-json.keras", deep)

    def nest(config):
        inner = copy.deepcopy(config)
        for i in range(40):
            inner = {"module": "keras", "class_name": "Sequential",
                     "config": {"name": f"s{i}", "layers": [inner]}}
        config["config"]["layers"] = [layers_of(config)[0], inner]
    save("deep-models.keras", with_config(cnn, nest))

    def rename(cls, new):
        def edit(config):
            for layer in layers_of(config):
                if layer["class_name"] == cls:
                    layer["class_name"] = new
                    return
        return edit
    save("unknown-layer.keras", with_config(cnn, rename("Flatten",
                                                        "FancyFlatten")))
    save("lambda.keras", with_config(cnn, rename("Flatten", "Lambda")))

    def custom(config):
        layer = layers_of(config)[2]
        layer["module"] = "my_package.layers"
        layer["registered_name"] = "my_package>MyPooling"
    save("custom-layer.keras", with_config(cnn, custom))

    def option(config):
        layers_of(config)[1]["config"]["padding"] = "causal"
    save("unsupported-option.keras", with_config(cnn, option))

    def mixed(config):
        layers_of(config)[-1]["config"]["dtype"] = {
            "module": "keras", "class_name": "DTypePolicy",
            "config": {"name": "mixed_float16"}, "registered_name": None}
    save("mixed-precision.keras", with_config(cnn, mixed))

    def units(config):
        layers_of(config)[-2]["config"]["units"] = 65
    save("wrong-shape.keras", with_config(cnn, units))

    def extra(config):
        extra_layer = copy.deepcopy(layers_of(config)[-1])
        layers_of(config).append(extra_layer)
    save("missing-weight.keras", with_config(cnn, extra))

    other = dict(cnn)
    other["model.weights.h5"] = disc["model.weights.h5"]
    save("other-model.keras", other)

    def cycle(config):
        # The GRU reads the output of the layer after it.
        for layer in layers_of(config):
            if layer["class_name"] == "GRU":
                args = layer["inbound_nodes"][0]["args"][0]
                args["config"]["keras_history"] = ["lstm", 0, 0]
            if layer["class_name"] == "LSTM":
                args = layer["inbound_nodes"][0]["args"][0]
                args["config"]["keras_history"] = ["gru", 0, 0]
    save("cycle.keras", with_config(func, cycle))

    def unknown_op(config):
        for layer in layers_of(config):
            if layer["class_name"] == "NotEqual":
                layer["class_name"] = "Einsum"
                layer["registered_name"] = "Einsum"
                return
    save("unknown-op.keras", with_config(func, unknown_op))

    def uint8_input(config):
        layers_of(config)[0]["config"]["dtype"] = "uint8"
    save("uint8-input.keras", with_config(cnn, uint8_input))

    def bad_type(config):
        layers_of(config)[1]["config"]["filters"] = "many"
    save("bad-config-type.keras", with_config(cnn, bad_type))


if __name__ == "__main__":
    main()
