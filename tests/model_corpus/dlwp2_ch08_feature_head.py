# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/1bb759b55fc2433504525a3648154df69219556d/chapter08_intro-to-dl-for-computer-vision.ipynb
# Taken: cell 'Defining and training the densely connected classifier'
# License: MIT (fchollet/deep-learning-with-python-notebooks)
# Model: model
inputs = keras.Input(shape=(5, 5, 512))
x = layers.Flatten()(inputs)
x = layers.Dense(256)(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(loss="binary_crossentropy",
              optimizer="rmsprop",
              metrics=["accuracy"])

callbacks = [
    keras.callbacks.ModelCheckpoint(
      filepath="feature_extraction.keras",
      save_best_only=True,
      monitor="val_loss")
]
history = model.fit(
    train_features, train_labels,
    epochs=20,
    validation_data=(val_features, val_labels),
    callbacks=callbacks)
