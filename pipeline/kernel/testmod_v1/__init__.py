"""bpf_testmod's kfuncs of the v1 stack-argument series (shared/seed): kfuncs.c + kfuncs.py."""
