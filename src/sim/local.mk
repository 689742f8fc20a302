# Simulated DfuSe device: a libusb-1.0 stand-in loaded into dfu-util.
