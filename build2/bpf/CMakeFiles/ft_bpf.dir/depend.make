# Empty dependencies file for ft_bpf.
# This may be replaced when dependencies are built.
