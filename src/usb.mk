# usb: sources, commands and tests of this area
