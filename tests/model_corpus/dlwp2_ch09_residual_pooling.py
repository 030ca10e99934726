# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/1bb759b55fc2433504525a3648154df69219556d/chapter09_part02_modern-convnet-architecture-patterns.ipynb
# Taken: cell 'Case where the target block includes a max pooling layer' (no Model call: the last tensor is the output)
# License: MIT (fchollet/deep-learning-with-python-notebooks)
# Model: keras.Model(inputs, x)
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
residual = x
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
x = layers.MaxPooling2D(2, padding="same")(x)
residual = layers.Conv2D(64, 1, strides=2)(residual)
x = layers.add([x, residual])
