file(REMOVE_RECURSE
  "libft_metrics.a"
)
