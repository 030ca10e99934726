# Source: https://github.com/tensorflow/docs/blob/05529b07a24d99fef0b967409458d4d00b6a5fdc/site/en/tutorials/images/cnn.ipynb
# Taken: cells 'Create the convolutional base' and 'Add Dense layers on top', then the summary
# License: Apache-2.0 (tensorflow/docs)
# Model: model
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10))
model.summary()
