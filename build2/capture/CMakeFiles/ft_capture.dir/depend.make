# Empty dependencies file for ft_capture.
# This may be replaced when dependencies are built.
