# Empty compiler generated dependencies file for ft_engine.
# This may be replaced when dependencies are built.
