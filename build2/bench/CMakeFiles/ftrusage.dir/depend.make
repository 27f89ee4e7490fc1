# Empty dependencies file for ftrusage.
# This may be replaced when dependencies are built.
