"""Core-kernel kfuncs (vmlinux): prototypes in kfuncs.c, implementations in kfuncs.py."""
