file(REMOVE_RECURSE
  "libft_engine.a"
)
