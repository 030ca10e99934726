# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/031aeace4c337592cae0a923a971bf6995be00ac/chapter08_image-classification.ipynb
# Taken: cell 'The max-pooling operation' (model_no_max_pool) and its summary
# License: MIT (fchollet/deep-learning-with-python-notebooks)
# Model: model_no_max_pool
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(inputs)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model_no_max_pool = keras.Model(inputs=inputs, outputs=outputs)
model_no_max_pool.summary(line_length=80)
