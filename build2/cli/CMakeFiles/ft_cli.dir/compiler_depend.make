# Empty compiler generated dependencies file for ft_cli.
# This may be replaced when dependencies are built.
