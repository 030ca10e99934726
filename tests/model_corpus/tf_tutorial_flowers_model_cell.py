# Source: https://github.com/tensorflow/docs/blob/7c3650212740204359d4ceae481abc79345541be/site/en/tutorials/images/classification.ipynb
# Taken: the cell 'QR6argA1K074' (Create the model) as it is; class_names, img_height and img_width come from earlier cells
# License: Apache-2.0 (tensorflow/docs)
# Model: model
# Expect-as-pasted: undefined_name img_height
# Names: class_names = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']; img_height = 180; img_width = 180
num_classes = len(class_names)

model = Sequential([
  layers.Rescaling(1./255, input_shape=(img_height, img_width, 3)),
  layers.Conv2D(16, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Conv2D(32, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Conv2D(64, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Flatten(),
  layers.Dense(128, activation='relu'),
  layers.Dense(num_classes)
])
