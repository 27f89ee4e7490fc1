# Empty dependencies file for fintrace.
# This may be replaced when dependencies are built.
