# Empty custom commands generated dependencies file for ft_bpf_skel.
# This may be replaced when dependencies are built.
