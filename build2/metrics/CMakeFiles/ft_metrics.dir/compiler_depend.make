# Empty compiler generated dependencies file for ft_metrics.
# This may be replaced when dependencies are built.
