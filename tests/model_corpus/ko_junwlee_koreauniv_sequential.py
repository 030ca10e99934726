# Source: https://github.com/junwlee/KoreaUniv (notebook cells In [15] and In [21], as rendered on that page)
# Taken: the import cell and the model cell (Korean comment; a second input_shape that Keras ignores)
# License: as published by the author; quoted as a test input
# Model: model
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Input, Dropout
model = Sequential()

model.add(Input(shape=(28,28,1)))

model.add(
    Conv2D(32, kernel_size=(3, 3), strides=1, padding='same', activation='relu')
)
# 이 레이어를 지나면 출력 데이터의 형태는 (28, 28, 32)가 되며, 여기서 마지막 차원 32는 32개의 feature map을 나타낸다.
model.add(MaxPooling2D(pool_size=(2,2)))

model.add(
    Conv2D(64, kernel_size=(3, 3), strides=1, padding='same', activation='relu', input_shape=(28,28,1))
)
model.add(MaxPooling2D(pool_size=(2,2)))

model.add(Flatten())

model.add(Dropout(rate=0.5))

model.add(Dense(64, activation='relu'))
model.add(Dropout(0.3))

model.add(Dense(10, activation='relu'))

model.summary()
