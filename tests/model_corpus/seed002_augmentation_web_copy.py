# Source: seed 002 (shared/seeds/002_6b28def585676f04.txt), lines 79-91: the notes' augmentation-and-dropout cell as a web page copied it, statements run together; data_augmentation is defined further down (line 93)
# License: the project's own specification notes
# Model: model
# Expect-as-pasted: undefined_name data_augmentation
# Blocks: data_augmentation
# Setup: data_augmentation = keras.Sequential([layers.RandomFlip('horizontal'), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
inputs= keras.Input(shape=(180, 180, 3)) x= data_augmentation(inputs)
x= layers.Rescaling(1./255)(x) x= layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
x= layers.MaxPooling2D(pool_size=2)(x)
x= layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x= layers.MaxPooling2D(pool_size=2)(x)
x= layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x= layers.MaxPooling2D(pool_size=2)(x) x= layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
x= layers.MaxPooling2D(pool_size=2)(x)
x= layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
x= layers.Flatten()(x) x= layers.Dropout(0.5)(x)
outputs= layers.Dense(1, activation="sigmoid")(x)
model= keras.Model(inputs=inputs, outputs=outputs)
model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
