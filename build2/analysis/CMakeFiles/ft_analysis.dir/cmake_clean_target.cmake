file(REMOVE_RECURSE
  "libft_analysis.a"
)
