# Empty dependencies file for ftload.
# This may be replaced when dependencies are built.
