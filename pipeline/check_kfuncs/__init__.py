"""The toolchain regression corpus's kfunc module (``--kmod pipeline/check_kfuncs``): kfuncs.c + kfuncs.py."""
