# Source: seed 000 (shared/seeds/000_9f8e0adf92f16e38.txt), lines 301-308: the notes' no-max-pooling cell as copied from the web, ending in a doctest prompt
# License: the project's own specification notes
# Model: model_no_max_pool
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model_no_max_pool = keras.Model(inputs=inputs, outputs=outputs)
>>> model.summary()
