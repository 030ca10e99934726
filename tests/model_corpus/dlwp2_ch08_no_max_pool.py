# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/1bb759b55fc2433504525a3648154df69219556d/chapter08_intro-to-dl-for-computer-vision.ipynb
# Taken: cells 'An incorrectly-structured convnet missing its max pooling layers' and its summary
# License: MIT (fchollet/deep-learning-with-python-notebooks)
# Model: model_no_max_pool
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model_no_max_pool = keras.Model(inputs=inputs, outputs=outputs)
model_no_max_pool.summary()
