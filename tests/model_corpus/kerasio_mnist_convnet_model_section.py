# Source: https://github.com/keras-team/keras-io/blob/02cfe8063b505adc073986c91729f22039f77ad0/examples/vision/mnist_convnet.py
# Taken: the "Build the model" section alone, as a learner pastes one cell (input_shape and num_classes are set in the data section)
# License: Apache-2.0 (keras-team/keras-io)
# Model: model
# Expect-as-pasted: undefined_name input_shape
# Names: input_shape = (28, 28, 1); num_classes = 10
"""
## Build the model
"""

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()
