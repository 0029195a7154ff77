"""Writes the Keras bench models at full size, with inputs at each batch
size, into WORK (run in the venv with the pinned Keras; see keras.sh):

  WORK/NAME.keras, WORK/NAME-bB-input_K.npy, WORK/NAME.json (input names)
  WORK/cnn-weights.npz   the CNN's weights, for its NCHW twin (keras_nchw.py)

usage: keras_models.py WORK [--batches 1,16]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np
import keras
from keras import layers as L


def cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1), name="image"),
        L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"), L.Flatten(),
        L.Dense(64, activation="relu"), L.Dense(10, activation="softmax"),
    ], name="cnn")


def gru():
    return keras.Sequential([
        keras.Input((50,), dtype="int32", name="tokens"),
        L.Embedding(5000, 64), L.GRU(128, return_sequences=True),
        L.Dense(10, activation="softmax"),
    ], name="gru")


def vae():
    encoder = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D(),
        L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(),
        L.Flatten(), L.Dense(32, activation="tanh"),
    ], name="encoder")
    decoder = keras.Sequential([
        keras.Input((32,)),
        L.Dense(64 * 4 * 4, activation="tanh"), L.Reshape((4, 4, 64)),
        L.Conv2DTranspose(64, (3, 3), strides=1, padding="same"),
        L.Conv2DTranspose(32, (3, 3), strides=2, padding="same"),
        L.Conv2DTranspose(1, (3, 3), strides=2, padding="same"),
    ], name="decoder")
    x = keras.Input((28, 28, 1), name="image")
    return keras.Model(x, decoder(encoder(x)), name="vae")


def gan_generator():
    layers = [keras.Input((100,), name="latent"),
              L.Dense(256, activation="relu"),
              L.BatchNormalization(momentum=0.8), L.LeakyReLU()]
    for units in (512, 1024, 4 * 4 * 256):
        layers += [L.Dense(units), L.BatchNormalization(momentum=0.8),
                   L.LeakyReLU()]
    layers.append(L.Reshape((4, 4, 256)))
    for filters in (128, 64):
        layers += [L.Conv2DTranspose(filters, (4, 4), strides=2,
                                     padding="same"),
                   L.BatchNormalization(momentum=0.8), L.LeakyReLU()]
    layers.append(L.Conv2DTranspose(3, (4, 4), strides=2, padding="same"))
    return keras.Sequential(layers, name="gan_generator")


def gan_discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1), name="image"),
        L.Conv2D(64, (4, 4), strides=2, padding="same"), L.LeakyReLU(),
        L.Dropout(0.3),
        L.Conv2D(128, (4, 4), strides=2, padding="same"), L.LeakyReLU(),
        L.Dropout(0.3), L.Flatten(), L.Dense(1, activation="sigmoid"),
    ], name="gan_discriminator")


MODELS = {"cnn": cnn, "gru": gru, "vae": vae, "gan_generator": gan_generator,
          "gan_discriminator": gan_discriminator}


def inputs_for(model, batch, rng):
    result = []
    for t in model.inputs:
        shape = (batch, *t.shape[1:])
        if "int" in str(t.dtype):
            result.append(rng.integers(0, 5000, shape).astype(np.int32))
        else:
            result.append(rng.uniform(0, 1, shape).astype(np.float32))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--batches", default="1,16")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, build in MODELS.items():
        keras.backend.clear_session()
        keras.utils.set_random_seed(7)
        model = build()
        for layer in model.layers:
            for inner in [layer, *getattr(layer, "layers", [])]:
                if type(inner).__name__ == "BatchNormalization":
                    w = inner.get_weights()
                    inner.set_weights([w[0], w[1], rng.normal(0, 0.2, w[2].shape),
                                       rng.uniform(0.5, 2, w[3].shape)])
        model.save(os.path.join(args.work, f"{name}.keras"))
        config = model.get_config()
        if "input_layers" in config:
            refs = config["input_layers"]
            names = [refs[0]] if isinstance(refs[0], str) else \
                [ref[0] for ref in refs]
        else:
            names = [config["layers"][0]["config"]["name"]]
        with open(os.path.join(args.work, f"{name}.json"), "w") as f:
            json.dump({"inputs": names}, f)
        for batch in map(int, args.batches.split(",")):
            for k, x in enumerate(inputs_for(model, batch, rng)):
                np.save(os.path.join(args.work, f"{name}-b{batch}-input_{k}.npy"), x)
        if name == "cnn":
            np.savez(os.path.join(args.work, "cnn-weights.npz"),
                     *[w for w in model.get_weights()])
        print(f"{name}: {model.count_params()} parameters", flush=True)


if __name__ == "__main__":
    main()
