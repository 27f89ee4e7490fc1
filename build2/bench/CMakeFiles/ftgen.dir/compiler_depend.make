# Empty compiler generated dependencies file for ftgen.
# This may be replaced when dependencies are built.
