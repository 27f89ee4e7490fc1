# Empty compiler generated dependencies file for ftpeer.
# This may be replaced when dependencies are built.
