"""ImageNet-pretrained conv bases: VGG16 and friends through keras.applications, EfficientNet-Lite0 from PyPI."""
