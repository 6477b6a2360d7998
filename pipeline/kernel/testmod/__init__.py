"""bpf_testmod's kfuncs: prototypes in kfuncs.c, implementations in kfuncs.py."""
