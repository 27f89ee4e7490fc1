# Empty compiler generated dependencies file for ft_analysis.
# This may be replaced when dependencies are built.
